// SPDX-License-Identifier: GPL-2.0

//! The pool's side of memory offlining, on a private pool: the hand-over of `MEM_GOING_OFFLINE`
//! and the take-back of `MEM_CANCEL_OFFLINE` restore the pool exactly, a range where a page is
//! held is refused with the pool unchanged, and a range without pool pageblocks costs nothing.
//! (`MEM_OFFLINE` needs memory that really goes offline: scripts/tests/hotplug.py.)

use super::fixture::{block_pfns, filled_pool};
use crate::chunk::{pageblock_order, totalram_pages};
use crate::compat::{
    cpu::CpusReadGuard,
    irq::with_irqs_off,
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite},
};
use crate::page_list::PageId;
use crate::pool::{
    offline::{Evacuation, PendingOffline, Refusal},
    AllocFlags, Ipi, Pool,
};
use kernel::{prelude::*, sync::Arc};

const BLOCKS: usize = 4;
const NOGROW: AllocFlags = AllocFlags {
    zero: false,
    may_grow: false,
};

fn pool() -> Option<(Arc<Pool>, usize, usize)> {
    let per_block = 1usize << crate::chunk::pageblock_order();
    let pool = filled_pool::<Ipi>(BLOCKS * per_block, 64, 8)?;
    let pfns = block_pfns(&pool);
    let (start, end) = (*pfns.first()?, *pfns.last()? + per_block);
    Some((pool, start, end))
}

/// `offline_prepare` and `offline_cancel` as the memory notifier runs them, with CPU hotplug
/// held off (memory hotplug holds it from `mem_hotplug_begin()`); not across `verify`, whose
/// `stop_machine()` takes it too.
fn prepare(
    pool: &Arc<Pool>,
    start: usize,
    end: usize,
    evacuate_stall_ms: u32,
) -> Result<Option<PendingOffline>, Refusal> {
    let _cpus = CpusReadGuard::new();
    pool.offline_prepare(start, end, evacuate_stall_ms, &**pool)
}

fn cancel(pool: &Pool, pending: PendingOffline) {
    let _cpus = CpusReadGuard::new();
    pool.offline_cancel(pending);
}

fn consistent(pool: &Pool) -> bool {
    pool.verify().is_ok_and(|r| r.is_consistent())
}

/// Hand-over then cancel: while handed over, every page has refcount 0 (verify checks it), the
/// pagesets are disabled and refuse updates, nothing can be allocated; after, all is back.
fn prepare_then_cancel_restores_exactly() {
    let Some((pool, start, end)) = pool() else {
        kunit_expect!(false, "no pool");
        return;
    };
    let before = pool.zone().counters();
    match prepare(&pool, start, end, 1000) {
        Ok(Some(pending)) => {
            kunit_expect_eq!(pending.blocks(), BLOCKS);
            kunit_expect_eq!(pending.pages(), before.nr_pages);
            kunit_expect!(consistent(&pool), "refcounts 0 while handed over");
            kunit_expect!(pool.pcp_config().disabled);
            kunit_expect_eq!(pool.set_high(32).err(), Some(EBUSY));
            kunit_expect!(pool.isolate_range(start, end).is_err());
            kunit_expect_eq!(pool.alloc(NOGROW).err(), Some(ENOMEM));
            let c = pool.zone().counters();
            kunit_expect_eq!((c.nr_free, c.nr_isolated_free), (0, before.nr_pages));
            cancel(&pool, pending);
        }
        Ok(None) => kunit_expect!(false, "no pageblock in the pool's own range"),
        Err(r) => kunit_expect!(false, "refused: {:?}", r),
    }
    let after = pool.zone().counters();
    kunit_expect_eq!(
        (after.nr_free, after.nr_isolated_free),
        (before.nr_pages, 0)
    );
    kunit_expect_eq!(after.nr_chunks, before.nr_chunks);
    kunit_expect!(!pool.pcp_config().disabled);
    kunit_expect!(consistent(&pool), "refcounts back to 1");
    kunit_expect!(pool.set_high(32).is_ok());
}

