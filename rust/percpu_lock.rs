// SPDX-License-Identifier: GPL-2.0

//! Per-CPU data protected by IRQs off alone, or also by a spinlock per CPU: the two ways the
//! kernel has protected its pcp lists. With [`IrqsOff`] only the owning CPU touches its data
//! (before 6.0; other CPUs reach it by IPI or work item); with [`SpinLocked`] any CPU may lock
//! another's (6.0 on: `pcp_spin_lock()`, which lets `drain_all_pages()` drain a remote CPU's
//! list from the calling CPU). The protection is a type parameter, fixed when the data is made.

use crate::compat::{
    cpu::CpuId,
    cpuhp::NotRunning,
    irq::{with_irqs_off, IrqDisabled},
    percpu::PerCpu,
    stop_machine::Stopped,
};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ops::{Deref, DerefMut},
    sync::atomic::{AtomicBool, Ordering::Relaxed},
};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        lock::{spinlock::SpinLockBackend, Guard},
        SpinLock,
    },
};

/// How a [`LockablePerCpu`] protects each CPU's data.
pub(crate) trait Locking: Send + Sync + 'static {
    /// Every section takes the CPU's spinlock, so other CPUs may lock it too.
    const LOCKED: bool;
}

/// IRQs off alone: only the owning CPU ever touches its data.
pub(crate) struct IrqsOff;

impl Locking for IrqsOff {
    const LOCKED: bool = false;
}

/// IRQs off and the CPU's spinlock: any CPU may lock another's data ([`LockablePerCpu::remote`]).
pub(crate) struct SpinLocked;

impl Locking for SpinLocked {
    const LOCKED: bool = true;
}

/// One CPU's `T` and its lock.
///
/// # Invariants
///
/// `data` is used only by the CPU the slot belongs to, with IRQs off, through one guard at a
/// time (`busy` is set while it lives), if its [`LockablePerCpu`]'s locking is [`IrqsOff`];
/// and only under `lock`, with IRQs off, if it is [`SpinLocked`].
#[pin_data]
struct Slot<T> {
    #[pin]
    lock: SpinLock<()>,
    /// A lock-free guard is live: another one on this CPU would alias its `&mut T`.
    busy: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is used by one CPU at a time (type invariant): by its owner with IRQs off, or
// by the holder of `lock`. So sharing a slot is like sharing a lock around a `T: Send`.
unsafe impl<T: Send> Sync for Slot<T> {}

/// A `T` for every possible CPU, reached by its own CPU with IRQs off, and, with
/// [`SpinLocked`], by any CPU under the slot's spinlock. With [`IrqsOff`] a CPU's sections take
/// no lock: IRQs off keep every other user on that CPU out, and no other CPU can come near.
#[pin_data]
pub(crate) struct LockablePerCpu<T, L: Locking> {
    slots: PerCpu<Slot<T>>,
    _locking: PhantomData<L>,
}

/// This CPU's `T`, locked with [`SpinLocked`], for as long as IRQs stay off.
///
/// # Invariants
///
/// The guard holds the slot's lock (`lock` is `Some`), or the locking is [`IrqsOff`] and it set
/// the slot's `busy` flag, in a section with IRQs off still running on the slot's CPU: either
/// way nobody else uses `data` while the guard lives.
pub(crate) struct LocalGuard<'a, T> {
    slot: &'a Slot<T>,
    lock: Option<Guard<'a, (), SpinLockBackend>>,
    /// Not `Send`: the guard speaks for this CPU only.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for LocalGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: nobody else uses `data` while the guard lives (type invariant).
        unsafe { &*self.slot.data.get() }
    }
}

impl<T> DerefMut for LocalGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: nobody else uses `data` while the guard lives (type invariant), and `&mut self`
        // makes this the only reference through the guard.
        unsafe { &mut *self.slot.data.get() }
    }
}

impl<T> Drop for LocalGuard<'_, T> {
    fn drop(&mut self) {
        if self.lock.is_none() {
            self.slot.busy.store(false, Relaxed);
        }
    }
}

