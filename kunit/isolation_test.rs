// SPDX-License-Identifier: GPL-2.0

//! Isolation, one strategy at a time and without load: drains per isolation, exact counts,
//! pagesets disabled and restored, frees into an isolated block, nesting refused.

use super::fixture::{block_pfns, filled_pool};
use crate::compat::{
    cpu::num_online_cpus,
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite},
    smp::on_each_cpu,
};
use crate::page_list::PageId;
use crate::pool::{AllocFlags, Drain, Ipi, Pageblock, Pool, Remote, Workqueue};
use crate::verify::Visited;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use kernel::{prelude::*, sync::Arc};

const BLOCKS: usize = 8;
const NOGROW: AllocFlags = AllocFlags {
    zero: false,
    may_grow: false,
};

/// A pool of `BLOCKS` pageblocks, and the pfn range that covers them all.
fn pool<D: Drain>() -> Option<(Arc<Pool<D>>, usize, usize)> {
    let per_block = 1usize << crate::chunk::pageblock_order();
    let pool = filled_pool::<D>(BLOCKS * per_block, 64, 8)?;
    let pfns = block_pfns(&pool);
    let (start, end) = (*pfns.first()?, *pfns.last()? + per_block);
    Some((pool, start, end))
}

/// Every online CPU's (count, high, batch) agrees with `f`; returns how many do not.
fn pcp_mismatches<D: Drain>(pool: &Pool<D>, f: impl Fn(u32, u32, u32) -> bool + Sync) -> u32 {
    let bad = AtomicU32::new(0);
    pool.for_each_pcp(&|_, count, high, batch| {
        if !f(count, high, batch) {
            bad.fetch_add(1, Relaxed);
        }
    });
    bad.load(Relaxed)
}

/// Each strategy: isolating every block drains once (once per block for `pageblock`), leaves no
/// page on a pageset, moves exactly the free pages to the isolate list, keeps the pagesets at
/// `high = 0` meanwhile, and unisolation restores counts and marks exactly.
fn isolation_counts_and_drains() {
    counts_and_drains::<Ipi>();
    counts_and_drains::<Pageblock>();
    counts_and_drains::<Remote>();
    counts_and_drains::<Workqueue>();
}

fn counts_and_drains<D: Drain>() {
    let drain = D::STRATEGY;
    {
        let Some((pool, start, end)) = pool::<D>() else {
            kunit_expect!(false, "no pool for {}", drain.name());
            return;
        };
        // Leave pages on every pageset, and some allocated.
        let mut ids = KVec::new();
        for _ in 0..num_online_cpus() * 40 {
            if let Ok(id) = pool.alloc(NOGROW) {
                let _ = ids.push(id, GFP_KERNEL);
            }
        }
        on_each_cpu(&|_| {
            let mut pages = [PageId::default(); 20];
            let got = pool.alloc_bulk(NOGROW, &mut pages);
            let _ = pool.free_bulk(&pages[..got]);
        });
        kunit_expect!(pcp_mismatches(&pool, |count, _, _| count > 0) == 0);
        let mut allocated = ids.len();
        let drains = pool.drains();
        let mut visited = Visited::new(pool.zone().max_pages()).ok();
        match pool.isolate_range(start, end) {
            Ok(iso) => {
                let expect = if D::PER_PAGEBLOCK { BLOCKS } else { 1 };
                kunit_expect_eq!(iso.blocks(), BLOCKS);
                kunit_expect_eq!((drain, pool.drains() - drains), (drain, expect as u64));
                let c = pool.zone().counters();
                kunit_expect_eq!((drain, c.nr_free), (drain, 0));
                kunit_expect_eq!((drain, c.nr_isolated_free), (drain, c.nr_pages - allocated));
                kunit_expect_eq!(
                    pcp_mismatches(&pool, |count, high, batch| (count, high, batch)
                        == (0, 0, 1)),
                    0
                );
                if let Some(v) = visited.as_mut() {
                    kunit_expect_eq!((drain, pool.check_isolated(start, end, v)), (drain, (0, 0)));
                }
                // Nothing to allocate: every block is isolated.
                kunit_expect_eq!((drain, pool.alloc(NOGROW).err()), (drain, Some(ENOMEM)));
                // A free into an isolated block goes to the isolate list, not a pageset.
                if let Some(&id) = ids.last() {
                    kunit_expect!(pool.free(id).is_ok());
                    allocated -= 1;
                    kunit_expect_eq!(
                        pool.zone().counters().nr_isolated_free,
                        c.nr_isolated_free + 1
                    );
                }
            }
            Err(e) => kunit_expect!(false, "{}: isolate_range failed: {:?}", drain.name(), e),
        }
        // Back: every page not allocated is free in the zone, the pagesets refill later.
        let after = pool.zone().counters();
        kunit_expect_eq!((drain, after.nr_isolated_free), (drain, 0));
        kunit_expect_eq!((drain, after.nr_free), (drain, after.nr_pages - allocated));
        kunit_expect_eq!(
            pcp_mismatches(&pool, |_, high, batch| (high, batch) == (64, 8)),
            0
        );
        kunit_expect!(pool.free_bulk(&ids[..allocated]).is_ok());
        pool.drain_all();
        let r = pool.verify();
        kunit_expect!(
            r.as_ref().is_ok_and(|r| r.is_consistent()),
            "{}: {:?}",
            drain.name(),
            r.err()
        );
    }
}

