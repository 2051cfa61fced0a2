// SPDX-License-Identifier: GPL-2.0

//! Pageblock isolation: [`Pool::pcp_disable_cpuslocked`] (one drain, the argument is there),
//! then ISOLATE, mirroring `zone_pcp_disable()`/`zone_pcp_enable()` and
//! `start_isolate_page_range()`.

use super::{Drain, Ipi, PcpConfig, Pool};
use crate::compat::{cpu::CpusReadGuard, kthread::now_ns, smp::on_each_cpu};
use crate::trace;
use crate::zone::MigrateType;
use core::sync::atomic::Ordering::Relaxed;
use kernel::{c_str, prelude::*, sync::Arc};

/// An isolated pfn range: its pageblocks are ISOLATE while this lives, with the pagesets
/// disabled. Dropping it moves the pages back (`undo_isolate_page_range()`) and enables the
/// pagesets. It owns a reference to the pool, so it can be kept from one memory notifier
/// callback to a later one.
pub(crate) struct Isolation<D: Drain = Ipi> {
    pool: Arc<Pool<D>>,
    start: usize,
    end: usize,
    blocks: usize,
    /// Made by `isolate_range_cpuslocked`: it ends where CPU hotplug is held off already.
    cpuslocked: bool,
}

impl<D: Drain> Isolation<D> {
    /// Pageblocks isolated.
    pub(crate) fn blocks(&self) -> usize {
        self.blocks
    }

    /// The pfn range.
    pub(crate) fn range(&self) -> (usize, usize) {
        (self.start, self.end)
    }

    /// The pool.
    pub(super) fn pool(&self) -> &Arc<Pool<D>> {
        &self.pool
    }
}

impl<D: Drain> Drop for Isolation<D> {
    fn drop(&mut self) {
        self.pool
            .zone
            .set_migratetype_range(self.start, self.end, MigrateType::Movable);
        trace::unisolate(self.pool.zone.nid(), self.range(), self.blocks);
        // The pagesets come back only once the blocks are movable.
        if self.cpuslocked {
            self.pool.pcp_enable_cpuslocked();
        } else {
            let _cpus = CpusReadGuard::new();
            self.pool.pcp_enable_cpuslocked();
        }
    }
}

impl<D: Drain> Pool<D> {
    /// Disables every CPU's pageset (`zone_pcp_disable()`): under the pcp mutex, marks the
    /// pagesets disabled, then one round sets `high = 0`, `batch = 1` and drains, forced on
    /// every online CPU. `EBUSY` if they are disabled already.
    ///
    /// Why one drain is enough: the round runs on each CPU with IRQs off, as every alloc and
    /// free on that CPU does, so a free about to put a page on a pageset either finishes before
    /// the round, and the round drains the page, or starts after it, sees `high == 0` and sends
    /// the page to the zone, whose free path reads the pageblock's migratetype under the zone
    /// lock. No CPU may be skipped for `count == 0`: that read can race with such a free.
    /// Documentation/isolation.rst has the timelines, `model/pcpool.pml` the proof.
    ///
    /// Until [`Pool::pcp_enable_cpuslocked`], whatever would take the pcp mutex to change the pagesets (a
    /// `high`/`batch`/`drain` update, another isolation) gets `EBUSY`, so the mutex is in effect
    /// held from here to there, as `pcp_batch_high_lock` is in the kernel; a CPU that comes
    /// online meanwhile starts disabled. (A flag under the mutex rather than the mutex itself,
    /// because a guard cannot be kept from one notifier callback to the next.)
    ///
    /// The strategy picks how the round reaches the CPUs (IPI, work items, or remote locking);
    /// with `Pageblock` no round runs here, and `isolate_range` runs one
    /// after each pageblock instead.
    ///
    /// The caller holds CPU hotplug off, so that no CPU comes online between its `prepare`
    /// callback (which reads the marks) and this round (which reaches only online CPUs).
    pub(crate) fn pcp_disable_cpuslocked(&self) -> Result<PcpConfig> {
        let mut config = self.pcp_lock.lock();
        if config.disabled {
            pr_info!("the pagesets are disabled already: another isolation is in progress\n");
            return Err(EBUSY);
        }
        config.disabled = true;
        let snapshot = *config;
        if !D::PER_PAGEBLOCK {
            self.disable_round(&snapshot);
        }
        Ok(snapshot)
    }

