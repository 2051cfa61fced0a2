// SPDX-License-Identifier: GPL-2.0

//! Chunks: pageblock-sized allocations taken from a zone, the per-page state pcpool manages in
//! them (PageOffline, the reference count, `page->private`, the contents), and the table that
//! finds a page's chunk.
//!
//! The fast paths find a page's chunk with IRQs off and no lock. Since 5.0 an IRQs-off section
//! is an RCU read-side critical section, so a chunk can leave the table while the pool runs
//! once its slot is cleared and `synchronize_rcu()` has returned: no reader can still see it.
//! A chunk leaves the table while the pool runs only when memory hotplug takes it offline
//! ([`ChunkTable::forget_offline`] in `MEM_OFFLINE`, then [`ChunkTable::wait_for_readers`] before
//! the callback returns, while the memmap is still there); the others leave with the table.

use crate::compat::{irq::IrqDisabled, sys};
use crate::page_list::{BlockId, Entry, PageState, PageWord};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{AtomicPtr, AtomicUsize, Ordering, Ordering::Relaxed},
};
use kernel::{bindings, page::PAGE_SIZE, prelude::*};

/// A page frame number.
pub(crate) type Pfn = usize;

/// `NUMA_NO_NODE`, asserted in rust/helpers/page.c.
pub(crate) const NUMA_NO_NODE: i32 = -1;

/// `pageblock_order`: the order of the unit the page allocator tracks migratetypes in.
pub(crate) fn pageblock_order() -> u32 {
    // SAFETY: reads a value fixed at boot.
    unsafe { sys::pcpool_pageblock_order() }
}

/// The kernel's usable RAM in pages, MemTotal (`totalram_pages()`).
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
pub(crate) fn totalram_pages() -> usize {
    // SAFETY: reads an atomic counter.
    unsafe { sys::pcpool_totalram_pages() }
}

/// Which zone a chunk comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneKind {
    /// ZONE_MOVABLE where the machine has one, so the memory can be offlined.
    Movable,
    /// ZONE_NORMAL.
    Normal,
}

/// `2^order` physically contiguous, naturally aligned pages from the page allocator, split into
/// order-0 pages (`split_page()`), each with its own reference count.
///
/// # Invariants
///
/// `first` is the first of `1 << order` pages allocated and split by `pcpool_alloc_chunk()`,
/// owned by this value until `drop` (or [`Chunk::forget_offlined`]).
pub(crate) struct Chunk {
    first: NonNull<bindings::page>,
    order: u32,
}

// SAFETY: the chunk owns its pages; they are not tied to a thread.
unsafe impl Send for Chunk {}
// SAFETY: `&Chunk` only reads immutable fields or goes through `PageRef`, whose operations are
// atomic in the kernel.
unsafe impl Sync for Chunk {}

impl Chunk {
    /// Allocates a chunk of `2^order` pages on node `nid` (or any with [`NUMA_NO_NODE`]).
    pub(crate) fn alloc(nid: i32, order: u32, zone: ZoneKind) -> Result<Self> {
        // SAFETY: any node id or `NUMA_NO_NODE`, and an order the allocator checks itself.
        let page = unsafe { sys::pcpool_alloc_chunk(nid, order, zone == ZoneKind::Movable) };
        // INVARIANT: allocated and split above.
        Ok(Self {
            first: NonNull::new(page).ok_or(ENOMEM)?,
            order,
        })
    }

    /// The chunk's pages, borrowed with it.
    pub(crate) fn pages(&self) -> ChunkRef<'_> {
        // INVARIANT: the chunk owns its pages while borrowed.
        ChunkRef {
            first: self.first,
            order: self.order,
            _borrow: PhantomData,
        }
    }

    /// Gives up ownership without freeing: [`Chunk::from_raw`] takes it back.
    pub(super) fn into_raw(self) -> NonNull<bindings::page> {
        let first = self.first;
        core::mem::forget(self);
        first
    }

    /// # Safety
    ///
    /// `first` came from [`Chunk::into_raw`] of a chunk of `order`, and is not used as a chunk
    /// elsewhere any more.
    pub(super) unsafe fn from_raw(first: NonNull<bindings::page>, order: u32) -> Self {
        // INVARIANT: the caller hands back what `into_raw` gave up.
        Self { first, order }
    }
}

