// SPDX-License-Identifier: GPL-2.0

//! The pool's debugfs files, `/sys/kernel/debug/pcpool/`, in /proc/zoneinfo's vocabulary.

use crate::compat::memory_notifier::MemAction;
use crate::compat::{
    cpu::{nr_cpu_ids, possible_cpus},
    debugfs::{seq_print, DebugfsFiles, FileSpec, SeqFile},
};
use crate::mem_hotplug::HotplugStats;
use crate::pool::{DelayPoint, Drain, Isolation, Pool, MAX_INJECTED_DELAY_MS};
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

/// The files: statistics are world-readable, `verify` (it stops the machine) and the knobs are
/// root's.
pub(crate) static FILES: [FileSpec; 12] = [
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
];

/// What the files show and change.
pub(crate) struct PoolFiles<D: Drain> {
    pub(crate) pool: Arc<Pool<D>>,
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

impl<D: Drain> PoolFiles<D> {
    fn show_pcp(&self, out: &mut SeqFile<'_>) -> Result {
        // One snapshot per CPU, taken on that CPU with IRQs off.
        let mut snap = KVec::with_capacity(nr_cpu_ids() as usize, GFP_KERNEL)?;
        for _ in 0..nr_cpu_ids() {
            snap.push([const { AtomicU32::new(u32::MAX) }; 3], GFP_KERNEL)?;
        }
        self.pool.for_each_pcp(&|cpu, count, high, batch| {
            let s = &snap[cpu.as_u32() as usize];
            s[0].store(count, Relaxed);
            s[1].store(high, Relaxed);
            s[2].store(batch, Relaxed);
        });
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
        let iso = self.pool.isolate_range(start, end).inspect_err(|e| {
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
                self.pool.inject_delay(point, ms);
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
        let max = self.pool.zone().max_chunks() * self.pool.zone().pages_per_chunk() as usize;
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

    /// `grow`: `PAGES` takes chunks from the kernel until the pool holds that many pages more
    /// (1..=`max_pages`); `ENOSPC` past `max_pages`, `ENOMEM` when the kernel has no chunk.
    fn write_grow(&self, input: &str) -> Result {
        let pages = self.parse_pages("grow", input)?;
        let before = self.pool.zone().counters().nr_pages;
        self.pool.fill(before + pages).inspect_err(|e| {
            pr_err!(
                "grow: stopped at {} pages: {:?}\n",
                self.pool.zone().counters().nr_pages,
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
        let given = self.pool.shrink(pages).inspect_err(|e| {
            pr_err!(
                "shrink: refused: {:?} (an isolation or an offline holds the pagesets)\n",
                e
            );
        })?;
        pr_info!(
            "shrink: {} pages asked, {} given back; the pool holds {}\n",
            pages,
            given,
            self.pool.zone().counters().nr_pages
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
        let pool = &self.pool;
        match id {
            ZONE => {
                let c = pool.zone().counters();
                seq_print!(out, "nr_free {}\n", c.nr_free);
                seq_print!(out, "nr_isolated_free {}\n", c.nr_isolated_free);
                seq_print!(out, "managed {}\n", c.nr_pages);
                seq_print!(out, "chunks {}\n", c.nr_chunks);
                seq_print!(out, "refills {}\n", c.refills);
                seq_print!(out, "flushes {}\n", c.flushes);
                seq_print!(out, "drains {}\n", pool.drains());
                seq_print!(out, "grows {}\n", c.grows);
                seq_print!(out, "shrinks {}\n", c.shrinks);
                seq_print!(out, "pages_returned {}\n", pool.zone().pages_returned(&c));
                let st = pool.shrinker_stats();
                seq_print!(out, "shrinker_counts {}\n", st.counts.load(Relaxed));
                seq_print!(out, "shrinker_scans {}\n", st.scans.load(Relaxed));
                seq_print!(out, "shrinker_stops {}\n", st.stops.load(Relaxed));
                seq_print!(out, "offlined {}\n", c.offlined);
            }
            PCP => self.show_pcp(out)?,
            PAGEBLOCKS => {
                seq_print!(out, "pfn migratetype free\n");
                pool.zone().for_each_pageblock(|pfn, mt, free| {
                    seq_print!(out, "{:#x} {:?} {}\n", pfn, mt, free);
                });
            }
            VERIFY => {
                let r = pool.verify()?;
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
                seq_print!(
                    out,
                    "{}\n",
                    if r.is_consistent() {
                        "consistent"
                    } else {
                        "INCONSISTENT"
                    }
                );
            }
            HIGH => seq_print!(out, "{}\n", pool.pcp_config().high),
            BATCH => seq_print!(out, "{}\n", pool.pcp_config().batch),
            DRAIN => seq_print!(out, "{}\n", pool.strategy().name()),
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
                    seq_print!(out, "{} {}\n", point.name(), pool.injected_delay_ms(point));
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, id: u32, input: &str) -> Result {
        match id {
            HIGH => self.write_knob("high", input, |v| self.pool.set_high(v)),
            BATCH => self.write_knob("batch", input, |v| self.pool.set_batch(v)),
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
