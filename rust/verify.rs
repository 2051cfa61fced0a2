// SPDX-License-Identifier: GPL-2.0

//! The full consistency scan behind `verify`: every page of every chunk is counted exactly
//! once, on a pcp list, on a free list, or as allocated, and the counters agree.
//!
//! It runs with the machine stopped ([`Pool::verify`](crate::pool::Pool::verify)), so that
//! every list holds still, one function per structure: the zone's free lists, its chunks and
//! counters, each CPU's pageset, then every page's state and refcount.

use crate::chunk::PageRef;
use crate::compat::{cpu::CpuId, irq::IrqDisabled};
use crate::page_list::{Entry, PageId, PageState, PageWord};
use crate::pcp::PcpList;
use crate::zone::{MigrateType, PoolZone, ZoneInner};
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

/// Summing the reports of several zones.
impl core::ops::AddAssign for Report {
    fn add_assign(&mut self, o: Self) {
        self.pages += o.pages;
        self.free_movable += o.free_movable;
        self.free_isolate += o.free_isolate;
        self.pcp += o.pcp;
        self.offline_pcp += o.offline_pcp;
        self.allocated += o.allocated;
        self.isolated_leaks += o.isolated_leaks;
        self.errors += o.errors;
    }
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
        core::mem::replace(&mut self.0[id.index()], true)
    }

    /// Clears every mark, for the next scan.
    pub(crate) fn clear(&mut self) {
        self.0.iter_mut().for_each(|v| *v = false);
    }

    /// Whether page `id` is marked.
    pub(crate) fn get(&self, id: PageId) -> bool {
        self.0[id.index()]
    }
}

/// The zone's free lists, with its lock held: each listed pageblock has the list's
/// migratetype and free pages, each page on them is free, in that pageblock, and on no other
/// list; `nr_free` and `nr_isolated_free` match them. Marks the pages in `visited`.
pub(crate) fn free_lists(
    zone: &PoolZone,
    irqs: IrqDisabled<'_>,
    inner: &ZoneInner,
    visited: &mut Visited,
    r: &mut Report,
) {
    for mt in [MigrateType::Movable, MigrateType::Isolate] {
        let mut n = 0;
        for slot in inner.free_blocks(mt).iter(zone.block_links()) {
            let block_mt = zone.migratetype(irqs, slot);
            if block_mt != mt {
                r.error(format_args!(
                    "pageblock {} on the {:?} list is {:?}",
                    slot, mt, block_mt
                ));
            }
            let list = inner.block_free(slot);
            if list.is_empty() {
                r.error(format_args!("pageblock {} listed with no free page", slot));
            }
            let mut k = 0;
            for page in list.iter(irqs) {
                k += 1;
                let Some(id) = listed(zone, irqs, page, r) else {
                    continue;
                };
                if visited.mark(id) {
                    r.error(format_args!("page {} twice on free lists", id));
                }
                if page.load_word().state() != PageState::Free {
                    r.error(format_args!(
                        "page {} on a free list is {:?}",
                        id,
                        page.load_word().state()
                    ));
                }
                if zone.block_of(id) != slot {
                    r.error(format_args!("page {} on pageblock {}'s list", id, slot));
                }
            }
            if k != list.len() as usize {
                r.error(format_args!(
                    "pageblock {} list has {} pages, says {}",
                    slot,
                    k,
                    list.len()
                ));
            }
            n += k;
        }
        match mt {
            MigrateType::Movable => r.free_movable = n,
            MigrateType::Isolate => r.free_isolate = n,
        }
    }
    let (counters, movable, isolate) = (inner.counters(), r.free_movable, r.free_isolate);
    if movable != counters.nr_free {
        r.error(format_args!(
            "nr_free {} but {} free movable pages",
            counters.nr_free, movable
        ));
    }
    if isolate != counters.nr_isolated_free {
        r.error(format_args!(
            "nr_isolated_free {} but {} free isolated pages",
            counters.nr_isolated_free, isolate
        ));
    }
}

