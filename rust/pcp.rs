// SPDX-License-Identifier: GPL-2.0

//! Per-CPU pagesets, mirroring the kernel's `struct per_cpu_pages`.

use crate::page_list::PageList;
use core::cell::Cell;

/// One CPU's pageset: a list of free pages kept for fast allocation, its `high` mark and the
/// `batch` it refills and flushes by. `count` is the list's length.
///
/// # Invariants
///
/// Only the owning CPU touches a `PcpList`, with IRQs off. It is reached only through
/// `PerCpu::local`, which takes the `IrqDisabled` proof, from that CPU's own alloc and free paths
/// and from an `on_each_cpu` callback running on it. So the IPI of an `on_each_cpu` drain
/// cannot land inside an alloc or a free on that CPU, and when the drain has run everywhere,
/// every alloc or free that started before it has finished: the drain is a synchronisation
/// point (Documentation/isolation.rst). That is also why plain `Cell`s are enough here.
pub(crate) struct PcpList {
    high: Cell<u32>,
    batch: Cell<u32>,
    list: Cell<PageList>,
}

impl PcpList {
    /// An empty pageset with the given marks.
    pub(crate) fn new(high: u32, batch: u32) -> Self {
        Self {
            high: Cell::new(high),
            batch: Cell::new(batch),
            list: Cell::new(PageList::EMPTY),
        }
    }

    /// Number of pages on the list (`pcp->count`).
    pub(crate) fn count(&self) -> u32 {
        self.list.get().len()
    }

    /// The high mark: a free that brings `count` to it flushes. 0 sends every free straight to
    /// the zone (the boot pageset's trick, used by `pcp_disable`).
    pub(crate) fn high(&self) -> u32 {
        self.high.get()
    }

    /// How many pages a refill or a flush moves.
    pub(crate) fn batch(&self) -> u32 {
        self.batch.get()
    }

    /// Sets both marks (`pageset_update()`).
    pub(crate) fn set_high_batch(&self, high: u32, batch: u32) {
        self.high.set(high);
        self.batch.set(batch);
    }

    /// Runs `f` on the list.
    pub(crate) fn with_list<R>(&self, f: impl FnOnce(&mut PageList) -> R) -> R {
        let mut list = self.list.get();
        let r = f(&mut list);
        self.list.set(list);
        r
    }
}
