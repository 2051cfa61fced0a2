// SPDX-License-Identifier: GPL-2.0

//! pcpool's memory hotplug notifier.

use crate::ffi::notifier::{MemAction, MemoryHotplugHandler, MemoryNotify};
use kernel::prelude::*;

/// Notifier priority; higher runs first. The kernel's own users sit between 1 (SLAB) and 100
/// (KSM, MEMTIER); pcpool only logs for now, so it takes the default.
pub(crate) const PRIORITY: i32 = 0;

/// The handler behind pcpool's memory notifier. For now it logs each event and its range.
pub(crate) struct Hotplug;

impl MemoryHotplugHandler for Hotplug {
    fn notify(&self, action: MemAction, arg: &MemoryNotify) -> Result {
        pr_info!(
            "{} pfn [{:#x}, {:#x}) ({} pages)\n",
            action.name(),
            arg.start_pfn,
            arg.end_pfn(),
            arg.nr_pages
        );
        Ok(())
    }
}
