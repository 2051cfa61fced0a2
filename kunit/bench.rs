// SPDX-License-Identifier: GPL-2.0

//! Benchmarks P2, P3, P5's IRQs-off sections and P6, run by `make bench`
//! (scripts/guest/bench.py selects this suite; `make check` leaves it out). Each figure is the median of `RUNS` runs in `tsc()` ticks: guest
//! instructions under QEMU's `-icount shift=0`, cycles on hardware. Figures go to the log as
//! `pcpool: csv metric,value,unit` lines. The cases check what the figures rest on (drains per
//! isolation, blocks isolated, a consistent pool), never a time.
//!
//! - P2: isolate + unisolate of 1, 8 and 64 pageblocks, and of 512 (1 GiB), with one drain
//!   (`ipi`) and with a drain per pageblock (`pageblock`).
//! - P3: one drain round by IPI, by remote locking and by work items, with the vCPUs idle and
//!   with a spinning kthread on every vCPU, busy in the kernel for `SPIN_US` between
//!   `cond_resched()` calls. A work item waits for that call; an IPI does not.
//! - P6: 256 MiB given back through the shrinker's scan (`scan_objects`).

use super::fixture::{block_pfns, filled_pool, filled_pool_in};
use crate::chunk::{pageblock_order, ZoneKind};
use crate::compat::shrinker::{Scan, Shrink};
use crate::compat::{
    cpu::possible_cpus,
    kthread::{tsc, udelay, KThread},
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite},
    smp::on_each_cpu,
};
use crate::page_list::PageId;
use crate::pool::{AllocFlags, Drain, InKernel, Ipi, Pageblock, Pool, Remote, Workqueue};
use kernel::{c_str, prelude::*, sync::Arc};

const RUNS: usize = 15;
/// How long a busy vCPU's kthread spins between `cond_resched()` calls.
const SPIN_US: u32 = 1000;
const NOGROW: AllocFlags = AllocFlags {
    zero: false,
    may_grow: false,
};

/// The median of `t` (sorted here by insertion: `sort_unstable` trips objtool on 6.12).
fn median(t: &mut [u64]) -> u64 {
    for i in 1..t.len() {
        let mut j = i;
        while j > 0 && t[j - 1] > t[j] {
            t.swap(j - 1, j);
            j -= 1;
        }
    }
    t[t.len() / 2]
}

/// `a / b` with three decimals, as the csv writes ratios.
struct Ratio(u64, u64);

impl core::fmt::Display for Ratio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let milli = self.0 * 1000 / self.1.max(1);
        write!(f, "{}.{:03}", milli / 1000, milli % 1000)
    }
}

fn pool<D: Drain>(blocks: usize) -> Option<Arc<Pool<D>>> {
    filled_pool(blocks << pageblock_order(), 256, 32)
}

/// Puts pages on every CPU's pageset, as a pool in use has.
fn warm_pagesets<D: Drain>(pool: &Pool<D>) {
    on_each_cpu(&|_| {
        let mut ids = [PageId::default(); 64];
        let got = pool.alloc_bulk(NOGROW, &mut ids);
        let _ = pool.free_bulk(&ids[..got]);
    });
}

/// P2: isolate + unisolate time and drains, one drain against one per pageblock, for isolations
/// of each size in `sizes` pageblocks (at most 3 sizes; the lowest of the pool's), `runs` times
/// each, on a pool of `blocks` pageblocks of `zone` made for each strategy in turn.
fn p2(zone: ZoneKind, blocks: usize, sizes: &[usize], runs: usize) {
    let one_drain = p2_with::<Ipi>(zone, blocks, sizes, runs);
    let per_pageblock = p2_with::<Pageblock>(zone, blocks, sizes, runs);
    for (i, &n) in sizes.iter().enumerate() {
        pr_info!(
            "csv p2_speedup_{},{},ratio\n",
            n,
            Ratio(per_pageblock[i], one_drain[i])
        );
    }
}

