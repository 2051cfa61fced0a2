// SPDX-License-Identifier: GPL-2.0

//! The pool: a [`PoolZone`] served through per-CPU pagesets.

use crate::chunk::{PageRef, RawPage};
use crate::compat::{
    cpu::{possible_cpus, CpuId, CpusReadGuard},
    irq::{with_irqs_off, IrqDisabled},
    kthread::{cond_resched, msleep, now_ms, now_ns},
    ratelimit::pr_err_ratelimited,
    smp::on_each_cpu,
    stop_machine::stop_machine,
    workqueue::CpuWorks,
};
use crate::config::{valid_high_batch, PoolConfig};
use crate::page_list::{PageId, PageState, PageWord};
use crate::pcp::PcpList;
use crate::percpu_lock::LockablePerCpu;
use crate::trace;
use crate::verify::{self, Report, Visited};
use crate::zone::{MigrateType, PoolZone};
use core::{
    marker::PhantomData,
    sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed},
};
use kernel::{c_str, new_mutex, prelude::*, str::CStr, sync::Mutex};

mod cpu_hotplug;
mod drain;
mod isolation;
mod nodes;
pub(crate) mod offline;
mod shrink;

#[cfg(CONFIG_KUNIT)]
pub(crate) use drain::WeakIpi;
pub(crate) use drain::{Drain, Ipi, Pageblock, Remote, Workqueue};
pub(crate) use isolation::Isolation;
pub(crate) use nodes::PoolNodes;
pub(crate) use shrink::ShrinkerStats;

/// Who pages are allocated for. The pool records [`Holder::id`] with each page it hands out,
/// and calls [`Holder::admit`] and [`Holder::count`] in the IRQs-off section that takes or
/// frees the pages (see `rust/client.rs` for why).
pub(crate) trait Holder {
    /// Recorded with each page (0: the pool's in-kernel users).
    fn id(&self) -> u16;
    /// Whether it may take pages now.
    fn admit(&self, irqs: IrqDisabled<'_>) -> bool;
    /// It took (`pages > 0`) or gave back pages.
    fn count(&self, irqs: IrqDisabled<'_>, pages: isize);
}

/// The pool's in-kernel users (KUnit, debugfs, evacuation): owner 0, never counted.
pub(crate) struct InKernel;

impl Holder for InKernel {
    fn id(&self) -> u16 {
        0
    }

    fn admit(&self, _irqs: IrqDisabled<'_>) -> bool {
        true
    }

    fn count(&self, _irqs: IrqDisabled<'_>, _pages: isize) {}
}

/// Why the pool refused a free for a [`Holder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FreeRefused {
    /// Not an allocated page of the pool (logged by the pool).
    Invalid,
    /// Another holder has the page (this is its id; 0: an in-kernel user). Not logged.
    HeldBy(u16),
}

/// How an allocation may proceed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AllocFlags {
    /// Clear the page before handing it out.
    pub(crate) zero: bool,
    /// The caller may sleep, so an empty pool may take another chunk from the kernel.
    pub(crate) may_grow: bool,
}

/// The pagesets' marks ([`PcpList`]'s), under the pcp mutex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PcpConfig {
    pub(crate) high: u32,
    pub(crate) batch: u32,
    /// Between `pcp_disable` and `pcp_enable`: the CPUs run with `high = 0`, `batch = 1`.
    pub(crate) disabled: bool,
}

/// A point where a test can make pcpool sleep, to open the window of a race (debugfs
/// `inject_delay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DelayPoint {
    /// In a CPU's `prepare` callback, after its marks are set: the CPU is not online yet.
    CpuPrepare = 0,
    /// In a grow, between taking the chunk from the kernel and adding it to the chunk table;
    /// it waits first for an offline to begin.
    Grow = 1,
}

impl DelayPoint {
    /// Every point.
    pub(crate) const ALL: [Self; 2] = [Self::CpuPrepare, Self::Grow];

    /// The name debugfs uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::CpuPrepare => "cpu_prepare",
            Self::Grow => "grow",
        }
    }
}

/// The longest delay `inject_delay` takes.
pub(crate) const MAX_INJECTED_DELAY_MS: u32 = 60_000;

/// A snapshot of one CPU's pageset: [`PcpList::count`] and its marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PcpSnapshot {
    pub(crate) count: u32,
    pub(crate) high: u32,
    pub(crate) batch: u32,
}

