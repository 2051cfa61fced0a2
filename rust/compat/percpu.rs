// SPDX-License-Identifier: GPL-2.0

//! Superseded by Mitchell Levy's per-CPU series (`kernel::percpu`), unmerged.
//!
//! Dynamic per-CPU data: an owning wrapper around `alloc_percpu()`/`free_percpu()`.

use super::{
    cpu::{possible_cpus, CpuId},
    irq::IrqDisabled,
    stop_machine::Stopped,
    sys,
};
use core::{arch::asm, marker::PhantomData, ptr::NonNull};
use kernel::{ffi::c_void, init::PinInit, prelude::*};

/// One `T` for every possible CPU, in memory from the kernel's per-CPU allocator.
///
/// Per-CPU memory never moves, so the slots are pinned and may hold locks.
///
/// Two ways in:
/// - [`PerCpu::local`] gives this CPU's slot to a holder of [`IrqDisabled`]. Nothing else on this
///   CPU runs meanwhile (no task, no IRQ, no IPI), and no other CPU uses `local` on this slot,
///   so a `T` with plain `Cell`s (not `Sync`) is safe there: that is how the kernel's pcp lists
///   were protected before 6.0.
/// - [`PerCpu::remote`] gives any CPU's slot, and so needs `T: Sync` (a slot with its own lock).
///
/// # Invariants
///
/// `ptr` came from `alloc_percpu()` for a `T`, and every possible CPU's slot holds an
/// initialised `T` until `drop`, which frees the allocation.
pub(crate) struct PerCpu<T> {
    ptr: NonNull<c_void>,
    _owns: PhantomData<T>,
}

// SAFETY: the slots are only reached through `&self` under the rules above: `local` hands a
// slot to one CPU at a time (like a lock, so `T: Send` is enough), `remote` needs `T: Sync`.
unsafe impl<T: Send> Sync for PerCpu<T> {}

// SAFETY: `PerCpu` owns its `T`s; moving the owner to another thread moves them.
unsafe impl<T: Send> Send for PerCpu<T> {}

impl<T> PerCpu<T> {
    /// Allocates one slot per possible CPU and initialises each with `init(cpu)`.
    pub(crate) fn new<I>(mut init: impl FnMut(CpuId) -> I) -> Result<Self>
    where
        I: PinInit<T, Error>,
    {
        // `__alloc_percpu()` refuses (and warns about) size 0, so a zero-sized `T` gets a byte.
        let size = core::mem::size_of::<T>().max(1);
        // SAFETY: a nonzero size and a power-of-two alignment, which `align_of` is. The memory
        // comes back zeroed.
        let raw = unsafe { sys::pcpool_alloc_percpu(size, core::mem::align_of::<T>()) };
        let ptr = NonNull::new(raw).ok_or(ENOMEM)?;

        for (done, cpu) in possible_cpus().enumerate() {
            let slot = Self::slot_ptr(ptr, cpu);
            // SAFETY: `slot` is valid, aligned, unused memory for a `T`, and never moves.
            if let Err(e) = unsafe { init(cpu).__pinned_init(slot) } {
                // `__pinned_init` left `slot` uninitialised; undo the slots before it.
                for cpu in possible_cpus().take(done) {
                    // SAFETY: this CPU's slot was initialised above and is not used again.
                    unsafe { core::ptr::drop_in_place(Self::slot_ptr(ptr, cpu)) };
                }
                // SAFETY: `raw` came from `alloc_percpu()` and holds no live `T` any more.
                unsafe { sys::pcpool_free_percpu(raw) };
                return Err(e);
            }
        }
        // INVARIANT: allocated for a `T`, and every possible CPU's slot was initialised.
        Ok(Self {
            ptr,
            _owns: PhantomData,
        })
    }

