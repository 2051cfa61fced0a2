// SPDX-License-Identifier: GPL-2.0

//! A test helper: slots through which stress threads pass pages to each other, so that a page
//! allocated on one CPU is often freed on another.

use crate::compat::kthread::random_u32;
use crate::page_list::PageId;
use crate::pool::Pool;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

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
    pub(crate) fn free_or_pass(&self, pool: &Pool, ids: &[PageId]) -> usize {
        let mut refused = 0;
        for &id in ids {
            let slot = &self.0[random_u32() as usize % self.0.len()];
            let id = if random_u32() % 2 == 0 {
                slot.swap(id, Relaxed)
            } else {
                id
            };
            if id != EMPTY && pool.free(id).is_err() {
                refused += 1;
            }
        }
        refused
    }

    /// Frees every page left in the slots. Returns how many frees the pool refused.
    pub(crate) fn drain(&self, pool: &Pool) -> usize {
        self.0
            .iter()
            .map(|s| s.swap(EMPTY, Relaxed))
            .filter(|&id| id != EMPTY && pool.free(id).is_err())
            .count()
    }
}
