// SPDX-License-Identifier: GPL-2.0

//! `on_each_cpu()`: a function run synchronously on every online CPU.

use super::{irq::IrqsOff, sys};
use kernel::ffi::c_void;

/// Runs `f` on every online CPU, in IPI context with IRQs off there (the calling CPU included),
/// and returns once all of them have finished: `on_each_cpu(func, info, wait = 1)`.
///
/// Because each run holds [`IrqsOff`] on its CPU, it excludes every other `IrqsOff` holder on
/// that CPU. So when this returns, every section that began on any CPU before the call has
/// ended: the synchronisation point pcpool's drain is built on.
///
/// The caller must be able to sleep (process context, IRQs on). `f` must not sleep.
pub(crate) fn on_each_cpu<F: Fn(&IrqsOff) + Sync>(f: &F) {
    /// # Safety
    ///
    /// `info` is a `&F` that outlives the call, and IRQs are off.
    unsafe extern "C" fn trampoline<F: Fn(&IrqsOff)>(info: *mut c_void) {
        // SAFETY: `info` is the `&F` passed below, alive until every CPU has returned, because
        // `on_each_cpu` waits.
        let f = unsafe { &*info.cast::<F>() };
        // SAFETY: IPI functions run with IRQs off, and so does the local call.
        let irqs_off = unsafe { IrqsOff::new() };
        f(&irqs_off);
    }

    // SAFETY: the trampoline matches `smp_call_func_t`, and `f` outlives the call since it
    // waits (`wait = 1`). `F: Sync` because several CPUs run it at once.
    unsafe { sys::pcpool_on_each_cpu(Some(trampoline::<F>), (f as *const F).cast_mut().cast()) };
}
