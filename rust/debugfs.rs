// SPDX-License-Identifier: GPL-2.0

//! The pool's debugfs files, `/sys/kernel/debug/pcpool/`, in /proc/zoneinfo's vocabulary.

use crate::compat::memory_notifier::MemAction;
use crate::compat::{
    cpu::{nr_cpu_ids, possible_cpus},
    debugfs::{seq_print, DebugfsFiles, FileSpec, SeqFile},
    irq::with_irqs_off,
    node::numa_node_id,
};
use crate::mem_hotplug::HotplugStats;
use crate::pool::{DelayPoint, Drain, Isolation, Pool, PoolNodes, MAX_INJECTED_DELAY_MS};
use crate::verify::Report;
use crate::zone::ZoneCounters;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use kernel::{
    c_str,
    prelude::*,
    sync::{Arc, Mutex},
};

const ZONE: u32 = 0;
const PCP: u32 = 1;
const PAGEBLOCKS: u32 = 2;
const VERIFY: u32 = 3;
const HIGH: u32 = 4;
const BATCH: u32 = 5;
const DRAIN: u32 = 6;
const HOTPLUG: u32 = 7;
const ISOLATE: u32 = 8;
const INJECT_DELAY: u32 = 9;
const GROW: u32 = 10;
const SHRINK: u32 = 11;
const NODES: u32 = 12;

/// The files: statistics are world-readable, `verify` (it stops the machine) and the knobs are
/// root's.
pub(crate) static FILES: [FileSpec; 13] = [
    FileSpec {
        name: c_str!("zone"),
        mode: 0o444,
        id: ZONE,
    },
    FileSpec {
        name: c_str!("pcp"),
        mode: 0o444,
        id: PCP,
    },
    FileSpec {
        name: c_str!("pageblocks"),
        mode: 0o444,
        id: PAGEBLOCKS,
    },
    FileSpec {
        name: c_str!("verify"),
        mode: 0o400,
        id: VERIFY,
    },
    FileSpec {
        name: c_str!("high"),
        mode: 0o600,
        id: HIGH,
    },
    FileSpec {
        name: c_str!("batch"),
        mode: 0o600,
        id: BATCH,
    },
    FileSpec {
        name: c_str!("drain"),
        mode: 0o400,
        id: DRAIN,
    },
    FileSpec {
        name: c_str!("hotplug"),
        mode: 0o444,
        id: HOTPLUG,
    },
    FileSpec {
        name: c_str!("isolate"),
        mode: 0o600,
        id: ISOLATE,
    },
    FileSpec {
        name: c_str!("inject_delay"),
        mode: 0o600,
        id: INJECT_DELAY,
    },
    FileSpec {
        name: c_str!("grow"),
        mode: 0o200,
        id: GROW,
    },
    FileSpec {
        name: c_str!("shrink"),
        mode: 0o200,
        id: SHRINK,
    },
    FileSpec {
        name: c_str!("nodes"),
        mode: 0o444,
        id: NODES,
    },
];

/// What the files show and change.
pub(crate) struct PoolFiles<D: Drain> {
    pub(crate) nodes: Arc<PoolNodes<D>>,
    pub(crate) hotplug: Arc<HotplugStats>,
    /// The isolation the `isolate` file holds, if any: it ends on `off` or when the files go.
    pub(crate) isolation: Pin<KBox<Mutex<Option<Isolation<D>>>>>,
}

/// Parses `START END`, two pfns in decimal or `0x` hex.
fn parse_range(input: &str) -> Option<(usize, usize)> {
    let pfn = |s: &str| match s.strip_prefix("0x") {
        Some(hex) => usize::from_str_radix(hex, 16).ok(),
        None => s.parse::<usize>().ok(),
    };
    let mut words = input.split_ascii_whitespace();
    let range = (pfn(words.next()?)?, pfn(words.next()?)?);
    words.next().is_none().then_some(range)
}

/// A verify report's line.
fn print_report(out: &mut SeqFile<'_>, r: &Report) {
    seq_print!(
        out,
        "{} pages: {} free, {} isolated free, {} on pcp lists ({} of offline CPUs), {} allocated; {} errors\n",
        r.pages,
        r.free_movable,
        r.free_isolate,
        r.pcp,
        r.offline_pcp,
        r.allocated,
        r.errors
    );
}

impl<D: Drain> PoolFiles<D> {
    /// Every zone's counters, summed.
    fn counters(&self) -> ZoneCounters {
        let mut c = ZoneCounters::default();
        for (_, pool) in self.nodes.zones() {
            c += pool.zone().counters();
        }
        c
    }

