// SPDX-License-Identifier: GPL-2.0

//! Lists of pool pages, linked through a per-page link table: pcpool's `page->lru`.
//!
//! Pages are named by [`PageId`] (chunk slot and offset). Their links and state live in
//! [`PageLinks`], one entry per page the pool can hold. A list is a small `Copy` head; whoever
//! owns the head (the zone under its lock, a CPU with IRQs off for its pcp list) owns the links
//! of the pages on it. The links are relaxed atomics only so that Rust sees no data race; the
//! lock or the IRQs-off section orders them.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU8, Ordering::Relaxed};
use kernel::prelude::*;

/// A page of the pool: `slot * pages_per_chunk + offset`.
pub(crate) type PageId = u32;

const NIL: PageId = PageId::MAX;

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

/// The link table: one entry per page the pool can hold. The zone also keeps one with an entry
/// per pageblock, to chain pageblocks the same way.
pub(crate) struct PageLinks(KVVec<Link>);

impl PageLinks {
    /// A table for `nr_pages` pages (or pageblocks), all [`PageState::Unused`].
    pub(crate) fn new(nr_pages: usize) -> Result<Self> {
        let mut links = KVVec::with_capacity(nr_pages, GFP_KERNEL)?;
        for _ in 0..nr_pages {
            let link = Link {
                next: AtomicU32::new(NIL),
                prev: AtomicU32::new(NIL),
                state: AtomicU8::new(PageState::Unused as u8),
                owner: AtomicU16::new(0),
            };
            links.push(link, GFP_KERNEL)?;
        }
        Ok(Self(links))
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The state of page `id`.
    pub(crate) fn state(&self, id: PageId) -> PageState {
        PageState::from_u8(self.0[id as usize].state.load(Relaxed))
    }

    /// Sets the state of page `id`; the caller owns the page.
    pub(crate) fn set_state(&self, id: PageId, state: PageState) {
        self.0[id as usize].state.store(state as u8, Relaxed);
    }

    /// The client that allocated page `id` (0: none).
    pub(crate) fn owner(&self, id: PageId) -> u16 {
        self.0[id as usize].owner.load(Relaxed)
    }

    /// Records the client that allocated page `id`; the caller owns the page.
    pub(crate) fn set_owner(&self, id: PageId, owner: u16) {
        self.0[id as usize].owner.store(owner, Relaxed);
    }

    /// Marks page `id` allocated, for client `owner` (0: none), in one step; the caller owns
    /// the page.
    pub(crate) fn set_allocated(&self, id: PageId, owner: u16) {
        let link = &self.0[id as usize];
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
        self.0[id as usize]
            .state
            .compare_exchange(from as u8, to as u8, Relaxed, Relaxed)
            .map(|_| ())
            .map_err(PageState::from_u8)
    }

    fn next(&self, id: PageId) -> PageId {
        self.0[id as usize].next.load(Relaxed)
    }

    fn prev(&self, id: PageId) -> PageId {
        self.0[id as usize].prev.load(Relaxed)
    }

    fn set_next(&self, id: PageId, next: PageId) {
        self.0[id as usize].next.store(next, Relaxed);
    }

    fn set_prev(&self, id: PageId, prev: PageId) {
        self.0[id as usize].prev.store(prev, Relaxed);
    }
}

/// A doubly linked list of pages (or of pageblocks, over the zone's pageblock link table): the
/// head, its tail and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageList {
    head: PageId,
    tail: PageId,
    len: u32,
}

impl PageList {
    /// The empty list.
    pub(crate) const EMPTY: Self = Self {
        head: NIL,
        tail: NIL,
        len: 0,
    };

    /// Number of pages on the list.
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Whether the list is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The page at the head, left on the list.
    pub(crate) fn first(&self) -> Option<PageId> {
        (self.head != NIL).then_some(self.head)
    }

    /// Adds `id` at the head (the hot end, as the kernel's pcp lists do).
    pub(crate) fn push_head(&mut self, links: &PageLinks, id: PageId) {
        links.set_prev(id, NIL);
        links.set_next(id, self.head);
        if self.head == NIL {
            self.tail = id;
        } else {
            links.set_prev(self.head, id);
        }
        self.head = id;
        self.len += 1;
    }

    /// Takes the page at the head.
    pub(crate) fn pop_head(&mut self, links: &PageLinks) -> Option<PageId> {
        let id = self.head;
        (id != NIL).then(|| {
            self.remove(links, id);
            id
        })
    }

    /// Takes the page at the tail (the cold end, which a flush gives back first).
    pub(crate) fn pop_tail(&mut self, links: &PageLinks) -> Option<PageId> {
        let id = self.tail;
        (id != NIL).then(|| {
            self.remove(links, id);
            id
        })
    }

    /// Unlinks `id`, which must be on this list.
    pub(crate) fn remove(&mut self, links: &PageLinks, id: PageId) {
        let (prev, next) = (links.prev(id), links.next(id));
        if prev == NIL {
            self.head = next;
        } else {
            links.set_next(prev, next);
        }
        if next == NIL {
            self.tail = prev;
        } else {
            links.set_prev(next, prev);
        }
        links.set_next(id, NIL);
        links.set_prev(id, NIL);
        self.len -= 1;
    }

    /// The pages on the list, head first. At most `len` steps, so a corrupted link cannot
    /// make it loop.
    pub(crate) fn iter<'a>(&self, links: &'a PageLinks) -> impl Iterator<Item = PageId> + 'a {
        let mut id = self.head;
        (0..self.len).map_while(move |_| {
            (id != NIL).then(|| {
                let cur = id;
                id = links.next(cur);
                cur
            })
        })
    }
}
