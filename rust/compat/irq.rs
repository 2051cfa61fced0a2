// SPDX-License-Identifier: GPL-2.0

//! Superseded by Lyude Paul's interrupt series (`local_interrupt_disable()`, `LocalInterruptDisabled`), unmerged.
//!
//! Local IRQ disabling: the guard that owns a CPU's pcp lists.

use super::{cpu::CpuId, sys};
use core::{arch::asm, marker::PhantomData};

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

/// `X86_EFLAGS_IF`: interrupts enabled.
pub(crate) const EFLAGS_IF: usize = 1 << 9;

/// `local_irq_save()`, inline: `native_save_fl()` and `native_irq_disable()`, then lockdep's
/// `trace_hardirqs_off()` where the kernel tracks the IRQ state.
#[inline(always)]
fn local_irq_save() -> usize {
    let flags: usize;
    // SAFETY: `pushf; pop` reads RFLAGS through the stack and `cli` clears IF, which needs CPL 0
    // (the kernel's). Without `nomem`, the block is a compiler barrier, like the C versions'
    // "memory" clobber, so no access is moved out of the section it starts.
    unsafe { asm!("pushf", "pop {}", "cli", out(reg) flags) };
    #[cfg(CONFIG_TRACE_IRQFLAGS)]
    // SAFETY: IRQs are off; lockdep is told so, as `local_irq_save()` tells it.
    unsafe {
        kernel::bindings::trace_hardirqs_off()
    };
    flags
}

/// `local_irq_restore()`, inline: `sti` only if `flags` had IF set (`arch_local_irq_restore()`),
/// lockdep told first, as `local_irq_restore()` does.
///
/// # Safety
///
/// `flags` came from [`local_irq_save`] on this CPU, and the sections nest.
#[inline(always)]
unsafe fn local_irq_restore(flags: usize) {
    if flags & EFLAGS_IF != 0 {
        #[cfg(CONFIG_TRACE_IRQFLAGS)]
        // SAFETY: IRQs come back on at once; lockdep is told first, as `local_irq_restore()`
        // tells it.
        unsafe {
            kernel::bindings::trace_hardirqs_on()
        };
        // SAFETY: `sti` at CPL 0; IRQs were on when the matching save ran (the caller's
        // contract). A compiler barrier, like `native_irq_enable()`.
        unsafe { asm!("sti") };
    }
}

/// Runs `f` with local IRQs off: `local_irq_save()` before, `local_irq_restore()` after.
///
/// A closure rather than a guard value, so that nested sections always end in the order they
/// began: a guard could be dropped while a later one still claims IRQs are off.
#[inline(always)]
pub(crate) fn with_irqs_off<R>(f: impl FnOnce(IrqDisabled<'_>) -> R) -> R {
    // Restores on every exit from `f`, the normal return included.
    struct Restore(usize);
    impl Drop for Restore {
        #[inline(always)]
        fn drop(&mut self) {
            // SAFETY: `self.0` came from `local_irq_save()` on this CPU, and the value never left
            // this function's frame, so we are still on that CPU, and later sections have ended.
            unsafe { local_irq_restore(self.0) };
        }
    }

    let _restore = Restore(local_irq_save());
    // SAFETY: IRQs are off until `_restore` drops, after `f` returns; `f` is generic over the
    // token's lifetime, so the token cannot outlive the call.
    f(unsafe { IrqDisabled::new() })
}

/// The inline sections and the C macros, side by side, for the KUnit test that checks one
/// against the other.
#[cfg(CONFIG_KUNIT)]
pub(crate) mod check {
    use super::{local_irq_restore, local_irq_save, sys};

    /// Runs `f` between the inline [`local_irq_save`] and [`local_irq_restore`]; the saved flags
    /// and `f`'s result.
    pub(crate) fn inline_section<R>(f: impl FnOnce() -> R) -> (usize, R) {
        let flags = local_irq_save();
        let r = f();
        // SAFETY: `flags` came from `local_irq_save` just above, on this CPU (IRQs stayed off),
        // and every section `f` began has ended.
        unsafe { local_irq_restore(flags) };
        (flags, r)
    }

    /// The same between the C `local_irq_save()` and `local_irq_restore()`.
    pub(crate) fn c_section<R>(f: impl FnOnce() -> R) -> (usize, R) {
        // SAFETY: no requirement.
        let flags = unsafe { sys::pcpool_local_irq_save() };
        let r = f();
        // SAFETY: as in `inline_section`.
        unsafe { sys::pcpool_local_irq_restore(flags) };
        (flags as usize, r)
    }

    /// Whether lockdep believes IRQs are on (`lockdep_hardirqs_enabled()`).
    pub(crate) fn lockdep_hardirqs_enabled() -> bool {
        // SAFETY: reads this CPU's flag; no requirement.
        unsafe { sys::pcpool_lockdep_hardirqs_enabled() }
    }
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