/// A view of the pages of a chunk that lives for `'a`.
///
/// # Invariants
///
/// `first` is the first of the `1 << order` pages of a chunk that stays allocated for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct ChunkRef<'a> {
    first: NonNull<bindings::page>,
    order: u32,
    _borrow: PhantomData<&'a Chunk>,
}

impl<'a> ChunkRef<'a> {
    /// # Safety
    ///
    /// `first` is the first page of a chunk of `order` that stays allocated for `'a`.
    #[inline]
    pub(super) unsafe fn new(first: NonNull<bindings::page>, order: u32) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            first,
            order,
            _borrow: PhantomData,
        }
    }

    /// Number of pages in the chunk.
    #[inline]
    pub(crate) fn nr_pages(&self) -> usize {
        1 << self.order
    }

    /// The first pfn.
    pub(crate) fn start_pfn(&self) -> Pfn {
        // SAFETY: `first` is a valid page (type invariant).
        unsafe { sys::pcpool_page_to_pfn(self.first.as_ptr()) }
    }

    /// Whether `pfn` lies in this chunk.
    pub(crate) fn contains(&self, pfn: Pfn) -> bool {
        (self.start_pfn()..self.start_pfn() + self.nr_pages()).contains(&pfn)
    }

    /// The page at `pfn`, if it belongs to this chunk.
    pub(crate) fn page(&self, pfn: Pfn) -> Option<PageRef<'a>> {
        if !self.contains(pfn) {
            return None;
        }
        Some(self.nth(pfn - self.start_pfn()))
    }

    /// The `n`th page; `n` is below [`ChunkRef::nr_pages`].
    #[inline]
    pub(crate) fn nth(&self, n: usize) -> PageRef<'a> {
        let n = n.min(self.nr_pages() - 1);
        // SAFETY: the chunk's pages are contiguous in the memmap (`split_page()` of one
        // allocation), and `n` is inside the chunk, so the result is a valid, non-null page.
        let page = unsafe { NonNull::new_unchecked(self.first.as_ptr().add(n)) };
        // INVARIANT: a page of this chunk, alive for `'a`.
        PageRef {
            page,
            _chunk: PhantomData,
        }
    }

    /// The index of `page` in the chunk, if it is one of the chunk's pages: pointer arithmetic
    /// on the memmap, no dereference.
    #[inline(always)]
    pub(crate) fn index_of(&self, page: RawPage) -> Option<usize> {
        let size = core::mem::size_of::<bindings::page>();
        let delta = (page.0.as_ptr() as usize).wrapping_sub(self.first.as_ptr() as usize);
        // `order` is the pageblock order, far below the word size.
        (delta % size == 0 && (delta / size).wrapping_shr(self.order) == 0).then_some(delta / size)
    }

    /// Whether the chunk's first pageblock belongs to a CMA area (`is_migrate_cma_page()`).
    pub(crate) fn is_cma(&self) -> bool {
        // SAFETY: `first` is a valid page (type invariant).
        unsafe { sys::pcpool_page_is_cma(self.first.as_ptr()) }
    }

    /// `adjust_managed_page_count()`: `delta` pages more (or fewer, if negative) in the
    /// chunk's zone's `managed` and in totalram (MemTotal).
    pub(crate) fn adjust_managed(&self, delta: isize) {
        // SAFETY: `first` is a valid page (type invariant); the counters are atomics.
        unsafe { bindings::adjust_managed_page_count(self.first.as_ptr(), delta as _) };
    }

    /// The pages of the chunk, in pfn order.
    pub(crate) fn iter(self) -> impl DoubleEndedIterator<Item = PageRef<'a>> {
        (0..self.nr_pages()).map(move |n| self.nth(n))
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        for page in self.pages().iter() {
            if page.ref_count() != 1 {
                // Freeing would corrupt the allocator; leaking one page is the lesser harm.
                pr_err!(
                    "pfn {:#x} has refcount {}, leaked\n",
                    page.pfn(),
                    page.ref_count()
                );
                continue;
            }
            if page.is_offline() {
                page.clear_offline();
            }
            // SAFETY: each page came from `split_page()` with its own reference, which this
            // chunk owns (type invariant) and gives back here, once.
            unsafe { bindings::__free_pages(page.page.as_ptr(), 0) };
        }
    }
}

