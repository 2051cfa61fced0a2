// SPDX-License-Identifier: GPL-2.0

//! pcpool's memory hotplug notifier: gives the pool's pages up when their memory goes offline,
//! takes them back when the offline is cancelled, and keeps the books right
//! (Documentation/hotplug.rst).
//!
//! # Lock order
//!
//! pcpool's locks, outermost first; none is taken while one below it is held:
//!
//! 1. `cpu_hotplug_lock`: the kernel holds it around memory and CPU hotplug callbacks, and
//!    pcpool's other paths take it as `CpusReadGuard`. Only the debugfs `isolate` file's mutex
//!    (`debugfs.rs`) comes before it.
//! 2. [`Hotplug::lock`], held from `MEM_GOING_OFFLINE` to `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`
//!    (a [`CallbackMutex`], out of lockdep's sight, so this list is its only check).
//!    The node zones' mutex ([`PoolNodes`]'s), taken at `MEM_ONLINE` and `MEM_OFFLINE` to build
//!    or tear down a zone, and by a change of the marks, is at this level too: never held with
//!    the hotplug mutex, and held across a grace period and a drain round.
//! 3. The client registry's mutex (`client.rs`), held across a client's migrate callback;
//!    [`Hotplug::pending`] is a leaf at this level.
//! 4. The pcp mutex (`Pool::pcp_lock`), then the workqueue drain's work items
//!    (`compat/workqueue.rs`).
//! 5. With IRQs off: a pageset's spinlock (`percpu_lock.rs`), then the zone's spinlock
//!    (`zone.rs`).

