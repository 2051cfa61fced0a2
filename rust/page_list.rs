// SPDX-License-Identifier: GPL-2.0

//! The `struct page` fields pcpool uses while it owns a page, as the page allocator uses them:
//! `page->lru` links a free page into one list (its pageblock's free list or a CPU's pageset),
//! and `page->private` holds the page's state in one word, a [`PageWord`]. Pageblocks are
//! linked by index through a [`BlockLinks`] table.
//!
//! A page handed to memory offlining (PageOffline, refcount 0) stays on its pageblock's free
//! list until `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`, and in 6.12 nothing in between writes its
//! `lru` or `private`: `has_unmovable_pages()`, `scan_movable_pages()` and
//! `test_pages_isolated()` only read a PageOffline page, `__offline_isolated_pages()` skips it,
//! and `remove_pfn_range_from_zone()` poisons the memmap only after `MEM_OFFLINE` has returned,
//! by when the pool has dropped the pageblock. `lru.next` shares its word with
//! `compound_head`, whose bit 0 no link sets (a link points at an 8-aligned `lru`), so pfn
//! walkers see a page of its own, as they do on the kernel's pcp lists.

use crate::chunk::PageRef;
use crate::compat::irq::IrqDisabled;
use core::{
    fmt,
    ptr::null_mut,
    sync::atomic::{AtomicU32, Ordering::Relaxed},
};
use kernel::{bindings, prelude::*};

/// What an index-linked table is indexed by.
pub(crate) trait Entry: Copy + Eq {
    /// The entry's index in its table.
    fn index(self) -> usize;
    /// The entry at `index`.
    fn at(index: u32) -> Self;
}

/// A page of the pool, by index: `block * pages_per_chunk + offset`. The name the pool's
/// in-kernel users (KUnit, debugfs, evacuation) and its logs use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PageId(u32);

/// A pageblock of the pool: its chunk's slot in the chunk table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BlockId(u32);

impl PageId {
    /// Page `offset` of pageblock `block`, whose chunks have `2^order` pages.
    pub(crate) fn new(block: BlockId, order: u32, offset: usize) -> Self {
        debug_assert!(order < 32 && offset < 1 << order);
        // The chunk table's pages are numbered in u32 (`PoolZone::new`), so a page of a
        // pageblock in it cannot overflow.
        Self((block.0.wrapping_shl(order)) | offset as u32)
    }

    /// The page's pageblock, and its offset there.
    #[inline(always)]
    pub(crate) fn split(self, order: u32) -> (BlockId, usize) {
        // `order` is the pageblock order, far below 32.
        debug_assert!(order < 32);
        (
            BlockId(self.0.wrapping_shr(order)),
            (self.0 & 1u32.wrapping_shl(order).wrapping_sub(1)) as usize,
        )
    }

    /// The pages of pageblock `block`.
    pub(crate) fn of_block(block: BlockId, order: u32) -> impl DoubleEndedIterator<Item = Self> {
        let first = block.0 << order;
        (first..first + (1 << order)).map(Self)
    }
}

impl BlockId {
    /// Pageblocks `0..n`.
    pub(crate) fn all(n: usize) -> impl Iterator<Item = Self> {
        (0..n as u32).map(Self)
    }
}

impl Entry for PageId {
    fn index(self) -> usize {
        self.0 as usize
    }
    fn at(index: u32) -> Self {
        Self(index)
    }
}

impl Entry for BlockId {
    fn index(self) -> usize {
        self.0 as usize
    }
    fn at(index: u32) -> Self {
        Self(index)
    }
}

impl fmt::Display for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a page is. Every page of a chunk is in exactly one of these states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum PageState {
    /// Not part of a chunk the pool holds.
    Unused = 0,
    /// On its pageblock's free list in the zone; the pageblock's migratetype says which.
    Free = 1,
    /// On a CPU's pcp list.
    Pcp = 2,
    /// Handed out to a client.
    Allocated = 3,
}

impl PageState {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Free,
            2 => Self::Pcp,
            3 => Self::Allocated,
            _ => Self::Unused,
        }
    }
}

/// A pool page's word in `page->private`: its chunk's slot plus one from bit 24 (0: not a
/// page of a chunk in a table), its [`PageState`] in bits 16 to 23, and in bits 0 to 15 the
/// client that holds it (0: none, or an in-kernel user). One word, so that a free reads the
/// page's state and holder in one load and changes them in one compare-and-exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageWord(usize);

impl PageWord {
    const STATE_SHIFT: u32 = 16;
    const SLOT_SHIFT: u32 = 24;
    const LOW: usize = (1 << Self::SLOT_SHIFT) - 1;

    /// The word of a page of pageblock `slot`.
    pub(crate) fn new(slot: BlockId, state: PageState, owner: u16) -> Self {
        Self(((slot.0 as usize + 1) << Self::SLOT_SHIFT) | Self::low(state, owner))
    }

    /// The word of a page no table holds.
    pub(crate) const NONE: Self = Self(0);

    #[inline(always)]
    fn low(state: PageState, owner: u16) -> usize {
        ((state as usize) << Self::STATE_SHIFT) | owner as usize
    }

