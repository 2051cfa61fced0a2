// SPDX-License-Identifier: GPL-2.0

//! Giving the pool's pages to memory offlining, and taking them back: the pool's side of
//! `MEM_GOING_OFFLINE`, `MEM_CANCEL_OFFLINE` and `MEM_OFFLINE` (Documentation/hotplug.rst).

use super::{isolation::Isolation, Pool};
use crate::ffi::chunks::Slot;
use kernel::{prelude::*, sync::Arc};

/// An offline in progress: the range's pool pageblocks are isolated, with the pagesets
/// disabled, and every page of them is handed to the core (PageOffline, refcount 0). It ends
/// with [`Pool::offline_commit`] (`MEM_OFFLINE`) or [`Pool::offline_cancel`]
/// (`MEM_CANCEL_OFFLINE`); dropped without a commit, it cancels, so the pool can never be
/// freed with pages at refcount 0.
pub(crate) struct PendingOffline {
    iso: Isolation,
    slots: KVec<Slot>,
    pages: usize,
    committed: bool,
}

impl Drop for PendingOffline {
    fn drop(&mut self) {
        if !self.committed {
            self.iso.pool().zone.take_back(&self.slots);
        }
        // `iso` drops after this: the pageblocks go back, then the pagesets.
    }
}

impl PendingOffline {
    /// The pfn range.
    pub(crate) fn range(&self) -> (usize, usize) {
        self.iso.range()
    }

    /// Pageblocks handed over.
    pub(crate) fn blocks(&self) -> usize {
        self.slots.len()
    }

    /// Pages handed over.
    pub(crate) fn pages(&self) -> usize {
        self.pages
    }
}

/// Why the pool keeps a range online.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Clients hold pages there: how many, and the first one's pfn.
    Held { pages: usize, first_pfn: usize },
    /// Pages there have references the pool does not own.
    Referenced { pages: usize },
    /// Another isolation is in progress, or memory ran out: the error.
    Failed(Error),
}

impl Pool {
    /// `MEM_GOING_OFFLINE` for `[start, end)`: isolates the pool's pageblocks there (pagesets
    /// disabled, one drain), and if every page of them is free, hands them all over. `Ok(None)`
    /// when the range holds no pool pageblock: nothing is done, no lock taken, no drain.
    /// Otherwise the range is back as it was when this returns an error. Sleeps.
    pub(crate) fn offline_prepare(
        self: &Arc<Self>,
        start: usize,
        end: usize,
    ) -> Result<Option<PendingOffline>, Refusal> {
        let slots = self.zone.blocks_in(start, end).map_err(Refusal::Failed)?;
        if slots.is_empty() {
            return Ok(None);
        }
        let iso = self.isolate_range(start, end).map_err(Refusal::Failed)?;
        // Isolated, and the pagesets drained and disabled: a page of these pageblocks is now
        // free on the isolate list or held by a client, and none can change state.
        let (held, first) = self.zone.busy_in(&slots);
        if held > 0 {
            return Err(Refusal::Held {
                pages: held,
                first_pfn: first.unwrap_or(start),
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
            committed: false,
        }))
    }

    /// `MEM_CANCEL_OFFLINE`: every page's reference back, the pageblocks movable again, the
    /// pagesets enabled: the pool exactly as before `offline_prepare`.
    pub(crate) fn offline_cancel(&self, pending: PendingOffline) {
        drop(pending);
    }

    /// `MEM_OFFLINE`: the pageblocks leave the pool's books for good (their memory is offline)
    /// and the pagesets are enabled. Returns the pageblocks dropped.
    pub(crate) fn offline_commit(&self, mut pending: PendingOffline) -> usize {
        let removed = self.zone.remove_offline(&pending.slots);
        pending.committed = true;
        drop(pending);
        removed
    }
}
