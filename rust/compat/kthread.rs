// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet (`kernel::task` has no kthread creation).
//!
//! Kernel threads bound to a CPU, and a few helpers tests and stress loads need.

use super::{cpu::CpuId, sys};
use core::ptr::NonNull;
use kernel::{
    bindings,
    ffi::{c_int, c_void},
    prelude::*,
    str::CStr,
};

/// A kthread bound to one CPU that calls a closure over and over, with `cond_resched()`
/// between calls, until it is stopped. Dropping it stops it (`kthread_stop()`) and waits.
///
/// # Invariants
///
/// `task` is a started kthread running `thread_fn::<F>` on `data`, not yet stopped;
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
        /// `data` is the `KBox<F>` leaked below, which only this thread uses until it stops.
        unsafe extern "C" fn thread_fn<F: FnMut()>(data: *mut c_void) -> c_int {
            // SAFETY: `data` is the leaked `F`, only this thread calls it.
            let body = unsafe { &mut *data.cast::<F>() };
            // SAFETY: called from a kthread.
            while !unsafe { bindings::kthread_should_stop() } {
                body();
                // Voluntary preemption: without it, work queued on this CPU starves.
                cond_resched();
            }
            0
        }
        /// # Safety
        ///
        /// `data` is the leaked `KBox<F>`, no longer used.
        unsafe fn drop_body<F>(data: NonNull<c_void>) {
            // SAFETY: it came from `KBox::into_raw` of a `KBox<F>`.
            drop(unsafe { KBox::from_raw(data.as_ptr().cast::<F>()) });
        }

        let data = KBox::into_raw(KBox::new(body, GFP_KERNEL)?).cast::<c_void>();
        // SAFETY: `thread_fn::<F>` matches the data; `name` is NUL-terminated (a format with
        // at most one `%u`, the CPU).
        let task = unsafe {
            bindings::kthread_create_on_cpu(
                Some(thread_fn::<F>),
                data,
                cpu.as_u32(),
                name.as_char_ptr(),
            )
        };
        // SAFETY: `data` is non-null, from `KBox::into_raw`.
        let data = unsafe { NonNull::new_unchecked(data) };
        // An `ERR_PTR()` on failure.
        let task = NonNull::new(task).filter(|t| (t.as_ptr() as usize) < (-4095isize) as usize);
        if let Some(task) = task {
            // SAFETY: a new kthread, not started yet.
            unsafe { bindings::wake_up_process(task.as_ptr()) };
        }
        match task {
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

/// Whether the current task has a signal pending (`signal_pending(current)`).
pub(crate) fn signal_pending() -> bool {
    kernel::current!().signal_pending()
}

/// Monotonic nanoseconds since boot (`ktime_get_ns()`).
pub(crate) fn now_ns() -> u64 {
    // SAFETY: no requirement. Nanoseconds fit an `i64` for 292 years of uptime.
    unsafe { bindings::ktime_get() as u64 }
}

/// Monotonic milliseconds since boot.
pub(crate) fn now_ms() -> u64 {
    now_ns() / 1_000_000
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
