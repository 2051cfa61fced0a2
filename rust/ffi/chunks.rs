// SPDX-License-Identifier: GPL-2.0

//! The pool's chunk table: the chunks the pool owns, readable without a lock.
//!
//! The fast paths find a page's chunk with IRQs off and no lock. Since 5.0 an IRQs-off section
//! is an RCU read-side critical section, so a chunk can leave the table while the pool runs
//! once its slot is cleared and `synchronize_rcu()` has returned: no reader can still see it.
//! A chunk leaves the table while the pool runs only when memory hotplug takes it offline
//! ([`ChunkTable::forget_offline`] in `MEM_OFFLINE`, then [`ChunkTable::wait_for_readers`] before
//! the callback returns, while the memmap is still there); the others leave with the table.

use super::{
    irq::IrqsOff,
    page::{Chunk, ChunkRef, RawPage},
    sys,
};
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{bindings, prelude::*};

/// A slot of the table.
pub(crate) type Slot = u32;

/// Fixed-size table of chunks of one order.
///
/// # Invariants
///
/// A non-null slot holds the first page of a chunk of `order` given up by
/// [`Chunk::into_raw`], owned by the table. Each of that chunk's pages has `page->private`
/// equal to the slot plus one; pages of other chunks never do while they are in this table.
pub(crate) struct ChunkTable {
    slots: KVVec<AtomicPtr<bindings::page>>,
    order: u32,
}

impl ChunkTable {
    /// A table with room for `nr_slots` chunks of `2^order` pages.
    pub(crate) fn new(nr_slots: usize, order: u32) -> Result<Self> {
        let mut slots = KVVec::with_capacity(nr_slots, GFP_KERNEL)?;
        for _ in 0..nr_slots {
            slots.push(AtomicPtr::new(core::ptr::null_mut()), GFP_KERNEL)?;
        }
        // INVARIANT: every slot starts empty.
        Ok(Self { slots, order })
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
    pub(crate) fn insert(&self, chunk: Chunk) -> Result<Slot, Chunk> {
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
        for page in chunk.pages().iter() {
            page.set_private(slot + 1);
        }
        let first = chunk.into_raw();
        // INVARIANT: the pages carry `slot + 1` before the chunk is visible (release).
        match self.slots[slot].compare_exchange(
            core::ptr::null_mut(),
            first.as_ptr(),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => Ok(slot as Slot),
            // Another insert took the slot first; try the next one.
            // SAFETY: `first` came from `into_raw` just above and was not published.
            Err(_) => self.insert(unsafe { Chunk::from_raw(first, self.order) }),
        }
    }

    /// The chunk in `slot`, for as long as IRQs stay off (an RCU read-side section).
    #[inline]
    pub(crate) fn get<'a>(&'a self, slot: Slot, _irqs: &'a IrqsOff) -> Option<ChunkRef<'a>> {
        let first = NonNull::new(self.slots.get(slot as usize)?.load(Ordering::Acquire))?;
        // SAFETY: a non-null slot holds a chunk of `order` (type invariant). A chunk leaves
        // the table only in `MEM_OFFLINE`, whose callback waits for every IRQs-off section
        // (`wait_for_readers`) before its memmap can go, and chunks are freed only when the
        // table drops; so the pages stay valid for `'a`.
        Some(unsafe { ChunkRef::new(first, self.order) })
    }
}

impl ChunkTable {
    /// Takes the chunk in `slot` out of the table for good, without touching its pages:
    /// memory hotplug has taken them offline (`MEM_OFFLINE`), so their `struct page`s are the
    /// core's now, and the chunk is not freed. Returns whether the slot held a chunk. Readers
    /// may still see it until [`ChunkTable::wait_for_readers`] returns.
    pub(crate) fn forget_offline(&self, slot: Slot) -> bool {
        self.slots.get(slot as usize).is_some_and(|s| {
            // INVARIANT: the slot becomes empty; its chunk's pages keep their tag, which no
            // page of a chunk in the table carries (a new chunk in this slot is checked
            // against its own range by `find`).
            !s.swap(core::ptr::null_mut(), Ordering::AcqRel).is_null()
        })
    }

    /// Waits until every IRQs-off section that began before the call has ended
    /// (`synchronize_rcu()`), so no reader can still see a chunk taken out before it. Sleeps.
    pub(crate) fn wait_for_readers(&self) {
        // SAFETY: called from process context, as `synchronize_rcu()` requires.
        unsafe { bindings::synchronize_rcu() };
    }
}

impl ChunkTable {
    /// The slot and offset of `page`, if it is a page of a chunk in this table. `page` must
    /// be a `struct page` (of any owner), as for `__free_page()`; whether it is one of ours is
    /// read from its `private` tag and checked against the chunk's range.
    #[inline]
    pub(crate) fn find(&self, page: RawPage, irqs: &IrqsOff) -> Option<(Slot, usize)> {
        // SAFETY: `page` is a `struct page` (the caller's contract); reading a word of it is
        // fine whoever owns it.
        let private = unsafe { sys::pcpool_page_private(page.0.as_ptr()) };
        let slot = Slot::try_from(private.checked_sub(1)?).ok()?;
        let offset = self.get(slot, irqs)?.index_of(page)?;
        Some((slot, offset))
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
                    page.set_private(0);
                }
                drop(chunk);
                // Hundreds of thousands of pages go back at unload: let others run (the
                // debug kernel's checks on each freed page made this a soft lockup).
                super::kthread::cond_resched();
            }
        }
    }
}
