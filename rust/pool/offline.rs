// SPDX-License-Identifier: GPL-2.0

//! Giving the pool's pages to memory offlining, and taking them back: the pool's side of
//! `MEM_GOING_OFFLINE`, `MEM_CANCEL_OFFLINE` and `MEM_OFFLINE` (Documentation/hotplug.rst).

use super::{isolation::Isolation, AllocFlags, Drain, Holder, Ipi, Pool};
use crate::chunk::RawPage;
use crate::client;
use crate::compat::irq::IrqDisabled;
use crate::compat::{
    irq::with_irqs_off,
    kthread::{cond_resched, msleep, now_ms, now_ns, signal_pending},
};
use crate::page_list::PageState;
use crate::page_list::{BlockId, PageId};
use crate::trace;
use kernel::{c_str, prelude::*, str::CStr, sync::Arc};

/// An offline in progress: the range's pool pageblocks are isolated, with the pagesets
/// disabled, and every page of them is handed to the core (PageOffline, refcount 0). It ends
/// with [`Pool::offline_commit`] (`MEM_OFFLINE`) or [`Pool::offline_cancel`]
/// (`MEM_CANCEL_OFFLINE`); dropped without a commit, it cancels, so the pool can never be
/// freed with pages at refcount 0.
pub(crate) struct PendingOffline<D: Drain = Ipi> {
    iso: Isolation<D>,
    slots: KVec<BlockId>,
    pages: usize,
    evacuated: usize,
    committed: bool,
}

impl<D: Drain> Drop for PendingOffline<D> {
    fn drop(&mut self) {
        if !self.committed {
            self.iso.pool().zone.take_back(&self.slots);
        }
        // `iso` drops after this: the pageblocks go back, then the pagesets.
    }
}

impl<D: Drain> PendingOffline<D> {
    /// The pfn range.
    pub(crate) fn range(&self) -> (usize, usize) {
        self.iso.range()
    }

    /// The zone.
    pub(crate) fn pool(&self) -> Arc<Pool<D>> {
        self.iso.pool().clone()
    }

    /// Pageblocks handed over.
    pub(crate) fn blocks(&self) -> usize {
        self.slots.len()
    }

    /// Pages handed over.
    pub(crate) fn pages(&self) -> usize {
        self.pages
    }

    /// Pages clients held there, moved elsewhere first.
    pub(crate) fn evacuated(&self) -> usize {
        self.evacuated
    }
}

/// Why the pool keeps a range online.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Clients hold pages there (after moving `evacuated` others out): how many, the first
    /// one's pfn, and how the evacuation ended.
    Held {
        pages: usize,
        first_pfn: usize,
        evacuated: usize,
        ended: Evacuation,
    },
    /// Pages there have references the pool does not own.
    Referenced { pages: usize },
    /// Another isolation is in progress, or memory ran out: the error.
    Failed(Error),
}

/// How an evacuation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Evacuation {
    /// Not tried (`evacuate_stall_ms=0`).
    Off,
    /// Every held page moved.
    Done,
    /// A page there has a holder without a migrate callback: nothing was moved.
    NoCallback,
    /// A client's callback refused with this error.
    Refused(Error),
    /// No page moved for `evacuate_stall_ms` (busy pages, or no memory for replacements).
    Stalled,
    /// The task offlining the memory has a signal pending, as `offline_pages()` checks.
    Signalled,
}

impl Evacuation {
    /// Its name, for the log and a trace event.
    pub(crate) fn name(&self) -> &'static CStr {
        match self {
            Self::Off => c_str!("off"),
            Self::Done => c_str!("done"),
            Self::NoCallback => c_str!("no migrate callback"),
            Self::Refused(_) => c_str!("a callback refused"),
            Self::Stalled => c_str!("no progress"),
            Self::Signalled => c_str!("signal"),
        }
    }
}

impl core::fmt::Display for Evacuation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Refused(e) => write!(f, "{} (error {})", self.name(), e.to_errno()),
            _ => write!(f, "{}", self.name()),
        }
    }
}

