// SPDX-License-Identifier: GPL-2.0

//! Tests of the pool in the real kernel: round trips, the pcp boundaries, `high == 0`, exact
//! accounting under concurrency, bad marks and double frees. Each test makes its own pool and
//! gives every chunk back at the end.

use super::fixture::{filled_pool, Exchange};
use crate::chunk::{Chunk, ZoneKind, NUMA_NO_NODE};
use crate::compat::shrinker::{Count, Scan, Shrink};
use crate::compat::{
    cpu::{num_online_cpus, possible_cpus},
    irq::{with_irqs_off, IrqDisabled},
    kthread::{msleep, random_u32, KThread},
    kunit::{kunit_expect, kunit_expect_eq, kunit_suite},
    smp::on_each_cpu,
};
use crate::config::{DrainStrategy, PoolConfig, MAX_HIGH, MAX_PAGES};
use crate::page_list::{Entry, PageId, PageState};
use crate::params::Params;
use crate::pool::{AllocFlags, FreeRefused, Holder, Pool};
use crate::verify::Report;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use kernel::{c_str, prelude::*, sync::Arc};

fn pool(high: u32, batch: u32, initial_pages: usize) -> Option<Pin<KBox<Pool>>> {
    let config = PoolConfig {
        initial_pages,
        max_pages: 4 * 1024,
        high,
        batch,
        ..PoolConfig::default()
    };
    let pool = match KBox::pin_init(Pool::new(config), GFP_KERNEL) {
        Ok(p) => p,
        Err(e) => {
            kunit_expect!(false, "Pool::new: {:?}", e);
            return None;
        }
    };
    if let Err(e) = pool.fill(initial_pages) {
        kunit_expect!(false, "fill({}): {:?}", initial_pages, e);
        return None;
    }
    Some(pool)
}

/// The pool's configured (high, batch).
fn marks(pool: &Pool) -> (u32, u32) {
    let c = pool.pcp_config();
    (c.high, c.batch)
}

fn verify(pool: &Pool) -> Report {
    match pool.verify() {
        Ok(r) => {
            kunit_expect!(
                r.is_consistent(),
                "verify found {} errors: {:?}",
                r.errors,
                r
            );
            r
        }
        Err(e) => {
            kunit_expect!(false, "verify: {:?}", e);
            Report::default()
        }
    }
}

const NOGROW: AllocFlags = AllocFlags {
    zero: false,
    may_grow: false,
};

/// Every online CPU allocates a page from its own pageset and frees it back.
fn round_trip_on_every_cpu() {
    let Some(pool) = pool(64, 16, 512) else {
        return;
    };
    let (ok, bad) = (AtomicU32::new(0), AtomicU32::new(0));
    for _ in 0..4 {
        on_each_cpu(&|irqs| {
            let cpu_pages = pool.local_pcp(irqs).count;
            match pool.alloc(NOGROW) {
                Ok(id)
                    if pool.zone().word(irqs, id).map(|w| w.state())
                        == Some(PageState::Allocated) =>
                {
                    let freed = pool.free(id).is_ok();
                    // The freed page is back on this CPU's list, at the hot end.
                    let refilled = cpu_pages == 0;
                    let expect = if refilled { 16 } else { cpu_pages };
                    if freed && pool.local_pcp(irqs).count == expect {
                        ok.fetch_add(1, Relaxed);
                    } else {
                        bad.fetch_add(1, Relaxed);
                    }
                }
                _ => {
                    bad.fetch_add(1, Relaxed);
                }
            }
        });
    }
    kunit_expect_eq!(ok.load(Relaxed), 4 * num_online_cpus());
    kunit_expect_eq!(bad.load(Relaxed), 0);
    let r = verify(&pool);
    kunit_expect_eq!(r.allocated, 0);
    kunit_expect_eq!(r.pcp, 16 * num_online_cpus() as usize);
}

