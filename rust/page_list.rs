// SPDX-License-Identifier: GPL-2.0

//! Lists of pool pages, linked through a per-page link table: pcpool's `page->lru`.
//!
//! Pages are named by [`PageId`], pageblocks by [`BlockId`]. Their links (and a page's state)
//! live in a [`PageLinks`] table, one entry per page or pageblock the pool can hold. A list is a
//! small head; whoever owns the head (the zone under its lock, a CPU with IRQs off for its pcp
//! list) owns the links of the entries on it. The links are relaxed atomics only so that Rust
//! sees no data race; the lock or the IRQs-off section orders them.

use core::{
    fmt,
    marker::PhantomData,
    sync::atomic::{AtomicU16, AtomicU32, AtomicU8, Ordering::Relaxed},
};
use kernel::prelude::*;

/// What a link table is indexed by.
pub(crate) trait Entry: Copy + Eq {
    /// The entry's index in its table.
    fn index(self) -> usize;
    /// The entry at `index`.
    fn at(index: u32) -> Self;
}

/// A page of the pool: `block * pages_per_chunk + offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PageId(u32);

/// A pageblock of the pool: its chunk's slot in the chunk table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct BlockId(u32);

impl PageId {
    /// Page `offset` of pageblock `block`, whose chunks have `2^order` pages.
    pub(crate) fn new(block: BlockId, order: u32, offset: usize) -> Self {
        debug_assert!(order < 32 && offset < 1 << order);
        // The table of page ids is sized in u32 (`PageLinks::new`), so a page of a pageblock
        // in it cannot overflow.
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

/// No entry: the end of a list.
const NIL: u32 = u32::MAX;

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

struct Link {
    next: AtomicU32,
    prev: AtomicU32,
    state: AtomicU8,
    /// The C API client that allocated the page (0: none), for evacuation.
    owner: AtomicU16,
}

/// The link table: one entry per page (or pageblock) the pool can hold.
pub(crate) struct PageLinks<I = PageId>(KVVec<Link>, PhantomData<I>);

impl<I: Entry> PageLinks<I> {
    /// A table for `n` entries, all [`PageState::Unused`].
    pub(crate) fn new(n: usize) -> Result<Self> {
        let mut links = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            let link = Link {
                next: AtomicU32::new(NIL),
                prev: AtomicU32::new(NIL),
                state: AtomicU8::new(PageState::Unused as u8),
                owner: AtomicU16::new(0),
            };
            links.push(link, GFP_KERNEL)?;
        }
        Ok(Self(links, PhantomData))
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    fn next(&self, id: I) -> u32 {
        self.0[id.index()].next.load(Relaxed)
    }

    fn prev(&self, id: I) -> u32 {
        self.0[id.index()].prev.load(Relaxed)
    }

    fn set_next(&self, id: I, next: u32) {
        self.0[id.index()].next.store(next, Relaxed);
    }

    fn set_prev(&self, id: I, prev: u32) {
        self.0[id.index()].prev.store(prev, Relaxed);
    }
}

impl PageLinks<PageId> {
    /// Whether `id` names an entry of the table.
    pub(crate) fn contains(&self, id: PageId) -> bool {
        id.index() < self.len()
    }

    /// The state of page `id`.
    pub(crate) fn state(&self, id: PageId) -> PageState {
        PageState::from_u8(self.0[id.index()].state.load(Relaxed))
    }

    /// Sets the state of page `id`; the caller owns the page.
    pub(crate) fn set_state(&self, id: PageId, state: PageState) {
        self.0[id.index()].state.store(state as u8, Relaxed);
    }

    /// The client that allocated page `id` (0: none).
    pub(crate) fn owner(&self, id: PageId) -> u16 {
        self.0[id.index()].owner.load(Relaxed)
    }

    /// Records the client that allocated page `id`; the caller owns the page.
    pub(crate) fn set_owner(&self, id: PageId, owner: u16) {
        self.0[id.index()].owner.store(owner, Relaxed);
    }

    /// Marks page `id` allocated, for client `owner` (0: none), in one step; the caller owns
    /// the page.
    pub(crate) fn set_allocated(&self, id: PageId, owner: u16) {
        let link = &self.0[id.index()];
        link.state.store(PageState::Allocated as u8, Relaxed);
        link.owner.store(owner, Relaxed);
    }

    /// Moves page `id` from state `from` to `to` atomically, or reports the state it was in:
    /// how a free of a page that is not allocated (a double free) is caught.
    pub(crate) fn transition(
        &self,
        id: PageId,
        from: PageState,
        to: PageState,
    ) -> Result<(), PageState> {
        self.0[id.index()]
            .state
            .compare_exchange(from as u8, to as u8, Relaxed, Relaxed)
            .map(|_| ())
            .map_err(PageState::from_u8)
    }
}

/// A doubly linked list of pages (or of pageblocks, over the zone's pageblock link table): the
/// head, its tail and its length.
#[derive(Debug)]
pub(crate) struct PageList<I = PageId> {
    head: u32,
    tail: u32,
    len: u32,
    _entry: PhantomData<I>,
}

impl<I> Clone for PageList<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I> Copy for PageList<I> {}

impl<I: Entry> PageList<I> {
    /// The empty list.
    pub(crate) const EMPTY: Self = Self {
        head: NIL,
        tail: NIL,
        len: 0,
        _entry: PhantomData,
    };

    /// Number of entries on the list.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Whether the list is empty.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry at the head, left on the list.
    #[inline]
    pub(crate) fn first(&self) -> Option<I> {
        (self.head != NIL).then(|| I::at(self.head))
    }

    /// Adds `id` at the head (the hot end, as the kernel's pcp lists do).
    #[inline]
    pub(crate) fn push_head(&mut self, links: &PageLinks<I>, id: I) {
        links.set_prev(id, NIL);
        links.set_next(id, self.head);
        if self.head == NIL {
            self.tail = id.index() as u32;
        } else {
            links.set_prev(I::at(self.head), id.index() as u32);
        }
        self.head = id.index() as u32;
        // At most one entry per page of the table, whose size is a u32.
        self.len = self.len.wrapping_add(1);
    }

    /// Takes the entry at the head.
    #[inline]
    pub(crate) fn pop_head(&mut self, links: &PageLinks<I>) -> Option<I> {
        let id = self.first()?;
        self.remove(links, id);
        Some(id)
    }

    /// Takes the entry at the tail (the cold end, which a flush gives back first).
    #[inline]
    pub(crate) fn pop_tail(&mut self, links: &PageLinks<I>) -> Option<I> {
        let id = (self.tail != NIL).then(|| I::at(self.tail))?;
        self.remove(links, id);
        Some(id)
    }

    /// Unlinks `id`, which must be on this list.
    #[inline]
    pub(crate) fn remove(&mut self, links: &PageLinks<I>, id: I) {
        let (prev, next) = (links.prev(id), links.next(id));
        if prev == NIL {
            self.head = next;
        } else {
            links.set_next(I::at(prev), next);
        }
        if next == NIL {
            self.tail = prev;
        } else {
            links.set_prev(I::at(next), prev);
        }
        links.set_next(id, NIL);
        links.set_prev(id, NIL);
        // `id` was on the list (the caller's contract), so `len` was at least 1.
        debug_assert!(self.len > 0);
        self.len = self.len.wrapping_sub(1);
    }

    /// The entries on the list, head first. At most `len` steps, so a corrupted link cannot
    /// make it loop.
    pub(crate) fn iter<'a>(&self, links: &'a PageLinks<I>) -> impl Iterator<Item = I> + 'a
    where
        I: 'a,
    {
        let mut next = self.head;
        (0..self.len).map_while(move |_| {
            (next != NIL).then(|| {
                let cur = I::at(next);
                next = links.next(cur);
                cur
            })
        })
    }
}