    /// The word as `page->private` holds it.
    #[inline(always)]
    pub(crate) fn raw(self) -> usize {
        self.0
    }

    /// The word `page->private` holds.
    #[inline(always)]
    pub(crate) fn from_raw(raw: usize) -> Self {
        Self(raw)
    }

    /// The page's pageblock: for a word that names none, a slot no table has.
    #[inline(always)]
    pub(crate) fn slot(self) -> BlockId {
        // The slot plus one: 0 wraps to a slot no table has. A foreign page's `private` may name
        // any slot (truncated to 32 bits or not): the chunk's range check refuses it.
        BlockId(((self.0 >> Self::SLOT_SHIFT) as u32).wrapping_sub(1))
    }

    /// The page's state.
    #[inline(always)]
    pub(crate) fn state(self) -> PageState {
        PageState::from_u8((self.0 >> Self::STATE_SHIFT) as u8)
    }

    /// The client that holds the page.
    #[inline(always)]
    pub(crate) fn owner(self) -> u16 {
        self.0 as u16
    }

    /// The same page in `state`, held by `owner`.
    #[inline(always)]
    pub(crate) fn with(self, state: PageState, owner: u16) -> Self {
        Self((self.0 & !Self::LOW) | Self::low(state, owner))
    }
}

/// Offset of `lru` in `struct page`.
const LRU: usize = core::mem::offset_of!(
    bindings::page,
    __bindgen_anon_1.__bindgen_anon_1.__bindgen_anon_1.lru
);

/// `&page->lru`: pointer arithmetic, no dereference.
#[inline(always)]
fn lru(page: *mut bindings::page) -> *mut bindings::list_head {
    page.wrapping_byte_add(LRU).cast()
}

/// The page whose `lru` is at `lru` (`list_entry()`); NULL for NULL.
#[inline(always)]
fn page_of(lru: *mut bindings::list_head) -> *mut bindings::page {
    if lru.is_null() {
        null_mut()
    } else {
        lru.wrapping_byte_sub(LRU).cast()
    }
}

/// A list of pool pages linked through `page->lru`, the hot end at the head: the kernel's
/// pcp and free lists, with a length. A link points at the neighbour's `lru`, NULL at the ends.
///
/// # Invariants
///
/// The list holds `len` distinct pages, from `head` to `tail` along `lru.next` and back along
/// `lru.prev`. Each is a page of a chunk in the chunk table of the zone whose list this is,
/// which holds the chunk while the page is on the list and outlives the list; whoever owns the
/// list (the zone lock, or a CPU with IRQs off for its pageset) owns those pages' `lru`.
pub(crate) struct PageList {
    head: *mut bindings::page,
    tail: *mut bindings::page,
    len: u32,
}

// SAFETY: a list is the pages its owner owns, not tied to a thread; the pages' `lru` are used
// only through `&mut PageList` (or `&PageList` to read), so sending it sends that ownership.
unsafe impl Send for PageList {}

impl PageList {
    /// The empty list.
    // INVARIANT: no page.
    pub(crate) const EMPTY: Self = Self {
        head: null_mut(),
        tail: null_mut(),
        len: 0,
    };

