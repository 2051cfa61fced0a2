// SPDX-License-Identifier: GPL-2.0

//! The pool's configuration and its limits.

use crate::chunk::{node_online, ZoneKind, NUMA_NO_NODE};
use crate::params::{self, Params};
use kernel::{c_str, prelude::*, str::CStr};

/// Largest `high` a pageset may have.
pub(crate) const MAX_HIGH: u32 = params::HIGH.max;

/// How `pcp_disable()` drains the pagesets before an isolation (Documentation/isolation.rst).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DrainStrategy {
    /// One `on_each_cpu` round sets `high = 0` and drains (`zone_pcp_disable()`): the default.
    Ipi,
    /// One such round per pageblock, after isolating it (`set_migratetype_isolate()` drained so).
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

    /// The names the `drain` parameter and the debugfs knob take, in [`Self::ALL`]'s order.
    pub(crate) const NAMES: [&'static str; 4] = ["ipi", "pageblock", "remote", "workqueue"];

    /// The name the `drain` parameter and the debugfs knob take.
    pub(crate) fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The name, for a trace event.
    pub(crate) fn c_name(self) -> &'static CStr {
        const C_NAMES: [&CStr; 4] = [
            c_str!("ipi"),
            c_str!("pageblock"),
            c_str!("remote"),
            c_str!("workqueue"),
        ];
        C_NAMES[self as usize]
    }

    /// The strategy named `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The pool's settings, checked by [`PoolConfig::validate`]: the module parameters of the
/// same names (`rust/params.rs` describes each).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) initial_pages: usize,
    pub(crate) max_pages: usize,
    pub(crate) high: u32,
    pub(crate) batch: u32,
    pub(crate) zone: ZoneKind,
    /// `node`, or `NUMA_NO_NODE` for any.
    pub(crate) nid: i32,
    pub(crate) drain: DrainStrategy,
    pub(crate) notifier_priority: i32,
    pub(crate) regrow: bool,
    pub(crate) evacuate_stall_ms: u32,
    pub(crate) min_pages: usize,
    pub(crate) shrinker: bool,
}

/// The module parameters' defaults.
impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            initial_pages: params::INITIAL_PAGES.default,
            max_pages: params::MAX_PAGES.default,
            high: params::HIGH.default,
            batch: params::BATCH.default,
            zone: ZoneKind::Movable,
            nid: params::NODE.default,
            drain: DrainStrategy::Ipi,
            notifier_priority: params::NOTIFIER_PRIORITY.default,
            regrow: params::REGROW_DEFAULT,
            evacuate_stall_ms: params::EVACUATE_STALL_MS.default,
            min_pages: params::MIN_PAGES.default,
            shrinker: params::SHRINKER_DEFAULT,
        }
    }
}

/// Whether `high` and `batch` make a valid pageset: `1 <= batch <= high <= MAX_HIGH`, or
/// `high == 0` (every free goes to the zone).
pub(crate) fn valid_high_batch(high: u32, batch: u32) -> bool {
    (1..=MAX_HIGH).contains(&batch) && high <= MAX_HIGH && (high == 0 || batch <= high)
}

/// Largest `max_pages`: the pool's per-page tables are sized by it.
pub(crate) const MAX_PAGES: usize = params::MAX_PAGES.max;

impl PoolConfig {
    /// Checks the module parameters: `EINVAL`, with a log line naming the parameter and its
    /// allowed range, for the first bad one.
    pub(crate) fn from_params(p: &Params) -> Result<Self> {
        let max_pages = params::MAX_PAGES.check(p.max_pages, None)?;
        let initial_pages =
            params::INITIAL_PAGES.check(p.initial_pages, Some(("max_pages", max_pages)))?;
        let high = params::HIGH.check(p.high, None)?;
        let batch = params::BATCH.check(p.batch, (high != 0).then_some(("high", high)))?;
        let zone = match params::ZONE.check(p.zone)? {
            "normal" => ZoneKind::Normal,
            _ => ZoneKind::Movable,
        };
        let nid = params::NODE.check(p.node, None)?;
        if nid != NUMA_NO_NODE && !node_online(nid) {
            pr_err!("node={} is invalid: allowed -1 or an online node\n", nid);
            return Err(EINVAL);
        }
        let drain = DrainStrategy::from_name(params::DRAIN.check(p.drain)?).ok_or(EINVAL)?;
        Ok(Self {
            initial_pages,
            max_pages,
            high,
            batch,
            zone,
            nid,
            drain,
            notifier_priority: params::NOTIFIER_PRIORITY.check(p.notifier_priority, None)?,
            regrow: p.regrow,
            evacuate_stall_ms: params::EVACUATE_STALL_MS.check(p.evacuate_stall_ms, None)?,
            min_pages: params::MIN_PAGES.check(p.min_pages, Some(("max_pages", max_pages)))?,
            shrinker: p.shrinker,
        })
    }
}
