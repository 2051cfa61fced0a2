// SPDX-License-Identifier: GPL-2.0

//! pcpool's memory hotplug notifier.

use crate::ffi::notifier::{MemAction, MemoryHotplugHandler, MemoryNotify};
use crate::pool::Pool;
use kernel::{prelude::*, sync::Arc};

/// Notifier priority; higher runs first. The kernel's own users sit between 1 (SLAB) and 100
/// (KSM, MEMTIER); pcpool takes the default for now.
pub(crate) const PRIORITY: i32 = 0;

/// The handler behind pcpool's memory notifier. It logs each event and its range, and refuses
/// to let a range holding pool chunks go offline: their pages are PageOffline with a
/// reference, so offlining would retry until a signal. Giving them up is the next step.
pub(crate) struct Hotplug {
    pub(crate) pool: Arc<Pool>,
}

impl MemoryHotplugHandler for Hotplug {
    fn notify(&self, action: MemAction, arg: &MemoryNotify) -> Result {
        pr_info!(
            "{} pfn [{:#x}, {:#x}) ({} pages)\n",
            action.name(),
            arg.start_pfn,
            arg.end_pfn(),
            arg.nr_pages
        );
        if action == MemAction::GoingOffline {
            let chunks = self.pool.zone().chunks_in(arg.start_pfn, arg.end_pfn());
            if chunks > 0 {
                pr_info!(
                    "refusing to offline pfn [{:#x}, {:#x}): it holds {} pool chunks\n",
                    arg.start_pfn,
                    arg.end_pfn(),
                    chunks
                );
                return Err(EBUSY);
            }
        }
        Ok(())
    }
}