/// A page allocated from a [`Pool`]: the safe handle for users inside the crate. It owns the
/// page until [`Pool::free_page`] takes it back, so it cannot be freed twice; it is neither
/// `Clone` nor `Copy`.
#[must_use = "a pool page leaks unless given back with Pool::free_page"]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PoolPage {
    id: PageId,
}

impl PoolPage {
    /// The page's id in its pool.
    pub(crate) fn id(&self) -> PageId {
        self.id
    }
}

/// A private page pool, whose pagesets are drained by strategy `D`.
///
/// # Invariants
///
/// The pagesets hold only pages of `zone`'s chunks.
#[pin_data]
pub(crate) struct Pool<D: Drain = Ipi> {
    #[pin]
    zone: PoolZone,
    /// The pagesets: IRQs off protect them, and a per-CPU spinlock too with the remote drain.
    #[pin]
    pcp: LockablePerCpu<PcpList, D::Locking>,
    /// Serialises changes to every CPU's marks, and isolations: the analog of
    /// `pcp_batch_high_lock`.
    #[pin]
    pcp_lock: Mutex<PcpConfig>,
    /// The work items of the `workqueue` drain.
    #[pin]
    cpu_works: CpuWorks,
    /// Drain rounds: an `on_each_cpu` (or work item, or remote) pass over every pageset.
    drains: AtomicU64,
    /// Delays injected at each [`DelayPoint`], in ms.
    delays: [AtomicU32; 2],
    /// Pages a shrink leaves the pool (`min_pages`).
    min_pages: usize,
    /// Set by a shrink, cleared when a client runs out of pages: while set, nothing but a
    /// client's allocation grows the pool (`regrow` waits).
    growth_held: AtomicBool,
    shrinker_stats: ShrinkerStats,
    _drain: PhantomData<D>,
}

impl<D: Drain> Pool<D> {
    /// A pool with `config`, which the caller has validated, draining by `D` whatever
    /// `config.drain` says. Takes no memory yet.
    pub(crate) fn new(config: PoolConfig) -> impl PinInit<Self, Error> {
        let pages_per_chunk = 1usize << crate::chunk::pageblock_order();
        let max_chunks = config.max_pages.div_ceil(pages_per_chunk);
        let (high, batch) = (config.high, config.batch);
        try_pin_init!(Self {
            zone <- PoolZone::new(max_chunks, config.zone, config.nid),
            // INVARIANT: the pagesets start empty.
            pcp <- LockablePerCpu::new(|_| PcpList::new(high, batch)),
            pcp_lock <- new_mutex!(
                PcpConfig {
                    high,
                    batch,
                    disabled: false
                },
                "pcpool_pcp_lock"
            ),
            cpu_works <- CpuWorks::new(),
            drains: AtomicU64::new(0),
            delays: [AtomicU32::new(0), AtomicU32::new(0)],
            min_pages: config.min_pages,
            growth_held: AtomicBool::new(false),
            shrinker_stats: ShrinkerStats::default(),
            _drain: PhantomData,
        }? Error)
    }

    /// The drain strategy.
    pub(crate) fn strategy(&self) -> crate::config::DrainStrategy {
        D::STRATEGY
    }

    /// The zone.
    pub(crate) fn zone(&self) -> &PoolZone {
        &self.zone
    }

    /// Grows the pool until it holds at least `pages` pages. Sleeps.
    pub(crate) fn fill(&self, pages: usize) -> Result {
        while self.zone.counters().nr_pages < pages {
            self.grow()?;
            cond_resched();
        }
        Ok(())
    }

    /// Takes one more chunk from the kernel. Sleeps.
    fn grow(&self) -> Result {
        self.zone
            .grow(|pfn, epoch| {
                if self.injected_delay_ms(DelayPoint::Grow) > 0 {
                    pr_info!("grow: took the chunk at pfn {:#x}\n", pfn);
                }
                self.injected_delay(DelayPoint::Grow, || self.zone.offline_since(epoch));
            })
            .map(|_| ())
    }

