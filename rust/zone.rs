// SPDX-License-Identifier: GPL-2.0

//! The pool's zone: pageblock-sized chunks taken from a real kernel zone, their migratetypes,
//! the free lists and the free-page counters.
//!
//! Mirrors the buddy side of `struct zone`: one spinlock, taken with IRQs off (the pcp paths
//! and the IPI drain reach it from IRQs-off sections), protects the free lists, the
//! per-pageblock free counts and the counters, which are exact whenever the lock is free, like
//! `NR_FREE_PAGES`. A chunk is one pageblock (order `pageblock_order`), so a chunk slot is a
//! pageblock.

use crate::ffi::{
    chunks::{ChunkTable, Slot},
    irq::IrqsOff,
    page::{pageblock_order, Chunk, PageRef, RawPage, ZoneKind},
};
use crate::page_list::{PageId, PageLinks, PageList, PageState};
use crate::verify::{Report, Visited};
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{lock::spinlock::SpinLockBackend, lock::Guard, SpinLock},
};

/// A pageblock's migratetype, named as the kernel names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum MigrateType {
    /// MIGRATE_MOVABLE: its free pages can be allocated.
    Movable = 0,
    /// MIGRATE_ISOLATE: its free pages are held back; frees go straight to the isolate list.
    Isolate = 1,
}

impl MigrateType {
    fn from_u8(v: u8) -> Self {
        if v == Self::Isolate as u8 {
            Self::Isolate
        } else {
            Self::Movable
        }
    }

    fn free_state(self) -> PageState {
        match self {
            Self::Movable => PageState::FreeMovable,
            Self::Isolate => PageState::FreeIsolate,
        }
    }
}

/// The zone's counters, as /proc/zoneinfo names them where it can.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ZoneCounters {
    /// Free pages in MIGRATE_MOVABLE pageblocks (on the movable free list).
    pub(crate) nr_free: usize,
    /// Free pages in MIGRATE_ISOLATE pageblocks.
    pub(crate) nr_isolated_free: usize,
    /// Pages the pool holds (`managed`).
    pub(crate) nr_pages: usize,
    /// Chunks (pageblocks) the pool holds.
    pub(crate) nr_chunks: usize,
    /// Refills of a pcp list from the zone.
    pub(crate) refills: u64,
    /// Flushes of a pcp list to the zone.
    pub(crate) flushes: u64,
    /// Chunks taken from the kernel.
    pub(crate) grows: u64,
    /// Chunks given back to the kernel.
    pub(crate) shrinks: u64,
}

/// What the zone lock protects.
pub(crate) struct ZoneInner {
    /// Free lists, one per migratetype.
    free: [PageList; 2],
    /// Free pages per pageblock (chunk slot).
    block_free: KVec<u32>,
    counters: ZoneCounters,
}

/// The pool's zone.
///
/// Pages are named by [`PageId`]: `slot * pages_per_chunk + offset`.
#[pin_data]
pub(crate) struct PoolZone {
    #[pin]
    inner: SpinLock<ZoneInner>,
    chunks: ChunkTable,
    links: PageLinks,
    /// Pageblock migratetypes, written under the lock, read locklessly on the free path
    /// (`get_pfnblock_migratetype()`).
    block_mt: KVec<AtomicU8>,
    kind: ZoneKind,
    nid: i32,
}