/// Whether `nid` is an online NUMA node.
pub(crate) fn node_online(nid: i32) -> bool {
    // SAFETY: any value; the shim checks the range.
    unsafe { sys::pcpool_node_online(nid) }
}

/// The address of a pool page as C clients see it (`struct page *`): a plain value that can be
/// handed out and compared, never dereferenced outside `ffi`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct RawPage(pub(super) NonNull<bindings::page>);

impl RawPage {
    /// A `struct page *` from C: `None` for NULL, any other value as it is (a page of the
    /// pool or not: the pool looks it up).
    #[inline]
    pub(crate) fn from_ptr(page: *mut bindings::page) -> Option<Self> {
        NonNull::new(page).map(Self)
    }

    /// The `struct page *` to hand to C.
    #[inline]
    pub(crate) fn as_ptr(self) -> *mut bindings::page {
        self.0.as_ptr()
    }
}

/// Logs name the pfn, not the kernel address (which `%px` would leak to the log).
impl core::fmt::Debug for RawPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: `page_to_pfn()` is memmap arithmetic on the pointer's value (SPARSEMEM_VMEMMAP,
        // as on every x86-64 config): it never dereferences, so any value is fine.
        let pfn = unsafe { sys::pcpool_page_to_pfn(self.0.as_ptr()) };
        write!(f, "the page at pfn {:#x}", pfn)
    }
}

/// One page of a [`Chunk`], borrowed from it.
///
/// # Invariants
///
/// `page` is a page of a chunk that stays allocated for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct PageRef<'a> {
    page: NonNull<bindings::page>,
    _chunk: PhantomData<&'a Chunk>,
}