    fn show_pcp(&self, out: &mut SeqFile<'_>) -> Result {
        // One snapshot per CPU and zone, taken on that CPU with IRQs off; a CPU's count is its
        // pages on all the zones' pagesets (`nodes` has each zone's), its marks are the same in
        // every zone.
        let mut snap = KVec::with_capacity(nr_cpu_ids() as usize, GFP_KERNEL)?;
        for _ in 0..nr_cpu_ids() {
            snap.push([const { AtomicU32::new(u32::MAX) }; 3], GFP_KERNEL)?;
        }
        for (_, pool) in self.nodes.zones() {
            pool.for_each_pcp(&|cpu, count, high, batch| {
                let s = &snap[cpu.as_u32() as usize];
                let _ = s[0].fetch_update(Relaxed, Relaxed, |c| {
                    Some(if c == u32::MAX { count } else { c + count })
                });
                s[1].store(high, Relaxed);
                s[2].store(batch, Relaxed);
            });
        }
        seq_print!(out, "cpu count high batch\n");
        for cpu in possible_cpus() {
            let s = &snap[cpu.as_u32() as usize];
            if s[0].load(Relaxed) != u32::MAX {
                seq_print!(
                    out,
                    "{} {} {} {}\n",
                    cpu.as_u32(),
                    s[0].load(Relaxed),
                    s[1].load(Relaxed),
                    s[2].load(Relaxed)
                );
            }
        }
        Ok(())
    }

    fn show_hotplug(&self, out: &mut SeqFile<'_>) -> Result {
        let h = &self.hotplug;
        for action in MemAction::ALL {
            seq_print!(
                out,
                "{} {}\n",
                action.name(),
                h.events[action as usize].load(Relaxed)
            );
        }
        let rows = [
            ("going_offline_no_chunks", &h.no_chunks),
            ("offline_accepted", &h.accepted),
            ("offline_refused_held", &h.refused_held),
            ("offline_refused_other", &h.refused_other),
            ("pages_given", &h.pages_given),
            ("pages_evacuated", &h.evacuated),
            ("offline_cancelled", &h.cancelled),
            ("pageblocks_offlined", &h.blocks_offlined),
            ("regrowths", &h.regrows),
            ("regrowth_chunks", &h.regrow_chunks),
            ("zones_built", &h.zones_built),
            ("zones_torn_down", &h.zones_torn_down),
        ];
        for (name, v) in rows {
            seq_print!(out, "{} {}\n", name, v.load(Relaxed));
        }
        let (start, end) = (h.pending[0].load(Relaxed), h.pending[1].load(Relaxed));
        if end == 0 {
            seq_print!(out, "pending none\n");
        } else {
            seq_print!(out, "pending [{:#x}, {:#x})\n", start, end);
        }
        Ok(())
    }

    /// `isolate`: `START END` or `all` isolates the pool's pageblocks in that pfn range, as an
    /// offline would (`isolate_range()`), until `off`. One at a time: `EBUSY` while this file or
    /// an offline holds one.
    fn write_isolate(&self, input: &str) -> Result {
        let input = input.trim();
        let mut held = self.isolation.lock();
        if input == "off" {
            return match held.take() {
                Some(iso) => {
                    let (start, end) = iso.range();
                    drop(iso);
                    pr_info!("isolate: [{:#x}, {:#x}) is movable again\n", start, end);
                    Ok(())
                }
                None => {
                    pr_err!("isolate: off refused: nothing is isolated\n");
                    Err(EINVAL)
                }
            };
        }
        let range = if input == "all" {
            Some((0, usize::MAX))
        } else {
            parse_range(input)
        };
        let Some((start, end)) = range.filter(|(start, end)| start < end) else {
            pr_err!(
                "isolate: '{}' refused: allowed 'START END' (pfns, START < END), 'all' or 'off'\n",
                input
            );
            return Err(EINVAL);
        };
        if let Some(iso) = &*held {
            let (s, e) = iso.range();
            pr_err!(
                "isolate: refused: [{:#x}, {:#x}) is isolated already\n",
                s,
                e
            );
            return Err(EBUSY);
        }
        // The range's zone: the first whose chunks it covers (a memory block lies in one node).
        let pool = self
            .nodes
            .zones()
            .map(|(_, pool)| pool)
            .find(|pool| {
                pool.zone()
                    .blocks_in(start, end)
                    .is_ok_and(|b| !b.is_empty())
            })
            .or_else(|| self.nodes.first())
            .ok_or(ENODEV)?;
        let iso = pool.isolate_range(start, end).inspect_err(|e| {
            pr_err!("isolate: [{:#x}, {:#x}) refused: {:?}\n", start, end, e);
        })?;
        pr_info!(
            "isolate: [{:#x}, {:#x}): {} pool pageblocks isolated\n",
            start,
            end,
            iso.blocks()
        );
        *held = Some(iso);
        Ok(())
    }

