// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet (`on_each_cpu()`).
//!
//! `on_each_cpu()`: a function run synchronously on every online CPU, by IPI.

use super::{irq::IrqDisabled, sys};
use kernel::ffi::c_void;

/// Runs `f` on every online CPU, in IPI context with IRQs off there (the calling CPU included),
/// and returns once all of them have finished: `on_each_cpu(func, info, wait = 1)`.
///
/// Because each run holds [`IrqDisabled`] on its CPU, it excludes every other `IrqDisabled` holder on
/// that CPU. So when this returns, every section that began on any CPU before the call has
/// ended.
///
/// The caller must be able to sleep (process context, IRQs on). `f` must not sleep.
pub(crate) fn on_each_cpu<F: Fn(IrqDisabled<'_>) + Sync>(f: &F) {
    // SAFETY: the trampoline matches `smp_call_func_t`, and `f` outlives the call since it
    // waits (`wait = 1`). `F: Sync` because several CPUs run it at once.
    unsafe { sys::pcpool_on_each_cpu(Some(trampoline::<F>), (f as *const F).cast_mut().cast()) };
}

/// Calls the `&F` in `info` with the proof that IRQs are off.
///
/// # Safety
///
/// `info` is a `&F` that outlives the call, and IRQs are off.
unsafe extern "C" fn trampoline<F: Fn(IrqDisabled<'_>)>(info: *mut c_void) {
    // SAFETY: `info` is the `&F` our callers pass, alive until every CPU has returned, because
    // they wait.
    let f = unsafe { &*info.cast::<F>() };
    // SAFETY: IPI functions run with IRQs off, and so does `on_each_cpu()`'s local call.
    f(unsafe { IrqDisabled::new() });
}