impl PageRef<'_> {
    /// # Safety
    ///
    /// `page` is a page of a chunk that stays allocated for `'a`.
    #[inline(always)]
    pub(crate) unsafe fn from_raw<'a>(page: *mut bindings::page) -> PageRef<'a> {
        // INVARIANT: guaranteed by the caller.
        PageRef {
            // SAFETY: a page of a chunk is not NULL (the contract).
            page: unsafe { NonNull::new_unchecked(page) },
            _chunk: PhantomData,
        }
    }

    /// The `struct page`.
    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut bindings::page {
        self.page.as_ptr()
    }

    /// The page's address for C clients.
    #[inline]
    pub(crate) fn raw(&self) -> RawPage {
        RawPage(self.page)
    }

    /// The page's pfn.
    pub(crate) fn pfn(&self) -> Pfn {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_to_pfn(self.page.as_ptr()) }
    }

    /// The page's kernel virtual address (`page_address()`); the direct map covers it.
    pub(crate) fn address(&self) -> usize {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_address(self.page.as_ptr()) as usize }
    }

    /// Fills the page with zeroes.
    pub(crate) fn zero(&self) {
        // SAFETY: a page the chunk owns (type invariant); nobody else maps it.
        unsafe { sys::pcpool_clear_page(self.page.as_ptr()) };
    }

    /// `page_ref_count()`.
    pub(crate) fn ref_count(&self) -> i32 {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_ref_count(self.page.as_ptr()) }
    }

    /// `page_ref_inc()`: takes back the reference that [`PageRef::ref_dec_and_test`] gave up
    /// (MEM_CANCEL_OFFLINE).
    pub(crate) fn ref_inc(&self) {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_ref_inc(self.page.as_ptr()) };
    }

    /// `page_ref_dec_and_test()`: drops the chunk's reference, so that offlining treats a
    /// PageOffline page as free (the virtio-mem protocol). Returns whether it reached 0.
    pub(crate) fn ref_dec_and_test(&self) -> bool {
        // SAFETY: a valid page (type invariant). A PageOffline page at count 0 is not freed:
        // only `put_page()` frees, and pcpool's pages are never mapped or on an LRU, so
        // nothing else holds a reference to put.
        unsafe { sys::pcpool_page_ref_dec_and_test(self.page.as_ptr()) }
    }

    /// `PageOffline()`.
    pub(crate) fn is_offline(&self) -> bool {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_offline(self.page.as_ptr()) }
    }

    /// `__SetPageOffline()`: the page is logically the pool's, not the kernel's.
    pub(crate) fn set_offline(&self) {
        // SAFETY: a page the chunk owns (type invariant), so its page type is ours to set.
        unsafe { sys::pcpool_set_page_offline(self.page.as_ptr()) };
    }

    /// `__ClearPageOffline()`.
    pub(crate) fn clear_offline(&self) {
        // SAFETY: a page the chunk owns (type invariant) and marked PageOffline by us.
        unsafe { sys::pcpool_clear_page_offline(self.page.as_ptr()) };
    }

    /// The page's [`PageWord`], read once.
    #[inline(always)]
    pub(crate) fn load_word(&self) -> PageWord {
        PageWord::from_raw(self.word().load(Relaxed))
    }

    /// The page's word in `page->private` ([`PageWord`]), which the chunk table sets when it
    /// takes the chunk in and the pool changes as the page moves.
    #[inline(always)]
    pub(crate) fn word(&self) -> &AtomicUsize {
        // SAFETY: a page of a chunk pcpool owns (type invariant), so `private` is ours, and
        // every access to it while the chunk is in a table is through this atomic (a client
        // must not touch it, include/pcpool.h); the field is a naturally aligned `usize`.
        unsafe {
            AtomicUsize::from_ptr(core::ptr::addr_of_mut!(
                (*self.page.as_ptr())
                    .__bindgen_anon_1
                    .__bindgen_anon_1
                    .private
            ))
        }
    }

    /// The managed pages of the page's zone (`zone_managed_pages()`).
    #[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
    pub(crate) fn zone_managed_pages(&self) -> usize {
        // SAFETY: a valid page (type invariant).
        unsafe { sys::pcpool_page_zone_managed_pages(self.page.as_ptr()) }
    }

    /// The page's zone, if it is one pcpool takes chunks from.
    pub(crate) fn zone(&self) -> Option<ZoneKind> {
        // SAFETY: a valid page (type invariant).
        match unsafe { sys::pcpool_page_zone(self.page.as_ptr()) } {
            0 => Some(ZoneKind::Normal),
            1 => Some(ZoneKind::Movable),
            _ => None,
        }
    }

    /// The page's contents as words. Atomic, because a `PageRef` is shared: relaxed atomic
    /// accesses cannot race, where plain ones from two holders could.
    fn words(&self) -> &[AtomicUsize] {
        const WORDS: usize = PAGE_SIZE / core::mem::size_of::<usize>();
        // SAFETY: the page is the chunk's (type invariant), mapped in the direct map at a
        // page-aligned address for as long as the chunk is borrowed; `AtomicUsize` has the
        // size and alignment of `usize`, and every bit pattern is valid.
        unsafe { core::slice::from_raw_parts(self.address() as *const AtomicUsize, WORDS) }
    }

    /// Sets every byte of the page to `byte`.
    #[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
    pub(crate) fn fill(&self, byte: u8) {
        let word = usize::from_ne_bytes([byte; core::mem::size_of::<usize>()]);
        self.words().iter().for_each(|w| w.store(word, Relaxed));
    }

    /// Whether every byte of the page is `byte`.
    #[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
    pub(crate) fn all_bytes_are(&self, byte: u8) -> bool {
        let word = usize::from_ne_bytes([byte; core::mem::size_of::<usize>()]);
        self.words().iter().all(|w| w.load(Relaxed) == word)
    }
}

/// Fixed-size table of chunks of one order.
///
/// # Invariants
///
/// A non-null slot holds the first page of a chunk of `order` given up by
/// [`Chunk::into_raw`], owned by the table. Each of that chunk's pages has a [`PageWord`] of
/// that slot in `page->private`; pages of other chunks never do while they are in this table.
/// A chunk that leaves the table ([`ChunkTable::forget_offline`], [`ChunkTable::take`]) keeps
/// its memmap and pages until [`ChunkTable::wait_for_readers`] has returned.
pub(crate) struct ChunkTable {
    slots: KVVec<AtomicPtr<bindings::page>>,
    /// Each slot's chunk's first pfn, written before the chunk is published: a range scan
    /// reads it without calling into C.
    start_pfns: KVVec<AtomicUsize>,
    order: u32,
}