/// An empty pageset refills `batch` pages in one pass; reaching `high` flushes `batch`.
fn refill_and_flush_at_boundaries() {
    let Some(pool) = pool(8, 3, 512) else { return };
    let zone = pool.zone();
    let mut ids = [PageId::default(); 8];
    let failures = with_irqs_off(|irqs| {
        let mut failures = 0u32;
        let mut check = |ok: bool| failures += u32::from(!ok);
        let before = zone.counters();
        check(pool.local_pcp(irqs).count == 0);
        // First alloc: refill 3, hand out 1.
        ids[0] = pool.alloc(NOGROW).unwrap_or(PageId::at(u32::MAX));
        check(pool.local_pcp(irqs).count == 2 && zone.counters().refills == before.refills + 1);
        check(zone.counters().nr_free == before.nr_free - 3);
        ids[1] = pool.alloc(NOGROW).unwrap_or(PageId::at(u32::MAX));
        ids[2] = pool.alloc(NOGROW).unwrap_or(PageId::at(u32::MAX));
        check(pool.local_pcp(irqs).count == 0 && zone.counters().refills == before.refills + 1);
        // Empty again: the next alloc refills.
        for id in ids[3..8].iter_mut() {
            *id = pool.alloc(NOGROW).unwrap_or(PageId::at(u32::MAX));
        }
        // 8 allocated: refills after 0, 3 and 6 allocations.
        check(zone.counters().refills == before.refills + 3 && pool.local_pcp(irqs).count == 1);
        // Frees: count 2..7 stays below high; the free that reaches 8 flushes 3.
        for (i, &id) in ids[..6].iter().enumerate() {
            check(pool.free(id).is_ok());
            check(pool.local_pcp(irqs).count == 2 + i as u32);
        }
        check(zone.counters().flushes == before.flushes);
        check(pool.free(ids[6]).is_ok());
        check(pool.local_pcp(irqs).count == 8 - 3 && zone.counters().flushes == before.flushes + 1);
        check(pool.free(ids[7]).is_ok());
        check(pool.local_pcp(irqs).count == 6);
        check(zone.counters().nr_free == before.nr_free - 6);
        failures
    });
    kunit_expect_eq!(failures, 0);
    let r = verify(&pool);
    kunit_expect_eq!(r.allocated, 0);
}

/// With `high == 0` every free goes straight to the zone and no page stays on a pageset.
fn high_zero_flushes_every_free() {
    let Some(pool) = pool(32, 8, 512) else { return };
    kunit_expect!(pool.set_high_batch(0, 1).is_ok());
    kunit_expect_eq!(marks(&pool), (0, 1));
    let bad = AtomicU32::new(0);
    on_each_cpu(&|irqs| {
        let ok = pool.local_pcp(irqs).count == 0
            && pool.local_pcp(irqs).high == 0
            && pool.local_pcp(irqs).batch == 1;
        let mut ids = [PageId::default(); 4];
        let got = pool.alloc_bulk(NOGROW, &mut ids);
        let after_alloc = pool.local_pcp(irqs).count;
        let mut freed = pool.free(ids[0]).is_ok() && pool.local_pcp(irqs).count == 0;
        freed &= pool.free_bulk(&ids[1..got]).is_ok() && pool.local_pcp(irqs).count == 0;
        if !(ok && got == 4 && after_alloc == 0 && freed) {
            bad.fetch_add(1, Relaxed);
        }
    });
    kunit_expect_eq!(bad.load(Relaxed), 0);
    let r = verify(&pool);
    kunit_expect_eq!(r.pcp, 0);
    kunit_expect_eq!(r.free_movable, r.pages);
}

/// A second free of a page, or a free of an id the pool never gave out, is refused and
/// changes nothing.
fn double_free_is_refused() {
    let Some(pool) = pool(16, 4, 512) else { return };
    let Ok(id) = pool.alloc(NOGROW) else {
        return kunit_expect!(false, "alloc failed");
    };
    kunit_expect!(pool.free(id).is_ok());
    let before = verify(&pool);
    kunit_expect_eq!(pool.free(id), Err(EINVAL));
    kunit_expect_eq!(pool.free(PageId::at(u32::MAX)), Err(EINVAL));
    let after = verify(&pool);
    kunit_expect_eq!(before, after);
}

/// Marks outside `1 <= batch <= high <= MAX_HIGH` (or `high == 0`) are refused, and the pool
/// keeps its marks.
fn bad_high_batch_is_refused() {
    let Some(pool) = pool(16, 4, 512) else { return };
    for (high, batch) in [
        (16, 0),
        (4, 8),
        (MAX_HIGH + 1, 1),
        (0, 0),
        (u32::MAX, u32::MAX),
    ] {
        kunit_expect_eq!(pool.set_high_batch(high, batch), Err(EINVAL));
        kunit_expect_eq!(marks(&pool), (16, 4));
    }
    let bad = AtomicU32::new(0);
    on_each_cpu(&|irqs| {
        if (pool.local_pcp(irqs).high, pool.local_pcp(irqs).batch) != (16, 4) {
            bad.fetch_add(1, Relaxed);
        }
    });
    kunit_expect_eq!(bad.load(Relaxed), 0);
    kunit_expect!(pool.set_high_batch(MAX_HIGH, 1).is_ok());
    verify(&pool);
}

