// SPDX-License-Identifier: GPL-2.0

//! The pool's node zones: a [`Pool`] per node with memory, each with its own chunks, free
//! lists, counters and pagesets, published for the IRQs-off fast paths through an [`RcuArc`]
//! (Documentation/hotplug.rst, "A node's pool zone going away").
//!
//! An allocation takes a page from its node's zone, then from the others by distance (the
//! node's zonelist), and grows the pool only when all are empty, its own node first. A free
//! finds the page's zone by looking it up in the chunk tables, the local node's first: a
//! client's `struct page *` is never dereferenced.
//!
//! A node's zone is torn down when memory hotplug leaves it empty and leaves the node no memory
//! it could grow from: it is unpublished, a grace period passes (every IRQs-off section that may
//! have seen it has ended), its pagesets are drained, and they go with the last reference.
//! It is rebuilt when memory of its kind comes online on the node again.

use super::offline::{EvacuationTarget, Evacuee};
use super::{refuse_foreign, AllocFlags, Drain, FreeRefused, Holder, PcpConfig, Pool};
use crate::chunk::{PageRef, RawPage, ZoneKind, NUMA_NO_NODE};
use crate::compat::{
    cpu::CpusReadGuard,
    irq::{with_irqs_off, IrqDisabled},
    node::{node_distance, node_has_memory, nr_node_ids, numa_node_id},
    rcu::RcuArc,
    shrinker::{Count, Scan, Shrink},
};
use crate::config::PoolConfig;
use kernel::{new_mutex, prelude::*, sync::Arc, sync::Mutex};

/// Every node's pool zone.
///
/// # Invariants
///
/// `nodes` and `zonelists` have an entry per node id; each zonelist holds every node id once,
/// its own first.
#[pin_data]
pub(crate) struct PoolNodes<D: Drain> {
    /// Each node's zone, or none.
    nodes: KVec<RcuArc<Pool<D>>>,
    /// For each node, every node by distance from it, itself first.
    zonelists: KVec<KVec<u16>>,
    /// The settings of a zone to build (their marks are the zones' own while one exists).
    config: PoolConfig,
    /// Serialises building and tearing down zones, and changes of the marks.
    #[pin]
    lock: Mutex<()>,
}

impl<D: Drain> PoolNodes<D> {
    /// No zone yet: [`PoolNodes::build`] makes them.
    pub(crate) fn new(config: PoolConfig) -> Result<impl PinInit<Self, Error>> {
        let n = nr_node_ids();
        let mut nodes = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut zonelists = KVec::with_capacity(n, GFP_KERNEL)?;
        for from in 0..n {
            nodes.push(RcuArc::new(), GFP_KERNEL)?;
            let mut list = KVec::with_capacity(n, GFP_KERNEL)?;
            for to in 0..n {
                list.push(to as u16, GFP_KERNEL)?;
            }
            // Itself first (distance 10), then by distance, ties by id.
            list.sort_unstable_by_key(|&to| {
                let to = usize::from(to);
                (to != from, node_distance(from, to), to)
            });
            zonelists.push(list, GFP_KERNEL)?;
        }
        // INVARIANT: an entry per node id, each zonelist a permutation starting with its node.
        Ok(try_pin_init!(Self {
            nodes,
            zonelists,
            config,
            lock <- new_mutex!((), "pcpool_nodes"),
        }? Error))
    }

    /// Whether the pool keeps a zone on `nid`: the `node` parameter may restrict it to one.
    fn serves(config: &PoolConfig, nid: usize) -> bool {
        config.nid == NUMA_NO_NODE || config.nid as usize == nid
    }

    /// At load: builds a zone on every node it serves that has memory (a node without
    /// ZONE_MOVABLE serves movable chunks from its other zones), and returns the nodes built.
    /// Before the CPU callbacks are registered. It takes no memory.
    pub(crate) fn build_at_load(&self) -> Result<KVec<usize>> {
        self.build(false)
    }

    /// At `MEM_ONLINE`: builds a zone on every node it serves that has none and now has memory
    /// of the pool's kind (ZONE_MOVABLE for `zone=movable`): a node whose zone was torn down
    /// gets it back. Memory hotplug holds CPU hotplug off, so the CPU callbacks see the zone
    /// from the start.
    pub(crate) fn build_for_online(&self) -> Result<KVec<usize>> {
        self.build(true)
    }