impl ChunkTable {
    /// A table with room for `nr_slots` chunks of `2^order` pages.
    pub(crate) fn new(nr_slots: usize, order: u32) -> Result<Self> {
        let mut slots = KVVec::with_capacity(nr_slots, GFP_KERNEL)?;
        let mut start_pfns = KVVec::with_capacity(nr_slots, GFP_KERNEL)?;
        for _ in 0..nr_slots {
            slots.push(AtomicPtr::new(core::ptr::null_mut()), GFP_KERNEL)?;
            start_pfns.push(AtomicUsize::new(0), GFP_KERNEL)?;
        }
        // INVARIANT: every slot starts empty.
        Ok(Self {
            slots,
            start_pfns,
            order,
        })
    }

    /// Number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The order of the chunks.
    pub(crate) fn order(&self) -> u32 {
        self.order
    }

    /// Puts `chunk` into the first free slot and returns the slot, or gives the chunk back when
    /// the table is full or the chunk is of another order.
    pub(crate) fn insert(&self, chunk: Chunk) -> Result<BlockId, Chunk> {
        if chunk.pages().nr_pages() != 1 << self.order {
            return Err(chunk);
        }
        let Some(slot) = self
            .slots
            .iter()
            .position(|s| s.load(Ordering::Relaxed).is_null())
        else {
            return Err(chunk);
        };
        let word = PageWord::new(BlockId::at(slot as u32), PageState::Unused, 0);
        for page in chunk.pages().iter() {
            page.word().store(word.raw(), Relaxed);
        }
        self.start_pfns[slot].store(chunk.pages().start_pfn(), Relaxed);
        let first = chunk.into_raw();
        // INVARIANT: the pages carry `slot + 1` before the chunk is visible (release).
        match self.slots[slot].compare_exchange(
            core::ptr::null_mut(),
            first.as_ptr(),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => Ok(BlockId::at(slot as u32)),
            // Another insert took the slot first; try the next one.
            // SAFETY: `first` came from `into_raw` just above and was not published.
            Err(_) => self.insert(unsafe { Chunk::from_raw(first, self.order) }),
        }
    }

    /// The slots whose chunk has a page in the pfn range `[start, end)`, in slot order, while
    /// IRQs stay off.
    pub(crate) fn slots_in<'a>(
        &'a self,
        irqs: IrqDisabled<'a>,
        start: Pfn,
        end: Pfn,
    ) -> impl Iterator<Item = BlockId> + 'a {
        (self.in_range(irqs, start, end).enumerate())
            .filter(|&(_, in_range)| in_range)
            .map(|(s, _)| BlockId::at(s as u32))
    }

    /// For each slot, in order, whether it holds a chunk with a page in the pfn range
    /// `[start, end)`, while IRQs stay off.
    #[inline(always)]
    pub(crate) fn in_range<'a>(
        &'a self,
        _irqs: IrqDisabled<'a>,
        start: Pfn,
        end: Pfn,
    ) -> impl Iterator<Item = bool> + 'a {
        let nr = 1usize << self.order;
        (self.slots.iter().zip(self.start_pfns.iter())).map(move |(chunk, first)| {
            // Acquire: the chunk's first pfn was stored before it was published.
            !chunk.load(Ordering::Acquire).is_null() && {
                let first = first.load(Relaxed);
                // A pfn is far below `usize::MAX - nr`.
                first < end && start < first.wrapping_add(nr)
            }
        })
    }

    /// The chunk in `slot`, for as long as IRQs stay off (an RCU read-side section).
    #[inline]
    pub(crate) fn get<'a>(&'a self, slot: BlockId, _irqs: IrqDisabled<'a>) -> Option<ChunkRef<'a>> {
        let first = NonNull::new(self.slots.get(slot.index())?.load(Ordering::Acquire))?;
        // SAFETY: a non-null slot holds a chunk of `order` (type invariant). A chunk that
        // leaves the table (`forget_offline`, `take`) stays valid until every IRQs-off section
        // has ended (type invariant), so the pages stay valid for `'a`.
        Some(unsafe { ChunkRef::new(first, self.order) })
    }
}

