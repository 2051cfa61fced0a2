// SPDX-License-Identifier: GPL-2.0

//! The Rust end of the exported C API (include/pcpool.h): the shim's exported functions call
//! the `pcpool_rs_*` entry points here, which forward to the registered pool.

use super::page::RawPage;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{bindings, ffi::c_uint, prelude::*, sync::Arc};

/// Logs each registered client that holds pages, and how many (the shim keeps the clients and
/// their counts). Sleeps.
pub(crate) fn log_holders() {
    // SAFETY: no requirement beyond a sleepable context.
    unsafe { super::sys::pcpool_log_holders() };
}

/// Asks client `owner` to move from page `old` to page `new` (its migrate callback): `Ok` when
/// it did, `ENOENT` when it holds `old` no more, `EOPNOTSUPP` without a callback, or its error.
/// Sleeps.
pub(crate) fn migrate(owner: u16, old: RawPage, new: RawPage) -> Result {
    // SAFETY: both are pool pages (struct pages of chunks the pool holds); the shim looks the
    // client up under its list lock.
    kernel::error::to_result(unsafe {
        super::sys::pcpool_client_migrate(owner, old.0.as_ptr(), new.0.as_ptr())
    })
}

/// Whether client `owner` has a migrate callback. Sleeps.
pub(crate) fn can_migrate(owner: u16) -> bool {
    // SAFETY: any value; the shim looks the client up under its list lock.
    unsafe { super::sys::pcpool_client_can_migrate(owner) }
}

/// `PCPOOL_ZERO`, asserted in pcpool_shim.c.
pub(crate) const ZERO: u32 = 0x1;
/// `PCPOOL_MAY_GROW`, asserted in pcpool_shim.c.
pub(crate) const MAY_GROW: u32 = 0x2;

/// Why the pool refused a free through the C API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FreeRefused {
    /// Not an allocated page of the pool (logged by the pool).
    Invalid,
    /// Another client holds the page (this is its id; 0: an in-kernel user). The shim logs it,
    /// with both clients' names.
    HeldBy(u16),
}

/// What the C API needs from the pool.
pub(crate) trait Exported: Send + Sync + 'static {
    /// One page (`flags`: [`ZERO`], [`MAY_GROW`]) for client `owner`.
    fn alloc(&self, flags: u32, owner: u16) -> Option<RawPage>;
    /// Fills `out` from the start for client `owner`; returns how many it filled.
    fn alloc_bulk(&self, flags: u32, owner: u16, out: &mut [Option<RawPage>]) -> usize;
    /// Frees a page client `owner` passed in, if it is a page of the pool that `owner` holds.
    fn free(&self, page: RawPage, owner: u16) -> Result<(), FreeRefused>;
}

struct Entry {
    obj: *const (),
    alloc: fn(*const (), u32, u16) -> Option<RawPage>,
    alloc_bulk: fn(*const (), u32, u16, &mut [Option<RawPage>]) -> usize,
    free: fn(*const (), RawPage, u16) -> Result<(), FreeRefused>,
}

/// The registered pool. Set before any client can call (clients resolve pcpool's symbols
/// only once its init has returned) and cleared after the last one is gone (each holds a
/// module reference while registered).
static ENTRY: AtomicPtr<Entry> = AtomicPtr::new(core::ptr::null_mut());

/// Serves the C API from `T` while it lives.
///
/// # Invariants
///
/// `entry` is the leaked `KBox<Entry>` published in [`ENTRY`], whose `obj` points at the `T`
/// of `_obj`.
pub(crate) struct ApiRegistration<T: Exported> {
    _obj: Arc<T>,
    entry: *mut Entry,
}

// SAFETY: the raw pointer is only used to unpublish in `drop`.
unsafe impl<T: Exported> Send for ApiRegistration<T> {}
// SAFETY: `&ApiRegistration` allows nothing.
unsafe impl<T: Exported> Sync for ApiRegistration<T> {}