use crate::callback_mutex::CallbackMutex;
use crate::compat::{
    memory_notifier::{MemAction, MemoryHotplugHandler, MemoryNotify},
    module::ModuleRef,
    workqueue::OwnedQueue,
};
use crate::pool::{
    offline::{PendingOffline, Refusal},
    Drain, PoolNodes,
};
use crate::trace;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use kernel::{c_str, new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// What the notifier did, for the debugfs file `hotplug`.
#[derive(Default)]
pub(crate) struct HotplugStats {
    /// Events received, by `MemAction` value.
    pub(crate) events: [AtomicU64; 8],
    /// `MEM_GOING_OFFLINE` for ranges without pool pageblocks: nothing done.
    pub(crate) no_chunks: AtomicU64,
    /// Offlines pcpool accepted (pages handed over).
    pub(crate) accepted: AtomicU64,
    /// Refusals: clients hold pages in the range.
    pub(crate) refused_held: AtomicU64,
    /// Refusals: pages with foreign references, another isolation in progress, no memory,
    /// or pcpool unloading.
    pub(crate) refused_other: AtomicU64,
    /// Pages handed over in accepted offlines.
    pub(crate) pages_given: AtomicU64,
    /// `MEM_CANCEL_OFFLINE` after an accepted offline: pages taken back.
    pub(crate) cancelled: AtomicU64,
    /// Pageblocks (chunks) lost to `MEM_OFFLINE`.
    pub(crate) blocks_offlined: AtomicU64,
    /// The offline in progress: its first and end pfn (0, 0 when none).
    pub(crate) pending: [AtomicU64; 2],
    /// Pages moved out of ranges going offline through client migrate callbacks.
    pub(crate) evacuated: AtomicU64,
    /// Regrowths run (`regrow`), and chunks they took.
    pub(crate) regrows: AtomicU64,
    pub(crate) regrow_chunks: AtomicU64,
    /// Node zones built when memory came online, and torn down when it went.
    pub(crate) zones_built: AtomicU64,
    pub(crate) zones_torn_down: AtomicU64,
}

/// The handler behind pcpool's memory notifier.
#[pin_data]
pub(crate) struct Hotplug<D: Drain> {
    nodes: Arc<PoolNodes<D>>,
    stats: Arc<HotplugStats>,
    /// Held from an accepted `MEM_GOING_OFFLINE` until `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`,
    /// as virtio-mem holds its `hotplug_mutex`; unloading waits for it.
    #[pin]
    lock: CallbackMutex,
    /// The offline in progress, set while `lock` is held across callbacks, with a reference
    /// to pcpool.ko: while the core holds the pool's pages, `rmmod` fails at once with `EBUSY`
    /// (the offline may take long, or until a signal) instead of waiting for it.
    #[pin]
    pending: Mutex<Option<(PendingOffline<D>, ModuleRef)>>,
    /// pcpool is unloading: refuse new offlines of its ranges.
    removing: AtomicBool,
    /// With `regrow`: the pool's target size.
    regrow_to: Option<usize>,
    /// How long an offline may spend evacuating held pages.
    evacuate_stall_ms: u32,
    /// Where regrowth runs; unloading drains it.
    queue: OwnedQueue,
}

impl<D: Drain> Hotplug<D> {
    /// A handler for the zones of `nodes`, counting in `stats`; with `regrow_to`, a zone grows
    /// back to that many pages after an offline took some, and when memory comes online.
    pub(crate) fn new(
        nodes: Arc<PoolNodes<D>>,
        stats: Arc<HotplugStats>,
        regrow_to: Option<usize>,
        evacuate_stall_ms: u32,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            nodes,
            stats,
            lock <- CallbackMutex::new(),
            pending <- new_mutex!(None, "pcpool_hotplug_pending"),
            removing: AtomicBool::new(false),
            regrow_to,
            evacuate_stall_ms,
            queue: OwnedQueue::new(c_str!("pcpool_regrow"))?,
        }? Error)
    }

    /// Grows each zone back to its target, later, from the regrow queue: the chunks come from
    /// the zone's node, never from a range being offlined (the core isolated it). Not from the
    /// notifier itself, which would make the offline wait for it.
    fn regrow(&self) {
        let Some(target) = self.regrow_to else {
            return;
        };
        for (nid, pool) in self.nodes.zones() {
            if self.removing.load(Relaxed) || pool.zone().counters().nr_pages >= target {
                continue;
            }
            if pool.growth_held() {
                pr_info!("node {}: no regrowth: the pool gave memory back under pressure; a client that runs out grows it\n", nid);
                continue;
            }
            let stats = self.stats.clone();
            let queued = self.queue.spawn(move || {
                let before = pool.zone().counters().grows;
                let result = pool.fill(target);
                let c = pool.zone().counters();
                stats.regrows.fetch_add(1, Relaxed);
                stats.regrow_chunks.fetch_add(c.grows - before, Relaxed);
                match result {
                    Ok(()) => pr_info!(
                        "node {}: regrew to {} pages ({} chunks taken)\n",
                        nid,
                        c.nr_pages,
                        c.grows - before
                    ),
                    Err(e) => pr_info!(
                        "node {}: regrowth stopped at {} of {} pages: {:?}\n",
                        nid,
                        c.nr_pages,
                        target,
                        e
                    ),
                }
            });
            if queued.is_err() {
                pr_err!("regrowth not queued: out of memory\n");
            }
        }
    }

    /// `MEM_ONLINE`: a zone for each node that gained memory of its kind and has none.
    fn build_zones(&self) {
        match self.nodes.build_for_online() {
            Ok(built) => {
                for nid in built {
                    self.stats.zones_built.fetch_add(1, Relaxed);
                    pr_info!("node {}: pool zone built\n", nid);
                }
            }
            Err(e) => pr_err!("no pool zone built for the memory online: {:?}\n", e),
        }
    }

    /// `MEM_OFFLINE`: tears down the zones left empty on nodes without memory of their kind.
    fn tear_down_zones(&self) {
        for nid in self.nodes.tear_down_empty() {
            self.stats.zones_torn_down.fetch_add(1, Relaxed);
            pr_info!("node {}: pool zone torn down: its memory is offline\n", nid);
        }
    }

    fn going_offline(&self, start: usize, end: usize) -> Result {
        // A range without pool pageblocks costs a scan of the chunk table, once the grows in
        // flight are in the books (see `PoolZone::begin_offline`): no mutex, no drain.
        // A memory block lies in one node: at most one zone has pageblocks there.
        let Some((nid, pool)) = self
            .nodes
            .zones()
            .find(|(_, pool)| pool.zone().begin_offline(start, end) != 0)
        else {
            self.stats.no_chunks.fetch_add(1, Relaxed);
            return Ok(());
        };
        self.lock.lock();
        let module = ModuleRef::try_get();
        let refusal = if self.removing.load(Relaxed) || module.is_none() {
            Err(Refusal::Failed(ENODEV))
        } else {
            let target = self.nodes.evacuation_target(nid);
            pool.offline_prepare(start, end, self.evacuate_stall_ms, &target)
        };
        match refusal.map(|p| p.zip(module)) {
            Ok(Some((pending, module))) => {
                trace::offline_decision(&trace::OfflineDecision {
                    nid: nid as i32,
                    range: (start, end),
                    accepted: true,
                    pages: pending.pages(),
                    held: 0,
                    first_held_pfn: 0,
                    evacuated: pending.evacuated(),
                    reason: c_str!("free"),
                });
                pr_info!(
                    "gave up pfn [{:#x}, {:#x}): {} pages in {} pageblocks, PageOffline with refcount 0 ({} moved out first)\n",
                    start,
                    end,
                    pending.pages(),
                    pending.blocks(),
                    pending.evacuated()
                );
                self.stats.accepted.fetch_add(1, Relaxed);
                self.stats
                    .evacuated
                    .fetch_add(pending.evacuated() as u64, Relaxed);
                self.stats
                    .pages_given
                    .fetch_add(pending.pages() as u64, Relaxed);
                self.stats.pending[0].store(start as u64, Relaxed);
                self.stats.pending[1].store(end as u64, Relaxed);
                *self.pending.lock() = Some((pending, module));
                // `lock` stays held until MEM_OFFLINE or MEM_CANCEL_OFFLINE.
                Ok(())
            }
            Ok(None) => {
                // The chunks left meanwhile (none can arrive: the core isolated the range).
                self.unlock();
                Ok(())
            }
            Err(refusal) => {
                self.refuse(nid, start, end, refusal);
                self.unlock();
                Err(EBUSY)
            }
        }
    }

    fn refuse(&self, nid: usize, start: usize, end: usize, refusal: Refusal) {
        let (held, first_held_pfn, evacuated) = match refusal {
            Refusal::Held {
                pages,
                first_pfn,
                evacuated,
                ..
            } => (pages, first_pfn, evacuated),
            _ => (0, 0, 0),
        };
        trace::offline_decision(&trace::OfflineDecision {
            nid: nid as i32,
            range: (start, end),
            accepted: false,
            pages: 0,
            held,
            first_held_pfn,
            evacuated,
            reason: refusal.reason(),
        });
        match refusal {
            Refusal::Held {
                pages,
                first_pfn,
                evacuated,
                ended,
            } => {
                self.stats.refused_held.fetch_add(1, Relaxed);
                self.stats.evacuated.fetch_add(evacuated as u64, Relaxed);
                pr_info!(
                    "refusing to offline pfn [{:#x}, {:#x}): clients hold {} of its pool pages (first at pfn {:#x}; {} moved out; evacuation: {})\n",
                    start,
                    end,
                    pages,
                    first_pfn,
                    evacuated,
                    ended
                );
                crate::client::log_holders();
            }
            Refusal::Referenced { pages } => {
                self.stats.refused_other.fetch_add(1, Relaxed);
                pr_err!(
                    "refusing to offline pfn [{:#x}, {:#x}): {} pool pages have references pcpool does not own\n",
                    start,
                    end,
                    pages
                );
            }
            Refusal::Failed(_) => {
                self.stats.refused_other.fetch_add(1, Relaxed);
                pr_info!(
                    "refusing to offline pfn [{:#x}, {:#x}): {}\n",
                    start,
                    end,
                    refusal.reason()
                );
            }
        }
    }

    /// Ends the offline this task began, if any: `commit` for `MEM_OFFLINE`, otherwise a cancel.
    fn finish(&self, start: usize, end: usize, commit: bool) {
        if !self.lock.held_by_current() {
            // pcpool refused, saw no pool pageblock there, or never saw `MEM_GOING_OFFLINE`
            // (a notifier before it refused): nothing to undo.
            return;
        }
        let mut slot = self.pending.lock();
        let (pending, _module) = match slot.take() {
            Some(p) if p.0.range() == (start, end) => p,
            other => {
                // Memory hotplug runs one operation at a time, so this is a bug: say so, and
                // leave things as they are.
                pr_err!(
                    "no offline pending for pfn [{:#x}, {:#x}) (pending: {:?})\n",
                    start,
                    end,
                    other.as_ref().map(|p| p.0.range())
                );
                let none = other.is_none();
                *slot = other;
                drop(slot);
                if none {
                    self.unlock();
                }
                return;
            }
        };
        drop(slot);
        self.stats.pending[0].store(0, Relaxed);
        self.stats.pending[1].store(0, Relaxed);
        if commit {
            let pool = pending.pool();
            let blocks = pool.offline_commit(pending);
            self.stats.blocks_offlined.fetch_add(blocks as u64, Relaxed);
            pr_info!(
                "pfn [{:#x}, {:#x}) is offline: {} pool pageblocks dropped\n",
                start,
                end,
                blocks
            );
        } else {
            let pages = pending.pages();
            pending.pool().offline_cancel(pending);
            self.stats.cancelled.fetch_add(1, Relaxed);
            pr_info!(
                "offline of pfn [{:#x}, {:#x}) cancelled: {} pages taken back\n",
                start,
                end,
                pages
            );
        }
        self.unlock();
    }

    fn unlock(&self) {
        if self.lock.unlock().is_err() {
            pr_err!("hotplug mutex not held by this task\n");
        }
    }
}

impl<D: Drain> MemoryHotplugHandler for Hotplug<D> {
    fn notify(&self, action: MemAction, arg: &MemoryNotify) -> Result {
        self.stats.events[action as usize].fetch_add(1, Relaxed);
        let (start, end) = (arg.start_pfn, arg.end_pfn());
        pr_info!(
            "{} pfn [{:#x}, {:#x}) ({} pages)\n",
            action.name(),
            start,
            end,
            arg.nr_pages
        );
        match action {
            MemAction::GoingOffline => self.going_offline(start, end),
            MemAction::Offline => {
                self.finish(start, end, true);
                self.tear_down_zones();
                self.regrow();
                Ok(())
            }
            MemAction::Online => {
                self.build_zones();
                self.regrow();
                Ok(())
            }
            MemAction::CancelOffline => {
                self.finish(start, end, false);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn unregistering(&self) {
        // Wait for an offline in progress to end, and refuse the next ones: the pool must not
        // go while the core holds its pages.
        self.lock.lock();
        self.removing.store(true, Relaxed);
        self.unlock();
    }
}
