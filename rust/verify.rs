// SPDX-License-Identifier: GPL-2.0

//! The full consistency scan behind `verify`: every page of every chunk is counted exactly
//! once, on a pcp list, on a free list, or as allocated, and the counters agree.

use crate::page_list::PageId;
use core::fmt;
use kernel::prelude::*;

/// What a scan found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// Pages in the pool's chunks.
    pub(crate) pages: usize,
    /// Pages on the movable free list.
    pub(crate) free_movable: usize,
    /// Pages on the isolate free list.
    pub(crate) free_isolate: usize,
    /// Pages on pcp lists.
    pub(crate) pcp: usize,
    /// Of those, pages on the lists of offline CPUs (stranded: should be 0).
    pub(crate) offline_pcp: usize,
    /// Pages handed out.
    pub(crate) allocated: usize,
    /// Pages of the isolated range checked by `Pool::verify_isolated` that are on a pcp list or
    /// the movable free list: each is a leak of isolation.
    pub(crate) isolated_leaks: usize,
    /// Inconsistencies found; the first few are logged.
    pub(crate) errors: usize,
}

impl Report {
    /// Records an inconsistency.
    pub(crate) fn error(&mut self, args: fmt::Arguments<'_>) {
        if self.errors < 8 {
            pr_err!("verify: {}\n", args);
        }
        self.errors += 1;
    }

    /// Whether the scan found nothing wrong.
    pub(crate) fn is_consistent(&self) -> bool {
        self.errors == 0
    }
}

/// One mark per page: seen on a list during this scan.
pub(crate) struct Visited(KVVec<bool>);

impl Visited {
    /// Marks for `n` pages, all clear. Allocates, so call it before stopping the machine.
    pub(crate) fn new(n: usize) -> Result<Self> {
        let mut v = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            v.push(false, GFP_KERNEL)?;
        }
        Ok(Self(v))
    }

    /// Marks page `id`; returns whether it was marked already (a page on two lists).
    pub(crate) fn mark(&mut self, id: PageId) -> bool {
        core::mem::replace(&mut self.0[id as usize], true)
    }

    /// Clears every mark, for the next scan.
    pub(crate) fn clear(&mut self) {
        self.0.iter_mut().for_each(|v| *v = false);
    }

    /// Whether page `id` is marked.
    pub(crate) fn get(&self, id: PageId) -> bool {
        self.0[id as usize]
    }
}