impl<T: Exported> ApiRegistration<T> {
    /// Publishes `obj` as the pool behind the C API; `EBUSY` if one is published already.
    pub(crate) fn new(obj: Arc<T>) -> Result<Self> {
        fn cast<'a, T>(obj: *const ()) -> &'a T {
            // SAFETY: `obj` points at the `T` of an `Arc` the registration keeps alive while
            // the entry is published.
            unsafe { &*obj.cast::<T>() }
        }
        let entry = KBox::into_raw(KBox::new(
            Entry {
                obj: (&*obj as *const T).cast(),
                alloc: |o, f, id| cast::<T>(o).alloc(f, id),
                alloc_bulk: |o, f, id, out| cast::<T>(o).alloc_bulk(f, id, out),
                free: |o, p, id| cast::<T>(o).free(p, id),
            },
            GFP_KERNEL,
        )?);
        if ENTRY
            .compare_exchange(
                core::ptr::null_mut(),
                entry,
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_err()
        {
            // SAFETY: not published, so ours alone.
            drop(unsafe { KBox::from_raw(entry) });
            return Err(EBUSY);
        }
        // INVARIANT: published just above, pointing at `obj`.
        Ok(Self { _obj: obj, entry })
    }
}

impl<T: Exported> Drop for ApiRegistration<T> {
    fn drop(&mut self) {
        ENTRY.store(core::ptr::null_mut(), Ordering::Release);
        // SAFETY: leaked by `new` (type invariant); unpublished, and no client can be calling:
        // pcpool is being unloaded, so none is registered.
        drop(unsafe { KBox::from_raw(self.entry) });
        // SAFETY: no client is registered (each pins the module), and no module that could
        // still hold a handle is loaded (each links against pcpool's symbols).
        unsafe { super::sys::pcpool_clients_release() };
    }
}

fn entry<'a>() -> Option<&'a Entry> {
    // SAFETY: a published entry stays valid until the registration drops, after the last
    // client call (see `ENTRY`).
    unsafe { ENTRY.load(Ordering::Acquire).as_ref() }
}

fn raw(page: *mut bindings::page) -> Option<RawPage> {
    let page = core::ptr::NonNull::new(page).map(RawPage);
    if page.is_none() {
        super::ratelimit::pr_err_ratelimited!("free of a NULL page refused\n");
    }
    page
}

/// # Safety
///
/// Called by the shim's `pcpool_alloc_page()` only.
#[no_mangle]
unsafe extern "C" fn pcpool_rs_alloc(flags: c_uint, owner: u16) -> *mut bindings::page {
    entry()
        .and_then(|e| (e.alloc)(e.obj, flags, owner))
        .map_or(core::ptr::null_mut(), |p| p.0.as_ptr())
}

/// Frees `page` for client `owner`: 0, or `-EINVAL` with `*holder` set to the id of the client
/// that holds the page when that is why (left alone otherwise).
///
/// # Safety
///
/// Called by the shim's `pcpool_free_page()` and `pcpool_free_bulk()` only; `page` may be any
/// value, `holder` is writable.
#[no_mangle]
unsafe extern "C" fn pcpool_rs_free(
    page: *mut bindings::page,
    owner: u16,
    holder: *mut i32,
) -> i32 {
    let Some(e) = entry() else {
        return EINVAL.to_errno();
    };
    let Some(page) = raw(page) else {
        return EINVAL.to_errno();
    };
    match (e.free)(e.obj, page, owner) {
        Ok(()) => 0,
        Err(refused) => {
            if let FreeRefused::HeldBy(id) = refused {
                // SAFETY: writable (the caller's contract).
                unsafe { *holder = i32::from(id) };
            }
            EINVAL.to_errno()
        }
    }
}

/// # Safety
///
/// Called by the shim's `pcpool_alloc_bulk()` only; `pages` holds `nr` writable entries.
#[no_mangle]
unsafe extern "C" fn pcpool_rs_alloc_bulk(
    flags: c_uint,
    owner: u16,
    nr: c_uint,
    pages: *mut *mut bindings::page,
) -> c_uint {
    let Some(e) = entry() else { return 0 };
    if pages.is_null() {
        return 0;
    }
    // SAFETY: `pages` holds `nr` entries (the API's contract); `Option<RawPage>` has the
    // layout of a nullable `struct page *`.
    let out =
        unsafe { core::slice::from_raw_parts_mut(pages.cast::<Option<RawPage>>(), nr as usize) };
    (e.alloc_bulk)(e.obj, flags, owner, out) as c_uint
}