/// Remote access to a [`SpinLocked`] [`LockablePerCpu`]: any CPU's `T` can be locked from here.
pub(crate) struct Remote<'a, T> {
    slots: &'a PerCpu<Slot<T>>,
}

impl<T: Send> Remote<'_, T> {
    /// Runs `f` on `cpu`'s `T`, under its lock, with IRQs off here (the lock is also taken by
    /// that CPU's sections, which may run in IRQ context).
    pub(crate) fn with<R>(&self, cpu: CpuId, f: impl FnOnce(IrqDisabled<'_>, &mut T) -> R) -> R {
        with_irqs_off(|irqs| {
            let slot = self.slots.remote(cpu);
            let _lock = slot.lock.lock();
            // SAFETY: the locking is `SpinLocked` (only its `remote` makes a `Remote`), and we
            // hold the slot's lock, so nobody else uses `data` until `_lock` drops (type
            // invariant of `Slot`).
            f(irqs, unsafe { &mut *slot.data.get() })
        })
    }
}

impl<T: Send, L: Locking> LockablePerCpu<T, L> {
    /// A `T` for every possible CPU, `init(cpu)` each.
    pub(crate) fn new(mut init: impl FnMut(CpuId) -> T) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            slots: PerCpu::new(|cpu| {
                let data = UnsafeCell::new(init(cpu));
                try_pin_init!(Slot {
                    lock <- new_spinlock!((), "pcpool_pcp_slot"),
                    busy: AtomicBool::new(false),
                    data,
                }? Error)
            })?,
            _locking: PhantomData,
        }? Error)
    }

    /// This CPU's `T`, for as long as IRQs stay off; locked with [`SpinLocked`]. A second guard
    /// on this CPU while the first lives is a bug: it deadlocks on the lock, or, lock-free,
    /// panics rather than alias the first one's `&mut T`.
    #[inline(always)]
    pub(crate) fn local<'a>(&'a self, irqs: IrqDisabled<'a>) -> LocalGuard<'a, T> {
        let slot = self.slots.local(irqs);
        let lock = if L::LOCKED {
            Some(slot.lock.lock())
        } else {
            // Only this CPU, with IRQs off, touches `busy` here: load and store cannot race.
            assert!(!slot.busy.load(Relaxed), "nested per-CPU guard");
            slot.busy.store(true, Relaxed);
            None
        };
        // INVARIANT: locked, or lock-free with `busy` set, with IRQs off on the slot's CPU.
        LocalGuard {
            slot,
            lock,
            _not_send: PhantomData,
        }
    }

    /// The `T` of a CPU that runs nothing (booting or dead), from its hotplug callback. Always
    /// locked, since with [`SpinLocked`] a remote user may be at it.
    pub(crate) fn not_running<'a>(
        &'a self,
        cpu: &'a NotRunning,
        _irqs: IrqDisabled<'a>,
    ) -> LocalGuard<'a, T> {
        let slot = self.slots.remote(cpu.cpu());
        // INVARIANT: locked.
        LocalGuard {
            slot,
            lock: Some(slot.lock.lock()),
            _not_send: PhantomData,
        }
    }

    /// Any CPU's `T` while the machine is stopped: every section, locked or not, runs with IRQs
    /// off, so none is in progress, and nothing else runs.
    pub(crate) fn stopped<'a>(&'a self, cpu: CpuId, stopped: &'a Stopped) -> &'a T {
        let slot = self.slots.stopped(cpu, stopped);
        // SAFETY: with the machine stopped no other code runs until the `Stopped` borrow ends,
        // and no section was interrupted halfway (they run with IRQs off), so nobody uses `data`.
        unsafe { &*slot.data.get() }
    }
}

impl<T: Send> LockablePerCpu<T, SpinLocked> {
    /// Remote access: any CPU's `T`, under its lock.
    pub(crate) fn remote(&self) -> Remote<'_, T> {
        Remote { slots: &self.slots }
    }
}