    /// [`PoolNodes::build_at_load`] and [`PoolNodes::build_for_online`]: `of_kind` asks for
    /// memory of the pool's kind. A zone's pagesets start with the current marks.
    fn build(&self, of_kind: bool) -> Result<KVec<usize>> {
        let _guard = self.lock.lock();
        let config = &self.config;
        let movable = of_kind && config.zone == ZoneKind::Movable;
        // The marks of the zones there are (the last one is never torn down), else the loaded
        // ones; a zone built during an isolation starts enabled, as a CPU that comes up after
        // it does not (only the isolated zone's pagesets are disabled).
        let (high, batch) = self.first().map_or((config.high, config.batch), |pool| {
            let marks = pool.pcp_config();
            (marks.high, marks.batch)
        });
        let mut built = KVec::new();
        for nid in 0..self.nodes.len() {
            if !Self::serves(config, nid)
                || !node_has_memory(nid, movable)
                || self.node(nid).is_some()
            {
                continue;
            }
            let zone_config = PoolConfig {
                nid: nid as i32,
                high,
                batch,
                ..*config
            };
            let pool = Arc::pin_init(Pool::<D>::new(zone_config), GFP_KERNEL)?;
            built.push(nid, GFP_KERNEL)?;
            // Nothing was published here: no grace period to wait for.
            drop(self.nodes[nid].replace(Some(pool)).after_grace_period());
        }
        Ok(built)
    }

    /// Tears down every zone that memory hotplug left empty on a node without memory of its
    /// kind, but the last one (the pool always has a zone to grow), and returns the nodes torn
    /// down. The caller holds CPU hotplug off (memory hotplug
    /// does), so no CPU dies between the drain and the check. Sleeps.
    pub(crate) fn tear_down_empty(&self) -> KVec<usize> {
        let _guard = self.lock.lock();
        let movable = self.config.zone == ZoneKind::Movable;
        let mut gone = KVec::new();
        for nid in 0..self.nodes.len() {
            let Some(pool) = self.node(nid) else {
                continue;
            };
            let others = self.zones().any(|(other, _)| other != nid);
            // Closed, it holds no page and never will: a grow on the node (there may be memory
            // of another kind left) now fails, and the allocation falls back to other nodes.
            if !others || node_has_memory(nid, movable) || !pool.zone().close() {
                continue;
            }
            // Then unreachable: no allocation or free finds it once the IRQs-off sections that
            // read the pointer before have ended. Then drained, with nobody left to put a page
            // back (there is none to put: the drain only keeps the order that needs none).
            drop(pool);
            let Some(pool) = self.nodes[nid].replace(None).after_grace_period() else {
                continue;
            };
            pool.drain_all();
            if gone.push(nid, GFP_KERNEL).is_err() {
                pr_err!(
                    "node {}: zone torn down, not reported (out of memory)\n",
                    nid
                );
            }
            // The pagesets go with the last reference: here, or when a debugfs reader, a
            // regrowth or the shrinker drops its own.
        }
        gone
    }

    /// Node `nid`'s zone, for a caller that may sleep.
    pub(crate) fn node(&self, nid: usize) -> Option<Arc<Pool<D>>> {
        self.nodes.get(nid)?.get_arc()
    }