    /// Takes a page from this CPU's pageset, refilling it from the zone when it is empty
    /// (`rmqueue_pcplist()`), for holder `owner`: a list pop and one store.
    #[inline(always)]
    fn pcp_alloc<'a>(&'a self, irqs: IrqDisabled<'a>, owner: u16) -> Option<PageRef<'a>> {
        let mut pcp = self.pcp.local(irqs);
        if pcp.list.is_empty() {
            self.refill(irqs, &mut pcp);
        }
        // SAFETY: this pool's pageset holds only pages of `zone` (type invariant), and the page
        // is used in this IRQs-off section, while `self` is borrowed.
        let page = unsafe { pcp.list.pop_head(irqs) }?;
        let word = page.load_word();
        page.word()
            .store(word.with(PageState::Allocated, owner).raw(), Relaxed);
        Some(page)
    }

    /// Refills `pcp`, a pageset of this pool, with a batch from the zone.
    #[inline(always)]
    fn refill(&self, irqs: IrqDisabled<'_>, pcp: &mut PcpList) {
        // SAFETY: this pool's pagesets hold only pages of `zone` (type invariant).
        unsafe {
            self.zone
                .rmqueue_bulk(irqs, pcp.batch.max(1), &mut pcp.list)
        };
    }

    /// Gives `count` pages of `pcp`, a pageset of this pool, back to the zone.
    fn flush(&self, irqs: IrqDisabled<'_>, pcp: &mut PcpList, count: u32) {
        // SAFETY: this pool's pagesets hold only pages of `zone` (type invariant).
        unsafe { self.zone.free_pcppages_bulk(irqs, &mut pcp.list, count) };
    }

    /// Allocates one page, as a handle.
    pub(crate) fn alloc_page(&self, flags: AllocFlags) -> Result<PoolPage> {
        self.alloc(flags).map(|id| PoolPage { id })
    }

    /// Gives a page back. `EINVAL` only for a handle of another pool.
    pub(crate) fn free_page(&self, page: PoolPage) -> Result {
        self.free(page.id)
    }

