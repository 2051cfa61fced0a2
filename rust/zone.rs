// SPDX-License-Identifier: GPL-2.0

//! The pool's zone: pageblock-sized chunks taken from a real kernel zone, their migratetypes,
//! the free lists and the free-page counters.
//!
//! Mirrors the buddy side of `struct zone`: one spinlock, taken with IRQs off (the pcp paths
//! and the IPI drain reach it from IRQs-off sections), protects the free lists and the
//! counters, which are exact whenever the lock is free, like `NR_FREE_PAGES`. A chunk is one
//! pageblock (order `pageblock_order`), so a chunk slot is a pageblock.
//!
//! Free pages are kept per pageblock, and the pageblocks with free pages on one list per
//! migratetype. So isolating a pageblock moves all its free pages in one step, as
//! `move_freepages_block()` moves a wholly free pageblock as one buddy page, and the cost of an
//! isolation is its drain, not the number of free pages it holds.

use crate::chunk::ChunkTable;
use crate::chunk::{pageblock_order, Chunk, PageRef, RawPage, ZoneKind};
use crate::compat::irq::IrqDisabled;
use crate::page_list::{
    BlockId, BlockLinks, BlockList, Entry, PageId, PageList, PageState, PageWord,
};
use crate::trace;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};
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
    /// Chunks given back to the kernel by a shrink.
    pub(crate) shrinks: u64,
    /// Chunks that left with memory taken offline.
    pub(crate) offlined: u64,
}

/// Summing the zones of several nodes.
impl core::ops::AddAssign for ZoneCounters {
    fn add_assign(&mut self, o: Self) {
        self.nr_free += o.nr_free;
        self.nr_isolated_free += o.nr_isolated_free;
        self.nr_pages += o.nr_pages;
        self.nr_chunks += o.nr_chunks;
        self.refills += o.refills;
        self.flushes += o.flushes;
        self.grows += o.grows;
        self.shrinks += o.shrinks;
        self.offlined += o.offlined;
    }
}

impl ZoneInner {
    /// The pageblocks of migratetype `mt` that have free pages.
    pub(crate) fn free_blocks(&self, mt: MigrateType) -> &BlockList {
        &self.free_blocks[mt as usize]
    }

    /// Pageblock `slot`'s free pages.
    pub(crate) fn block_free(&self, slot: BlockId) -> &PageList {
        &self.block_free[slot.index()]
    }

    /// The counters.
    pub(crate) fn counters(&self) -> &ZoneCounters {
        &self.counters
    }
}

/// What the zone lock protects.
pub(crate) struct ZoneInner {
    /// Each pageblock's free pages (by chunk slot).
    block_free: KVec<PageList>,
    /// The pageblocks that have free pages, one list per migratetype (the zone's `free_area`
    /// lists, at pageblock granularity), linked through `PoolZone::block_links`.
    free_blocks: [BlockList; 2],
    counters: ZoneCounters,
    /// Offlines begun (`MEM_GOING_OFFLINE`), and the grows in flight that began in an even
    /// and an odd such epoch (offlines run one at a time, so two epochs are all there are).
    epoch: u64,
    grows_in_flight: [u32; 2],
    /// Closed while empty, for its node's teardown: no chunk comes in again.
    closed: bool,
}

/// The pool's zone.
///
/// Pages are named by [`PageId`], pageblocks by [`BlockId`] (their chunk's slot).
///
/// # Invariants
///
/// Its free lists hold only pages of chunks in `chunks`, and a chunk leaves `chunks` while the
/// zone lives only once all its pages are free and isolated ([`PoolZone::remove_offline`]).
#[pin_data]
pub(crate) struct PoolZone {
    #[pin]
    inner: SpinLock<ZoneInner>,
    chunks: ChunkTable,
    /// Links of the pageblock lists `ZoneInner::free_blocks`, one entry per chunk slot.
    block_links: BlockLinks,
    /// Pageblock migratetypes, written under the lock, read locklessly on the free path
    /// (`get_pfnblock_migratetype()`).
    block_mt: KVec<AtomicU8>,
    /// Pageblocks whose pages are handed to memory offlining (refcount 0), for `verify`.
    handed_over: KVec<AtomicBool>,
    kind: ZoneKind,
    nid: i32,
}

