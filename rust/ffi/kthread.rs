// SPDX-License-Identifier: GPL-2.0

//! Kernel threads bound to a CPU, and a few helpers tests and stress loads need.

use super::{cpu::CpuId, sys};
use core::ptr::NonNull;
use kernel::{bindings, ffi::c_void, prelude::*, str::CStr};

/// A kthread bound to one CPU that calls a closure over and over, with `cond_resched()`
/// between calls, until it is stopped. Dropping it stops it (`kthread_stop()`) and waits.
///
/// # Invariants
///
/// `task` is a started kthread running `pcpool_kthread_loop` on `data`, not yet stopped;
/// `data` is a leaked `KBox<Body>` that the thread uses until it is stopped.
pub(crate) struct KThread {
    task: NonNull<bindings::task_struct>,
    data: NonNull<c_void>,
    drop_data: unsafe fn(NonNull<c_void>),
}

// SAFETY: the handle only stops the thread; any thread may do that.
unsafe impl Send for KThread {}
// SAFETY: `&KThread` allows nothing.
unsafe impl Sync for KThread {}

impl KThread {
    /// Starts `body` in a kthread named `name`, bound to `cpu`.
    pub(crate) fn run_on<F: FnMut() + Send + 'static>(
        cpu: CpuId,
        name: &CStr,
        body: F,
    ) -> Result<Self> {
        /// # Safety
        ///
        /// `data` is the `KBox<F>` leaked below, used by one thread at a time.
        unsafe extern "C" fn call<F: FnMut()>(data: *mut c_void) {
            // SAFETY: `data` is the leaked `F`, only the kthread calls it.
            unsafe { (*data.cast::<F>())() };
        }
        /// # Safety
        ///
        /// `data` is the leaked `KBox<F>`, no longer used.
        unsafe fn drop_body<F>(data: NonNull<c_void>) {
            // SAFETY: it came from `KBox::into_raw` of a `KBox<F>`.
            drop(unsafe { KBox::from_raw(data.as_ptr().cast::<F>()) });
        }

        let data = KBox::into_raw(KBox::new(body, GFP_KERNEL)?).cast::<c_void>();
        // SAFETY: `call::<F>` matches the data; `name` is NUL-terminated.
        let task = unsafe {
            sys::pcpool_kthread_start(Some(call::<F>), data, cpu.as_u32(), name.as_char_ptr())
        };
        // SAFETY: `data` is non-null, from `KBox::into_raw`.
        let data = unsafe { NonNull::new_unchecked(data) };
        match NonNull::new(task) {
            // INVARIANT: the thread started on `data`.
            Some(task) => Ok(Self {
                task,
                data,
                drop_data: drop_body::<F>,
            }),
            None => {
                // SAFETY: the thread did not start, so nothing uses `data`.
                unsafe { drop_body::<F>(data) };
                Err(ENOMEM)
            }
        }
    }
}

impl Drop for KThread {
    fn drop(&mut self) {
        // SAFETY: a started, not yet stopped kthread (type invariant). It returns after the
        // thread has left its loop, so `data` is unused after it.
        unsafe {
            bindings::kthread_stop(self.task.as_ptr());
            (self.drop_data)(self.data);
        }
    }
}

/// `msleep()`.
pub(crate) fn msleep(ms: u32) {
    // SAFETY: no requirement beyond a sleepable context.
    unsafe { bindings::msleep(ms) };
}

/// `udelay()`: spins for `us` microseconds (at most 20,000, as `udelay()` allows).
pub(crate) fn udelay(us: u32) {
    // SAFETY: no requirement; busy-waits.
    unsafe { bindings::__udelay(us.min(20_000) as _) };
}

/// `get_random_u32()`.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: no requirement.
    unsafe { bindings::get_random_u32() }
}

/// Monotonic milliseconds since boot (`ktime_get_ns()`).
pub(crate) fn now_ms() -> u64 {
    // SAFETY: no requirement.
    unsafe { sys::pcpool_now_ms() }
}

/// `rdtsc_ordered()`: a timestamp for benchmarks. Counts guest instructions under QEMU with
/// `-icount shift=0`, cycles on hardware.
pub(crate) fn tsc() -> u64 {
    // SAFETY: no requirement.
    unsafe { sys::pcpool_rdtsc() }
}

/// `cond_resched()`: lets other tasks run in a long loop in process context.
pub(crate) fn cond_resched() {
    // SAFETY: callers run in process context, where scheduling is allowed.
    unsafe { bindings::__cond_resched() };
}