/// The kernel's figures, MemTotal (totalram) and `managed` of the zone of the pool's first
/// page, and how many pool pages that zone holds.
fn kernel_figures(pool: &Pool) -> (usize, usize, usize) {
    let per_chunk = pool.zone().pages_per_chunk();
    with_irqs_off(|irqs| {
        let Some(first) = pool.zone().page(irqs, PageId::default()) else {
            return (totalram_pages(), 0, 0);
        };
        let in_zone = pool
            .zone()
            .slots(irqs)
            .filter(|&s| {
                pool.zone()
                    .page(irqs, PageId::new(s, pageblock_order(), 0))
                    .is_some_and(|p| p.zone() == first.zone())
            })
            .count();
        (
            totalram_pages(),
            first.zone_managed_pages(),
            in_zone * per_chunk as usize,
        )
    })
}

/// The kernel's books through a hand-over and its cancel: handed-over pages leave MemTotal and
/// their zone's `managed` (`offline_pages()` takes out only the pages it offlines itself), and
/// a cancel, whoever causes it (another notifier, the core giving up, a signal), puts back
/// exactly as many.
fn kernel_accounting_hand_over_and_cancel() {
    let Some((pool, start, end)) = pool() else {
        kunit_expect!(false, "no pool");
        return;
    };
    let (total, managed, in_zone) = kernel_figures(&pool);
    let pages = pool.zone().counters().nr_pages;
    match prepare(&pool, start, end, 1000) {
        Ok(Some(pending)) => {
            let (t, m, _) = kernel_figures(&pool);
            kunit_expect_eq!(total - t, pages);
            kunit_expect_eq!(managed - m, in_zone);
            cancel(&pool, pending);
        }
        Ok(None) => kunit_expect!(false, "no pageblock in the pool's own range"),
        Err(r) => kunit_expect!(false, "refused: {:?}", r),
    }
    let (t, m, _) = kernel_figures(&pool);
    kunit_expect_eq!((t, m), (total, managed));
    // A refusal changes nothing either.
    let page = pool.alloc_page(NOGROW);
    kunit_expect!(matches!(
        prepare(&pool, start, end, 0),
        Err(Refusal::Held { .. })
    ));
    let (t, m, _) = kernel_figures(&pool);
    kunit_expect_eq!((t, m), (total, managed));
    if let Ok(page) = page {
        kunit_expect!(pool.free_page(page).is_ok());
    }
}

/// A held page makes the offline fail, naming it, and the pool is as it was.
fn held_page_is_refused() {
    let Some((pool, start, end)) = pool() else {
        kunit_expect!(false, "no pool");
        return;
    };
    let Ok(page) = pool.alloc_page(NOGROW) else {
        kunit_expect!(false, "no page");
        return;
    };
    let pfn = pool.with_page(&page, |p| p.pfn());
    match prepare(&pool, start, end, 1000) {
        Err(Refusal::Held {
            pages,
            first_pfn,
            evacuated,
            ended,
        }) => {
            // No C client owns it, so nothing could move it, and nothing was tried.
            kunit_expect_eq!((pages, evacuated), (1, 0));
            kunit_expect_eq!(ended, Evacuation::NoCallback);
            kunit_expect_eq!(Some(first_pfn), pfn);
        }
        Err(r) => kunit_expect!(false, "refused for another reason: {:?}", r),
        Ok(Some(p)) => {
            cancel(&pool, p);
            kunit_expect!(false, "accepted with a page held");
        }
        Ok(None) => kunit_expect!(false, "no pageblock in the pool's own range"),
    }
    kunit_expect!(!pool.pcp_config().disabled);
    let c = pool.zone().counters();
    kunit_expect_eq!(c.nr_isolated_free, 0);
    kunit_expect!(pool
        .verify()
        .is_ok_and(|r| r.is_consistent() && r.allocated == 1));
    kunit_expect!(pool.free_page(page).is_ok());
}

/// A range without pool pageblocks: nothing happens, not even a drain.
fn range_without_pool_pages_costs_nothing() {
    let Some((pool, start, _)) = pool() else {
        kunit_expect!(false, "no pool");
        return;
    };
    let drains = pool.drains();
    kunit_expect!(matches!(prepare(&pool, 0, start.min(1), 1000), Ok(None)));
    kunit_expect_eq!(pool.drains(), drains);
    kunit_expect!(!pool.pcp_config().disabled);
}

kunit_suite!(
    pcpool_offline,
    [
        prepare_then_cancel_restores_exactly,
        kernel_accounting_hand_over_and_cancel,
        held_page_is_refused,
        range_without_pool_pages_costs_nothing
    ]
);