impl Refusal {
    /// Why, for the log and a trace event.
    pub(crate) fn reason(&self) -> &'static CStr {
        match self {
            Self::Held { .. } => c_str!("held"),
            Self::Referenced { .. } => c_str!("referenced"),
            Self::Failed(e) if *e == ENODEV => c_str!("pcpool is unloading"),
            Self::Failed(e) if *e == EBUSY => c_str!("another isolation is in progress"),
            Self::Failed(_) => c_str!("out of memory"),
        }
    }
}

/// Where evacuation takes the pages it moves a client's pages to, and gives back those it did
/// not use.
pub(crate) trait EvacuationTarget {
    /// A page allocated for client `owner`, which may grow the pool. Sleeps.
    fn alloc_for(&self, owner: u16) -> Option<RawPage>;
    /// Gives back `page`, allocated by `alloc_for` for `owner` and unused.
    fn free_for(&self, page: RawPage, owner: u16);
}

/// A client's page taken and given back on its behalf: recorded as its, not counted (the
/// client swaps one page for another).
pub(crate) struct Evacuee(pub(crate) u16);

impl Holder for Evacuee {
    fn id(&self) -> u16 {
        self.0
    }

    fn admit(&self, _irqs: IrqDisabled<'_>) -> bool {
        true
    }

    fn count(&self, _irqs: IrqDisabled<'_>, _pages: isize) {}
}

/// The zone itself: the target when there is no other node.
impl<D: Drain> EvacuationTarget for Pool<D> {
    fn alloc_for(&self, owner: u16) -> Option<RawPage> {
        let movable = AllocFlags {
            zero: false,
            may_grow: true,
        };
        Pool::alloc_for(self, movable, &Evacuee(owner))
    }

    fn free_for(&self, page: RawPage, owner: u16) {
        let _ = Pool::free_for(self, page, &Evacuee(owner));
    }
}

impl<D: Drain> Pool<D> {
    /// `MEM_GOING_OFFLINE` for `[start, end)`: isolates the pool's pageblocks there (pagesets
    /// disabled, one drain); moves the pages clients hold there to other pageblocks through
    /// their migrate callbacks, for as long as pages move (see [`Evacuation`]); and if every page
    /// there is then free, hands them all over. `Ok(None)` when the range holds no pool
    /// pageblock: nothing is done, no lock taken, no drain. Otherwise the range is back as it was
    /// (but for the pages moved) when this returns an error. The caller holds CPU hotplug off, as
    /// memory hotplug does, until the offline ends. Sleeps.
    pub(crate) fn offline_prepare(
        self: &Arc<Self>,
        start: usize,
        end: usize,
        stall_ms: u32,
        target: &impl EvacuationTarget,
    ) -> Result<Option<PendingOffline<D>>, Refusal> {
        let slots = self.zone.blocks_in(start, end).map_err(Refusal::Failed)?;
        if slots.is_empty() {
            return Ok(None);
        }
        let iso = self
            .isolate_range_cpuslocked(start, end)
            .map_err(Refusal::Failed)?;
        // Isolated, and the pagesets drained and disabled: a page of these pageblocks is now
        // free on the isolate list or held by a client, and none can change state.
        let (mut held, mut first) = self.zone.busy_in(&slots);
        let mut evacuated = 0;
        let mut ended = Evacuation::Off;
        if held > 0 && stall_ms > 0 {
            let begin = now_ns();
            (evacuated, ended) = self.evacuate(&slots, stall_ms, target);
            (held, first) = self.zone.busy_in(&slots);
            let ns = now_ns() - begin;
            trace::evacuate(
                self.zone.nid(),
                (start, end),
                evacuated,
                held,
                ended.name(),
                ns,
            );
        }
        if held > 0 {
            return Err(Refusal::Held {
                pages: held,
                first_pfn: first.unwrap_or(start),
                evacuated,
                ended,
            });
        }
        let (pages, stuck) = self.zone.hand_over(&slots);
        if stuck > 0 {
            self.zone.take_back(&slots);
            return Err(Refusal::Referenced { pages: stuck });
        }
        Ok(Some(PendingOffline {
            iso,
            slots,
            pages,
            evacuated,
            committed: false,
        }))
    }