impl PoolZone {
    /// A zone that can hold up to `max_chunks` pageblocks taken from `kind` on node `nid`.
    pub(crate) fn new(max_chunks: usize, kind: ZoneKind, nid: i32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- new_spinlock!(
                ZoneInner {
                    block_free: empty_lists(max_chunks)?,
                    free_blocks: [BlockList::EMPTY; 2],
                    counters: ZoneCounters::default(),
                    epoch: 0,
                    grows_in_flight: [0; 2],
                    closed: false,
                },
                "pcpool_zone"
            ),
            chunks: ChunkTable::new(max_chunks, pageblock_order())?,
            block_links: BlockLinks::new(max_chunks)?,
            block_mt: {
                let mut v = KVec::with_capacity(max_chunks, GFP_KERNEL)?;
                for _ in 0..max_chunks {
                    v.push(AtomicU8::new(MigrateType::Movable as u8), GFP_KERNEL)?;
                }
                v
            },
            handed_over: {
                let mut v = KVec::with_capacity(max_chunks, GFP_KERNEL)?;
                for _ in 0..max_chunks {
                    v.push(AtomicBool::new(false), GFP_KERNEL)?;
                }
                v
            },
            kind,
            nid,
        }? Error)
    }

    /// The node its chunks come from.
    pub(crate) fn nid(&self) -> i32 {
        self.nid
    }

    /// Pages per chunk (pageblock).
    pub(crate) fn pages_per_chunk(&self) -> u32 {
        1 << self.chunks.order()
    }

    /// Most chunks the zone can hold.
    pub(crate) fn max_chunks(&self) -> usize {
        self.chunks.capacity()
    }

    /// Pages the zone can number: the size of a [`crate::verify::Visited`].
    pub(crate) fn max_pages(&self) -> usize {
        self.max_chunks() << self.chunks.order()
    }

    #[inline]
    fn split(&self, id: PageId) -> (BlockId, usize) {
        id.split(self.chunks.order())
    }

    /// The pages of pageblock `slot`, lowest first.
    pub(crate) fn pages_of(&self, slot: BlockId) -> impl DoubleEndedIterator<Item = PageId> {
        PageId::of_block(slot, self.chunks.order())
    }

    /// The pageblock of page `id`.
    pub(crate) fn block_of(&self, id: PageId) -> BlockId {
        self.split(id).0
    }

    /// Links of the pageblock lists [`ZoneInner::free_blocks`].
    pub(crate) fn block_links(&self) -> &BlockLinks {
        &self.block_links
    }

    /// Takes the zone lock; IRQs are off, as for `spin_lock_irqsave()`.
    pub(crate) fn lock<'a>(
        &'a self,
        _irqs: IrqDisabled<'a>,
    ) -> Guard<'a, ZoneInner, SpinLockBackend> {
        self.inner.lock()
    }

    /// Takes one more chunk from the kernel and adds its pages to the movable free list;
    /// `taken(first pfn, epoch)` runs between the two (a test's injected delay). Sleeps.
    /// `ENOSPC` when the zone holds `max_chunks` already.
    ///
    /// The grow counts as in flight from before it takes the chunk until the chunk is in the
    /// books, in the offline epoch it began in: [`PoolZone::begin_offline`] waits for those,
    /// so that no offline misses a chunk taken just before the core isolated its range.
    ///
    /// A chunk of a CMA area (a movable allocation may get one) is never kept: `cma_alloc()`
    /// could not get it back. It is held aside while the next one is taken, so that the
    /// allocator does not hand it out again, and freed at the end.
    pub(crate) fn grow(&self, taken: impl FnOnce(usize, u64)) -> Result<BlockId> {
        let epoch = crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            let epoch = zone.epoch;
            zone.grows_in_flight[(epoch & 1) as usize] += 1;
            epoch
        });
        let mut pfn = 0;
        let result = self.take_chunk().and_then(|chunk| {
            pfn = chunk.pages().start_pfn();
            taken(pfn, epoch);
            // A full table, or a closed zone, gives the chunk back, and dropping it frees it.
            self.insert_chunk(chunk)
                .map_err(|_| if self.is_closed() { ENODEV } else { ENOSPC })
        });
        trace::grow(
            self.nid,
            pfn,
            self.pages_per_chunk() as usize,
            result.map(|_| ()),
        );
        crate::compat::irq::with_irqs_off(|irqs| {
            self.lock(irqs).grows_in_flight[(epoch & 1) as usize] -= 1;
        });
        result
    }

    /// A chunk from the kernel that is not of a CMA area, its pages PageOffline.
    fn take_chunk(&self) -> Result<Chunk> {
        let mut cma = KVec::<Chunk>::new();
        loop {
            let chunk = Chunk::alloc(self.nid, self.chunks.order(), self.kind)?;
            if !chunk.pages().is_cma() {
                for page in chunk.pages().iter() {
                    page.set_offline();
                }
                return Ok(chunk);
            }
            if cma.is_empty() {
                pr_info!(
                    "grow: the chunk at pfn {:#x} is in a CMA area: not kept\n",
                    chunk.pages().start_pfn()
                );
            }
            // Held aside until the end, so that the allocator offers another: the CMA areas
            // are finite, so this ends.
            cma.push(chunk, GFP_KERNEL)?;
        }
    }

    /// Closes the zone if it holds no chunk, for its node's teardown: then no grow can add one
    /// (it gets `ENODEV`), so no page of the zone exists from here on. Returns whether it did.
    pub(crate) fn close(&self) -> bool {
        crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            zone.closed = zone.counters.nr_chunks == 0;
            zone.closed
        })
    }

    fn is_closed(&self) -> bool {
        crate::compat::irq::with_irqs_off(|irqs| self.lock(irqs).closed)
    }

    /// Puts `chunk` in the table and its pages on the movable free list, under the zone lock;
    /// gives it back if the table is full or the zone closed.
    fn insert_chunk(&self, chunk: Chunk) -> Result<BlockId, Chunk> {
        crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            if zone.closed {
                return Err(chunk);
            }
            let inner = &mut *zone;
            let n = chunk.pages().nr_pages();
            let slot = self.chunks.insert(chunk)?;
            self.block_mt[slot.index()].store(MigrateType::Movable as u8, Relaxed);
            let block = &mut inner.block_free[slot.index()];
            let word = PageWord::new(slot, PageState::Free, 0);
            // Highest first, so that allocation hands the lowest pfn out first.
            for page in self
                .chunks
                .get(slot, irqs)
                .into_iter()
                .flat_map(|c| c.iter())
                .rev()
            {
                page.word().store(word.raw(), Relaxed);
                // SAFETY: a page of the chunk just put in `chunks`, on no list yet.
                unsafe { block.push_head(page) };
            }
            inner.free_blocks[MigrateType::Movable as usize].push_head(&self.block_links, slot);
            inner.counters.nr_free += n;
            inner.counters.nr_pages += n;
            inner.counters.nr_chunks += 1;
            inner.counters.grows += 1;
            Ok(slot)
        })
    }

    /// `MEM_GOING_OFFLINE` for the pfn range `[start, end)`: returns how many pool chunks are
    /// there. The core has isolated the range, so no grow that begins from now on can take a
    /// chunk there; one that began before may hold one taken just before the isolation, not
    /// yet in the books (PageOffline with refcount 1, which the offline could neither migrate
    /// nor see handed over), so this waits until those have finished. Sleeps.
    pub(crate) fn begin_offline(&self, start: usize, end: usize) -> usize {
        let old = crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            zone.epoch += 1;
            (zone.epoch - 1) & 1
        });
        while crate::compat::irq::with_irqs_off(|irqs| {
            self.lock(irqs).grows_in_flight[old as usize]
        }) > 0
        {
            crate::compat::kthread::msleep(1);
        }
        crate::compat::irq::with_irqs_off(|irqs| self.slots_in(irqs, start, end).count())
    }

    /// Whether an offline has begun since offline epoch `epoch` (for a test's injected delay).
    pub(crate) fn offline_since(&self, epoch: u64) -> bool {
        crate::compat::irq::with_irqs_off(|irqs| self.lock(irqs).epoch != epoch)
    }

    /// Moves up to `count` free movable pages onto `list` as pcp pages, in one pass under the
    /// lock (`rmqueue_bulk()`). Returns how many it moved. Out of line: the fast path only
    /// calls it when the pageset is empty.
    ///
    /// # Safety
    ///
    /// `list` is a pageset of this zone's pool: it holds only pages of this zone's chunks.
    #[cold]
    #[inline(never)]
    pub(crate) unsafe fn rmqueue_bulk(
        &self,
        irqs: IrqDisabled<'_>,
        count: u32,
        list: &mut PageList,
    ) -> u32 {
        let mut zone = self.lock(irqs);
        let ZoneInner {
            block_free,
            free_blocks,
            counters,
            ..
        } = &mut *zone;
        let movable = &mut free_blocks[MigrateType::Movable as usize];
        let mut moved = 0;
        while moved < count {
            let Some(slot) = movable.first() else {
                break;
            };
            let block = &mut block_free[slot.index()];
            let word = PageWord::new(slot, PageState::Pcp, 0);
            while moved < count {
                // SAFETY: a free list of this zone, under its lock (type invariant); the page is
                // used in this IRQs-off section.
                let Some(page) = (unsafe { block.pop_head(irqs) }) else {
                    break;
                };
                page.word().store(word.raw(), Relaxed);
                // SAFETY: a page of this zone's chunks, just taken off its free list, onto a
                // list of this zone (the caller's contract).
                unsafe { list.push_head(page) };
                moved += 1;
            }
            if block.is_empty() {
                movable.remove(&self.block_links, slot);
            }
        }
        counters.nr_free -= moved as usize;
        counters.refills += 1;
        // Under the lock, as the kernel's `mm_page_pcpu_drain`: the events come in the order
        // of the changes they report.
        trace::refill(self.nid, count, moved, counters.nr_free);
        moved
    }

    /// Gives `count` pages from the cold end of `list` back to the free lists, in one pass
    /// under the lock (`free_pcppages_bulk()`). Out of line, as the refill.
    ///
    /// # Safety
    ///
    /// As for [`PoolZone::rmqueue_bulk`].
    #[cold]
    #[inline(never)]
    pub(crate) unsafe fn free_pcppages_bulk(
        &self,
        irqs: IrqDisabled<'_>,
        list: &mut PageList,
        count: u32,
    ) {
        let mut zone = self.lock(irqs);
        let mut freed = 0;
        while freed < count {
            // SAFETY: a list of this zone (the caller's contract), used in this section.
            let Some(page) = (unsafe { list.pop_tail(irqs) }) else {
                break;
            };
            // SAFETY: a page of this zone's chunks, just taken off a list.
            unsafe { self.free_one_locked(&mut zone, page) };
            freed += 1;
        }
        zone.counters.flushes += 1;
        trace::flush(self.nid, count, freed, zone.counters.nr_free);
    }

    /// Frees one page straight to its pageblock's free list (`free_one_page()`).
    ///
    /// # Safety
    ///
    /// `page` is a page of this zone's chunks that the caller owns, on no list.
    #[cold]
    #[inline(never)]
    pub(crate) unsafe fn free_one(&self, irqs: IrqDisabled<'_>, page: PageRef<'_>) {
        let mut zone = self.lock(irqs);
        // SAFETY: the caller's contract.
        unsafe { self.free_one_locked(&mut zone, page) };
    }

    /// # Safety
    ///
    /// As for [`PoolZone::free_one`].
    unsafe fn free_one_locked(&self, inner: &mut ZoneInner, page: PageRef<'_>) {
        let word = page.load_word();
        // The word of a page of this zone's chunks names its slot.
        let slot = word.slot();
        // Under the lock the migratetype is stable: isolation changes it under the lock.
        let mt = MigrateType::from_u8(self.block_mt[slot.index()].load(Relaxed));
        page.word()
            .store(word.with(PageState::Free, 0).raw(), Relaxed);
        let block = &mut inner.block_free[slot.index()];
        if block.is_empty() {
            inner.free_blocks[mt as usize].push_head(&self.block_links, slot);
        }
        // SAFETY: the caller's contract; onto its own pageblock's free list.
        unsafe { block.push_head(page) };
        match mt {
            MigrateType::Movable => inner.counters.nr_free += 1,
            MigrateType::Isolate => inner.counters.nr_isolated_free += 1,
        }
    }

    /// The pageblocks (chunk slots) with a page in the pfn range `[start, end)`. Sleeps.
    pub(crate) fn blocks_in(&self, start: usize, end: usize) -> Result<KVec<BlockId>> {
        let mut slots = KVec::with_capacity(self.max_chunks(), GFP_KERNEL)?;
        crate::compat::irq::with_irqs_off(|irqs| {
            for slot in self.slots_in(irqs, start, end) {
                // Within the capacity reserved above: no allocation here.
                slots.push(slot, GFP_ATOMIC)?;
            }
            Ok(slots)
        })
    }

    /// Sets pageblock `slot`'s migratetype to `mt` and moves its free pages, in one step
    /// (`set_migratetype_isolate()` for one pageblock). Returns whether it changed.
    pub(crate) fn set_block_migratetype(&self, slot: BlockId, mt: MigrateType) -> bool {
        crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            let inner = &mut *zone;
            self.chunks.get(slot, irqs).is_some()
                && self.move_block(
                    &mut inner.free_blocks,
                    &mut inner.counters,
                    slot,
                    &self.block_mt[slot.index()],
                    inner.block_free[slot.index()].len() as usize,
                    mt,
                )
        })
    }

    /// Sets the migratetype of every pageblock with a page in the pfn range `[start, end)` to
    /// `mt` and moves their free pages to `mt`'s free list, one step per pageblock, counters
    /// exact (`set_pageblock_migratetype()` + `move_freepages_block()`). Returns the pageblocks
    /// changed.
    pub(crate) fn set_migratetype_range(&self, start: usize, end: usize, mt: MigrateType) -> usize {
        crate::compat::irq::with_irqs_off(|irqs| {
            let mut zone = self.lock(irqs);
            let ZoneInner {
                block_free,
                free_blocks,
                counters,
                ..
            } = &mut *zone;
            let mut changed = 0usize;
            // Zipped: the tables all have `max_chunks` entries, so a slot's own entries need no
            // bounds check (this loop is most of an isolation of a large range).
            let blocks = (self.chunks.in_range(irqs, start, end))
                .zip(self.block_mt.iter())
                .zip(block_free.iter());
            for (slot, ((in_range, block_mt), free)) in blocks.enumerate() {
                if in_range {
                    let slot = BlockId::at(slot as u32);
                    let moved = free.len() as usize;
                    let c = self.move_block(free_blocks, counters, slot, block_mt, moved, mt);
                    // At most `max_chunks` pageblocks.
                    changed = changed.wrapping_add(usize::from(c));
                }
            }
            changed
        })
    }

    /// Moves pageblock `slot`, of migratetype `block_mt` with `moved` free pages, to
    /// migratetype `mt`, with its free pages; false if it was `mt`.
    #[inline(always)]
    fn move_block(
        &self,
        free_blocks: &mut [BlockList; 2],
        counters: &mut ZoneCounters,
        slot: BlockId,
        block_mt: &AtomicU8,
        moved: usize,
        mt: MigrateType,
    ) -> bool {
        let old = MigrateType::from_u8(block_mt.load(Relaxed));
        if old == mt {
            return false;
        }
        block_mt.store(mt as u8, Relaxed);
        if moved > 0 {
            free_blocks[old as usize].remove(&self.block_links, slot);
            free_blocks[mt as usize].push_head(&self.block_links, slot);
        }
        let c = counters;
        let (from, to) = match mt {
            MigrateType::Isolate => (&mut c.nr_free, &mut c.nr_isolated_free),
            MigrateType::Movable => (&mut c.nr_isolated_free, &mut c.nr_free),
        };
        // The moved pages were counted in `from`, and no count comes near `usize::MAX`.
        debug_assert!(*from >= moved);
        *from = from.wrapping_sub(moved);
        *to = to.wrapping_add(moved);
        true
    }

    /// Pages of pageblocks `slots` that are not free (allocated, or on a pcp list): after an
    /// isolation, the pages clients hold. Returns their number and the first one's pfn.
    pub(crate) fn busy_in(&self, slots: &[BlockId]) -> (usize, Option<usize>) {
        let (mut n, mut first) = (0, None);
        for &slot in slots {
            crate::compat::irq::with_irqs_off(|irqs| {
                for page in self
                    .chunks
                    .get(slot, irqs)
                    .into_iter()
                    .flat_map(|c| c.iter())
                {
                    if page.load_word().state() != PageState::Free {
                        n += 1;
                        first = first.or(Some(page.pfn()));
                    }
                }
            });
        }
        (n, first)
    }

    /// Gives every page of pageblocks `slots` to memory offlining: drops each page's reference
    /// to 0 and keeps it PageOffline, so `test_pages_isolated()` counts it free and
    /// `__offline_isolated_pages()` skips it (the virtio-mem protocol). Every page must be free
    /// in an isolated pageblock. Returns the pages handed over, and how many did not reach 0
    /// (a reference someone else holds); [`PoolZone::take_back`] undoes it either way.
    ///
    /// The pages also leave the zone's `managed` count and totalram here: `offline_pages()`
    /// takes out of them only the pages it offlines itself, and counts PageOffline ones as
    /// offline already, as virtio-mem's are (it adjusts when it takes them).
    pub(crate) fn hand_over(&self, slots: &[BlockId]) -> (usize, usize) {
        let (mut n, mut stuck) = (0, 0);
        // One IRQs-off section per pageblock, as `move_freepages_block()` takes the zone lock.
        for &slot in slots {
            self.handed_over[slot.index()].store(true, Relaxed);
            crate::compat::irq::with_irqs_off(|irqs| {
                if let Some(chunk) = self.chunks.get(slot, irqs) {
                    for page in chunk.iter() {
                        n += 1;
                        stuck += usize::from(!page.ref_dec_and_test());
                    }
                    chunk.adjust_managed(-(chunk.nr_pages() as isize));
                }
            });
        }
        (n, stuck)
    }

    /// Takes back what [`PoolZone::hand_over`] gave: each page's reference, from 0 to 1, and
    /// the pages in the kernel's `managed` and totalram counts (`MEM_CANCEL_OFFLINE`).
    pub(crate) fn take_back(&self, slots: &[BlockId]) {
        for &slot in slots {
            crate::compat::irq::with_irqs_off(|irqs| {
                if let Some(chunk) = self.chunks.get(slot, irqs) {
                    chunk.iter().for_each(|page| page.ref_inc());
                    chunk.adjust_managed(chunk.nr_pages() as isize);
                }
            });
            self.handed_over[slot.index()].store(false, Relaxed);
        }
    }

    /// Drops pageblocks `slots`, whose memory went offline, from the books (`MEM_OFFLINE`):
    /// their free pages leave the isolate list and the counters, their chunks leave the table,
    /// and their `struct page`s are never touched again. Each must be isolated and wholly
    /// free. Returns the pageblocks dropped. Sleeps (it waits for lockless readers).
    pub(crate) fn remove_offline(&self, slots: &[BlockId]) -> usize {
        let per_chunk = self.pages_per_chunk();
        let mut removed = 0;
        // One zone-lock section per pageblock.
        for &slot in slots {
            removed += crate::compat::irq::with_irqs_off(|irqs| {
                let mut zone = self.lock(irqs);
                let inner = &mut *zone;
                let mt = MigrateType::from_u8(self.block_mt[slot.index()].load(Relaxed));
                let free = inner.block_free[slot.index()].len();
                if self.chunks.get(slot, irqs).is_none()
                    || mt != MigrateType::Isolate
                    || free != per_chunk
                {
                    pr_err!(
                        "pageblock {} not dropped: {:?}, {} of {} pages free\n",
                        slot,
                        mt,
                        free,
                        per_chunk
                    );
                    return 0;
                }
                inner.free_blocks[mt as usize].remove(&self.block_links, slot);
                // Their `lru` and `private` are left as they are: the pages are the core's.
                inner.block_free[slot.index()] = PageList::EMPTY;
                self.block_mt[slot.index()].store(MigrateType::Movable as u8, Relaxed);
                self.handed_over[slot.index()].store(false, Relaxed);
                let c = &mut inner.counters;
                c.nr_isolated_free -= per_chunk as usize;
                c.nr_pages -= per_chunk as usize;
                c.nr_chunks -= 1;
                c.offlined += 1;
                // Under the lock, so that a scan sees the chunk and its pages leave together.
                self.chunks.forget_offline(slot);
                1
            });
        }
        self.chunks.wait_for_readers();
        removed
    }

    /// Gives up to `nr` wholly free movable pageblocks back to the kernel, highest pfn first,
    /// and returns how many. A pageblock with a page allocated or on a pcp list stays. Sleeps
    /// (it waits for lockless readers before freeing, expedited: reclaim retries its
    /// allocation as soon as the scan returns, and the pages must be there by then), and
    /// allocates nothing: it runs in reclaim.
    ///
    /// Highest pfn first: ZONE_MOVABLE and hot-added memory lie at the top of a node, and
    /// virtio-mem unplugs from the top down, so the blocks most likely to be offlined next are
    /// the first to lose their pool pages.
    pub(crate) fn shrink(&self, nr: usize) -> usize {
        /// Pageblocks taken out per zone-lock section, and per wait for readers.
        const BATCH: usize = 16;
        let per_chunk = self.pages_per_chunk();
        let mut given = 0;
        while given < nr {
            let want = (nr - given).min(BATCH);
            let mut taken: [Option<Chunk>; BATCH] = Default::default();
            let n = crate::compat::irq::with_irqs_off(|irqs| {
                let mut zone = self.lock(irqs);
                let inner = &mut *zone;
                // The `want` highest wholly free pageblocks, highest first.
                let mut best: [(usize, BlockId); BATCH] = [(0, BlockId::at(0)); BATCH];
                let mut n = 0;
                let movable = &inner.free_blocks[MigrateType::Movable as usize];
                for slot in movable.iter(&self.block_links) {
                    if inner.block_free[slot.index()].len() != per_chunk {
                        continue;
                    }
                    let Some(pfn) = self.chunks.get(slot, irqs).map(|c| c.start_pfn()) else {
                        continue;
                    };
                    let mut i = n.min(want);
                    while i > 0 && best[i - 1].0 < pfn {
                        if i < want {
                            best[i] = best[i - 1];
                        }
                        i -= 1;
                    }
                    if i < want {
                        best[i] = (pfn, slot);
                        n = (n + 1).min(want);
                    }
                }
                for (&(_, slot), out) in best[..n].iter().zip(taken.iter_mut()) {
                    inner.free_blocks[MigrateType::Movable as usize]
                        .remove(&self.block_links, slot);
                    // The pages leave the lists; their words stay Free, so a stray free of one
                    // is still refused until the chunk is gone.
                    inner.block_free[slot.index()] = PageList::EMPTY;
                    let c = &mut inner.counters;
                    c.nr_free -= per_chunk as usize;
                    c.nr_pages -= per_chunk as usize;
                    c.nr_chunks -= 1;
                    c.shrinks += 1;
                    // Under the lock, so that a scan sees the chunk and its pages leave together.
                    *out = self.chunks.take(slot);
                }
                n
            });
            if n == 0 {
                break;
            }
            self.chunks.wait_for_readers_expedited();
            for chunk in taken.iter_mut().filter_map(Option::take) {
                for page in chunk.pages().iter() {
                    page.word().store(PageWord::NONE.raw(), Relaxed);
                }
                trace::shrink(self.nid, chunk.pages().start_pfn(), per_chunk as usize);
                // Frees the pages to the buddy allocator.
                drop(chunk);
            }
            given += n;
            crate::compat::kthread::cond_resched();
        }
        given
    }

    /// The reference count every page of pageblock `slot` should have: 1 (the pool's), or 0
    /// while memory offlining holds it.
    pub(crate) fn expected_refcount(&self, slot: BlockId) -> i32 {
        if self.handed_over[slot.index()].load(Relaxed) {
            0
        } else {
            1
        }
    }

    /// Free pages of `mt` pageblocks with a page in `[start, end)`, under the lock (for checks).
    pub(crate) fn free_in_range(
        &self,
        irqs: IrqDisabled<'_>,
        inner: &ZoneInner,
        start: usize,
        end: usize,
        mt: MigrateType,
    ) -> usize {
        self.slots_in(irqs, start, end)
            .filter(|&slot| MigrateType::from_u8(self.block_mt[slot.index()].load(Relaxed)) == mt)
            .map(|slot| inner.block_free[slot.index()].len() as usize)
            .sum()
    }

    /// Pages in pageblocks with a page in `[start, end)` that are in state `state` now (for
    /// checks).
    pub(crate) fn count_in_range(
        &self,
        irqs: IrqDisabled<'_>,
        start: usize,
        end: usize,
        state: PageState,
    ) -> usize {
        let mut count = 0;
        for slot in self.slots_in(irqs, start, end) {
            count += (self
                .chunks
                .get(slot, irqs)
                .into_iter()
                .flat_map(|c| c.iter()))
            .filter(|page| page.load_word().state() == state)
            .count();
        }
        count
    }

    /// The pfn of page `id`, while IRQs stay off.
    pub(crate) fn pfn(&self, irqs: IrqDisabled<'_>, id: PageId) -> Option<usize> {
        self.page(irqs, id).map(|p| p.pfn())
    }

    /// The migratetype of pageblock `slot`, read without the lock. Read it with IRQs off on the
    /// free path, so that an isolation's IPI drain cannot fall between the read and the use.
    #[inline(always)]
    pub(crate) fn migratetype(&self, _irqs: IrqDisabled<'_>, slot: BlockId) -> MigrateType {
        MigrateType::from_u8(self.block_mt[slot.index()].load(Relaxed))
    }

    /// The word of page `id` (state and holder), while IRQs stay off.
    pub(crate) fn word(&self, irqs: IrqDisabled<'_>, id: PageId) -> Option<PageWord> {
        Some(PageWord::from_raw(
            self.page(irqs, id)?.word().load(Relaxed),
        ))
    }

    /// The id of `page`, a page of this zone's chunks.
    pub(crate) fn id_of_page(&self, irqs: IrqDisabled<'_>, page: PageRef<'_>) -> Option<PageId> {
        let (slot, offset) = self.chunks.position(page, irqs)?;
        Some(PageId::new(slot, self.chunks.order(), offset))
    }

    /// The page `id`, while IRQs stay off.
    #[inline]
    pub(crate) fn page<'a>(&'a self, irqs: IrqDisabled<'a>, id: PageId) -> Option<PageRef<'a>> {
        let (slot, offset) = self.split(id);
        Some(self.chunks.get(slot, irqs)?.nth(offset))
    }

    /// A page a client passed in, and its word, if it is a page of this zone's chunks.
    #[inline(always)]
    pub(crate) fn find<'a>(
        &'a self,
        irqs: IrqDisabled<'a>,
        page: RawPage,
    ) -> Option<(PageRef<'a>, PageWord)> {
        self.chunks.find(page, irqs)
    }

    /// A snapshot of the counters.
    pub(crate) fn counters(&self) -> ZoneCounters {
        crate::compat::irq::with_irqs_off(|irqs| self.lock(irqs).counters)
    }

    /// Pages shrinks gave back: every shrink is one chunk.
    pub(crate) fn pages_returned(&self, c: &ZoneCounters) -> u64 {
        c.shrinks * u64::from(self.pages_per_chunk())
    }

    /// Calls `f(start_pfn, migratetype, free pages)` for each pageblock, under the lock with
    /// IRQs off: `f` must not sleep (nor allocate with `GFP_KERNEL`).
    pub(crate) fn for_each_pageblock(&self, mut f: impl FnMut(usize, MigrateType, u32)) {
        crate::compat::irq::with_irqs_off(|irqs| {
            let zone = self.lock(irqs);
            for slot in self.slots(irqs) {
                if let Some(chunk) = self.chunks.get(slot, irqs) {
                    let mt = MigrateType::from_u8(self.block_mt[slot.index()].load(Relaxed));
                    f(chunk.start_pfn(), mt, zone.block_free[slot.index()].len());
                }
            }
        })
    }

    /// The slots whose chunk has a page in the pfn range `[start, end)`.
    fn slots_in<'a>(
        &'a self,
        irqs: IrqDisabled<'a>,
        start: usize,
        end: usize,
    ) -> impl Iterator<Item = BlockId> + 'a {
        self.chunks.slots_in(irqs, start, end)
    }

    /// The slots that hold a chunk.
    pub(crate) fn slots<'a>(&'a self, irqs: IrqDisabled<'a>) -> impl Iterator<Item = BlockId> + 'a {
        BlockId::all(self.max_chunks()).filter(move |&s| self.chunks.get(s, irqs).is_some())
    }
}

fn empty_lists(n: usize) -> Result<KVec<PageList>> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        v.push(PageList::EMPTY, GFP_KERNEL)?;
    }
    Ok(v)
}