impl PoolZone {
    /// A zone that can hold up to `max_chunks` pageblocks taken from `kind` on node `nid`.
    pub(crate) fn new(max_chunks: usize, kind: ZoneKind, nid: i32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- new_spinlock!(
                ZoneInner {
                    free: [PageList::EMPTY; 2],
                    block_free: zeroed_vec(max_chunks)?,
                    counters: ZoneCounters::default(),
                },
                "pcpool_zone"
            ),
            chunks: ChunkTable::new(max_chunks, pageblock_order())?,
            links: PageLinks::new(max_chunks << pageblock_order())?,
            block_mt: {
                let mut v = KVec::with_capacity(max_chunks, GFP_KERNEL)?;
                for _ in 0..max_chunks {
                    v.push(AtomicU8::new(MigrateType::Movable as u8), GFP_KERNEL)?;
                }
                v
            },
            kind,
            nid,
        }? Error)
    }

    /// Pages per chunk (pageblock).
    pub(crate) fn pages_per_chunk(&self) -> u32 {
        1 << self.chunks.order()
    }

    /// Most chunks the zone can hold.
    pub(crate) fn max_chunks(&self) -> usize {
        self.chunks.capacity()
    }

    /// The link table, for lists of this zone's pages.
    pub(crate) fn links(&self) -> &PageLinks {
        &self.links
    }

    fn split(&self, id: PageId) -> (Slot, usize) {
        (
            id >> self.chunks.order(),
            (id & (self.pages_per_chunk() - 1)) as usize,
        )
    }

    /// Takes the zone lock; IRQs are off, as for `spin_lock_irqsave()`.
    pub(crate) fn lock<'a>(&'a self, _irqs: &'a IrqsOff) -> Guard<'a, ZoneInner, SpinLockBackend> {
        self.inner.lock()
    }

    /// Takes one more chunk from the kernel and adds its pages to the movable free list.
    /// Sleeps. `ENOSPC` when the zone holds `max_chunks` already.
    pub(crate) fn grow(&self) -> Result<Slot> {
        let chunk = Chunk::alloc(self.nid, self.chunks.order(), self.kind)?;
        for page in chunk.pages().iter() {
            page.set_offline();
        }
        // A full table gives the chunk back, and dropping it frees it.
        let slot = self.chunks.insert(chunk).map_err(|_| ENOSPC)?;
        let first = slot << self.chunks.order();
        crate::ffi::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            let inner = &mut *zone;
            self.block_mt[slot as usize].store(MigrateType::Movable as u8, Relaxed);
            for id in first..first + self.pages_per_chunk() {
                self.links.set_state(id, PageState::FreeMovable);
                inner.free[MigrateType::Movable as usize].push_head(&self.links, id);
            }
            let n = self.pages_per_chunk() as usize;
            inner.block_free[slot as usize] = n as u32;
            inner.counters.nr_free += n;
            inner.counters.nr_pages += n;
            inner.counters.nr_chunks += 1;
            inner.counters.grows += 1;
        });
        Ok(slot)
    }

    /// Moves up to `count` free movable pages onto `list` as pcp pages, in one pass under the
    /// lock (`rmqueue_bulk()`). Returns how many it moved.
    pub(crate) fn rmqueue_bulk(&self, irqs: &IrqsOff, count: u32, list: &mut PageList) -> u32 {
        let mut zone = self.lock(irqs);
        let inner = &mut *zone;
        let mut moved = 0;
        while moved < count {
            let Some(id) = inner.free[MigrateType::Movable as usize].pop_head(&self.links) else {
                break;
            };
            inner.block_free[self.split(id).0 as usize] -= 1;
            self.links.set_state(id, PageState::Pcp);
            list.push_head(&self.links, id);
            moved += 1;
        }
        inner.counters.nr_free -= moved as usize;
        inner.counters.refills += 1;
        moved
    }

    /// Gives `count` pages from the cold end of `list` back to the free lists, in one pass
    /// under the lock (`free_pcppages_bulk()`).
    pub(crate) fn free_pcppages_bulk(&self, irqs: &IrqsOff, list: &mut PageList, count: u32) {
        let mut zone = self.lock(irqs);
        for _ in 0..count {
            let Some(id) = list.pop_tail(&self.links) else {
                break;
            };
            self.free_one_locked(&mut zone, id);
        }
        zone.counters.flushes += 1;
    }

    /// Frees one page straight to its pageblock's free list (`free_one_page()`).
    pub(crate) fn free_one(&self, irqs: &IrqsOff, id: PageId) {
        let mut zone = self.lock(irqs);
        self.free_one_locked(&mut zone, id);
    }

    fn free_one_locked(&self, inner: &mut ZoneInner, id: PageId) {
        let slot = self.split(id).0 as usize;
        // Under the lock the migratetype is stable: isolation changes it under the lock.
        let mt = MigrateType::from_u8(self.block_mt[slot].load(Relaxed));
        self.links.set_state(id, mt.free_state());
        inner.free[mt as usize].push_head(&self.links, id);
        inner.block_free[slot] += 1;
        match mt {
            MigrateType::Movable => inner.counters.nr_free += 1,
            MigrateType::Isolate => inner.counters.nr_isolated_free += 1,
        }
    }

    /// Sets the migratetype of every pageblock with a page in the pfn range `[start, end)` to
    /// `mt` and moves their free pages to `mt`'s free list, counters exact
    /// (`set_pageblock_migratetype()` + `move_freepages_block()`). Returns the pageblocks
    /// changed.
    pub(crate) fn set_migratetype_range(&self, start: usize, end: usize, mt: MigrateType) -> usize {
        crate::ffi::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            let inner = &mut *zone;
            let mut changed = 0;
            for slot in self.slots(irqs) {
                let Some(chunk) = self.chunks.get(slot, irqs) else {
                    continue;
                };
                let (first, n) = (chunk.start_pfn(), chunk.nr_pages());
                let old = MigrateType::from_u8(self.block_mt[slot as usize].load(Relaxed));
                if old == mt || first >= end || start >= first + n {
                    continue;
                }
                self.block_mt[slot as usize].store(mt as u8, Relaxed);
                let base = slot << self.chunks.order();
                let mut moved = 0;
                for id in base..base + self.pages_per_chunk() {
                    if self.links.state(id) == old.free_state() {
                        inner.free[old as usize].remove(&self.links, id);
                        inner.free[mt as usize].push_head(&self.links, id);
                        self.links.set_state(id, mt.free_state());
                        moved += 1;
                    }
                }
                let c = &mut inner.counters;
                let (from, to) = match mt {
                    MigrateType::Isolate => (&mut c.nr_free, &mut c.nr_isolated_free),
                    MigrateType::Movable => (&mut c.nr_isolated_free, &mut c.nr_free),
                };
                *from -= moved;
                *to += moved;
                changed += 1;
            }
            changed
        })
    }

    /// Pages of `mt` pageblocks in `[start, end)` that are in state `state` now (for checks).
    pub(crate) fn count_in_range(
        &self,
        irqs: &IrqsOff,
        start: usize,
        end: usize,
        state: PageState,
    ) -> usize {
        let mut count = 0;
        for slot in self.slots(irqs) {
            let Some(chunk) = self.chunks.get(slot, irqs) else {
                continue;
            };
            if chunk.start_pfn() >= end || start >= chunk.start_pfn() + chunk.nr_pages() {
                continue;
            }
            let base = slot << self.chunks.order();
            count += (base..base + self.pages_per_chunk())
                .filter(|&id| self.links.state(id) == state)
                .count();
        }
        count
    }

    /// The pfn of page `id`, while IRQs stay off.
    pub(crate) fn pfn(&self, irqs: &IrqsOff, id: PageId) -> Option<usize> {
        self.page(irqs, id).map(|p| p.pfn())
    }

    /// The migratetype of page `id`'s pageblock, read without the lock. Read it with IRQs off
    /// on the free path, so that an isolation's IPI drain cannot fall between the read and the
    /// use (the 2014 fix).
    #[inline]
    pub(crate) fn migratetype(&self, _irqs: &IrqsOff, id: PageId) -> MigrateType {
        MigrateType::from_u8(self.block_mt[self.split(id).0 as usize].load(Relaxed))
    }

    /// The page `id`, while IRQs stay off.
    pub(crate) fn page<'a>(&'a self, irqs: &'a IrqsOff, id: PageId) -> Option<PageRef<'a>> {
        let (slot, offset) = self.split(id);
        Some(self.chunks.get(slot, irqs)?.nth(offset))
    }

    /// The id of a page a client passed in, if it is a page of this zone.
    pub(crate) fn id_of(&self, irqs: &IrqsOff, page: RawPage) -> Option<PageId> {
        let (slot, offset) = self.chunks.find(page, irqs)?;
        Some((slot << self.chunks.order()) + offset as PageId)
    }

    /// A snapshot of the counters.
    pub(crate) fn counters(&self) -> ZoneCounters {
        crate::ffi::irq::with_irqs_off(|irqs| self.lock(irqs).counters)
    }

    /// Number of chunks with a page in the pfn range `[start, end)`.
    pub(crate) fn chunks_in(&self, start: usize, end: usize) -> usize {
        crate::ffi::irq::with_irqs_off(|irqs| {
            self.slots(irqs)
                .filter_map(|slot| self.chunks.get(slot, irqs))
                .filter(|c| c.start_pfn() < end && start < c.start_pfn() + c.nr_pages())
                .count()
        })
    }

    /// Calls `f(start_pfn, migratetype, free pages)` for each pageblock, under the lock.
    pub(crate) fn for_each_pageblock(&self, mut f: impl FnMut(usize, MigrateType, u32)) {
        crate::ffi::irq::with_irqs_off(|irqs| {
            let zone = self.lock(irqs);
            for slot in self.slots(irqs) {
                if let Some(chunk) = self.chunks.get(slot, irqs) {
                    let mt = MigrateType::from_u8(self.block_mt[slot as usize].load(Relaxed));
                    f(chunk.start_pfn(), mt, zone.block_free[slot as usize]);
                }
            }
        })
    }

    /// The slots that hold a chunk.
    pub(crate) fn slots<'a>(&'a self, irqs: &'a IrqsOff) -> impl Iterator<Item = Slot> + 'a {
        (0..self.max_chunks() as Slot).filter(move |&s| self.chunks.get(s, irqs).is_some())
    }
}

