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
mod trace;
mod verify;
mod zone;

#[cfg(CONFIG_KUNIT)]
#[path = "../kunit/mod.rs"]
mod kunit_tests;

use compat::{debugfs::Debugfs, memory_notifier::MemoryNotifier};
use config::{DrainStrategy, PoolConfig};
use kernel::{c_str, new_mutex, prelude::*, sync::Arc};
use pool::{Drain, Ipi, Pageblock, PoolNodes, Remote, Workqueue};

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
    _shrinker: Option<compat::shrinker::Shrinker<PoolNodes<D>>>,
    _cpus: Pin<KBox<compat::cpuhp::CpuHotplug<Arc<PoolNodes<D>>>>>,
    _hotplug: Pin<KBox<MemoryNotifier<mem_hotplug::Hotplug<D>>>>,
    _debugfs: Pin<KBox<Debugfs<debugfs::PoolFiles<D>>>>,
    _pool: Arc<PoolNodes<D>>,
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
    Arc<PoolNodes<D>>: Into<client::ApiPool>,
{
    fn new(config: PoolConfig) -> Result<Self> {
        let pool = Arc::pin_init(PoolNodes::<D>::new(config)?, GFP_KERNEL)?;
        // Before the CPU callbacks exist: a zone's pagesets start with the marks, so a CPU that
        // comes up meanwhile needs no `prepare`.
        let mut nodes = KVec::new();
        for nid in pool.build_at_load()? {
            let zone = pool.node(nid).ok_or(ENODEV)?;
            if let Err(e) = zone.fill(config.initial_pages) {
                pr_err!(
                    "could not take {} pages from node {}: {:?}\n",
                    config.initial_pages,
                    nid,
                    e
                );
                return Err(e);
            }
            nodes.push(nid, GFP_KERNEL)?;
        }
        let Some(first) = pool.first() else {
            pr_err!("no node has memory the pool can use\n");
            return Err(ENOMEM);
        };
        let hotplug_stats = Arc::new(mem_hotplug::HotplugStats::default(), GFP_KERNEL)?;
        let files = debugfs::PoolFiles {
            nodes: pool.clone(),
            hotplug: hotplug_stats.clone(),
            isolation: KBox::pin_init(new_mutex!(None), GFP_KERNEL)?,
        };
        let debugfs = KBox::pin_init(
            Debugfs::new(c_str!("pcpool"), files, &debugfs::FILES),
            GFP_KERNEL,
        )?;
        let regrow_to = config.regrow.then_some(config.initial_pages);
        let handler = mem_hotplug::Hotplug::new(
            pool.clone(),
            hotplug_stats,
            regrow_to,
            config.evacuate_stall_ms,
        );
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
                first.zone().pages_per_chunk() as usize,
                pool.clone(),
            )?),
            false => None,
        };
        let api = client::ApiRegistration::new(pool.clone())?;
        let mut c = zone::ZoneCounters::default();
        for (_, zone) in pool.zones() {
            c += zone.zone().counters();
        }
        pr_info!(
            "loaded; {} pages in {} chunks from ZONE_{:?} of nodes {:?}, high {} batch {}, drain {}; memory notifier at priority {}; shrinker {}\n",
            c.nr_pages,
            c.nr_chunks,
            config.zone,
            &nodes[..],
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
