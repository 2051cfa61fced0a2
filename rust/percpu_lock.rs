// SPDX-License-Identifier: GPL-2.0

//! Per-CPU data whose per-CPU spinlock can be switched on, so that one pool can compare the two
//! ways the kernel has protected its pcp lists: IRQs off alone (before 6.0: only the owning CPU
//! touches its list, other CPUs reach it by IPI or work item), and a spinlock per list (6.0 on:
//! `pcp_spin_lock()`, which lets `drain_all_pages()` drain a remote CPU's list from the calling
//! CPU).

use crate::compat::{
    cpu::CpuId,
    cpuhp::NotRunning,
    irq::{with_irqs_off, IrqDisabled},
    percpu::PerCpu,
    smp::on_each_cpu,
    stop_machine::Stopped,
};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    ops::{Deref, DerefMut},
    sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst},
};
use kernel::{
    new_mutex, new_spinlock,
    prelude::*,
    sync::{
        lock::{spinlock::SpinLockBackend, Guard},
        Mutex, SpinLock,
    },
};

/// One CPU's `T` and its lock.
///
/// # Invariants
///
/// `data` is used only by the CPU the slot belongs to, with IRQs off, through one guard at a
/// time (`busy` is set while it lives), while remote access is off; and only under `lock`, with
/// IRQs off, while it is on (see [`LockablePerCpu`]).
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

/// A `T` for every possible CPU, reached by its own CPU with IRQs off, and, once
/// [`LockablePerCpu::set_remote`] has switched remote access on, by any CPU under the slot's
/// spinlock.
///
/// While remote access is off, a CPU's sections take no lock: IRQs off keep every other user on
/// that CPU out, and no other CPU comes near. While it is on, every section takes the slot's
/// lock. The switch waits with `on_each_cpu` until no section that began with the old setting is
/// still running, and holds `switch` against remote users, so a lock-free section never meets a
/// remote one.
#[pin_data]
pub(crate) struct LockablePerCpu<T> {
    slots: PerCpu<Slot<T>>,
    remote: AtomicBool,
    /// Held while remote access is switched, and by every remote user ([`Remote`]).
    #[pin]
    switch: Mutex<()>,
}

/// This CPU's `T`, locked if remote access is on, for as long as IRQs stay off.
///
/// # Invariants
///
/// The guard holds the slot's lock (`lock` is `Some`), or remote access was off when it was
/// made and it set the slot's `busy` flag, in a section with IRQs off still running on the
/// slot's CPU: either way nobody else uses `data` while the guard lives.
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

/// Remote access, switched on and held on: any CPU's `T` can be locked from here.
pub(crate) struct Remote<'a, T> {
    slots: &'a PerCpu<Slot<T>>,
    _switch: Guard<'a, (), kernel::sync::lock::mutex::MutexBackend>,
}

impl<T: Send> Remote<'_, T> {
    /// Runs `f` on `cpu`'s `T`, under its lock, with IRQs off here (the lock is also taken by
    /// that CPU's sections, which may run in IRQ context).
    pub(crate) fn with<R>(&self, cpu: CpuId, f: impl FnOnce(IrqDisabled<'_>, &mut T) -> R) -> R {
        with_irqs_off(|irqs| {
            let slot = self.slots.remote(cpu);
            let _lock = slot.lock.lock();
            // SAFETY: remote access is on while `self` holds `switch`, and we hold the slot's
            // lock, so nobody else uses `data` until `_lock` drops (type invariant of `Slot`).
            f(irqs, unsafe { &mut *slot.data.get() })
        })
    }
}

impl<T: Send> LockablePerCpu<T> {
    /// A `T` for every possible CPU, `init(cpu)` each, with remote access on if `remote`.
    pub(crate) fn new(remote: bool, mut init: impl FnMut(CpuId) -> T) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            slots: PerCpu::new(|cpu| {
                let data = UnsafeCell::new(init(cpu));
                try_pin_init!(Slot {
                    lock <- new_spinlock!((), "pcpool_pcp_slot"),
                    busy: AtomicBool::new(false),
                    data,
                }? Error)
            })?,
            // No section can run before the value exists, so no barrier is needed here.
            remote: AtomicBool::new(remote),
            switch <- new_mutex!((), "pcpool_pcp_switch"),
        }? Error)
    }

    /// This CPU's `T`, for as long as IRQs stay off; locked when remote access is on. A second
    /// guard on this CPU while the first lives is a bug: it deadlocks on the lock, or, lock-free,
    /// panics rather than alias the first one's `&mut T`.
    #[inline]
    pub(crate) fn local<'a>(&'a self, irqs: IrqDisabled<'a>) -> LocalGuard<'a, T> {
        let slot = self.slots.local(irqs);
        // Read with IRQs off: the switch's `on_each_cpu` cannot run until this section ends.
        let lock = if self.remote.load(Relaxed) {
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
    /// locked, since a remote user may be at it.
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

    /// Switches remote access on or off (it starts off). Sleeps.
    pub(crate) fn set_remote(&self, on: bool) {
        let _switch = self.switch.lock();
        if self.remote.load(Relaxed) == on {
            return;
        }
        self.remote.store(on, SeqCst);
        if on {
            // Every section that read `false` has ended once this returns: each runs with IRQs
            // off, and the IPI reaches every online CPU. A CPU that is not online runs no
            // section, and its hotplug callbacks always lock.
            on_each_cpu(&|_| {});
        }
        // Switching off needs no wait: no remote user exists while we hold `switch`, and a
        // section that still takes the lock does no harm.
    }

    /// Remote access, held on until the returned value drops; `None` while it is off. Sleeps.
    pub(crate) fn remote(&self) -> Option<Remote<'_, T>> {
        let switch = self.switch.lock();
        self.remote.load(Relaxed).then(|| Remote {
            slots: &self.slots,
            _switch: switch,
        })
    }
}