    /// Number of pages on the list (`pcp->count`).
    #[inline(always)]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Whether the list is empty.
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Adds `page` at the head (the hot end, as the kernel's pcp lists do).
    ///
    /// # Safety
    ///
    /// `page` is a page of a chunk in the chunk table of the zone whose list this is, owned by
    /// the caller and on no list.
    #[inline(always)]
    pub(crate) unsafe fn push_head(&mut self, page: PageRef<'_>) {
        let (p, head) = (page.as_ptr(), self.head);
        let l = lru(p);
        // SAFETY: `p` is a valid page the caller owns (the contract), so its `lru` is ours to
        // write; `head`, if not NULL, is a page of the list, whose `lru` we own (type
        // invariant).
        unsafe {
            (*l).prev = null_mut();
            if head.is_null() {
                (*l).next = null_mut();
                self.tail = p;
            } else {
                (*l).next = lru(head);
                (*lru(head)).prev = l;
            }
        }
        // INVARIANT: `p` is linked in at the head; at most one entry per page of the zone, whose
        // count is a u32, so `len` cannot wrap.
        self.head = p;
        self.len = self.len.wrapping_add(1);
    }

    /// Takes the page at the head.
    ///
    /// # Safety
    ///
    /// The list is a list of the caller's zone, and the page is used only while IRQs stay off
    /// and that zone lives (its chunk may leave the table once the page is back on a free list
    /// and every IRQs-off section has ended).
    #[inline(always)]
    pub(crate) unsafe fn pop_head<'a>(&mut self, _irqs: IrqDisabled<'a>) -> Option<PageRef<'a>> {
        let p = self.head;
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is the head, a page of the list, and so is its `lru.next` if not NULL
        // (type invariant); we own their `lru`.
        unsafe {
            let next = (*lru(p)).next;
            self.head = page_of(next);
            if next.is_null() {
                self.tail = null_mut();
            } else {
                (*next).prev = null_mut();
            }
        }
        self.unlinked(p)
    }

    /// Takes the page at the tail (the cold end, which a flush gives back first).
    ///
    /// # Safety
    ///
    /// As for [`PageList::pop_head`].
    #[inline(always)]
    pub(crate) unsafe fn pop_tail<'a>(&mut self, _irqs: IrqDisabled<'a>) -> Option<PageRef<'a>> {
        let p = self.tail;
        if p.is_null() {
            return None;
        }
        // SAFETY: as in `pop_head`, from the other end.
        unsafe {
            let prev = (*lru(p)).prev;
            self.tail = page_of(prev);
            if prev.is_null() {
                self.head = null_mut();
            } else {
                (*prev).next = null_mut();
            }
        }
        self.unlinked(p)
    }

    #[inline(always)]
    fn unlinked<'a>(&mut self, p: *mut bindings::page) -> Option<PageRef<'a>> {
        // `p` was on the list, so `len` was at least 1.
        debug_assert!(self.len > 0);
        // INVARIANT: `p` is unlinked from both ends' point of view.
        self.len = self.len.wrapping_sub(1);
        // SAFETY: `p` was a page of the list, of a chunk the zone's table holds for as long as
        // the caller uses it (the callers' contract).
        Some(unsafe { PageRef::from_raw(p) })
    }

    /// The pages on the list, head first, while it is borrowed: the borrow keeps them on the
    /// list, so their chunks in the table. At most `len` steps, so that a corrupted link cannot
    /// make it loop.
    pub(crate) fn iter<'a>(
        &'a self,
        _irqs: IrqDisabled<'a>,
    ) -> impl Iterator<Item = PageRef<'a>> + 'a {
        let mut next = self.head;
        (0..self.len).map_while(move |_| {
            (!next.is_null()).then(|| {
                let cur = next;
                // SAFETY: `cur` is a page of the list (type invariant), which holds still while
                // borrowed, and so does its chunk in the table.
                unsafe {
                    next = page_of((*lru(cur)).next);
                    PageRef::from_raw(cur)
                }
            })
        })
    }
}

/// No entry: the end of a [`BlockList`].
const NIL: u32 = u32::MAX;

struct Link {
    next: AtomicU32,
    prev: AtomicU32,
}

/// The links of [`BlockList`]s, one entry per chunk slot. The links are relaxed atomics only so
/// that Rust sees no data race; the zone lock orders them.
pub(crate) struct BlockLinks(KVVec<Link>);

impl BlockLinks {
    /// A table for `n` pageblocks.
    pub(crate) fn new(n: usize) -> Result<Self> {
        let mut links = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            let link = Link {
                next: AtomicU32::new(NIL),
                prev: AtomicU32::new(NIL),
            };
            links.push(link, GFP_KERNEL)?;
        }
        Ok(Self(links))
    }

    fn link(&self, id: BlockId) -> &Link {
        &self.0[id.index()]
    }
}

/// A doubly linked list of pageblocks, over a [`BlockLinks`] table: the zone's lists of
/// pageblocks with free pages, one per migratetype.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockList {
    head: u32,
    tail: u32,
}

impl BlockList {
    /// The empty list.
    pub(crate) const EMPTY: Self = Self {
        head: NIL,
        tail: NIL,
    };

    /// The pageblock at the head, left on the list.
    pub(crate) fn first(&self) -> Option<BlockId> {
        (self.head != NIL).then_some(BlockId(self.head))
    }

    /// Adds `id` at the head.
    pub(crate) fn push_head(&mut self, links: &BlockLinks, id: BlockId) {
        let link = links.link(id);
        link.prev.store(NIL, Relaxed);
        link.next.store(self.head, Relaxed);
        if self.head == NIL {
            self.tail = id.0;
        } else {
            links.link(BlockId(self.head)).prev.store(id.0, Relaxed);
        }
        self.head = id.0;
    }

    /// Unlinks `id`, which must be on this list.
    pub(crate) fn remove(&mut self, links: &BlockLinks, id: BlockId) {
        let link = links.link(id);
        let (prev, next) = (link.prev.load(Relaxed), link.next.load(Relaxed));
        if prev == NIL {
            self.head = next;
        } else {
            links.link(BlockId(prev)).next.store(next, Relaxed);
        }
        if next == NIL {
            self.tail = prev;
        } else {
            links.link(BlockId(next)).prev.store(prev, Relaxed);
        }
        link.next.store(NIL, Relaxed);
        link.prev.store(NIL, Relaxed);
    }

    /// The pageblocks on the list, head first; at most `links`' size steps, so that a corrupted
    /// link cannot make it loop.
    pub(crate) fn iter<'a>(&self, links: &'a BlockLinks) -> impl Iterator<Item = BlockId> + 'a {
        let mut next = self.head;
        (0..links.0.len()).map_while(move |_| {
            (next != NIL).then(|| {
                let cur = BlockId(next);
                next = links.link(cur).next.load(Relaxed);
                cur
            })
        })
    }
}
