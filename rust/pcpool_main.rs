// SPDX-License-Identifier: GPL-2.0

//! pcpool: a private, zone-backed page pool with per-CPU pagesets that never stands in the way
//! of memory hot-unplug.

// The pool is exercised by the KUnit suites; the module serves it once the memory notifier
// cooperates with offlining (until then a block holding pool pages could not go offline).
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod config;
mod ffi;
mod hotplug;
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod page_list;
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod pcp;
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod pool;
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod verify;
#[cfg_attr(not(CONFIG_KUNIT), allow(dead_code))]
mod zone;

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