    /// `inject_delay`: `POINT MS` holds pcpool at a point where a race with another event can
    /// open (`cpu_prepare`, `grow`), for tests, until the test writes `POINT 0`, or for at most
    /// `MS`; a grow waits first for an offline to begin.
    fn write_inject_delay(&self, input: &str) -> Result {
        let mut words = input.split_whitespace();
        let point = words
            .next()
            .and_then(|w| DelayPoint::ALL.into_iter().find(|p| p.name() == w));
        let ms = words
            .next()
            .and_then(|w| w.parse::<u32>().ok())
            .filter(|&ms| ms <= MAX_INJECTED_DELAY_MS);
        match (point, ms, words.next()) {
            (Some(point), Some(ms), None) => {
                for (_, pool) in self.nodes.zones() {
                    pool.inject_delay(point, ms);
                }
                pr_info!("inject_delay: {} {} ms\n", point.name(), ms);
                Ok(())
            }
            _ => {
                pr_err!(
                    "inject_delay: '{}' refused: allowed 'cpu_prepare MS' or 'grow MS', MS in 0..={}\n",
                    input.trim(),
                    MAX_INJECTED_DELAY_MS
                );
                Err(EINVAL)
            }
        }
    }

    /// A page count for file `name`, 1..=`max_pages`; `EINVAL` and a log line otherwise.
    fn parse_pages(&self, name: &str, input: &str) -> Result<usize> {
        let max = self.nodes.first().map_or(0, |pool| pool.zone().max_pages());
        let pages = input.trim().parse::<usize>().ok();
        pages.filter(|&p| (1..=max).contains(&p)).ok_or_else(|| {
            pr_err!(
                "{}: '{}' refused: allowed 1..={} pages\n",
                name,
                input.trim(),
                max
            );
            EINVAL
        })
    }

    /// `grow`: `PAGES [NODE]` takes chunks from the kernel until node `NODE`'s zone (by default
    /// that of the writer's CPU, or the first) holds that many pages more (1..=`max_pages`);
    /// `ENOSPC` past `max_pages`, `ENOMEM` when the kernel has no chunk there, `ENODEV` for a
    /// node without a pool zone.
    fn write_grow(&self, input: &str) -> Result {
        let mut words = input.split_whitespace();
        let pages = self.parse_pages("grow", words.next().unwrap_or(""))?;
        let node = words.next();
        let pool = match node.map(|w| w.parse::<usize>()) {
            None => with_irqs_off(numa_node_id),
            Some(Ok(nid)) if words.next().is_none() => nid,
            Some(_) => {
                pr_err!("grow: '{}' refused: allowed 'PAGES [NODE]'\n", input.trim());
                return Err(EINVAL);
            }
        };
        let pool = match (self.nodes.node(pool), node) {
            (Some(pool), _) => pool,
            (None, None) => self.nodes.first().ok_or(ENODEV)?,
            (None, Some(_)) => {
                pr_err!("grow: refused: node {} has no pool zone\n", pool);
                return Err(ENODEV);
            }
        };
        let before = pool.zone().counters().nr_pages;
        pool.fill(before + pages).inspect_err(|e| {
            pr_err!(
                "grow: stopped at {} pages: {:?}\n",
                pool.zone().counters().nr_pages,
                e
            );
        })
    }

    /// `shrink`: `PAGES` gives at least that many pages back to the kernel now, in wholly free
    /// pageblocks, as the shrinker would (1..=`max_pages`); `EBUSY` while an isolation or an
    /// offline holds the pagesets. Fewer go back when fewer pageblocks are wholly free, or
    /// `min_pages` stops it.
    fn write_shrink(&self, input: &str) -> Result {
        let pages = self.parse_pages("shrink", input)?;
        let mut given = 0;
        for (_, pool) in self.nodes.zones() {
            if given >= pages {
                break;
            }
            given += pool.shrink(pages - given).inspect_err(|e| {
                pr_err!(
                    "shrink: refused: {:?} (an isolation or an offline holds the pagesets)\n",
                    e
                );
            })?;
        }
        pr_info!(
            "shrink: {} pages asked, {} given back; the pool holds {}\n",
            pages,
            given,
            self.counters().nr_pages
        );
        Ok(())
    }

    fn write_knob(&self, name: &str, input: &str, set: impl FnOnce(u32) -> Result) -> Result {
        match input.trim().parse::<u32>() {
            Ok(v) => set(v),
            Err(_) => {
                pr_err!("{}: '{}' is not a number in 0..=4096\n", name, input.trim());
                Err(EINVAL)
            }
        }
    }
}

