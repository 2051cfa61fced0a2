// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::cpu::CpuId` and `kernel::cpumask` (about 6.16).
//!
//! CPU numbers and the possible/online CPU masks.

use super::sys;

/// A CPU number below `nr_cpu_ids`.
///
/// # Invariants
///
/// The value is less than `nr_cpu_ids`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CpuId(u32);

impl CpuId {
    /// `cpu` as a CPU id, unchecked.
    ///
    /// # Safety
    ///
    /// `cpu` is below `nr_cpu_ids`, as the kernel's own CPU ids are (`smp_processor_id()`, a
    /// CPU hotplug callback's argument).
    pub(crate) unsafe fn from_u32_unchecked(cpu: u32) -> Self {
        // INVARIANT: the caller's guarantee.
        Self(cpu)
    }

    /// The CPU number.
    pub(crate) fn as_u32(self) -> u32 {
        self.0
    }

    /// Whether this CPU is online now. Without CPU hotplug locking the answer can change at once.
    pub(crate) fn is_online(self) -> bool {
        // SAFETY: `cpu_online()` reads a cpumask bit; any CPU number below `nr_cpu_ids` is valid.
        unsafe { sys::pcpool_cpu_online(self.0) }
    }
}

/// `nr_cpu_ids`: one more than the highest possible CPU number.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a variable that is fixed after boot.
    unsafe { sys::pcpool_nr_cpu_ids() }
}

/// The number of online CPUs now.
pub(crate) fn num_online_cpus() -> u32 {
    // SAFETY: reads the online CPU count; no requirement.
    unsafe { sys::pcpool_num_online_cpus() }
}

/// Iterates over the possible CPUs (`for_each_possible_cpu`), a set fixed at boot.
pub(crate) fn possible_cpus() -> impl Iterator<Item = CpuId> {
    // SAFETY: `cpu_possible()` reads a cpumask bit; every number below `nr_cpu_ids` is valid.
    (0..nr_cpu_ids())
        .filter(|&cpu| unsafe { sys::pcpool_cpu_possible(cpu) })
        // SAFETY: below `nr_cpu_ids`.
        .map(|cpu| unsafe { CpuId::from_u32_unchecked(cpu) })
}

/// Iterates over the CPUs online at each step (`for_each_online_cpu`, without the hotplug lock).
pub(crate) fn online_cpus() -> impl Iterator<Item = CpuId> {
    possible_cpus().filter(|cpu| cpu.is_online())
}

/// Holds CPU hotplug off (`cpus_read_lock()`) until dropped: no CPU comes online or goes
/// offline meanwhile, so an `on_each_cpu` reaches every CPU that will run.
pub(crate) struct CpusReadGuard(());

impl CpusReadGuard {
    /// Takes the CPU hotplug lock for reading. Sleeps. Not from memory hotplug callbacks,
    /// which hold it already (a second read lock can deadlock against a waiting writer).
    pub(crate) fn new() -> Self {
        // SAFETY: process context; released by `drop`.
        unsafe { kernel::bindings::cpus_read_lock() };
        Self(())
    }
}

impl Drop for CpusReadGuard {
    fn drop(&mut self) {
        // SAFETY: taken by `new`.
        unsafe { kernel::bindings::cpus_read_unlock() };
    }
}
