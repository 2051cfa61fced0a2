// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet.
//!
//! `stop_machine()`: run a function while every other online CPU spins with IRQs off.

use super::{irq::IrqDisabled, sys};
use core::marker::PhantomData;
use kernel::ffi::c_void;

/// Proof that the machine is stopped: the holder runs with IRQs off and every other online CPU
/// spins in the stopper with IRQs off, so no other code runs anywhere. An offline CPU runs
/// nothing either. Per-CPU data that only its CPU touches with IRQs off can be read from here
/// for every CPU.
///
/// # Invariants
///
/// Only made by [`stop_machine`], inside the stopped section, and not `Send`.
pub(crate) struct Stopped {
    _not_send: PhantomData<*mut ()>,
}

impl Stopped {
    /// IRQs are off here too.
    pub(crate) fn irqs_off(&self) -> IrqDisabled<'_> {
        // SAFETY: the stopped section runs with IRQs off (type invariant), for longer than
        // `self` is borrowed.
        unsafe { IrqDisabled::new() }
    }
}

/// Runs `f` with the machine stopped and returns its result (`None` only if the kernel did not
/// run it). Sleeps; holds the CPU hotplug lock, so no CPU comes or goes meanwhile.
pub(crate) fn stop_machine<R, F: FnOnce(&Stopped) -> R>(f: F) -> Option<R> {
    struct Call<R, F> {
        f: Option<F>,
        result: Option<R>,
    }

    /// # Safety
    ///
    /// `data` is a `Call<R, F>` alive for the call; the machine is stopped.
    unsafe extern "C" fn trampoline<R, F: FnOnce(&Stopped) -> R>(data: *mut c_void) -> i32 {
        // SAFETY: `data` is the `Call` below; only this one CPU runs the function.
        let call = unsafe { &mut *data.cast::<Call<R, F>>() };
        // INVARIANT: we are the stopped section; IRQs are off in it.
        let stopped = Stopped {
            _not_send: PhantomData,
        };
        if let Some(f) = call.f.take() {
            call.result = Some(f(&stopped));
        }
        0
    }

    let mut call = Call {
        f: Some(f),
        result: None,
    };
    // SAFETY: the trampoline matches `cpu_stop_fn_t`, `call` outlives the synchronous call, and
    // a null mask means "any one CPU".
    unsafe {
        sys::stop_machine(
            Some(trampoline::<R, F>),
            (&mut call as *mut Call<R, F>).cast(),
            core::ptr::null(),
        )
    };
    call.result
}
