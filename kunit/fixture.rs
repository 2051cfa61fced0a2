// SPDX-License-Identifier: GPL-2.0

//! Test helpers: a pool filled from the kernel, and its pageblocks in pfn order.

use crate::config::{DrainStrategy, PoolConfig};
use crate::pool::Pool;
use kernel::{prelude::*, sync::Arc};

/// A pool holding `pages` pages (its maximum), with the given marks and drain strategy.
pub(crate) fn filled_pool(
    pages: usize,
    high: u32,
    batch: u32,
    drain: DrainStrategy,
) -> Option<Arc<Pool>> {
    let config = PoolConfig {
        initial_pages: pages,
        max_pages: pages,
        high,
        batch,
        drain,
        ..PoolConfig::default()
    };
    let pool = Arc::pin_init(Pool::new(config), GFP_KERNEL).ok()?;
    pool.fill(pages).ok()?;
    Some(pool)
}

/// The pool's pageblock pfns, lowest first (sorted by insertion: `sort_unstable` trips objtool
/// on 6.12).
pub(crate) fn block_pfns(pool: &Pool) -> KVec<usize> {
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
