// SPDX-License-Identifier: GPL-2.0

//! Per-CPU pagesets, mirroring the kernel's `struct per_cpu_pages`.

use crate::page_list::PageList;

/// One CPU's pageset: free pages kept for fast allocation, and the marks that bound them.
///
/// It lives in a [`LockablePerCpu`](crate::percpu_lock::LockablePerCpu), which hands it out
/// as `&mut` to its own CPU with IRQs off, and, with the `remote` drain, to any CPU under the
/// pageset's spinlock.
pub(crate) struct PcpList {
    /// A free that brings the count to `high` flushes; 0 sends every free straight to the zone
    /// (the boot pageset's trick, used by `pcp_disable`).
    pub(crate) high: u32,
    /// How many pages a refill or a flush moves.
    pub(crate) batch: u32,
    /// The pages; its length is `pcp->count`.
    pub(crate) list: PageList,
}

impl PcpList {
    /// An empty pageset with the given marks.
    pub(crate) fn new(high: u32, batch: u32) -> Self {
        Self {
            high,
            batch,
            list: PageList::EMPTY,
        }
    }

    /// Number of pages on the list (`pcp->count`).
    pub(crate) fn count(&self) -> u32 {
        self.list.len()
    }

    /// Sets both marks (`pageset_update()`).
    pub(crate) fn set_high_batch(&mut self, high: u32, batch: u32) {
        self.high = high;
        self.batch = batch;
    }
}
