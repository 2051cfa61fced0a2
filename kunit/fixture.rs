// SPDX-License-Identifier: GPL-2.0

//! The helpers the suites share: a pool filled from the kernel, its pageblocks in pfn order,
//! and slots through which stress threads pass pages to each other, so that a page allocated on
//! one CPU is often freed on another.

use crate::chunk::ZoneKind;
use crate::compat::kthread::random_u32;
use crate::config::PoolConfig;
use crate::page_list::{Entry, PageId};
use crate::pool::{Drain, Pool};
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use kernel::{prelude::*, sync::Arc};

/// A pool holding `pages` pages (its maximum), with the given marks, draining by `D`.
pub(crate) fn filled_pool<D: Drain>(pages: usize, high: u32, batch: u32) -> Option<Arc<Pool<D>>> {
    filled_pool_in(PoolConfig::default().zone, pages, high, batch)
}

/// [`filled_pool`] in the kernel's zone `zone`.
pub(crate) fn filled_pool_in<D: Drain>(
    zone: ZoneKind,
    pages: usize,
    high: u32,
    batch: u32,
) -> Option<Arc<Pool<D>>> {
    let config = PoolConfig {
        initial_pages: pages,
        max_pages: pages,
        high,
        batch,
        drain: D::STRATEGY,
        zone,
        ..PoolConfig::default()
    };
    let pool = Arc::pin_init(Pool::<D>::new(config), GFP_KERNEL).ok()?;
    pool.fill(pages).ok()?;
    Some(pool)
}

/// The pool's pageblock pfns, lowest first (sorted by insertion: `sort_unstable` trips objtool
/// on 6.12).
pub(crate) fn block_pfns<D: Drain>(pool: &Pool<D>) -> KVec<usize> {
    // Room for every pageblock first: the walk runs under the zone lock with IRQs off, where
    // an allocation may not sleep (the debug kernel caught a GFP_KERNEL one here).
    let Ok(mut pfns) = KVec::with_capacity(pool.zone().max_chunks(), GFP_KERNEL) else {
        return KVec::new();
    };
    pool.zone().for_each_pageblock(|pfn, _, _| {
        let _ = pfns.push(pfn, GFP_NOWAIT);
    });
    for i in 1..pfns.len() {
        let mut j = i;
        while j > 0 && pfns[j - 1] > pfns[j] {
            pfns.swap(j - 1, j);
            j -= 1;
        }
    }
    pfns
}

const EMPTY: u32 = u32::MAX;

/// 64 slots of page ids.
pub(crate) struct Exchange([AtomicU32; 64]);

impl Exchange {
    /// All slots empty.
    pub(crate) const fn new() -> Self {
        Self([const { AtomicU32::new(EMPTY) }; 64])
    }

    /// Frees each of `ids` here, or swaps it into a random slot and frees the page that was
    /// there instead. Returns how many frees the pool refused.
    pub(crate) fn free_or_pass<D: Drain>(&self, pool: &Pool<D>, ids: &[PageId]) -> usize {
        let mut refused = 0;
        for &id in ids {
            let slot = &self.0[random_u32() as usize % self.0.len()];
            let id = if random_u32() % 2 == 0 {
                slot.swap(id.index() as u32, Relaxed)
            } else {
                id.index() as u32
            };
            if id != EMPTY && pool.free(PageId::at(id)).is_err() {
                refused += 1;
            }
        }
        refused
    }

    /// Frees every page left in the slots. Returns how many frees the pool refused.
    pub(crate) fn drain<D: Drain>(&self, pool: &Pool<D>) -> usize {
        self.0
            .iter()
            .map(|s| s.swap(EMPTY, Relaxed))
            .filter(|&id| id != EMPTY && pool.free(PageId::at(id)).is_err())
            .count()
    }
}