    /// Moves the pages clients hold in the isolated pageblocks `slots` to pages from `target`,
    /// through each client's migrate callback, pass after pass, until none is left or it ends
    /// as [`Evacuation`] says. Nothing moves when a page there cannot (a holder without a
    /// callback): the offline would fail anyway. The old page, which the client no longer uses,
    /// goes to the isolate list; a replacement the client did not take goes back to `target`.
    /// Returns the pages moved, and why it stopped. Sleeps.
    ///
    /// It ends: a moved page leaves the range for good (replacements come from pageblocks that
    /// are not isolated, and the range's are), so at most the range's pages move, and a pass in
    /// which none moves ends within `stall_ms`.
    fn evacuate(
        &self,
        slots: &[BlockId],
        stall_ms: u32,
        target: &impl EvacuationTarget,
    ) -> (usize, Evacuation) {
        if !self.held_can_move(slots) {
            return (0, Evacuation::NoCallback);
        }
        let raw = |id| with_irqs_off(|irqs| self.zone.page(irqs, id).map(|p| p.raw()));
        let (mut moved, mut progress) = (0, now_ms());
        loop {
            let mut left = false;
            for (id, owner) in self.held_in(slots) {
                if signal_pending() {
                    return (moved, Evacuation::Signalled);
                }
                if now_ms() - progress > u64::from(stall_ms) {
                    return (moved, Evacuation::Stalled);
                }
                // Out of memory for now, as a busy page: tried again next pass.
                let Some(new) = target.alloc_for(owner) else {
                    left = true;
                    continue;
                };
                match raw(id).map_or(Err(ENOENT), |old| client::migrate(owner, old, new)) {
                    Ok(()) => {
                        // The client uses `new` now and gave `old` up.
                        let _ = self.free(id);
                        moved += 1;
                        progress = now_ms();
                    }
                    // Busy, or freed meanwhile (then the next pass skips it): again next pass.
                    Err(e) if e == EAGAIN || e == ENOENT => {
                        target.free_for(new, owner);
                        left = true;
                    }
                    Err(e) => {
                        target.free_for(new, owner);
                        return (moved, Evacuation::Refused(e));
                    }
                }
                cond_resched();
            }
            if !left {
                return (moved, Evacuation::Done);
            }
            // Nothing else to try until a client or the allocator catches up.
            msleep(1);
        }
    }

    /// The pages held in `slots` now, each with its holder, read page by page (a page that is
    /// freed meanwhile is skipped).
    fn held_in<'a>(&'a self, slots: &'a [BlockId]) -> impl Iterator<Item = (PageId, u16)> + 'a {
        slots
            .iter()
            .flat_map(|&slot| self.zone.pages_of(slot))
            .filter_map(|id| {
                let word = with_irqs_off(|irqs| self.zone.word(irqs, id))?;
                (word.state() == PageState::Allocated).then(|| (id, word.owner()))
            })
    }

    /// Whether every page held in `slots` has a holder with a migrate callback. Sleeps.
    fn held_can_move(&self, slots: &[BlockId]) -> bool {
        let mut last = (0, false);
        for (_, owner) in self.held_in(slots) {
            if last.0 != owner || owner == 0 {
                last = (owner, owner != 0 && client::can_migrate(owner));
            }
            if !last.1 {
                return false;
            }
        }
        true
    }

    /// `MEM_CANCEL_OFFLINE`: every page's reference back, the pageblocks movable again, the
    /// pagesets enabled: the pool exactly as before `offline_prepare`.
    pub(crate) fn offline_cancel(&self, pending: PendingOffline<D>) {
        drop(pending);
    }

    /// `MEM_OFFLINE`: the pageblocks leave the pool's books for good (their memory is offline)
    /// and the pagesets are enabled. Returns the pageblocks dropped.
    pub(crate) fn offline_commit(&self, mut pending: PendingOffline<D>) -> usize {
        let removed = self.zone.remove_offline(&pending.slots);
        pending.committed = true;
        drop(pending);
        removed
    }
}