/// The zone's chunks, with its lock held: each pageblock lists exactly its free pages, is on a
/// free list exactly when it has some, and `nr_chunks` and `nr_pages` count the chunks.
pub(crate) fn chunks(zone: &PoolZone, irqs: IrqDisabled<'_>, inner: &ZoneInner, r: &mut Report) {
    let listed_blocks = [MigrateType::Movable, MigrateType::Isolate]
        .into_iter()
        .map(|mt| inner.free_blocks(mt).iter(zone.block_links()).count())
        .sum::<usize>();
    let (mut chunks, mut with_free) = (0, 0);
    for slot in zone.slots(irqs) {
        chunks += 1;
        let free = zone
            .pages_of(slot)
            .filter(|&id| zone.word(irqs, id).map(PageWord::state) == Some(PageState::Free))
            .count();
        let listed = inner.block_free(slot).len() as usize;
        if free != listed {
            r.error(format_args!(
                "pageblock {} lists {} free pages, has {}",
                slot, listed, free
            ));
        }
        with_free += usize::from(listed > 0);
    }
    // Each pageblock with free pages on exactly one list (a second listing would show here).
    if with_free != listed_blocks {
        r.error(format_args!(
            "{} pageblocks have free pages, {} are listed",
            with_free, listed_blocks
        ));
    }
    let pages = chunks * zone.pages_per_chunk() as usize;
    r.pages = pages;
    let counters = inner.counters();
    if chunks != counters.nr_chunks || pages != counters.nr_pages {
        r.error(format_args!(
            "{} chunks / {} pages counted, {} / {} found",
            counters.nr_chunks, counters.nr_pages, chunks, pages
        ));
    }
}

/// CPU `cpu`'s pageset: each page on it is in state `Pcp` and on no other list, and `count`
/// is the list's length. Marks the pages in `visited`.
pub(crate) fn pageset(
    zone: &PoolZone,
    irqs: IrqDisabled<'_>,
    cpu: CpuId,
    pcp: &PcpList,
    visited: &mut Visited,
    r: &mut Report,
) {
    let mut n = 0;
    for page in pcp.list.iter(irqs) {
        n += 1;
        let Some(id) = listed(zone, irqs, page, r) else {
            continue;
        };
        if visited.mark(id) {
            r.error(format_args!(
                "page {} on CPU {}'s pcp list and another",
                id,
                cpu.as_u32()
            ));
        }
        if page.load_word().state() != PageState::Pcp {
            r.error(format_args!(
                "page {} on CPU {}'s pcp list is {:?}",
                id,
                cpu.as_u32(),
                page.load_word().state()
            ));
        }
    }
    if n != pcp.count() as usize {
        r.error(format_args!(
            "CPU {}'s pcp list has {} pages, says {}",
            cpu.as_u32(),
            n,
            pcp.count()
        ));
    }
    r.pcp += n;
    if !cpu.is_online() {
        r.offline_pcp += n;
    }
}

/// Every page of every chunk, after the lists: its refcount and PageOffline are what its
/// pageblock's state says, it is on a list (`visited`) exactly when free or on a pageset, and
/// the pages add up.
pub(crate) fn pages(zone: &PoolZone, irqs: IrqDisabled<'_>, visited: &Visited, r: &mut Report) {
    for slot in zone.slots(irqs) {
        let refs = zone.expected_refcount(slot);
        for id in zone.pages_of(slot) {
            let Some(page) = zone.page(irqs, id) else {
                continue;
            };
            if page.ref_count() != refs || !page.is_offline() {
                r.error(format_args!(
                    "page {} has refcount {} (expected {}), PageOffline {}",
                    id,
                    page.ref_count(),
                    refs,
                    page.is_offline()
                ));
            }
            if zone.id_of_page(irqs, page) != Some(id) {
                r.error(format_args!("page {}'s word names another page", id));
            }
            match (page.load_word().state(), visited.get(id)) {
                (PageState::Allocated, false) => r.allocated += 1,
                (PageState::Free | PageState::Pcp, true) => {}
                (state, seen) => r.error(format_args!(
                    "page {} is {:?} but {} a list",
                    id,
                    state,
                    if seen { "on" } else { "not on" }
                )),
            }
        }
    }
    let total = r.free_movable + r.free_isolate + r.pcp + r.allocated;
    let pages = r.pages;
    if total != pages {
        r.error(format_args!("{} pages, {} accounted for", pages, total));
    }
}

/// The id of `page`, found on a list; an error if its word does not name a page of the zone.
fn listed(
    zone: &PoolZone,
    irqs: IrqDisabled<'_>,
    page: PageRef<'_>,
    r: &mut Report,
) -> Option<PageId> {
    let id = zone.id_of_page(irqs, page);
    if id.is_none() {
        r.error(format_args!(
            "{:?} on a list is not a page of the pool",
            page.raw()
        ));
    }
    id
}