    /// Every zone, by node.
    pub(crate) fn zones(&self) -> impl Iterator<Item = (usize, Arc<Pool<D>>)> + '_ {
        (0..self.nodes.len()).filter_map(|nid| self.node(nid).map(|pool| (nid, pool)))
    }

    /// The zone of the first node that has one: the pool's zone on a machine of one node.
    pub(crate) fn first(&self) -> Option<Arc<Pool<D>>> {
        self.zones().next().map(|(_, pool)| pool)
    }

    /// Node `nid`'s zonelist.
    fn zonelist(&self, nid: usize) -> impl Iterator<Item = usize> + '_ {
        self.zonelists[nid].iter().map(|&n| usize::from(n))
    }

    /// The node an allocation asked for, if it is one, else this CPU's.
    #[inline(always)]
    fn home(&self, irqs: IrqDisabled<'_>, nid: Option<usize>) -> usize {
        match nid {
            Some(nid) if nid < self.nodes.len() => nid,
            _ => numa_node_id(irqs),
        }
    }

    /// Sets every zone's `high`, and so that of the zones built later; as [`Pool::set_high`],
    /// with the first zone's error.
    pub(crate) fn set_high(&self, high: u32) -> Result {
        self.update_pcp(|c| PcpConfig { high, ..c })
    }

    /// Sets every zone's `batch`; as [`PoolNodes::set_high`].
    pub(crate) fn set_batch(&self, batch: u32) -> Result {
        self.update_pcp(|c| PcpConfig { batch, ..c })
    }

    fn update_pcp(&self, f: impl Fn(PcpConfig) -> PcpConfig) -> Result {
        // CPU hotplug first, as memory hotplug takes it before building or tearing down a zone.
        let _cpus = CpusReadGuard::new();
        let _guard = self.lock.lock();
        self.zones()
            .try_for_each(|(_, pool)| pool.update_pcp_cpuslocked(&f))
    }

    /// Allocates one page for `holder` from node `nid` (or this CPU's), falling back by
    /// distance.
    #[inline(always)]
    pub(crate) fn alloc_for(
        &self,
        flags: AllocFlags,
        nid: Option<usize>,
        holder: &impl Holder,
    ) -> Option<RawPage> {
        self.alloc_with(flags, nid, holder, |_, page| Some(page.raw()))
    }

    #[inline(always)]
    fn alloc_with<R>(
        &self,
        flags: AllocFlags,
        nid: Option<usize>,
        holder: &impl Holder,
        f: impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Option<R> {
        let (r, home) = with_irqs_off(|irqs| self.try_alloc_irqs_off(irqs, nid, flags, holder, &f));
        match r {
            Ok(r) => Some(r),
            Err(true) if flags.may_grow => self.alloc_growing(home, flags, holder, &f),
            Err(_) => None,
        }
    }

    /// One IRQs-off attempt of [`PoolNodes::alloc_with`], from the home node's zone or the
    /// others': the result (as [`Pool::try_alloc`]'s) and the home node.
    #[inline(always)]
    fn try_alloc_irqs_off<R>(
        &self,
        irqs: IrqDisabled<'_>,
        nid: Option<usize>,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> (Result<R, bool>, usize) {
        let home = self.home(irqs, nid);
        let r = match self.nodes[home].get(irqs) {
            Some(pool) => match pool.try_alloc_irqs_off(irqs, flags, holder, f) {
                Err(true) => self.alloc_remote(irqs, home, flags, holder, f),
                r => r,
            },
            None => self.alloc_remote(irqs, home, flags, holder, f),
        };
        (r, home)
    }

    /// The local zone is empty (or there is none): the others', by distance.
    #[cold]
    #[inline(never)]
    fn alloc_remote<R>(
        &self,
        irqs: IrqDisabled<'_>,
        home: usize,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Result<R, bool> {
        for nid in self.zonelist(home).skip(1) {
            if let Some(pool) = self.nodes[nid].get(irqs) {
                match pool.try_alloc_irqs_off(irqs, flags, holder, f) {
                    Err(true) => continue,
                    r => return r,
                }
            }
        }
        Err(true)
    }

    /// Every zone is empty: grows one, by distance, and allocates from it. Sleeps.
    #[cold]
    #[inline(never)]
    fn alloc_growing<R>(
        &self,
        home: usize,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Option<R> {
        self.zonelist(home)
            .filter_map(|nid| self.node(nid))
            .find_map(|pool| pool.alloc_growing(flags, holder, f))
    }

    /// Allocates up to `out.len()` pages for `holder` into `out`, by distance from node `nid`
    /// (or this CPU's) as [`PoolNodes::alloc_for`]; returns how many.
    pub(crate) fn alloc_bulk_for(
        &self,
        flags: AllocFlags,
        nid: Option<usize>,
        holder: &impl Holder,
        out: &mut [Option<RawPage>],
    ) -> usize {
        let home = with_irqs_off(|irqs| self.home(irqs, nid));
        let mut done = 0;
        let pass = |flags: AllocFlags, done: &mut usize, out: &mut [Option<RawPage>]| {
            for pool in self.zonelist(home).filter_map(|nid| self.node(nid)) {
                if *done == out.len() {
                    break;
                }
                *done += pool.alloc_bulk_for(flags, holder, &mut out[*done..]);
            }
        };
        let free_pages_only = AllocFlags {
            may_grow: false,
            ..flags
        };
        pass(free_pages_only, &mut done, out);
        if done < out.len() && flags.may_grow {
            pass(flags, &mut done, out);
        }
        done
    }

    /// Frees `page` for `holder` to its zone, as [`Pool::free_for`].
    #[inline(always)]
    pub(crate) fn free_for(&self, page: RawPage, holder: &impl Holder) -> Result<(), FreeRefused> {
        with_irqs_off(|irqs| self.free_for_irqs_off(irqs, numa_node_id(irqs), page, holder))
    }

    /// [`PoolNodes::free_for`] on a CPU of node `home`, in the caller's IRQs-off section.
    #[inline(always)]
    fn free_for_irqs_off(
        &self,
        irqs: IrqDisabled<'_>,
        home: usize,
        page: RawPage,
        holder: &impl Holder,
    ) -> Result<(), FreeRefused> {
        if let Some(pool) = self.nodes[home].get(irqs) {
            if let Some((found, word)) = pool.zone().find(irqs, page) {
                return pool.free_found(irqs, found, word, holder);
            }
        }
        self.free_remote(irqs, home, page, holder)
    }

    /// Not a page of the local zone: the others'.
    #[cold]
    #[inline(never)]
    fn free_remote(
        &self,
        irqs: IrqDisabled<'_>,
        home: usize,
        page: RawPage,
        holder: &impl Holder,
    ) -> Result<(), FreeRefused> {
        for nid in self.zonelist(home).skip(1) {
            if let Some(pool) = self.nodes[nid].get(irqs) {
                if let Some((found, word)) = pool.zone().find(irqs, page) {
                    return pool.free_found(irqs, found, word, holder);
                }
            }
        }
        refuse_foreign(page);
        Err(FreeRefused::Invalid)
    }

    /// Frees `pages` for `holder` as [`PoolNodes::free_for`] frees one, in IRQs-off sections of
    /// at most a pcp batch; `refused` hears of each entry not freed.
    pub(crate) fn free_bulk_for(
        &self,
        pages: &[Option<RawPage>],
        holder: &impl Holder,
        mut refused: impl FnMut(Option<RawPage>, FreeRefused),
    ) -> usize {
        let (mut freed, mut done) = (0, 0);
        while done < pages.len() {
            with_irqs_off(|irqs| {
                let home = numa_node_id(irqs);
                let batch = self.nodes[home]
                    .get(irqs)
                    .map_or(1, |pool| pool.local_pcp(irqs).batch.max(1) as usize);
                let end = pages.len().min(done + batch);
                for &entry in &pages[done..end] {
                    let result = match entry {
                        Some(page) => self.free_for_irqs_off(irqs, home, page, holder),
                        None => Err(FreeRefused::Invalid),
                    };
                    match result {
                        Ok(()) => freed += 1,
                        Err(why) => refused(entry, why),
                    }
                }
                done = end;
            });
        }
        freed
    }
}

/// Reclaim asks the zones in turn, until one call has given enough.
impl<D: Drain> Shrink for PoolNodes<D> {
    fn count_objects(&self) -> Count {
        let n = self
            .zones()
            .map(|(_, pool)| match pool.count_objects() {
                Count::Freeable(n) => n,
                Count::Empty => 0,
            })
            .sum();
        match n {
            0 => Count::Empty,
            n => Count::Freeable(n),
        }
    }

    fn scan_objects(&self, nr_to_scan: usize) -> Scan {
        let (mut freed, mut stopped) = (0, false);
        for (_, pool) in self.zones() {
            if freed >= nr_to_scan {
                break;
            }
            if pool.shrinkable() == 0 {
                continue;
            }
            match pool.scan_objects(nr_to_scan - freed) {
                Scan::Freed(n) => freed += n,
                Scan::Stop => stopped = true,
            }
        }
        if freed == 0 && stopped {
            Scan::Stop
        } else {
            Scan::Freed(freed)
        }
    }
}

/// Evacuation's target for an offline of memory on node `nid`: as the kernel's
/// `do_migrate_range()`, another node's zone first, by distance (growing it if need be), and
/// the node's own only when no other has a page: when a node's memory goes away, its clients'
/// pages leave the node instead of landing in what it has left.
pub(crate) struct OtherNodesFirst<'a, D: Drain> {
    nodes: &'a PoolNodes<D>,
    nid: usize,
}

impl<D: Drain> PoolNodes<D> {
    /// Where an offline of memory on node `nid` moves its clients' pages.
    pub(crate) fn evacuation_target(&self, nid: usize) -> OtherNodesFirst<'_, D> {
        OtherNodesFirst { nodes: self, nid }
    }
}

impl<D: Drain> EvacuationTarget for OtherNodesFirst<'_, D> {
    fn alloc_for(&self, owner: u16) -> Option<RawPage> {
        let flags = AllocFlags {
            zero: false,
            may_grow: true,
        };
        let holder = Evacuee(owner);
        let mut nodes = Iterator::chain(self.nodes.zonelist(self.nid).skip(1), [self.nid]);
        nodes.find_map(|nid| self.nodes.node(nid)?.alloc_for(flags, &holder))
    }

    fn free_for(&self, page: RawPage, owner: u16) {
        let _ = self.nodes.free_for(page, &Evacuee(owner));
    }
}