impl ChunkTable {
    /// Takes the chunk in `slot` out of the table for good, without touching its pages:
    /// memory hotplug has taken them offline (`MEM_OFFLINE`), so their `struct page`s are the
    /// core's now, and the chunk is not freed. Returns whether the slot held a chunk. Readers
    /// may still see it until [`ChunkTable::wait_for_readers`] returns.
    pub(crate) fn forget_offline(&self, slot: BlockId) -> bool {
        self.slots.get(slot.index()).is_some_and(|s| {
            // INVARIANT: the slot becomes empty; its chunk's pages keep their tag, which no
            // page of a chunk in the table carries (a new chunk in this slot is checked
            // against its own range by `find`).
            !s.swap(core::ptr::null_mut(), Ordering::AcqRel).is_null()
        })
    }

    /// Takes the chunk in `slot` out of the table, to free it: its pages must be free and on no
    /// list. Readers may still see it until [`ChunkTable::wait_for_readers`] returns, so the
    /// caller keeps the chunk until then.
    pub(crate) fn take(&self, slot: BlockId) -> Option<Chunk> {
        let first = self
            .slots
            .get(slot.index())?
            .swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot holds a chunk of `order` that the table owns (type
        // invariant), and the swap made this the only taker.
        NonNull::new(first).map(|first| unsafe { Chunk::from_raw(first, self.order) })
    }

    /// Waits until every IRQs-off section that began before the call has ended
    /// (`synchronize_rcu()`), so no reader can still see a chunk taken out before it. Sleeps.
    pub(crate) fn wait_for_readers(&self) {
        // SAFETY: called from process context, as `synchronize_rcu()` requires.
        unsafe { bindings::synchronize_rcu() };
    }

    /// [`ChunkTable::wait_for_readers`], expedited (`synchronize_rcu_expedited()`): an IPI to
    /// each CPU in a read-side section instead of waiting for the grace-period machinery, for
    /// reclaim, which is waiting for the pages. Sleeps.
    pub(crate) fn wait_for_readers_expedited(&self) {
        // SAFETY: as for `synchronize_rcu()`.
        unsafe { bindings::synchronize_rcu_expedited() };
    }
}

impl ChunkTable {
    /// `page` and its word, if it is a page of a chunk in this table. `page` must be a
    /// `struct page` (of any owner), as for `__free_page()`; whether it is one of ours is read
    /// from its word's slot and checked against that chunk's range.
    #[inline(always)]
    pub(crate) fn find<'a>(
        &'a self,
        page: RawPage,
        irqs: IrqDisabled<'a>,
    ) -> Option<(PageRef<'a>, PageWord)> {
        // SAFETY: `page` is a `struct page` (the caller's contract); reading a word of it is
        // fine whoever owns it, as `page_private()` reads it, once.
        let word = PageWord::from_raw(unsafe {
            core::ptr::addr_of!((*page.0.as_ptr()).__bindgen_anon_1.__bindgen_anon_1.private)
                .read_volatile()
        });
        let chunk = self.get(word.slot(), irqs)?;
        chunk.index_of(page)?;
        // SAFETY: `index_of` found `page` among the chunk's pages, and the chunk stays in the
        // table for `'a` (see `get`).
        Some((unsafe { PageRef::from_raw(page.as_ptr()) }, word))
    }

    /// The slot and offset of `page`, a page of a chunk in this table.
    pub(crate) fn position(
        &self,
        page: PageRef<'_>,
        irqs: IrqDisabled<'_>,
    ) -> Option<(BlockId, usize)> {
        let slot = page.load_word().slot();
        Some((slot, self.get(slot, irqs)?.index_of(page.raw())?))
    }
}

impl Drop for ChunkTable {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            if let Some(first) = NonNull::new(slot.swap(core::ptr::null_mut(), Ordering::AcqRel)) {
                // SAFETY: a chunk of `order` the table owned (type invariant); `&mut self` means
                // no reader is left.
                let chunk = unsafe { Chunk::from_raw(first, self.order) };
                for page in chunk.pages().iter() {
                    page.word().store(PageWord::NONE.raw(), Relaxed);
                }
                drop(chunk);
                // Hundreds of thousands of pages go back at unload: let others run (the
                // debug kernel's checks on each freed page made this a soft lockup).
                crate::compat::kthread::cond_resched();
            }
        }
    }
}