    /// Runs `f` on the page's memory (contents, pfn), in an IRQs-off section.
    pub(crate) fn with_page<R>(
        &self,
        page: &PoolPage,
        f: impl FnOnce(PageRef<'_>) -> R,
    ) -> Option<R> {
        with_irqs_off(|irqs| self.zone.page(irqs, page.id).map(f))
    }

    /// Allocates one page, by id.
    pub(crate) fn alloc(&self, flags: AllocFlags) -> Result<PageId> {
        self.alloc_with(flags, &InKernel, |irqs, page| {
            self.zone.id_of_page(irqs, page)
        })
        .ok_or(ENOMEM)
    }

    /// Allocates one page for `holder`.
    pub(crate) fn alloc_for(&self, flags: AllocFlags, holder: &impl Holder) -> Option<RawPage> {
        self.alloc_with(flags, holder, |_, page| Some(page.raw()))
    }

    /// Allocates up to `out.len()` pages for `holder` into `out`; returns how many.
    pub(crate) fn alloc_bulk_for(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        out: &mut [Option<RawPage>],
    ) -> usize {
        self.alloc_bulk_with(flags, holder, out, |_, page| Some(Some(page.raw())))
    }

    /// Frees `page` for `holder`, if it is an allocated page of the pool that `holder` has:
    /// the page's owner is the one record of who holds it.
    #[inline(always)]
    pub(crate) fn free_for(&self, page: RawPage, holder: &impl Holder) -> Result<(), FreeRefused> {
        with_irqs_off(|irqs| self.free_for_irqs_off(irqs, page, holder))
    }

    #[inline(always)]
    fn free_for_irqs_off(
        &self,
        irqs: IrqDisabled<'_>,
        page: RawPage,
        holder: &impl Holder,
    ) -> Result<(), FreeRefused> {
        let Some((page, word)) = self.zone.find(irqs, page) else {
            refuse_foreign(page);
            return Err(FreeRefused::Invalid);
        };
        self.free_found(irqs, page, word, holder)
    }

    /// [`Pool::free_for`] of `page`, found in the zone with `word`.
    #[inline(always)]
    fn free_found(
        &self,
        irqs: IrqDisabled<'_>,
        page: PageRef<'_>,
        word: PageWord,
        holder: &impl Holder,
    ) -> Result<(), FreeRefused> {
        if word.state() == PageState::Allocated && word.owner() != holder.id() {
            return Err(FreeRefused::HeldBy(word.owner()));
        }
        self.free_to_pcp(irqs, page, word)
            .map_err(|_| FreeRefused::Invalid)?;
        holder.count(irqs, -1);
        Ok(())
    }

    /// Allocates one page and returns `f(irqs, page)`, run in the same IRQs-off section (while
    /// the page can be reached). One attempt inline; growing the pool and trying again is out of
    /// line.
    #[inline(always)]
    fn alloc_with<R>(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        f: impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Option<R> {
        match self.try_alloc(flags, holder, &f) {
            Ok(r) => Some(r),
            Err(true) if flags.may_grow => self.alloc_growing(flags, holder, &f),
            Err(_) => None,
        }
    }

    /// One IRQs-off attempt of [`Pool::alloc_with`]: the result, or whether `holder` was
    /// admitted.
    #[inline(always)]
    fn try_alloc<R>(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Result<R, bool> {
        with_irqs_off(|irqs| self.try_alloc_irqs_off(irqs, flags, holder, f))
    }

    /// [`Pool::try_alloc`] in the caller's IRQs-off section.
    #[inline(always)]
    fn try_alloc_irqs_off<R>(
        &self,
        irqs: IrqDisabled<'_>,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Result<R, bool> {
        if !holder.admit(irqs) {
            return Err(false);
        }
        let r = self.pcp_alloc(irqs, holder.id()).and_then(|page| {
            prepare(page, flags);
            f(irqs, page)
        });
        if r.is_some() {
            holder.count(irqs, 1);
        }
        r.ok_or(true)
    }

    /// [`Pool::alloc_with`] once the pool is out of pages: grows it and tries again. Sleeps.
    #[cold]
    #[inline(never)]
    fn alloc_growing<R>(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        f: &impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<R>,
    ) -> Option<R> {
        // A client ran out: growth after a shrink may resume.
        self.growth_held.store(false, Relaxed);
        loop {
            self.grow().ok()?;
            match self.try_alloc(flags, holder, f) {
                Ok(r) => return Some(r),
                Err(true) => continue,
                Err(false) => return None,
            }
        }
    }

    /// Allocates up to `out.len()` pages into `out`; returns how many. Stops early only when
    /// the pool is out of pages (and may not, or cannot, grow).
    pub(crate) fn alloc_bulk(&self, flags: AllocFlags, out: &mut [PageId]) -> usize {
        self.alloc_bulk_with(flags, &InKernel, out, |irqs, page| {
            self.zone.id_of_page(irqs, page)
        })
    }

    fn alloc_bulk_with<T>(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        out: &mut [T],
        f: impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<T>,
    ) -> usize {
        self.alloc_bulk_sections(flags, holder, out, f, || 0, |_| {})
    }

    /// [`Pool::alloc_bulk_with`], in IRQs-off sections of at most one pcp batch each (zeroing
    /// included), so that a large bulk allocation never keeps IRQs off for longer than a batch
    /// does. `clock` is read at the start and end of each section, and `section` gets the
    /// difference (the benchmark's `max_irqsoff_insn`; elsewhere both are no-ops).
    pub(crate) fn alloc_bulk_sections<T>(
        &self,
        flags: AllocFlags,
        holder: &impl Holder,
        out: &mut [T],
        f: impl Fn(IrqDisabled<'_>, PageRef<'_>) -> Option<T>,
        clock: impl Fn() -> u64,
        mut section: impl FnMut(u64),
    ) -> usize {
        let mut done = 0;
        while done < out.len() {
            let (n, ticks) = with_irqs_off(|irqs| {
                let t0 = clock();
                if !holder.admit(irqs) {
                    return (None, clock() - t0);
                }
                let cap = self.pcp.local(irqs).batch.max(1) as usize;
                let mut n = 0;
                for slot in out[done..].iter_mut().take(cap) {
                    let Some(page) = self.pcp_alloc(irqs, holder.id()) else {
                        break;
                    };
                    prepare(page, flags);
                    match f(irqs, page) {
                        Some(v) => *slot = v,
                        None => break,
                    }
                    n += 1;
                }
                holder.count(irqs, n as isize);
                (Some(n), clock() - t0)
            });
            // Not admitted: the holder is going away.
            let Some(n) = n else { break };
            section(ticks);
            done += n;
            if n == 0 && (!flags.may_grow || self.grow().is_err()) {
                break;
            }
        }
        done
    }

    /// Frees page `id` to this CPU's pageset, flushing `batch` pages to the zone when `count`
    /// reaches `high` (`free_unref_page()`). A page that is not allocated (a double free, a
    /// stray id) is refused with `EINVAL` and logged; the pool stays as it was.
    pub(crate) fn free(&self, id: PageId) -> Result {
        with_irqs_off(|irqs| self.free_one(irqs, id))
    }

    /// Frees every page of `ids`, in IRQs-off sections of at most one pcp batch; stops at the
    /// first that is not allocated.
    pub(crate) fn free_bulk(&self, ids: &[PageId]) -> Result {
        self.in_batches(ids.len(), |irqs, section| {
            ids[section]
                .iter()
                .try_for_each(|&id| self.free_one(irqs, id))
        })
    }

    /// Runs `f` over `0..n` in consecutive ranges of at most one pcp batch, each in an IRQs-off
    /// section of its own, so that a bulk call keeps IRQs off no longer than a batch does; stops
    /// at the first error.
    fn in_batches<E>(
        &self,
        n: usize,
        mut f: impl FnMut(IrqDisabled<'_>, core::ops::Range<usize>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut done = 0;
        while done < n {
            with_irqs_off(|irqs| {
                let end = n.min(done + self.pcp.local(irqs).batch.max(1) as usize);
                let section = done..end;
                done = end;
                f(irqs, section)
            })?;
        }
        Ok(())
    }

    fn free_one(&self, irqs: IrqDisabled<'_>, id: PageId) -> Result {
        let Some(page) = self.zone.page(irqs, id) else {
            refuse_outside(id);
            return Err(EINVAL);
        };
        let word = page.load_word();
        self.free_to_pcp(irqs, page, word)
    }

    /// Frees `page` of the zone, whose word was `word` when its holder was checked: one
    /// compare-and-exchange from allocated to pcp, which refuses a page that is not allocated
    /// (a double free, also one racing on another CPU), and a push on this CPU's pageset.
    #[inline(always)]
    fn free_to_pcp(&self, irqs: IrqDisabled<'_>, page: PageRef<'_>, word: PageWord) -> Result {
        let pcp_word = word.with(PageState::Pcp, 0);
        if word.state() != PageState::Allocated
            || page
                .word()
                .compare_exchange(word.raw(), pcp_word.raw(), Relaxed, Relaxed)
                .is_err()
        {
            self.refuse_not_allocated(irqs, page);
            return Err(EINVAL);
        }
        let slot = word.slot();
        // A shortcut, not the guarantee: a page of an ISOLATE block skips the pageset. What keeps
        // pages of a block being isolated off the movable list is that `pcp_disable` leaves
        // `high = 0` (this free flushes before IRQs come back on) and that the zone's free path
        // reads the migratetype again under the zone lock (model/pcpool.pml checks both).
        if self.zone.migratetype(irqs, slot) == MigrateType::Isolate {
            // SAFETY: a page of the zone's chunks, ours since the exchange above, on no list.
            unsafe { self.zone.free_one(irqs, page) };
            return Ok(());
        }
        let mut guard = self.pcp.local(irqs);
        let pcp = &mut *guard;
        // SAFETY: a page of the zone's chunks, ours since the exchange above, on no list, onto
        // this pool's pageset (which keeps the type invariant).
        unsafe { pcp.list.push_head(page) };
        let (count, high) = (pcp.list.len(), pcp.high);
        if count >= high {
            let n = if high == 0 {
                count
            } else {
                pcp.batch.min(count)
            };
            self.flush(irqs, pcp, n);
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn refuse_not_allocated(&self, irqs: IrqDisabled<'_>, page: PageRef<'_>) {
        let state = page.load_word().state();
        match self.zone.id_of_page(irqs, page) {
            Some(id) => pr_err_ratelimited!(
                "free of page id {} refused: it is not allocated ({:?}; a double free?)\n",
                id,
                state
            ),
            None => refuse_foreign(page.raw()),
        }
    }

    /// Runs `f` on every CPU's pageset by the mechanism of the strategy, and returns once it has
    /// run everywhere. Sleeps.
    fn on_each_pcp(&self, f: &(impl Fn(IrqDisabled<'_>, &mut PcpList) + Sync)) {
        D::on_each_pcp(self, f);
    }

    /// Drains every CPU's pageset, with one round of the strategy. Sleeps.
    ///
    /// A CPU whose list is empty has nothing to do here, and may be skipped: unlike
    /// `pcp_disable`, this drain promises nothing about frees that race with it (its caller
    /// only wants pages back), so a free that lands just after the `count` check is fine.
    pub(crate) fn drain_all(&self) {
        self.drain_round(c_str!("drain"), &|irqs, pcp| {
            let n = pcp.count();
            if n != 0 {
                self.flush(irqs, pcp, n);
            }
            n
        });
    }

    /// One round of the strategy, `f` flushing a pageset and returning how many pages it took
    /// off: counted in `drains` and traced as `kind` with the pagesets it reached and the pages.
    /// Sleeps.
    pub(super) fn drain_round(
        &self,
        kind: &CStr,
        f: &(impl Fn(IrqDisabled<'_>, &mut PcpList) -> u32 + Sync),
    ) {
        let (cpus, pages) = (AtomicU32::new(0), AtomicUsize::new(0));
        let start = now_ns();
        self.drains.fetch_add(1, Relaxed);
        self.on_each_pcp(&|irqs, pcp| {
            cpus.fetch_add(1, Relaxed);
            pages.fetch_add(f(irqs, pcp) as usize, Relaxed);
        });
        trace::drain(
            self.zone.nid(),
            D::STRATEGY.c_name(),
            kind,
            cpus.load(Relaxed),
            pages.load(Relaxed),
            now_ns() - start,
        );
    }

    fn refuse_if_disabled(config: &PcpConfig, what: &str) -> Result {
        if config.disabled {
            pr_err!(
                "{} not changed: the pagesets are disabled while an isolation or an offline is in progress\n",
                what
            );
            return Err(EBUSY);
        }
        Ok(())
    }

    /// The current marks.
    pub(crate) fn pcp_config(&self) -> PcpConfig {
        *self.pcp_lock.lock()
    }

    /// Sets every CPU's `high` and `batch` (`zone_pcp_update()`): `EINVAL`, and nothing
    /// changes, unless `1 <= batch <= high <= MAX_HIGH` or `high == 0`. A pageset above its new
    /// high mark is flushed down to it. Sleeps.
    pub(crate) fn set_high_batch(&self, high: u32, batch: u32) -> Result {
        self.update_pcp(|c| PcpConfig { high, batch, ..c })
    }

    /// Sets every CPU's `high`, keeping `batch`; as [`Pool::set_high_batch`].
    pub(crate) fn set_high(&self, high: u32) -> Result {
        self.update_pcp(|c| PcpConfig { high, ..c })
    }

    fn update_pcp(&self, f: impl FnOnce(PcpConfig) -> PcpConfig) -> Result {
        let _cpus = CpusReadGuard::new();
        self.update_pcp_cpuslocked(f)
    }

    /// [`Pool::update_pcp`] for a caller that holds CPU hotplug off.
    fn update_pcp_cpuslocked(&self, f: impl FnOnce(PcpConfig) -> PcpConfig) -> Result {
        // No CPU comes online meanwhile: it gets the new marks from its `prepare` callback or
        // from the `on_each_cpu` round below, never neither.
        let mut config = self.pcp_lock.lock();
        Self::refuse_if_disabled(&config, "high/batch")?;
        let new = f(*config);
        let PcpConfig { high, batch, .. } = new;
        if !valid_high_batch(high, batch) {
            pr_err!(
                "high {} / batch {} rejected: need 1 <= batch <= high <= {}, or high 0\n",
                high,
                batch,
                crate::config::MAX_HIGH
            );
            return Err(EINVAL);
        }
        self.on_each_pcp(&|irqs, pcp| {
            pcp.set_high_batch(high, batch);
            let excess = pcp.count().saturating_sub(high);
            if excess > 0 {
                self.flush(irqs, pcp, excess);
            }
        });
        *config = new;
        Ok(())
    }

    /// Holds the caller at `point` as a test asked (debugfs `inject_delay`): first until
    /// `ready()` (the event the test waits for has happened), then until the test sets the
    /// delay back to 0, for at most the delay's milliseconds in all. Sleeps.
    pub(crate) fn injected_delay(&self, point: DelayPoint, ready: impl Fn() -> bool) {
        let ms = self.injected_delay_ms(point);
        if ms == 0 {
            return;
        }
        pr_info!("inject_delay: up to {} ms at {}\n", ms, point.name());
        let end = now_ms() + u64::from(ms);
        while !ready() && now_ms() < end && self.injected_delay_ms(point) != 0 {
            msleep(10);
        }
        while now_ms() < end && self.injected_delay_ms(point) != 0 {
            msleep(10);
        }
        pr_info!("inject_delay: {} goes on\n", point.name());
    }

    /// The delay injected at `point`, in ms.
    pub(crate) fn injected_delay_ms(&self, point: DelayPoint) -> u32 {
        self.delays[point as usize].load(Relaxed)
    }

    /// Sets the delay injected at `point` (at most [`MAX_INJECTED_DELAY_MS`]).
    pub(crate) fn inject_delay(&self, point: DelayPoint, ms: u32) {
        self.delays[point as usize].store(ms.min(MAX_INJECTED_DELAY_MS), Relaxed);
    }

    /// Drain rounds so far: `drain_all` calls and `pcp_disable` rounds.
    pub(crate) fn drains(&self) -> u64 {
        self.drains.load(Relaxed)
    }

    /// Runs `f(cpu, count, high, batch)` on every online CPU, in IPI context, for stats.
    pub(crate) fn for_each_pcp(&self, f: &(impl Fn(CpuId, u32, u32, u32) + Sync)) {
        on_each_cpu(&|irqs| {
            let pcp = self.pcp.local(irqs);
            f(irqs.cpu(), pcp.count(), pcp.high, pcp.batch);
        });
    }

    /// A snapshot of this CPU's pageset.
    pub(crate) fn local_pcp(&self, irqs: IrqDisabled<'_>) -> PcpSnapshot {
        let pcp = self.pcp.local(irqs);
        PcpSnapshot {
            count: pcp.count(),
            high: pcp.high,
            batch: pcp.batch,
        }
    }

    /// The full consistency scan, with the machine stopped so that every list holds still:
    /// every page of every chunk is on exactly one list or allocated, and every counter agrees
    /// with what the lists hold. Sleeps.
    pub(crate) fn verify(&self) -> Result<Report> {
        self.verify_isolated(None)
    }

    /// [`Pool::verify`], and with `range`, count the pages of that isolated pfn range that are
    /// on a pcp list or the movable free list (`Report::isolated_leaks`), in the same stopped
    /// moment.
    pub(crate) fn verify_isolated(&self, range: Option<(usize, usize)>) -> Result<Report> {
        let mut visited = Visited::new(self.zone.max_pages())?;
        let report = stop_machine(|stopped| {
            let irqs = stopped.irqs_off();
            let mut r = Report::default();
            let zone = self.zone.lock(irqs);
            verify::free_lists(&self.zone, irqs, &zone, &mut visited, &mut r);
            verify::chunks(&self.zone, irqs, &zone, &mut r);
            for cpu in possible_cpus() {
                verify::pageset(
                    &self.zone,
                    irqs,
                    cpu,
                    self.pcp.stopped(cpu, stopped),
                    &mut visited,
                    &mut r,
                );
            }
            verify::pages(&self.zone, irqs, &visited, &mut r);
            if let Some((start, end)) = range {
                r.isolated_leaks = self.zone.count_in_range(irqs, start, end, PageState::Pcp)
                    + self
                        .zone
                        .free_in_range(irqs, &zone, start, end, MigrateType::Movable);
            }
            r
        });
        report.ok_or(EAGAIN)
    }
}

/// The free paths' refusals, out of line.
#[cold]
#[inline(never)]
fn refuse_foreign(page: RawPage) {
    pr_err_ratelimited!("free of {:?} refused: not a page of the pool\n", page);
}

#[cold]
#[inline(never)]
fn refuse_outside(id: PageId) {
    pr_err_ratelimited!("free of page id {} outside the pool\n", id);
}

/// Clears the page for an allocation that asked for it; out of line.
#[inline(always)]
fn prepare(page: PageRef<'_>, flags: AllocFlags) {
    if flags.zero {
        zero(page);
    }
}

#[cold]
#[inline(never)]
fn zero(page: PageRef<'_>) {
    page.zero();
}
