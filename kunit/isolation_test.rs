// SPDX-License-Identifier: GPL-2.0

//! Isolation, one strategy at a time and without load: drains per isolation, exact counts,
//! pagesets disabled and restored, frees into an isolated block, nesting refused.

use super::fixture::{block_pfns, filled_pool};
use crate::compat::{
    cpu::num_online_cpus,
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite},
    smp::on_each_cpu,
};
use crate::config::DrainStrategy;
use crate::page_list::PageId;
use crate::pool::{AllocFlags, Pool};
use crate::verify::Visited;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use kernel::{prelude::*, sync::Arc};

const BLOCKS: usize = 8;
const NOGROW: AllocFlags = AllocFlags {
    zero: false,
    may_grow: false,
};

/// A pool of `BLOCKS` pageblocks, and the pfn range that covers them all.
fn pool(drain: DrainStrategy) -> Option<(Arc<Pool>, usize, usize)> {
    let per_block = 1usize << crate::chunk::pageblock_order();
    let pool = filled_pool(BLOCKS * per_block, 64, 8, drain)?;
    let pfns = block_pfns(&pool);
    let (start, end) = (*pfns.first()?, *pfns.last()? + per_block);
    Some((pool, start, end))
}

/// Every online CPU's (count, high, batch) agrees with `f`; returns how many do not.
fn pcp_mismatches(pool: &Pool, f: impl Fn(u32, u32, u32) -> bool + Sync) -> u32 {
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
    for drain in DrainStrategy::ALL {
        let Some((pool, start, end)) = pool(drain) else {
            kunit_expect!(false, "no pool for {}", drain.name());
            continue;
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
                let expect = if drain == DrainStrategy::Pageblock {
                    BLOCKS
                } else {
                    1
                };
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
    let Some((pool, start, end)) = pool(DrainStrategy::Ipi) else {
        kunit_expect!(false, "no pool");
        return;
    };
    match pool.isolate_range(start, end) {
        Ok(_iso) => kunit_expect_eq!(pool.isolate_range(start, end).err(), Some(EBUSY)),
        Err(e) => kunit_expect!(false, "isolate_range failed: {:?}", e),
    }
    kunit_expect!(pool.isolate_range(start, end).is_ok());
}

/// The strategy can change at run time, between any two operations, and the pool stays right.
fn drain_switch_at_run_time() {
    let Some((pool, _, _)) = pool(DrainStrategy::Ipi) else {
        kunit_expect!(false, "no pool");
        return;
    };
    for round in 0..3 {
        for drain in DrainStrategy::ALL {
            kunit_expect!(pool.set_drain(drain).is_ok());
            kunit_expect_eq!(pool.pcp_config().drain, drain);
            on_each_cpu(&|_| {
                let mut pages = [PageId::default(); 16];
                let got = pool.alloc_bulk(NOGROW, &mut pages);
                let _ = pool.free_bulk(&pages[..got]);
            });
            if round == 1 {
                pool.drain_all();
            } else {
                kunit_expect!(pool.set_high_batch(32 + round, 4).is_ok());
            }
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
        drain_switch_at_run_time
    ]
);