/// A holder with an id of its own, as a C API client has.
struct Client(u16);

impl Holder for Client {
    fn id(&self) -> u16 {
        self.0
    }

    fn admit(&self, _irqs: IrqDisabled<'_>) -> bool {
        true
    }

    fn count(&self, _irqs: IrqDisabled<'_>, _pages: isize) {}
}

/// The C API's free refuses a page that is not the pool's, a page another client holds (naming
/// it), and a page freed twice, and the pool stays as it was.
fn api_free_refuses_foreign_and_double() {
    let Some(pool) = pool(16, 4, 512) else { return };
    let foreign = match Chunk::alloc(NUMA_NO_NODE, 0, ZoneKind::Normal) {
        Ok(c) => c,
        Err(e) => return kunit_expect!(false, "alloc: {:?}", e),
    };
    let zero = AllocFlags {
        zero: true,
        ..NOGROW
    };
    let Some(page) = pool.alloc_for(zero, &Client(7)) else {
        return kunit_expect!(false, "alloc failed");
    };
    let before = verify(&pool);
    kunit_expect_eq!(before.allocated, 1);
    kunit_expect_eq!(
        pool.free_for(foreign.pages().nth(0).raw(), &Client(7)),
        Err(FreeRefused::Invalid)
    );
    kunit_expect_eq!(pool.free_for(page, &Client(9)), Err(FreeRefused::HeldBy(7)));
    kunit_expect_eq!(verify(&pool), before);
    kunit_expect!(pool.free_for(page, &Client(7)).is_ok());
    let freed = verify(&pool);
    kunit_expect_eq!(pool.free_for(page, &Client(7)), Err(FreeRefused::Invalid));
    kunit_expect_eq!(verify(&pool), freed);
    kunit_expect_eq!(freed.allocated, 0);
}

/// A page asked for zeroed comes back zeroed, even if it was dirty when freed; the handle type
/// reaches its memory and gives it back.
fn zeroed_alloc_is_zero() {
    let Some(pool) = pool(16, 4, 512) else { return };
    let Ok(page) = pool.alloc_page(NOGROW) else {
        return kunit_expect!(false, "alloc failed");
    };
    let id = page.id();
    let dirty = pool.with_page(&page, |p| {
        p.fill(0x5a);
        p.all_bytes_are(0x5a)
    });
    kunit_expect_eq!(dirty, Some(true));
    kunit_expect!(pool.free_page(page).is_ok());
    // The pageset is LIFO: the same page comes back.
    let zero = AllocFlags {
        zero: true,
        ..NOGROW
    };
    let Ok(again) = pool.alloc_page(zero) else {
        return kunit_expect!(false, "alloc failed");
    };
    kunit_expect_eq!(again.id(), id);
    kunit_expect_eq!(pool.with_page(&again, |p| p.all_bytes_are(0)), Some(true));
    kunit_expect!(pool.free_page(again).is_ok());
    kunit_expect_eq!(verify(&pool).allocated, 0);
}

/// The counters in the zone file agree with a full scan, after a mix of operations.
fn stats_agree_with_scan() {
    let Some(pool) = pool(24, 6, 1024) else {
        return;
    };
    let mut ids = [PageId::default(); 100];
    let got = pool.alloc_bulk(NOGROW, &mut ids);
    kunit_expect_eq!(got, ids.len());
    kunit_expect!(pool.free_bulk(&ids[..37]).is_ok());
    let c = pool.zone().counters();
    let r = verify(&pool);
    kunit_expect_eq!(c.nr_free, r.free_movable);
    kunit_expect_eq!(c.nr_isolated_free, r.free_isolate);
    kunit_expect_eq!(c.nr_pages, r.pages);
    kunit_expect_eq!(
        c.nr_chunks * pool.zone().pages_per_chunk() as usize,
        r.pages
    );
    kunit_expect_eq!(r.allocated, 100 - 37);
    kunit_expect_eq!(r.free_movable + r.pcp + r.allocated, r.pages);
    kunit_expect!(pool.free_bulk(&ids[37..]).is_ok());
}

/// Every bad module parameter is refused with `EINVAL`; good ones give their config.
fn bad_params_are_refused() {
    let good = Params {
        initial_pages: 512,
        max_pages: 1024,
        zone: Some("normal"),
        high: 64,
        batch: 8,
        node: NUMA_NO_NODE,
        drain: Some("workqueue"),
        notifier_priority: 7,
        regrow: true,
        evacuate_stall_ms: 60_000,
        min_pages: 1024,
        shrinker: false,
    };
    let bad = [
        Params {
            max_pages: 0,
            ..good
        },
        Params {
            max_pages: MAX_PAGES + 1,
            ..good
        },
        Params {
            initial_pages: 2048,
            ..good
        },
        Params {
            high: MAX_HIGH + 1,
            ..good
        },
        Params { batch: 0, ..good },
        Params { batch: 65, ..good },
        Params {
            high: 0,
            batch: MAX_HIGH + 1,
            ..good
        },
        Params {
            zone: Some("dma"),
            ..good
        },
        Params { zone: None, ..good },
        Params { node: 4096, ..good },
        Params { node: -2, ..good },
        Params {
            drain: Some("ipi "),
            ..good
        },
        Params {
            drain: Some(""),
            ..good
        },
        Params {
            drain: None,
            ..good
        },
        Params {
            notifier_priority: 1001,
            ..good
        },
        Params {
            evacuate_stall_ms: 60_001,
            ..good
        },
        Params {
            notifier_priority: i32::MIN,
            ..good
        },
        Params {
            min_pages: 1025,
            ..good
        },
        Params {
            min_pages: usize::MAX,
            ..good
        },
    ];
    for p in &bad {
        kunit_expect!(PoolConfig::from_params(p).is_err(), "{:?} accepted", p);
    }
    match PoolConfig::from_params(&good) {
        Ok(c) => {
            kunit_expect_eq!(
                (c.initial_pages, c.max_pages, c.high, c.batch),
                (512, 1024, 64, 8)
            );
            kunit_expect_eq!(c.zone, ZoneKind::Normal);
            kunit_expect_eq!(c.drain, DrainStrategy::Workqueue);
            kunit_expect_eq!(c.notifier_priority, 7);
            kunit_expect!(c.regrow);
            kunit_expect_eq!((c.min_pages, c.shrinker), (1024, false));
        }
        Err(e) => kunit_expect!(false, "good params refused: {:?}", e),
    }
}

/// What the stress kthreads share: the pool, and slots through which pages move to other CPUs.
struct Stress {
    pool: Arc<Pool>,
    exchange: Exchange,
    ops: AtomicUsize,
    errors: AtomicUsize,
}

impl Stress {
    /// A stress kthread on every online CPU, running [`Stress::round`] on `pool` until the
    /// threads drop. `None`, with the test failed, if they cannot start.
    fn start(pool: &Arc<Pool>) -> Option<(Arc<Self>, KVec<KThread>)> {
        let stress = Arc::new(
            Stress {
                pool: pool.clone(),
                exchange: Exchange::new(),
                ops: AtomicUsize::new(0),
                errors: AtomicUsize::new(0),
            },
            GFP_KERNEL,
        )
        .inspect_err(|_| kunit_expect!(false, "out of memory"))
        .ok()?;
        let mut threads = KVec::new();
        for cpu in possible_cpus().filter(|c| c.is_online()) {
            let s = stress.clone();
            let t = KThread::run_on(cpu, c_str!("pcpool_stress"), move || s.round())
                .inspect_err(|e| kunit_expect!(false, "kthread: {:?}", e))
                .ok()?;
            threads
                .push(t, GFP_KERNEL)
                .inspect_err(|_| kunit_expect!(false, "out of memory"))
                .ok()?;
        }
        Some((stress, threads))
    }

