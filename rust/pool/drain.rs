// SPDX-License-Identifier: GPL-2.0

//! The drain strategies: how a round reaches every CPU's pageset (Documentation/isolation.rst).
//! Each is a zero-sized type the pool is generic over, as `Lock<T, B: Backend>` is over its
//! backend; the module picks one at load (the `drain` parameter), and changing it is a reload.

use super::Pool;
use crate::compat::{cpu::possible_cpus, irq::IrqDisabled, smp::on_each_cpu};
use crate::config::DrainStrategy;
use crate::pcp::PcpList;
use crate::percpu_lock::{IrqsOff, Locking, SpinLocked};

/// A drain strategy.
pub(crate) trait Drain: Sized + Send + Sync + 'static {
    /// Its name, as the `drain` parameter takes it.
    const STRATEGY: DrainStrategy;
    /// How the pagesets are protected: a remote drain needs their spinlocks.
    type Locking: Locking;
    /// One round per pageblock, each after isolating it, instead of one before the range.
    const PER_PAGEBLOCK: bool = false;
    /// The weakened design the race test must catch: the round drains, then puts `high` back,
    /// so pages freed after it stay on the pagesets.
    #[cfg(CONFIG_KUNIT)]
    const WEAK: bool = false;

    /// Runs `f` on every CPU's pageset and returns once it has run everywhere: by default one
    /// `on_each_cpu` round, each CPU on its own pageset with IRQs off. Sleeps.
    fn on_each_pcp(pool: &Pool<Self>, f: &(impl Fn(IrqDisabled<'_>, &mut PcpList) + Sync)) {
        on_each_cpu(&|irqs| f(irqs, &mut pool.pcp.local(irqs)));
    }
}

/// One `on_each_cpu` round sets `high = 0` and drains (`zone_pcp_disable()`): the default.
pub(crate) struct Ipi;

/// One such round per pageblock, after isolating it (`set_migratetype_isolate()` drained so).
pub(crate) struct Pageblock;

/// Each CPU's pageset locked and drained from the isolating CPU, as 6.x's
/// `drain_all_pages()` does with `pcp->lock`.
pub(crate) struct Remote;

/// A work item per CPU, as `drain_all_pages()` did before 6.0.
pub(crate) struct Workqueue;

/// [`Ipi`], weakened: only KUnit's race test uses it, to see the race it must catch.
#[cfg(CONFIG_KUNIT)]
pub(crate) struct WeakIpi;

impl Drain for Ipi {
    const STRATEGY: DrainStrategy = DrainStrategy::Ipi;
    type Locking = IrqsOff;
}

impl Drain for Pageblock {
    const STRATEGY: DrainStrategy = DrainStrategy::Pageblock;
    type Locking = IrqsOff;
    const PER_PAGEBLOCK: bool = true;
}

impl Drain for Remote {
    const STRATEGY: DrainStrategy = DrainStrategy::Remote;
    type Locking = SpinLocked;

    /// From this CPU, under each pageset's lock: every possible CPU's, since an offline CPU's
    /// list is empty.
    fn on_each_pcp(pool: &Pool<Self>, f: &(impl Fn(IrqDisabled<'_>, &mut PcpList) + Sync)) {
        let remote = pool.pcp.remote();
        for cpu in possible_cpus() {
            remote.with(cpu, |irqs, pcp| f(irqs, pcp));
        }
    }
}

impl Drain for Workqueue {
    const STRATEGY: DrainStrategy = DrainStrategy::Workqueue;
    type Locking = IrqsOff;

    fn on_each_pcp(pool: &Pool<Self>, f: &(impl Fn(IrqDisabled<'_>, &mut PcpList) + Sync)) {
        pool.cpu_works
            .on_each_cpu(&|irqs| f(irqs, &mut pool.pcp.local(irqs)));
    }
}

#[cfg(CONFIG_KUNIT)]
impl Drain for WeakIpi {
    const STRATEGY: DrainStrategy = DrainStrategy::Ipi;
    type Locking = IrqsOff;
    const WEAK: bool = true;
}