impl<D: Drain> DebugfsFiles for PoolFiles<D> {
    fn show(&self, id: u32, out: &mut SeqFile<'_>) -> Result {
        let Some(first) = self.nodes.first() else {
            seq_print!(out, "no pool zone: no node has memory the pool can use\n");
            return Ok(());
        };
        match id {
            ZONE => {
                let c = self.counters();
                let zones = || self.nodes.zones().map(|(_, pool)| pool);
                let sum = |f: &dyn Fn(&Pool<D>) -> u64| zones().map(|p| f(&p)).sum::<u64>();
                seq_print!(out, "nr_free {}\n", c.nr_free);
                seq_print!(out, "nr_isolated_free {}\n", c.nr_isolated_free);
                seq_print!(out, "managed {}\n", c.nr_pages);
                seq_print!(out, "chunks {}\n", c.nr_chunks);
                seq_print!(out, "refills {}\n", c.refills);
                seq_print!(out, "flushes {}\n", c.flushes);
                seq_print!(out, "drains {}\n", sum(&|p| p.drains()));
                seq_print!(out, "grows {}\n", c.grows);
                seq_print!(out, "shrinks {}\n", c.shrinks);
                // Every zone's chunks are a pageblock: the summed shrinks give the pages.
                seq_print!(out, "pages_returned {}\n", first.zone().pages_returned(&c));
                let st = |f: &dyn Fn(&crate::pool::ShrinkerStats) -> u64| {
                    sum(&|p| f(p.shrinker_stats()))
                };
                seq_print!(out, "shrinker_counts {}\n", st(&|s| s.counts.load(Relaxed)));
                seq_print!(out, "shrinker_scans {}\n", st(&|s| s.scans.load(Relaxed)));
                seq_print!(out, "shrinker_stops {}\n", st(&|s| s.stops.load(Relaxed)));
                seq_print!(out, "offlined {}\n", c.offlined);
                seq_print!(out, "nodes {}\n", zones().count());
            }
            NODES => {
                seq_print!(
                    out,
                    "node managed nr_free nr_isolated_free chunks grows shrinks offlined drains\n"
                );
                for (nid, pool) in self.nodes.zones() {
                    let c = pool.zone().counters();
                    seq_print!(
                        out,
                        "{} {} {} {} {} {} {} {} {}\n",
                        nid,
                        c.nr_pages,
                        c.nr_free,
                        c.nr_isolated_free,
                        c.nr_chunks,
                        c.grows,
                        c.shrinks,
                        c.offlined,
                        pool.drains()
                    );
                }
            }
            PCP => self.show_pcp(out)?,
            PAGEBLOCKS => {
                seq_print!(out, "pfn migratetype free node\n");
                for (nid, pool) in self.nodes.zones() {
                    pool.zone().for_each_pageblock(|pfn, mt, free| {
                        seq_print!(out, "{:#x} {:?} {} {}\n", pfn, mt, free, nid);
                    });
                }
            }
            VERIFY => {
                // Each zone in a stopped moment of its own: no page moves between zones.
                let mut total = Report::default();
                let mut each = KVec::new();
                for (nid, pool) in self.nodes.zones() {
                    let r = pool.verify()?;
                    total += r;
                    each.push((nid, r), GFP_KERNEL)?;
                }
                print_report(out, &total);
                if each.len() > 1 {
                    for (nid, r) in &each {
                        seq_print!(out, "node {}: ", nid);
                        print_report(out, r);
                    }
                }
                seq_print!(
                    out,
                    "{}\n",
                    if total.is_consistent() {
                        "consistent"
                    } else {
                        "INCONSISTENT"
                    }
                );
            }
            HIGH => seq_print!(out, "{}\n", first.pcp_config().high),
            BATCH => seq_print!(out, "{}\n", first.pcp_config().batch),
            DRAIN => seq_print!(out, "{}\n", first.strategy().name()),
            HOTPLUG => self.show_hotplug(out)?,
            ISOLATE => match &*self.isolation.lock() {
                Some(iso) => {
                    let (start, end) = iso.range();
                    seq_print!(
                        out,
                        "[{:#x}, {:#x}) {} pageblocks\n",
                        start,
                        end,
                        iso.blocks()
                    );
                }
                None => seq_print!(out, "none\n"),
            },
            INJECT_DELAY => {
                for point in DelayPoint::ALL {
                    seq_print!(out, "{} {}\n", point.name(), first.injected_delay_ms(point));
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, id: u32, input: &str) -> Result {
        match id {
            HIGH => self.write_knob("high", input, |v| self.nodes.set_high(v)),
            BATCH => self.write_knob("batch", input, |v| self.nodes.set_batch(v)),
            DRAIN => {
                pr_err!(
                    "drain: '{}' refused: the strategy is chosen at load (the drain parameter); reload pcpool to change it\n",
                    input.trim()
                );
                Err(EINVAL)
            }
            ISOLATE => self.write_isolate(input),
            INJECT_DELAY => self.write_inject_delay(input),
            GROW => self.write_grow(input),
            SHRINK => self.write_shrink(input),
            _ => {
                pr_err!("write refused: the file is read-only\n");
                Err(EINVAL)
            }
        }
    }
}
