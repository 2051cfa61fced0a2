// SPDX-License-Identifier: GPL-2.0

//! Superseded by a `kernel::shrinker` module once upstream has one (one was posted with the
//! binder driver in 2024).
//!
//! A shrinker (`shrinker_alloc()`, `shrinker_register()`, `shrinker_free()`) whose callbacks
//! are a Rust type's methods, with an `Arc` of it as the private data.

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings, c_str, ffi::c_ulong, prelude::*, str::CStr, sync::Arc, types::ForeignOwnable,
};

/// `SHRINK_STOP` (bindgen reads the macro as `-1`).
const SHRINK_STOP: c_ulong = !0;
/// `SHRINK_EMPTY`.
const SHRINK_EMPTY: c_ulong = !0 - 1;

/// What `count_objects` found.
pub(crate) enum Count {
    /// Nothing to free (`SHRINK_EMPTY`).
    Empty,
    /// This many objects could be freed.
    Freeable(usize),
}

/// What `scan_objects` did.
pub(crate) enum Scan {
    /// This many objects were freed. More than asked counts as scanned too (`nr_scanned`), so
    /// that reclaim asks that much less next: a cache that frees in units larger than the
    /// batch is not asked again for what it gave already.
    Freed(usize),
    /// No progress is possible now without risking a deadlock (`SHRINK_STOP`).
    Stop,
}

/// Counts `pages` pages a shrinker freed as reclaimed, if the caller is in reclaim
/// (`mm_account_reclaimed_pages()`): without it reclaim sees no progress from them, throttles
/// and reclaims more. Only for pages freed to the page allocator, not for objects.
pub(crate) fn account_reclaimed_pages(pages: usize) {
    // SAFETY: reads and updates only the current task's reclaim state.
    unsafe { super::sys::pcpool_account_reclaimed_pages(pages) };
}

/// A shrinker's callbacks. Reclaim calls them from any task that can sleep, concurrently.
pub(crate) trait Shrink: Send + Sync + 'static {
    /// How many objects `scan` could free now.
    fn count_objects(&self) -> Count;
    /// Frees about `nr_to_scan` objects.
    fn scan_objects(&self, nr_to_scan: usize) -> Scan;
}

/// A registered shrinker; unregistering it (drop) waits for running callbacks.
///
/// # Invariants
///
/// `raw` came from `shrinker_alloc()` and was registered with `count::<T>`/`scan::<T>` as its
/// callbacks and an `Arc<T>` from `into_foreign` as its private data, which `drop` takes back.
pub(crate) struct Shrinker<T: Shrink> {
    raw: NonNull<bindings::shrinker>,
    _data: PhantomData<Arc<T>>,
}

// SAFETY: a registered shrinker may be freed from any thread; the callbacks need `T: Sync`.
unsafe impl<T: Shrink> Send for Shrinker<T> {}
// SAFETY: `&Shrinker` gives access to nothing.
unsafe impl<T: Shrink> Sync for Shrinker<T> {}

impl<T: Shrink> Shrinker<T> {
    /// Registers a shrinker named `name` (as `/sys/kernel/debug/shrinker/` shows it) that
    /// calls `data`'s methods, asking `batch` objects a call (`shrinker->batch`). Sleeps.
    pub(crate) fn register(name: &CStr, batch: usize, data: Arc<T>) -> Result<Self> {
        // SAFETY: flags 0 (not NUMA- or memcg-aware); `"%s"` with one NUL-terminated argument.
        let raw =
            unsafe { bindings::shrinker_alloc(0, c_str!("%s").as_char_ptr(), name.as_char_ptr()) };
        let raw = NonNull::new(raw).ok_or(ENOMEM)?;
        let private = data.into_foreign();
        // SAFETY: `raw` is allocated and not registered yet, so its fields are ours to set
        // (`seeks` keeps `shrinker_alloc()`'s DEFAULT_SEEKS); after `shrinker_register()` the
        // callbacks may run at once, with everything they read set.
        unsafe {
            let s = raw.as_ptr();
            (*s).private_data = private.cast_mut();
            (*s).batch = batch.try_into().unwrap_or(0);
            (*s).count_objects = Some(count::<T>);
            (*s).scan_objects = Some(scan::<T>);
            bindings::shrinker_register(s);
        }
        // INVARIANT: registered above, with those callbacks and private data.
        Ok(Self {
            raw,
            _data: PhantomData,
        })
    }
}

impl<T: Shrink> Drop for Shrinker<T> {
    fn drop(&mut self) {
        // SAFETY: `raw` is a registered shrinker (type invariant), used no more after this.
        let private = unsafe { (*self.raw.as_ptr()).private_data };
        // SAFETY: as above; `shrinker_free()` unregisters it and waits for running callbacks.
        unsafe { bindings::shrinker_free(self.raw.as_ptr()) };
        // SAFETY: `private` came from `Arc::into_foreign` (type invariant), and no callback can
        // borrow it any more.
        drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign(private) });
    }
}

/// The `count_objects` callback.
///
/// # Safety
///
/// `shrinker` is one [`Shrinker<T>`] registered.
unsafe extern "C" fn count<T: Shrink>(
    shrinker: *mut bindings::shrinker,
    _sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: the private data of a `Shrinker<T>` is an `Arc<T>`, alive until `shrinker_free()`
    // returns, which waits for this callback.
    let data = unsafe { <Arc<T> as ForeignOwnable>::borrow((*shrinker).private_data) };
    match data.count_objects() {
        Count::Empty => SHRINK_EMPTY,
        // Reclaim doubles the count: keep it far from the top.
        Count::Freeable(n) => n.min(c_ulong::MAX / 4),
    }
}

/// The `scan_objects` callback.
///
/// # Safety
///
/// `shrinker` is one [`Shrinker<T>`] registered, and `sc` a valid `shrink_control`.
unsafe extern "C" fn scan<T: Shrink>(
    shrinker: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: as in `count`.
    let data = unsafe { <Arc<T> as ForeignOwnable>::borrow((*shrinker).private_data) };
    // SAFETY: reclaim passes a valid `shrink_control`.
    let nr_to_scan = unsafe { (*sc).nr_to_scan };
    match data.scan_objects(nr_to_scan) {
        Scan::Freed(n) => {
            if n > nr_to_scan {
                // SAFETY: as above; `nr_scanned` is the callee's to set.
                unsafe { (*sc).nr_scanned = n };
            }
            n.min(SHRINK_STOP - 1)
        }
        Scan::Stop => SHRINK_STOP,
    }
}