    fn slot_ptr(ptr: NonNull<c_void>, cpu: CpuId) -> *mut T {
        // SAFETY: `ptr` is a per-CPU allocation and `cpu` is below `nr_cpu_ids`.
        unsafe { sys::pcpool_per_cpu_ptr(ptr.as_ptr(), cpu.as_u32()) }.cast()
    }

    /// This CPU's slot, for as long as IRQs stay off.
    #[inline(always)]
    pub(crate) fn local<'a>(&'a self, irqs_off: IrqDisabled<'a>) -> &'a T {
        let slot = self
            .ptr
            .as_ptr()
            .wrapping_byte_add(this_cpu_off(irqs_off))
            .cast::<T>();
        // SAFETY: the per-CPU address plus this CPU's offset is this CPU's slot
        // (`this_cpu_ptr()`), which holds an initialised `T` (type invariant) for as long as
        // `self` is borrowed; with IRQs off no other holder of it can run until the
        // `IrqDisabled` borrow ends.
        unsafe { &*slot }
    }

    /// Any CPU's slot while the machine is stopped: nobody else runs, so even a `T` that only
    /// its CPU may touch can be read.
    pub(crate) fn stopped<'a>(&'a self, cpu: CpuId, _stopped: &'a Stopped) -> &'a T {
        // SAFETY: the slot holds an initialised `T` (type invariant); with the machine stopped
        // no other code runs until the `Stopped` borrow ends, so no `local` holder exists.
        unsafe { &*Self::slot_ptr(self.ptr, cpu) }
    }

    /// Any CPU's slot. The `T` must protect itself against concurrent use.
    pub(crate) fn remote(&self, cpu: CpuId) -> &T
    where
        T: Sync,
    {
        // SAFETY: the slot holds an initialised `T` (type invariant) while `self` is borrowed,
        // and `T: Sync` makes shared use from any CPU fine.
        unsafe { &*Self::slot_ptr(self.ptr, cpu) }
    }
}

/// This CPU's per-CPU offset, `this_cpu_read(this_cpu_off)` inline: the address of this CPU's
/// copy of a per-CPU object is its per-CPU address plus this (`this_cpu_ptr()`, x86_64).
#[inline(always)]
pub(crate) fn this_cpu_off(_irqs_off: IrqDisabled<'_>) -> usize {
    extern "C" {
        /// The per-CPU variable holding each CPU's offset (`arch/x86/kernel/setup_percpu.c`).
        static this_cpu_off: usize;
    }
    let off: usize;
    // SAFETY: `%gs` points at this CPU's per-CPU area in the kernel, and `this_cpu_off` is a
    // per-CPU variable, so this reads this CPU's copy, as `raw_cpu_read()` does. With IRQs off
    // the task cannot move to another CPU before the value is used. No memory is written.
    unsafe {
        asm!(
            "mov {off}, qword ptr gs:[{var}]",
            off = out(reg) off,
            var = sym this_cpu_off,
            options(nostack, readonly, preserves_flags)
        )
    };
    off
}

/// `this_cpu_ptr()` as the C macro does it, for the KUnit test that checks [`this_cpu_off`]
/// against it.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn c_this_cpu_ptr<T>(percpu: &PerCpu<T>, _irqs_off: IrqDisabled<'_>) -> *const T {
    // SAFETY: a per-CPU allocation (type invariant), with IRQs off.
    unsafe { sys::pcpool_this_cpu_ptr(percpu.ptr.as_ptr()) }.cast()
}

impl<T> Drop for PerCpu<T> {
    fn drop(&mut self) {
        for cpu in possible_cpus() {
            // SAFETY: every possible CPU's slot holds a `T` (type invariant), and `&mut self`
            // means nobody borrows one.
            unsafe { core::ptr::drop_in_place(Self::slot_ptr(self.ptr, cpu)) };
        }
        // SAFETY: `ptr` came from `alloc_percpu()` (type invariant) and its slots are dropped.
        unsafe { sys::pcpool_free_percpu(self.ptr.as_ptr()) };
    }
}