    /// Enables the pagesets again with their marks (`zone_pcp_enable()`); the caller holds CPU
    /// hotplug off, as for [`Pool::pcp_disable_cpuslocked`].
    pub(crate) fn pcp_enable_cpuslocked(&self) {
        let mut config = self.pcp_lock.lock();
        let PcpConfig { high, batch, .. } = *config;
        self.on_each_pcp(&|_, pcp| pcp.set_high_batch(high, batch));
        config.disabled = false;
    }

    /// One drain round: `high = 0`, `batch = 1`, and the list flushed, on every CPU.
    fn disable_round(&self, config: &PcpConfig) {
        self.drain_round(c_str!("disable"), &|irqs, pcp| {
            pcp.set_high_batch(0, 1);
            let n = pcp.count();
            self.flush(irqs, pcp, n);
            #[cfg(CONFIG_KUNIT)]
            if D::WEAK {
                pcp.set_high_batch(config.high, config.batch);
            }
            n
        });
    }

    /// Isolates the pool's pageblocks in the pfn range `[start, end)`: disables the pagesets
    /// (one drain), sets those blocks ISOLATE and moves their free pages to the isolate list.
    /// `EBUSY` while another isolation is in progress (they do not nest). Takes CPU hotplug's
    /// lock for a moment, so not from a memory hotplug callback. Sleeps.
    pub(crate) fn isolate_range(
        self: &Arc<Self>,
        start: usize,
        end: usize,
    ) -> Result<Isolation<D>> {
        let _cpus = CpusReadGuard::new();
        self.isolate(start, end, false)
    }

    /// [`Pool::isolate_range`] where CPU hotplug is held off already (memory hotplug callbacks);
    /// the isolation must end there too.
    pub(crate) fn isolate_range_cpuslocked(
        self: &Arc<Self>,
        start: usize,
        end: usize,
    ) -> Result<Isolation<D>> {
        self.isolate(start, end, true)
    }

    fn isolate(
        self: &Arc<Self>,
        start: usize,
        end: usize,
        cpuslocked: bool,
    ) -> Result<Isolation<D>> {
        let begin = now_ns();
        let iso = self.start_isolate(start, end, cpuslocked);
        let blocks = iso.as_ref().map_or(0, |iso| iso.blocks);
        let ret = iso.as_ref().map(|_| ()).map_err(|e| *e);
        trace::isolate(self.zone.nid(), (start, end), blocks, ret, now_ns() - begin);
        iso
    }

    fn start_isolate(
        self: &Arc<Self>,
        start: usize,
        end: usize,
        cpuslocked: bool,
    ) -> Result<Isolation<D>> {
        let config = self.pcp_disable_cpuslocked()?;
        let mut iso = Isolation {
            pool: self.clone(),
            start,
            end,
            blocks: 0,
            cpuslocked,
        };
        if D::PER_PAGEBLOCK {
            // As `set_migratetype_isolate()` drained: each pageblock is isolated, then drained.
            // (On an error `iso` drops: the blocks go back and the pagesets come back.)
            for slot in self.zone.blocks_in(start, end)? {
                if self.zone.set_block_migratetype(slot, MigrateType::Isolate) {
                    iso.blocks += 1;
                    self.disable_round(&config);
                }
            }
        } else {
            iso.blocks = self
                .zone
                .set_migratetype_range(start, end, MigrateType::Isolate);
        }
        Ok(iso)
    }

    /// The race test's check after an isolation of `[start, end)`, cheap enough for thousands
    /// of rounds: one IPI round finds pages of the range on any pcp list (each CPU reads its
    /// own list, with IRQs off), and under the zone lock the free lists are checked against the
    /// pages' states and the counters (a page of an ISOLATE block on the movable list is an
    /// error). Returns (pages of the range on pcp lists, inconsistencies). Sleeps.
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn check_isolated(
        &self,
        start: usize,
        end: usize,
        visited: &mut crate::verify::Visited,
    ) -> (usize, usize) {
        use core::sync::atomic::AtomicUsize;
        let on_pcp = AtomicUsize::new(0);
        on_each_cpu(&|irqs| {
            let n = (self.pcp.local(irqs).list.iter(irqs))
                .filter(|page| (start..end).contains(&page.pfn()))
                .count();
            on_pcp.fetch_add(n, Relaxed);
        });
        visited.clear();
        let mut r = crate::verify::Report::default();
        crate::compat::irq::with_irqs_off(|irqs| {
            let zone = self.zone.lock(irqs);
            crate::verify::free_lists(&self.zone, irqs, &zone, visited, &mut r);
            crate::verify::chunks(&self.zone, irqs, &zone, &mut r);
        });
        (on_pcp.load(Relaxed), r.errors)
    }
}
