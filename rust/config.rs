// SPDX-License-Identifier: GPL-2.0

//! The pool's configuration and its limits.

use crate::ffi::{
    page::{ZoneKind, NUMA_NO_NODE},
    params::{node_online, Params},
};
use kernel::prelude::*;

/// Largest `high` a pageset may have.
pub(crate) const MAX_HIGH: u32 = 4096;

/// How `pcp_disable()` drains the pagesets before an isolation (Documentation/isolation.rst).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DrainStrategy {
    /// One `on_each_cpu` round sets `high = 0` and drains (`zone_pcp_disable()`): the default.
    Ipi,
    /// One such round per pageblock, after isolating it: the 2014 design.
    Pageblock,
    /// Each CPU's pageset locked and drained from the isolating CPU, as 6.x's
    /// `drain_all_pages()` does with `pcp->lock`.
    Remote,
    /// A work item per CPU, as `drain_all_pages()` did before 6.0.
    Workqueue,
}

impl DrainStrategy {
    /// Every strategy.
    pub(crate) const ALL: [Self; 4] = [Self::Ipi, Self::Pageblock, Self::Remote, Self::Workqueue];

    /// The name the `drain` parameter and the debugfs knob take.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ipi => "ipi",
            Self::Pageblock => "pageblock",
            Self::Remote => "remote",
            Self::Workqueue => "workqueue",
        }
    }

    /// The strategy named `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The names [`DrainStrategy::from_name`] takes, for error messages.
pub(crate) const DRAIN_NAMES: &str = "allowed ipi, pageblock, remote or workqueue";

/// The pool's settings, checked by [`PoolConfig::validate`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    /// Pages taken from the kernel at load.
    pub(crate) initial_pages: usize,
    /// Most pages the pool may hold.
    pub(crate) max_pages: usize,
    /// Pageset high mark.
    pub(crate) high: u32,
    /// Pageset batch.
    pub(crate) batch: u32,
    /// Zone the chunks come from.
    pub(crate) zone: ZoneKind,
    /// NUMA node, or `NUMA_NO_NODE`.
    pub(crate) nid: i32,
    /// How isolation drains the pagesets.
    pub(crate) drain: DrainStrategy,
    /// Memory notifier priority.
    pub(crate) notifier_priority: i32,
    /// Grow back to `initial_pages` after an offline took pool pages, and on `MEM_ONLINE`.
    pub(crate) regrow: bool,
    /// How long an offline may spend evacuating held pages, in ms.
    pub(crate) evacuate_ms: u32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            initial_pages: 1024,
            max_pages: 16384,
            high: 256,
            batch: 32,
            zone: ZoneKind::Movable,
            nid: NUMA_NO_NODE,
            drain: DrainStrategy::Ipi,
            notifier_priority: 0,
            regrow: false,
            evacuate_ms: 1000,
        }
    }
}

/// Whether `high` and `batch` make a valid pageset: `1 <= batch <= high <= MAX_HIGH`, or
/// `high == 0` (every free goes to the zone).
pub(crate) fn valid_high_batch(high: u32, batch: u32) -> bool {
    (1..=MAX_HIGH).contains(&batch) && high <= MAX_HIGH && (high == 0 || batch <= high)
}

/// Longest `evacuate_ms`.
pub(crate) const MAX_EVACUATE_MS: u32 = 60_000;

/// Largest magnitude of `notifier_priority`.
pub(crate) const MAX_PRIORITY: i32 = 1000;

/// Largest `max_pages` (16 GiB of 4 KiB pages): the pool's per-page tables are sized by it.
pub(crate) const MAX_PAGES: usize = 1 << 22;

impl PoolConfig {
    /// Checks the module parameters: `EINVAL`, with a log line naming the parameter and its
    /// allowed range, for the first bad one.
    pub(crate) fn from_params(p: &Params) -> Result<Self> {
        let bad = |name: &str, value: &dyn core::fmt::Display, range: &str| {
            pr_err!("{}={} is invalid: {}\n", name, value, range);
            Err(EINVAL)
        };
        if !(1..=MAX_PAGES).contains(&p.max_pages) {
            return bad("max_pages", &p.max_pages, "allowed 1..=4194304");
        }
        if p.initial_pages > p.max_pages {
            return bad("initial_pages", &p.initial_pages, "allowed 0..=max_pages");
        }
        if p.high > MAX_HIGH {
            return bad("high", &p.high, "allowed 0..=4096");
        }
        if !(1..=MAX_HIGH).contains(&p.batch) || (p.high != 0 && p.batch > p.high) {
            return bad(
                "batch",
                &p.batch,
                "allowed 1..=high (1..=4096 when high is 0)",
            );
        }
        let zone = match p.zone {
            Some("movable") => ZoneKind::Movable,
            Some("normal") => ZoneKind::Normal,
            _ => return bad("zone", &p.zone.unwrap_or("?"), "allowed movable or normal"),
        };
        if p.node != NUMA_NO_NODE && !node_online(p.node) {
            return bad("node", &p.node, "allowed -1 or an online node");
        }
        let Some(drain) = p.drain.and_then(DrainStrategy::from_name) else {
            return bad("drain", &p.drain.unwrap_or("?"), DRAIN_NAMES);
        };
        if p.evacuate_ms > MAX_EVACUATE_MS {
            return bad("evacuate_ms", &p.evacuate_ms, "allowed 0..=60000");
        }
        if !(-MAX_PRIORITY..=MAX_PRIORITY).contains(&p.notifier_priority) {
            return bad(
                "notifier_priority",
                &p.notifier_priority,
                "allowed -1000..=1000",
            );
        }
        Ok(Self {
            initial_pages: p.initial_pages,
            max_pages: p.max_pages,
            high: p.high,
            batch: p.batch,
            zone,
            nid: p.node,
            drain,
            notifier_priority: p.notifier_priority,
            regrow: p.regrow,
            evacuate_ms: p.evacuate_ms,
        })
    }
}
