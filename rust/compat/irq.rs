// SPDX-License-Identifier: GPL-2.0

//! Superseded by Lyude Paul's interrupt series (`local_interrupt_disable()`, `LocalInterruptDisabled`), unmerged.
//!
//! Local IRQ disabling: the guard that owns a CPU's pcp lists.

use super::{cpu::CpuId, sys};
use core::marker::PhantomData;
use kernel::ffi::c_ulong;

/// Proof that local IRQs are off on the current CPU for the lifetime `'a`.
///
/// With IRQs off the task can neither be preempted nor migrated, and no IRQ (an IPI among them)
/// runs on this CPU, so this CPU's per-CPU data is the holder's alone. Handed out by
/// [`with_irqs_off`], to an [`on_each_cpu`](super::smp::on_each_cpu) callback (IPI context) and to
/// a stopped machine's function.
///
/// # Invariants
///
/// Local IRQs are disabled on the CPU that runs the holder, for all of `'a`. The type is
/// neither `Send` nor `Sync`, so it cannot reach another CPU.
#[derive(Clone, Copy)]
pub(crate) struct IrqDisabled<'a> {
    _not_send: PhantomData<(&'a (), *mut ())>,
}

impl IrqDisabled<'_> {
    /// # Safety
    ///
    /// Local IRQs must be off, and stay off for the lifetime the caller picks.
    pub(super) unsafe fn new() -> Self {
        // INVARIANT: the caller guarantees that IRQs are off.
        Self {
            _not_send: PhantomData,
        }
    }

    /// The CPU we run on; stable, because IRQs are off.
    pub(crate) fn cpu(self) -> CpuId {
        // SAFETY: IRQs are off (type invariant), so `smp_processor_id()` is stable and legal,
        // and the kernel's CPU ids are below `nr_cpu_ids`.
        unsafe { CpuId::from_u32_unchecked(sys::pcpool_smp_processor_id()) }
    }
}

/// Runs `f` with local IRQs off: `local_irq_save()` before, `local_irq_restore()` after.
///
/// A closure rather than a guard value, so that nested sections always end in the order they
/// began: a guard could be dropped while a later one still claims IRQs are off.
#[inline]
pub(crate) fn with_irqs_off<R>(f: impl FnOnce(IrqDisabled<'_>) -> R) -> R {
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
    // SAFETY: IRQs are off until `_restore` drops, after `f` returns; `f` is generic over the
    // token's lifetime, so the token cannot outlive the call.
    f(unsafe { IrqDisabled::new() })
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