/// P2's runs with strategy `D`: the median time for each size.
fn p2_with<D: Drain>(zone: ZoneKind, blocks: usize, sizes: &[usize], runs: usize) -> [u64; 3] {
    let mut medians = [0u64; 3];
    let Some(pool) = filled_pool_in::<D>(zone, blocks << pageblock_order(), 256, 32) else {
        kunit_expect!(false, "no pool of {} pageblocks in {:?}", blocks, zone);
        return medians;
    };
    let pfns = block_pfns(&pool);
    let per_block = 1usize << pageblock_order();
    let name = D::STRATEGY.name();
    for (i, &n) in sizes.iter().enumerate().take(medians.len()) {
        let Some(&last) = pfns.get(n - 1) else {
            kunit_expect!(false, "{} pageblocks in the pool, {} wanted", pfns.len(), n);
            return medians;
        };
        // The n lowest blocks; the pool's other blocks lie above them.
        let (start, end) = (pfns[0], last + per_block);
        let mut t = [0u64; RUNS];
        let t = &mut t[..runs.min(RUNS)];
        let drains = pool.drains();
        for slot in t.iter_mut() {
            warm_pagesets(&pool);
            let t0 = tsc();
            match pool.isolate_range(start, end) {
                Ok(iso) => kunit_expect_eq!(iso.blocks(), n),
                Err(e) => kunit_expect!(false, "isolate_range: {:?}", e),
            }
            *slot = tsc() - t0;
        }
        let per_isolation = (pool.drains() - drains) / t.len() as u64;
        let expect = if D::PER_PAGEBLOCK { n } else { 1 };
        kunit_expect_eq!(per_isolation, expect as u64);
        medians[i] = median(t);
        pr_info!("csv p2_drains_{}_{},{},drains\n", n, name, per_isolation);
        pr_info!("csv p2_time_{}_{},{},ticks\n", n, name, medians[i]);
        if n == 64 && !D::PER_PAGEBLOCK {
            pr_info!("csv p2_drains_64,{},drains\n", per_isolation);
        }
    }
    let r = pool.verify();
    kunit_expect!(r.is_ok_and(|r| r.is_consistent() && r.allocated == 0));
    medians
}

/// P2 for 1, 8 and 64 pageblocks of ZONE_MOVABLE.
fn p2_isolation_one_drain_vs_per_pageblock() {
    p2(ZoneKind::Movable, 64, &[1, 8, 64], RUNS);
}

/// P2 at the scale of a hot-remove: 512 pageblocks (1 GiB on x86_64) of ZONE_NORMAL, which the
/// benchmark VM has room for (`scripts/bench.sh` gives it the memory), one pool at a time.
fn p2_isolation_at_scale_512() {
    p2(ZoneKind::Normal, 512, &[512], 5);
}

/// P3: one drain round's latency for each mechanism, vCPUs idle and busy.
fn p3_drain_latency_ipi_remote_workqueue() {
    let (Some(ipi), Some(remote), Some(wq)) =
        (pool::<Ipi>(4), pool::<Remote>(4), pool::<Workqueue>(4))
    else {
        kunit_expect!(false, "no pools");
        return;
    };
    let mut busy_medians = [0u64; 3];
    for busy in [false, true] {
        let mut spinners = KVec::new();
        if busy {
            for cpu in possible_cpus().filter(|c| c.is_online()) {
                let spin = KThread::run_on(cpu, c_str!("pcpool_spin"), || udelay(SPIN_US));
                match spin {
                    Ok(t) => kunit_expect!(spinners.push(t, GFP_KERNEL).is_ok()),
                    Err(e) => kunit_expect!(false, "spinner: {:?}", e),
                }
            }
        }
        let load = if busy { "busy" } else { "idle" };
        let medians = [p3_round(&ipi), p3_round(&remote), p3_round(&wq)];
        let names = [Ipi::STRATEGY, Remote::STRATEGY, Workqueue::STRATEGY];
        for (m, drain) in medians.into_iter().zip(names) {
            pr_info!("csv p3_{}_{},{},ticks\n", drain.name(), load, m);
        }
        if busy {
            busy_medians = medians;
        }
        drop(spinners);
    }
    pr_info!("csv p3_busy_spin_us,{},us\n", SPIN_US);
    pr_info!(
        "csv p3_ipi_vs_wq_busy,{},ratio\n",
        Ratio(busy_medians[2], busy_medians[0])
    );
    pr_info!(
        "csv p3_ipi_vs_remote_busy,{},ratio\n",
        Ratio(busy_medians[1], busy_medians[0])
    );
    for r in [ipi.verify(), remote.verify(), wq.verify()] {
        kunit_expect!(r.is_ok_and(|r| r.is_consistent() && r.allocated == 0));
    }
}

