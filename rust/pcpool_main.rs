// SPDX-License-Identifier: GPL-2.0

//! pcpool: a private, zone-backed page pool with per-CPU pagesets that never stands in the way
//! of memory hot-unplug.

mod callback_mutex;
mod chunk;
mod client;
mod compat;
mod config;
mod debugfs;
mod mem_hotplug;
mod page_list;
mod params;
mod pcp;
mod percpu_lock;
mod pool;
mod verify;
mod zone;

#[cfg(CONFIG_KUNIT)]
#[path = "../kunit/mod.rs"]
mod kunit_tests;

use compat::{debugfs::Debugfs, memory_notifier::MemoryNotifier};
use config::{DrainStrategy, PoolConfig};
use kernel::{c_str, new_mutex, prelude::*, sync::Arc};
use pool::{Drain, Ipi, Pageblock, Pool, Remote, Workqueue};

module! {
    type: Pcpool,
    name: "pcpool",
    author: "pcpool developers",
    description: "Zone-backed private page pool with per-CPU pagesets",
    license: "GPL",
}

/// The module: a pool of the drain strategy that the `drain` parameter chose, and what serves
/// it.
enum Pcpool {
    Ipi { _loaded: Loaded<Ipi> },
    Pageblock { _loaded: Loaded<Pageblock> },
    Remote { _loaded: Loaded<Remote> },
    Workqueue { _loaded: Loaded<Workqueue> },
}

/// A pool draining by `D`, and what serves it.
struct Loaded<D: Drain> {
    // Dropped in this order: no client, event or file callback reaches the pool once it goes.
    _api: client::ApiRegistration,
    _shrinker: Option<compat::shrinker::Shrinker<Pool<D>>>,
    _cpus: Pin<KBox<compat::cpuhp::CpuHotplug<Arc<Pool<D>>>>>,
    _hotplug: Pin<KBox<MemoryNotifier<mem_hotplug::Hotplug<D>>>>,
    _debugfs: Pin<KBox<Debugfs<debugfs::PoolFiles<D>>>>,
    _pool: Arc<Pool<D>>,
}

impl kernel::Module for Pcpool {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let config = PoolConfig::from_params(&params::Params::read())?;
        Ok(match config.drain {
            DrainStrategy::Ipi => Self::Ipi {
                _loaded: Loaded::new(config)?,
            },
            DrainStrategy::Pageblock => Self::Pageblock {
                _loaded: Loaded::new(config)?,
            },
            DrainStrategy::Remote => Self::Remote {
                _loaded: Loaded::new(config)?,
            },
            DrainStrategy::Workqueue => Self::Workqueue {
                _loaded: Loaded::new(config)?,
            },
        })
    }
}

impl<D: Drain> Loaded<D>
where
    Arc<Pool<D>>: Into<client::ApiPool>,
{
    fn new(config: PoolConfig) -> Result<Self> {
        let pool = Arc::pin_init(Pool::<D>::new(config), GFP_KERNEL)?;
        if let Err(e) = pool.fill(config.initial_pages) {
            pr_err!(
                "could not take {} pages from the kernel: {:?}\n",
                config.initial_pages,
                e
            );
            return Err(e);
        }
        let hotplug_stats = Arc::new(mem_hotplug::HotplugStats::default(), GFP_KERNEL)?;
        let files = debugfs::PoolFiles {
            pool: pool.clone(),
            hotplug: hotplug_stats.clone(),
            isolation: KBox::pin_init(new_mutex!(None), GFP_KERNEL)?,
        };
        let debugfs = KBox::pin_init(
            Debugfs::new(c_str!("pcpool"), files, &debugfs::FILES),
            GFP_KERNEL,
        )?;
        let regrow_to = config.regrow.then_some(config.initial_pages);
        let handler =
            mem_hotplug::Hotplug::new(pool.clone(), hotplug_stats, regrow_to, config.evacuate_ms);
        let hotplug = KBox::pin_init(
            MemoryNotifier::register(handler, config.notifier_priority),
            GFP_KERNEL,
        )?;
        let cpus = KBox::pin_init(
            compat::cpuhp::CpuHotplug::register(pool.clone(), c_str!("pcpool:prepare")),
            GFP_KERNEL,
        )?;
        // Reclaim asks a pageblock at a time: the pool gives back no less.
        let shrinker = match config.shrinker {
            true => Some(compat::shrinker::Shrinker::register(
                c_str!("pcpool"),
                pool.zone().pages_per_chunk() as usize,
                pool.clone(),
            )?),
            false => None,
        };
        let api = client::ApiRegistration::new(pool.clone())?;
        let c = pool.zone().counters();
        pr_info!(
            "loaded; {} pages in {} chunks from ZONE_{:?}, high {} batch {}, drain {}; memory notifier at priority {}; shrinker {}\n",
            c.nr_pages,
            c.nr_chunks,
            config.zone,
            config.high,
            config.batch,
            D::STRATEGY.name(),
            config.notifier_priority,
            if config.shrinker { "on" } else { "off" }
        );
        Ok(Self {
            _api: api,
            _shrinker: shrinker,
            _cpus: cpus,
            _hotplug: hotplug,
            _debugfs: debugfs,
            _pool: pool,
        })
    }
}

impl Drop for Pcpool {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