impl PoolZone {
    /// Checks the free lists, the per-pageblock free counts and the counters against the pages'
    /// states, with the lock held; marks the pages it finds on free lists.
    pub(crate) fn verify_locked(
        &self,
        irqs: &IrqsOff,
        inner: &ZoneInner,
        visited: &mut Visited,
        r: &mut Report,
    ) {
        for mt in [MigrateType::Movable, MigrateType::Isolate] {
            let list = &inner.free[mt as usize];
            let mut n = 0;
            for id in list.iter(&self.links) {
                n += 1;
                if visited.mark(id) {
                    r.error(format_args!("page {} twice on free lists", id));
                }
                if self.links.state(id) != mt.free_state() {
                    r.error(format_args!(
                        "page {} on {:?} list is {:?}",
                        id,
                        mt,
                        self.links.state(id)
                    ));
                }
                if self.migratetype(irqs, id) != mt {
                    r.error(format_args!(
                        "page {} on {:?} list in a {:?} block",
                        id,
                        mt,
                        self.migratetype(irqs, id)
                    ));
                }
            }
            if n != list.len() as usize {
                r.error(format_args!(
                    "{:?} list has {} pages, says {}",
                    mt,
                    n,
                    list.len()
                ));
            }
            match mt {
                MigrateType::Movable => r.free_movable = n,
                MigrateType::Isolate => r.free_isolate = n,
            }
        }
        let (movable, isolate) = (r.free_movable, r.free_isolate);
        if movable != inner.counters.nr_free {
            r.error(format_args!(
                "nr_free {} but {} free movable pages",
                inner.counters.nr_free, movable
            ));
        }
        if isolate != inner.counters.nr_isolated_free {
            r.error(format_args!(
                "nr_isolated_free {} but {} free isolated pages",
                inner.counters.nr_isolated_free, isolate
            ));
        }
        let mut chunks = 0;
        for slot in self.slots(irqs) {
            chunks += 1;
            let first = slot << self.chunks.order();
            let free = (first..first + self.pages_per_chunk())
                .filter(|&id| {
                    matches!(
                        self.links.state(id),
                        PageState::FreeMovable | PageState::FreeIsolate
                    )
                })
                .count();
            if free != inner.block_free[slot as usize] as usize {
                r.error(format_args!(
                    "block {} counts {} free, has {}",
                    slot, inner.block_free[slot as usize], free
                ));
            }
        }
        let pages = chunks * self.pages_per_chunk() as usize;
        r.pages = pages;
        if chunks != inner.counters.nr_chunks || pages != inner.counters.nr_pages {
            r.error(format_args!(
                "{} chunks / {} pages counted, {} / {} found",
                inner.counters.nr_chunks, inner.counters.nr_pages, chunks, pages
            ));
        }
    }
}

fn zeroed_vec(n: usize) -> Result<KVec<u32>> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        v.push(0, GFP_KERNEL)?;
    }
    Ok(v)
}