/// The median time of one drain round of a pool whose pagesets are warm.
fn p3_round<D: Drain>(pool: &Pool<D>) -> u64 {
    let mut t = [0u64; RUNS];
    for slot in t.iter_mut() {
        warm_pagesets(pool);
        let t0 = tsc();
        pool.drain_all();
        *slot = tsc() - t0;
    }
    median(&mut t)
}

/// P5: the longest IRQs-off section of one bulk allocation of a whole pool (64 pageblocks of
/// zeroed pages, the C API's path): one pcp batch's worth of work (a refill and `batch` pages
/// zeroed), however long the caller's array. The case checks the sections' count, not a time.
fn p5_bulk_alloc_irqsoff_bounded() {
    let Some(pool) = pool::<Ipi>(64) else {
        kunit_expect!(false, "no pool of 64 pageblocks");
        return;
    };
    let pages = 64usize << pageblock_order();
    let Ok(mut ids) = KVVec::from_elem(PageId::default(), pages, GFP_KERNEL) else {
        kunit_expect!(false, "no memory for {} ids", pages);
        return;
    };
    let flags = AllocFlags {
        zero: true,
        may_grow: false,
    };
    let (mut max, mut sections) = (0u64, 0usize);
    let t0 = tsc();
    let got = pool.alloc_bulk_sections(
        flags,
        &InKernel,
        &mut ids,
        |irqs, page| pool.zone().id_of_page(irqs, page),
        tsc,
        |t| {
            max = max.max(t);
            sections += 1;
        },
    );
    let total = tsc() - t0;
    kunit_expect_eq!(got, pages);
    kunit_expect!(pool.free_bulk(&ids[..got]).is_ok());
    let batch = pool.pcp_config().batch as usize;
    kunit_expect!(sections >= got.div_ceil(batch), "{} sections", sections);
    let per_page = total / got.max(1) as u64;
    pr_info!("csv max_irqsoff_insn,{},insn\n", max);
    pr_info!("csv p5_bulk_pages,{},pages\n", got);
    pr_info!("csv p5_irqsoff_sections,{},sections\n", sections);
    pr_info!("csv p5_batch,{},pages\n", batch);
    pr_info!("csv p5_insn_per_page,{},insn\n", per_page);
    pr_info!(
        "csv p5_irqsoff_vs_batch,{},ratio\n",
        Ratio(max, batch as u64 * per_page)
    );
}

/// P6: giving 256 MiB back through the shrinker's scan (`scan_objects`), from a full pool of
/// warm pagesets, median of 3: one drain round, the pageblocks taken out, one grace period per
/// 16 of them, and every page freed to the buddy allocator.
fn p6_shrink_256m() {
    const PAGES: usize = 65536;
    let Some(pool) = filled_pool_in::<Ipi>(ZoneKind::Normal, PAGES, 256, 32) else {
        return kunit_expect!(false, "no pool of {} pages", PAGES);
    };
    let mut t = [0u64; 3];
    for slot in t.iter_mut() {
        warm_pagesets(&pool);
        let t0 = tsc();
        let freed = pool.scan_objects(PAGES);
        *slot = tsc() - t0;
        kunit_expect!(matches!(freed, Scan::Freed(PAGES)));
        kunit_expect_eq!(pool.zone().counters().nr_pages, 0);
        if let Err(e) = pool.fill(PAGES) {
            return kunit_expect!(false, "fill: {:?}", e);
        }
    }
    pr_info!("csv p6_shrink_256m,{},ticks\n", median(&mut t));
    let r = pool.verify();
    kunit_expect!(r.is_ok_and(|r| r.is_consistent() && r.pages == PAGES));
}

kunit_suite!(
    pcpool_bench,
    slow,
    [
        p2_isolation_one_drain_vs_per_pageblock,
        p2_isolation_at_scale_512,
        p3_drain_latency_ipi_remote_workqueue,
        p5_bulk_alloc_irqsoff_bounded,
        p6_shrink_256m
    ]
);