/// A second isolation while one is in progress is refused with `EBUSY`, and works after.
fn nested_isolation_is_busy() {
    let Some((pool, start, end)) = pool::<Ipi>() else {
        kunit_expect!(false, "no pool");
        return;
    };
    match pool.isolate_range(start, end) {
        Ok(_iso) => kunit_expect_eq!(pool.isolate_range(start, end).err(), Some(EBUSY)),
        Err(e) => kunit_expect!(false, "isolate_range failed: {:?}", e),
    }
    kunit_expect!(pool.isolate_range(start, end).is_ok());
}

/// Each strategy's pool serves, drains and takes new marks between any two operations, and
/// stays right; its `drain` is the strategy it was made with.
fn every_strategy_serves_and_drains() {
    serves_and_drains::<Ipi>();
    serves_and_drains::<Pageblock>();
    serves_and_drains::<Remote>();
    serves_and_drains::<Workqueue>();
}

fn serves_and_drains<D: Drain>() {
    let Some((pool, _, _)) = pool::<D>() else {
        kunit_expect!(false, "no pool for {}", D::STRATEGY.name());
        return;
    };
    kunit_expect_eq!(pool.strategy(), D::STRATEGY);
    for round in 0..3 {
        on_each_cpu(&|_| {
            let mut pages = [PageId::default(); 16];
            let got = pool.alloc_bulk(NOGROW, &mut pages);
            let _ = pool.free_bulk(&pages[..got]);
        });
        if round == 1 {
            let drains = pool.drains();
            pool.drain_all();
            kunit_expect_eq!(pool.drains(), drains + 1);
            kunit_expect_eq!(pcp_mismatches(&pool, |count, _, _| count == 0), 0);
        } else {
            kunit_expect!(pool.set_high_batch(32 + round, 4).is_ok());
            kunit_expect_eq!(
                pcp_mismatches(&pool, |count, high, batch| count <= high
                    && (high, batch) == (32 + round, 4)),
                0
            );
        }
    }
    let r = pool.verify();
    kunit_expect!(r
        .as_ref()
        .is_ok_and(|r| r.is_consistent() && r.allocated == 0));
}

kunit_suite!(
    pcpool_isolation,
    [
        isolation_counts_and_drains,
        nested_isolation_is_busy,
        every_strategy_serves_and_drains
    ]
);
