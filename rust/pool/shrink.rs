// SPDX-License-Identifier: GPL-2.0

//! Memory pressure: the pool gives free pageblocks back to the kernel through a shrinker, as
//! reclaim empties the kernel's own pcp lists (`drain_all_pages()`). Documentation/pool.rst,
//! "Memory pressure".

use super::{Drain, Pool};
use crate::compat::shrinker::{account_reclaimed_pages, Count, Scan, Shrink};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

/// Calls from reclaim, for the zone file.
#[derive(Default)]
pub(crate) struct ShrinkerStats {
    /// `count_objects` calls.
    pub(crate) counts: AtomicU64,
    /// `scan_objects` calls.
    pub(crate) scans: AtomicU64,
    /// Scans answered `SHRINK_STOP`: an isolation or an offline held the pagesets.
    pub(crate) stops: AtomicU64,
}

impl<D: Drain> Pool<D> {
    /// Free pages a shrink could give back: the zone's free pages, but none below
    /// `min_pages`.
    pub(crate) fn shrinkable(&self) -> usize {
        let c = self.zone.counters();
        c.nr_free.min(c.nr_pages.saturating_sub(self.min_pages))
    }

    /// Gives at least `pages` pages back to the kernel, in wholly free pageblocks, highest pfn
    /// first, never taking the pool below `min_pages`; returns the pages given. Under the pcp
    /// mutex, as an isolation: one drain round first, so that pages sitting on pagesets do not
    /// keep their pageblocks. `EBUSY` while an isolation or an offline holds the pagesets.
    /// Sleeps; allocates nothing (it runs in reclaim).
    pub(crate) fn shrink(&self, pages: usize) -> Result<usize> {
        let config = self.pcp_lock.lock();
        if config.disabled {
            return Err(EBUSY);
        }
        let per_chunk = self.zone.pages_per_chunk() as usize;
        let above_floor = self.zone.counters().nr_pages.saturating_sub(self.min_pages);
        let blocks = pages.div_ceil(per_chunk).min(above_floor / per_chunk);
        if blocks == 0 {
            return Ok(0);
        }
        self.drain_all();
        let given = self.zone.shrink(blocks);
        drop(config);
        if given > 0 {
            self.growth_held.store(true, Relaxed);
        }
        Ok(given * per_chunk)
    }

    /// Whether growth waits for a client to run out of pages: set by a shrink.
    pub(crate) fn growth_held(&self) -> bool {
        self.growth_held.load(Relaxed)
    }

    /// The shrinker's calls.
    pub(crate) fn shrinker_stats(&self) -> &ShrinkerStats {
        &self.shrinker_stats
    }
}

impl<D: Drain> Shrink for Pool<D> {
    fn count_objects(&self) -> Count {
        self.shrinker_stats.counts.fetch_add(1, Relaxed);
        match self.shrinkable() {
            0 => Count::Empty,
            n => Count::Freeable(n),
        }
    }

    fn scan_objects(&self, nr_to_scan: usize) -> Scan {
        self.shrinker_stats.scans.fetch_add(1, Relaxed);
        match self.shrink(nr_to_scan) {
            Ok(n) => {
                // The pages are back in the buddy allocator: reclaim's progress.
                account_reclaimed_pages(n);
                Scan::Freed(n)
            }
            Err(_) => {
                self.shrinker_stats.stops.fetch_add(1, Relaxed);
                Scan::Stop
            }
        }
    }
}
