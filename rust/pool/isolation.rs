// SPDX-License-Identifier: GPL-2.0

//! Pageblock isolation: `pcp_disable()` plus ONE `on_each_cpu` drain, then ISOLATE, mirroring
//! `zone_pcp_disable()`/`zone_pcp_enable()` and `start_isolate_page_range()`.
//!
//! Why one drain is enough (Documentation/isolation.rst has the timelines): a pageset is
//! touched only by its CPU with IRQs off, and the drain's IPI runs on each CPU with IRQs off.
//! The IPI sets `high = 0` and empties the list in one step, so every alloc or free on that CPU
//! either finished before it or starts after it and sees `high == 0`: a free then goes
//! straight to the zone, whose free path re-reads the pageblock's migratetype under the zone
//! lock. No page can stay on a pageset from then on, so isolating any number of pageblocks
//! afterwards needs no further drain.

use super::{PcpConfig, Pool};
use crate::config::DrainStrategy;
use crate::ffi::ipi::on_each_cpu;
use crate::zone::MigrateType;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use kernel::{prelude::*, sync::lock::mutex::MutexBackend, sync::lock::Guard};

/// The pagesets disabled (`high = 0`, `batch = 1`, drained once), with the pcp mutex held
/// until drop, which restores the previous marks (`zone_pcp_enable()`).
pub(crate) struct PcpDisabled<'a> {
    pool: &'a Pool,
    config: Guard<'a, PcpConfig, MutexBackend>,
}

impl Drop for PcpDisabled<'_> {
    fn drop(&mut self) {
        let PcpConfig { high, batch, drain } = *self.config;
        self.pool
            .on_each_pcp(drain, &|_, pcp| pcp.set_high_batch(high, batch));
    }
}

/// An isolated pfn range: its pageblocks are ISOLATE while this lives, with the pagesets
/// disabled. Dropping it moves the pages back (`undo_isolate_page_range()`) and enables the
/// pagesets.
pub(crate) struct Isolation<'a> {
    pool: &'a Pool,
    start: usize,
    end: usize,
    blocks: usize,
    _pcp: PcpDisabled<'a>,
}

impl Isolation<'_> {
    /// Pageblocks isolated.
    pub(crate) fn blocks(&self) -> usize {
        self.blocks
    }
}

impl Drop for Isolation<'_> {
    fn drop(&mut self) {
        self.pool
            .zone
            .set_migratetype_range(self.start, self.end, MigrateType::Movable);
        self.pool.isolating.store(false, Release);
        // `_pcp` drops after this: the pagesets come back only once the blocks are movable.
    }
}

impl Pool {
    /// Disables every CPU's pageset (`zone_pcp_disable()`): takes the pcp mutex, then one IPI
    /// round sets `high = 0`, `batch = 1` and drains, forced on every online CPU. No CPU is
    /// skipped for `count == 0`: that read could race with a free on its way to the list
    /// (the 2020 bug).
    ///
    /// The strategy picks how the round reaches the CPUs (IPI, work items, or remote locking);
    /// with `Pageblock`, the 2014 design, this only takes the mutex, and `isolate_range` runs a
    /// round after each pageblock instead.
    pub(crate) fn pcp_disable(&self) -> PcpDisabled<'_> {
        let config = self.pcp_lock.lock();
        if config.drain != DrainStrategy::Pageblock {
            self.disable_round(&config);
        }
        PcpDisabled { pool: self, config }
    }

    /// One drain round: `high = 0`, `batch = 1`, and the list flushed, on every CPU.
    fn disable_round(&self, config: &PcpConfig) {
        self.drains.fetch_add(1, Relaxed);
        let weak = self.weak_drain.load(Relaxed);
        let PcpConfig { high, batch, drain } = *config;
        self.on_each_pcp(drain, &|irqs, pcp| {
            pcp.set_high_batch(0, 1);
            pcp.with_list(|list| self.zone.free_pcppages_bulk(irqs, list, list.len()));
            if weak {
                // Test-only weakened variant: drained, but `high` is back, so pages freed
                // after the drain stay on the pagesets.
                pcp.set_high_batch(high, batch);
            }
        });
    }

    /// Isolates the pool's pageblocks in the pfn range `[start, end)`: disables the pagesets
    /// (one drain), sets those blocks ISOLATE and moves their free pages to the isolate list.
    /// `EBUSY` while another isolation is in progress (they do not nest).
    pub(crate) fn isolate_range(&self, start: usize, end: usize) -> Result<Isolation<'_>> {
        if self
            .isolating
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_err()
        {
            pr_info!(
                "isolate_range [{:#x}, {:#x}): another isolation is in progress\n",
                start,
                end
            );
            return Err(EBUSY);
        }
        let pcp = self.pcp_disable();
        let blocks = if pcp.config.drain == DrainStrategy::Pageblock {
            // 2014's `set_migratetype_isolate()`: each pageblock is isolated, then drained.
            let slots = match self.zone.blocks_in(start, end) {
                Ok(slots) => slots,
                Err(e) => {
                    self.isolating.store(false, Release);
                    return Err(e);
                }
            };
            let mut blocks = 0;
            for slot in slots {
                if self.zone.set_block_migratetype(slot, MigrateType::Isolate) {
                    blocks += 1;
                    self.disable_round(&pcp.config);
                }
            }
            blocks
        } else {
            self.zone
                .set_migratetype_range(start, end, MigrateType::Isolate)
        };
        Ok(Isolation {
            pool: self,
            start,
            end,
            blocks,
            _pcp: pcp,
        })
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
        let links = self.zone.links();
        on_each_cpu(&|irqs| {
            self.pcp.local(irqs).with_list(|list| {
                let n = list
                    .iter(links)
                    .filter(|&id| {
                        self.zone
                            .pfn(irqs, id)
                            .is_some_and(|p| (start..end).contains(&p))
                    })
                    .count();
                on_pcp.fetch_add(n, Relaxed);
            });
        });
        visited.clear();
        let mut r = crate::verify::Report::default();
        crate::ffi::irq::with_irqs_off(|irqs| {
            let zone = self.zone.lock(irqs);
            self.zone.verify_locked(irqs, &zone, visited, &mut r);
        });
        (on_pcp.load(Relaxed), r.errors)
    }

    /// Test-only: makes `pcp_disable` drain without keeping `high = 0`, the weakened design the
    /// race test must catch.
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn set_weak_drain(&self, weak: bool) {
        self.weak_drain.store(weak, Relaxed);
    }
}