    /// One round on this thread's CPU: a bulk alloc of 1..=16 pages; each page is freed here or
    /// swapped into an exchange slot, whose previous page is freed here instead: a page
    /// allocated on one CPU is often freed on another.
    fn round(&self) {
        let mut ids = [PageId::default(); 16];
        let n = 1 + random_u32() as usize % ids.len();
        let got = self.pool.alloc_bulk(NOGROW, &mut ids[..n]);
        let refused = self.exchange.free_or_pass(&self.pool, &ids[..got]);
        self.errors.fetch_add(refused, Relaxed);
        self.ops.fetch_add(1, Relaxed);
    }
}

/// Kthreads on every online CPU allocate and free, pages crossing CPUs; 12 scans with the
/// machine stopped, 250 ms apart (a count, not a time: a slow host takes longer), and one at the
/// end find every page exactly once and the counters exact.
fn exact_accounting_under_concurrency() {
    const PAGES: usize = 2048;
    let Some(pool) = filled_pool(PAGES, 64, 16) else {
        return kunit_expect!(false, "no pool of {} pages", PAGES);
    };
    let Some((stress, threads)) = Stress::start(&pool) else {
        return;
    };
    for _ in 0..12 {
        msleep(250);
        let r = verify(&pool);
        kunit_expect_eq!(r.pages, PAGES);
    }
    drop(threads);

    kunit_expect_eq!(stress.exchange.drain(&pool), 0);
    kunit_expect_eq!(stress.errors.load(Relaxed), 0);
    kunit_expect!(
        stress.ops.load(Relaxed) >= 100 * num_online_cpus() as usize,
        "only {} rounds ran",
        stress.ops.load(Relaxed)
    );
    let r = verify(&pool);
    kunit_expect_eq!(r.allocated, 0);
    kunit_expect_eq!(r.free_movable + r.pcp, PAGES);
    pool.drain_all();
    let r = verify(&pool);
    kunit_expect_eq!((r.pcp, r.free_movable), (0, PAGES));
}

/// Shrinks (`scan_objects`, and `shrink` as debugfs calls it) against alloc and free on every
/// CPU, with regrowth between them: only wholly free pageblocks go back, highest pfn first, a
/// page in use never, and the books stay exact.
fn shrink_races_alloc_free() {
    const PAGES: usize = 16 * 512;
    let Some(pool) = filled_pool(PAGES, 64, 16) else {
        return kunit_expect!(false, "no pool of {} pages", PAGES);
    };
    let per_block = pool.zone().pages_per_chunk() as usize;
    kunit_expect!(matches!(pool.count_objects(), Count::Freeable(n) if n == PAGES));
    let Some((stress, threads)) = Stress::start(&pool) else {
        return;
    };
    let mut given = 0;
    for round in 0..20 {
        let n = if round % 2 == 0 {
            match pool.scan_objects(128) {
                Scan::Freed(n) => n,
                Scan::Stop => {
                    kunit_expect!(false, "SHRINK_STOP with no isolation");
                    0
                }
            }
        } else {
            pool.shrink(4 * per_block).unwrap_or_else(|e| {
                kunit_expect!(false, "shrink: {:?}", e);
                0
            })
        };
        kunit_expect!(
            n % per_block == 0 && n > 0,
            "round {}: {} pages given",
            round,
            n
        );
        given += n;
        let r = verify(&pool);
        kunit_expect_eq!(r.pages, PAGES - n);
        if let Err(e) = pool.fill(PAGES) {
            kunit_expect!(false, "fill: {:?}", e);
        }
    }
    drop(threads);
    kunit_expect_eq!(stress.exchange.drain(&pool), 0);
    kunit_expect_eq!(stress.errors.load(Relaxed), 0);
    let c = pool.zone().counters();
    kunit_expect_eq!(pool.zone().pages_returned(&c), given as u64);
    kunit_expect_eq!(c.shrinks * per_block as u64, given as u64);
    kunit_expect_eq!(c.grows, c.shrinks + (PAGES / per_block) as u64);
    let r = verify(&pool);
    kunit_expect_eq!((r.allocated, r.pages), (0, PAGES));
    // While an isolation holds the pagesets, a scan stops at once.
    match pool.isolate_range(0, usize::MAX) {
        Ok(iso) => {
            kunit_expect!(matches!(pool.scan_objects(128), Scan::Stop));
            drop(iso);
        }
        Err(e) => kunit_expect!(false, "isolate_range: {:?}", e),
    }
    kunit_expect_eq!(pool.zone().counters().nr_pages, PAGES);
}

kunit_suite!(
    pcpool_pool,
    [
        round_trip_on_every_cpu,
        refill_and_flush_at_boundaries,
        high_zero_flushes_every_free,
        double_free_is_refused,
        bad_high_batch_is_refused,
        zeroed_alloc_is_zero,
        stats_agree_with_scan,
        bad_params_are_refused,
        api_free_refuses_foreign_and_double,
        exact_accounting_under_concurrency,
        shrink_races_alloc_free,
    ]
);
