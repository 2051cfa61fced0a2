// SPDX-License-Identifier: GPL-2.0

//! Local IRQ disabling: the guard that owns a CPU's pcp lists.

use super::{cpu::CpuId, sys};
use core::marker::PhantomData;
use kernel::ffi::c_ulong;

/// Proof that local IRQs are off on the current CPU for as long as the borrow lives.
///
/// With IRQs off the task can neither be preempted nor migrated, and no IRQ (an IPI among them)
/// runs on this CPU, so this CPU's per-CPU data is the holder's alone. Borrowed from a
/// [`with_irqs_off`] section, or handed to an [`on_each_cpu`](super::ipi::on_each_cpu) callback, which
/// runs in IPI context with IRQs off.
///
/// # Invariants
///
/// Local IRQs are disabled on the CPU that runs the owner of any `&IrqsOff`, for the whole
/// lifetime of that borrow. The type is neither `Send` nor `Sync`, so a borrow cannot reach
/// another CPU.
pub(crate) struct IrqsOff {
    _not_send: PhantomData<*mut ()>,
}

impl IrqsOff {
    /// # Safety
    ///
    /// Local IRQs must be off, and stay off for as long as the returned value is borrowed.
    pub(super) unsafe fn new() -> Self {
        // INVARIANT: the caller guarantees that IRQs are off.
        Self {
            _not_send: PhantomData,
        }
    }

    /// The CPU we run on; stable, because IRQs are off.
    pub(crate) fn cpu(&self) -> CpuId {
        // SAFETY: IRQs are off (type invariant), so `smp_processor_id()` is stable and legal.
        CpuId::from_kernel(unsafe { sys::pcpool_smp_processor_id() })
    }
}

/// Runs `f` with local IRQs off: `local_irq_save()` before, `local_irq_restore()` after.
///
/// A closure rather than a guard value, so that nested sections always end in the order they
/// began: a guard could be dropped while a later one still claims IRQs are off.
#[inline]
pub(crate) fn with_irqs_off<R>(f: impl FnOnce(&IrqsOff) -> R) -> R {
    // Restores on every exit from `f`, the normal return included.
    struct Restore(c_ulong);
    impl Drop for Restore {
        #[inline]
        fn drop(&mut self) {
            // SAFETY: `self.0` came from `local_irq_save()` on this CPU, and the value never left
            // this function's frame, so we are still on that CPU.
            unsafe { sys::pcpool_local_irq_restore(self.0) };
        }
    }

    // SAFETY: `local_irq_save()` has no requirement.
    let _restore = Restore(unsafe { sys::pcpool_local_irq_save() });
    // SAFETY: IRQs are off until `_restore` drops, after `f` and its borrow of the proof end.
    let irqs_off = unsafe { IrqsOff::new() };
    f(&irqs_off)
}

/// `irqs_disabled()` on this CPU.
pub(crate) fn irqs_disabled() -> bool {
    // SAFETY: reads the local IRQ flag; no requirement.
    unsafe { sys::pcpool_irqs_disabled() }
}

/// `preemptible()`: whether the task could be preempted (and so migrated) right now.
pub(crate) fn preemptible() -> bool {
    // SAFETY: reads the preempt count and IRQ flag; no requirement.
    unsafe { sys::pcpool_preemptible() }
}
