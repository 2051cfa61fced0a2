// SPDX-License-Identifier: GPL-2.0

//! pcpool: a private, zone-backed page pool with per-CPU pagesets that never stands in the way
//! of memory hot-unplug.

mod ffi;
mod hotplug;

#[cfg(CONFIG_KUNIT)]
#[path = "../kunit/mod.rs"]
mod kunit_tests;

use kernel::prelude::*;

module! {
    type: Pcpool,
    name: "pcpool",
    author: "pcpool developers",
    description: "Zone-backed private page pool with per-CPU pagesets",
    license: "GPL",
}

struct Pcpool {
    _hotplug: Pin<KBox<ffi::notifier::MemoryNotifier<hotplug::Hotplug>>>,
}

impl kernel::Module for Pcpool {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hotplug = KBox::pin_init(
            ffi::notifier::MemoryNotifier::register(hotplug::Hotplug, hotplug::PRIORITY),
            GFP_KERNEL,
        )?;
        pr_info!(
            "loaded; memory notifier at priority {}\n",
            hotplug::PRIORITY
        );
        Ok(Pcpool { _hotplug: hotplug })
    }
}

impl Drop for Pcpool {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
