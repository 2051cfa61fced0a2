// SPDX-License-Identifier: GPL-2.0

//! The isolation race tests: kthreads on every CPU allocate and free while another thread
//! isolates, checks and unisolates a pageblock 10,000 times, once with each drain strategy, or
//! as many times as fit in the strategy's time share (20 s), but never fewer than 1,000.
//! After every isolation, no page of the isolated block may be on a pcp list or the movable free
//! list, no allocation made wholly inside the isolation may return one, and the counters must
//! equal a full scan. A weakened variant (drain without `high = 0`) must be caught by the same
//! checker.
//!
//! The suite is marked slow: `make check` runs it in a VM of its own with one vCPU per host
//! core. With more vCPUs than host cores, an IPI waits for the host to schedule its target, and
//! an iteration costs 35 ms instead of 1.

use super::fixture::Exchange;
use super::fixture::{block_pfns, filled_pool};
use crate::compat::{
    cpu::possible_cpus,
    irq::with_irqs_off,
    kthread::{now_ms, random_u32, KThread},
    kunit::{self, kunit_expect, kunit_expect_eq, kunit_suite},
};
use crate::page_list::PageId;
use crate::pool::{AllocFlags, Drain, Ipi, Pageblock, Pool, Remote, WeakIpi, Workqueue};
use crate::verify::Visited;
use core::sync::atomic::{
    AtomicU32, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use kernel::{c_str, prelude::*, sync::Arc};

const ITERATIONS: usize = 10_000;
/// A strategy stops early when its time share is used up (a slow host)...
const SHARE_MS: u64 = 20_000;
/// ...and fails if that left it fewer isolations than these.
const MIN_ITERATIONS: usize = 1_000;
/// Every this many isolations the check also runs the full scan with the machine stopped.
const FULL_SCAN_EVERY: usize = 1_000;

struct Race<D: Drain> {
    pool: Arc<Pool<D>>,
    exchange: Exchange,
    /// Odd while the block is isolated.
    epoch: AtomicU32,
    start: AtomicUsize,
    end: AtomicUsize,
    bad_allocs: AtomicUsize,
    errors: AtomicUsize,
}

impl<D: Drain> Race<D> {
    fn round(&self) {
        let mut ids = [PageId::default(); 8];
        let n = 1 + random_u32() as usize % ids.len();
        let before = self.epoch.load(Acquire);
        let got = self.pool.alloc_bulk(AllocFlags::default(), &mut ids[..n]);
        let after = self.epoch.load(Acquire);
        if before == after && before % 2 == 1 {
            let (start, end) = (self.start.load(Relaxed), self.end.load(Relaxed));
            let bad = with_irqs_off(|irqs| {
                ids[..got]
                    .iter()
                    .filter(|&&id| {
                        self.pool
                            .zone()
                            .pfn(irqs, id)
                            .is_some_and(|p| (start..end).contains(&p))
                    })
                    .count()
            });
            self.bad_allocs.fetch_add(bad, Relaxed);
        }
        let refused = self.exchange.free_or_pass(&self.pool, &ids[..got]);
        self.errors.fetch_add(refused, Relaxed);
    }
}

/// Runs the race with strategy `D` for up to `ITERATIONS` isolations or `SHARE_MS`; returns
/// (iterations run, iteration of the first violation if any, scan errors).
fn race<D: Drain>() -> Option<(usize, Option<usize>, usize)> {
    let (drain, weak) = (D::STRATEGY, D::WEAK);
    let pool = filled_pool::<D>(1024, 64, 8)?;
    let start = *block_pfns(&pool).first()?;
    let end = start + pool.zone().pages_per_chunk() as usize;
    let race = Arc::new(
        Race {
            pool: pool.clone(),
            exchange: Exchange::new(),
            epoch: AtomicU32::new(0),
            start: AtomicUsize::new(start),
            end: AtomicUsize::new(end),
            bad_allocs: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
        },
        GFP_KERNEL,
    )
    .ok()?;
    let mut threads = KVec::new();
    for cpu in possible_cpus().filter(|c| c.is_online()) {
        let r = race.clone();
        threads
            .push(
                KThread::run_on(cpu, c_str!("pcpool_race"), move || r.round()).ok()?,
                GFP_KERNEL,
            )
            .ok()?;
    }
    let mut visited = Visited::new(pool.zone().max_pages()).ok()?;
    let (mut caught, mut errors, mut done) = (None, 0, 0);
    let t0 = now_ms();
    for i in 0..ITERATIONS {
        let Ok(iso) = pool.isolate_range(start, end) else {
            break;
        };
        if iso.blocks() != 1 {
            errors += 1;
        }
        race.epoch.fetch_add(1, Release);
        let (on_pcp, check_errors) = pool.check_isolated(start, end, &mut visited);
        let full = if i % FULL_SCAN_EVERY == 0 {
            pool.verify_isolated(Some((start, end)))
                .map_or(1, |r| r.errors + r.isolated_leaks)
        } else {
            0
        };
        race.epoch.fetch_add(1, Release);
        drop(iso);
        done = i + 1;
        errors += check_errors;
        if caught.is_none() && (on_pcp > 0 || full > 0 || race.bad_allocs.load(Relaxed) > 0) {
            caught = Some(i + 1);
        }
        if (weak && caught.is_some()) || now_ms() - t0 >= SHARE_MS {
            break;
        }
    }
    drop(threads);
    errors += race.exchange.drain(&pool);
    errors += race.errors.load(Relaxed);
    pr_info!(
        "isolation race, drain {}{}: {} isolations in {} ms, first violation at {:?}, {} scan errors, drains {}\n",
        drain.name(),
        if weak { " (weakened: drain without high = 0)" } else { "" },
        done,
        now_ms() - t0,
        caught,
        errors,
        pool.drains()
    );
    let r = pool.verify().ok()?;
    Some((done, caught, errors + r.errors + r.allocated))
}

/// A strategy that claims to be correct: up to 10,000 isolations under load, not one violation,
/// counters exact.
fn race_is_clean<D: Drain>() {
    match race::<D>() {
        Some((done, caught, errors)) => {
            kunit_expect!(
                done >= MIN_ITERATIONS,
                "{} isolations in the time share, fewer than {}",
                done,
                MIN_ITERATIONS
            );
            kunit_expect_eq!(caught, None);
            kunit_expect_eq!(errors, 0);
        }
        None => kunit_expect!(false, "could not set the race up"),
    }
}

/// pcpool's ordering: `high = 0` and one IPI drain.
fn race_ipi() {
    race_is_clean::<Ipi>();
}

/// Each pageblock isolated, then drained.
fn race_pageblock() {
    race_is_clean::<Pageblock>();
}

/// Per-CPU spinlocks, drained from the isolating CPU.
fn race_remote() {
    race_is_clean::<Remote>();
}

/// A work item per CPU.
fn race_workqueue() {
    race_is_clean::<Workqueue>();
}

/// The weakened variant is caught by the same checker within the run: an expected detection.
fn race_weakened_is_caught() {
    match race::<WeakIpi>() {
        Some((done, caught, _)) => {
            kunit_expect!(
                caught.is_some(),
                "weakened variant not caught in {} isolations",
                done
            );
            if let Some(i) = caught {
                // In the test's KTAP output, and so in `make check`'s.
                kunit::info(format_args!(
                    "expected detection: the weakened variant was caught after {} isolations",
                    i
                ));
            }
        }
        None => kunit_expect!(false, "could not set the race up"),
    }
}

kunit_suite!(
    pcpool_race,
    slow,
    [
        race_ipi,
        race_pageblock,
        race_remote,
        race_workqueue,
        race_weakened_is_caught
    ]
);
