// SPDX-License-Identifier: GPL-2.0

//! The module parameters: one table of names, defaults and limits.
//!
//! 6.12's Rust `module!` takes no parameters, so `rust/helpers/params.c` declares each one with
//! `module_param_named()` on the `pcpool_param_*` static here that holds its value. The
//! defaults below are those statics' initial values, and the checks in rust/config.rs build
//! their error messages from the limits below.

use crate::config::DrainStrategy;
use core::fmt::Display;
use kernel::{
    ffi::{c_char, c_int, c_uint, c_ulong},
    prelude::*,
    str::CStr,
};

/// An integer parameter: its default and its limits.
pub(crate) struct IntParam<T> {
    pub(crate) name: &'static str,
    pub(crate) default: T,
    pub(crate) min: T,
    pub(crate) max: T,
}

impl<T: PartialOrd + Display + Copy> IntParam<T> {
    /// `value`, if it lies in `min..=max` and, when `bound` names another parameter, at or
    /// below that one's value; `EINVAL` with a log line naming the limits otherwise.
    pub(crate) fn check(&self, value: T, bound: Option<(&str, T)>) -> Result<T> {
        let max = match bound {
            Some((_, b)) if b < self.max => b,
            _ => self.max,
        };
        if self.min <= value && value <= max {
            return Ok(value);
        }
        match bound {
            Some((name, b)) => pr_err!(
                "{}={} is invalid: allowed {}..={} and at most {} ({})\n",
                self.name,
                value,
                self.min,
                self.max,
                name,
                b
            ),
            None => pr_err!(
                "{}={} is invalid: allowed {}..={}\n",
                self.name,
                value,
                self.min,
                self.max
            ),
        }
        Err(EINVAL)
    }
}

/// A string parameter: its default and the values it takes.
pub(crate) struct StrParam {
    pub(crate) name: &'static str,
    pub(crate) default: &'static CStr,
    pub(crate) allowed: &'static [&'static str],
}

impl StrParam {
    /// `value`, if it is one of `allowed`; `EINVAL` with a log line listing them otherwise.
    pub(crate) fn check<'a>(&self, value: Option<&'a str>) -> Result<&'a str> {
        match value {
            Some(v) if self.allowed.contains(&v) => Ok(v),
            _ => {
                pr_err!(
                    "{}={} is invalid: allowed {:?}\n",
                    self.name,
                    value.unwrap_or("?"),
                    self.allowed
                );
                Err(EINVAL)
            }
        }
    }
}

/// Pages taken from the kernel at load; at most `max_pages`.
pub(crate) const INITIAL_PAGES: IntParam<usize> = IntParam {
    name: "initial_pages",
    default: 512,
    min: 0,
    max: MAX_PAGES.max,
};
/// Most pages the pool may hold: its per-page tables are sized by it (16 GiB at most).
pub(crate) const MAX_PAGES: IntParam<usize> = IntParam {
    name: "max_pages",
    default: 65536,
    min: 1,
    max: 1 << 22,
};
/// Pageset high mark (0: every free goes to the zone).
pub(crate) const HIGH: IntParam<u32> = IntParam {
    name: "high",
    default: 256,
    min: 0,
    max: 4096,
};
/// Pageset refill and flush batch; at most `high`, unless `high` is 0.
pub(crate) const BATCH: IntParam<u32> = IntParam {
    name: "batch",
    default: 32,
    min: 1,
    max: HIGH.max,
};
/// NUMA node of the chunks (-1: any); an online node.
pub(crate) const NODE: IntParam<i32> = IntParam {
    name: "node",
    default: -1,
    min: -1,
    max: 1023,
};
/// Memory notifier priority; higher runs first (the kernel's own users sit at 1..100).
pub(crate) const NOTIFIER_PRIORITY: IntParam<i32> = IntParam {
    name: "notifier_priority",
    default: 0,
    min: -1000,
    max: 1000,
};
/// How long evacuation may go without moving a page before the offline is refused, in ms (0:
/// never evacuate).
pub(crate) const EVACUATE_STALL_MS: IntParam<u32> = IntParam {
    name: "evacuate_stall_ms",
    default: 100,
    min: 0,
    max: 60_000,
};
/// The zone the chunks come from.
pub(crate) const ZONE: StrParam = StrParam {
    name: "zone",
    default: kernel::c_str!("movable"),
    allowed: &["movable", "normal"],
};
/// How isolation drains the pagesets (Documentation/isolation.rst).
pub(crate) const DRAIN: StrParam = StrParam {
    name: "drain",
    default: kernel::c_str!("ipi"),
    allowed: &DrainStrategy::NAMES,
};
/// Grow back to `initial_pages` after an offline took pool pages, and on `MEM_ONLINE`.
pub(crate) const REGROW_DEFAULT: bool = false;
/// Pages the shrinker leaves the pool; at most `max_pages`. 0 by default: under memory
/// pressure every free pageblock may go back, as the kernel empties its own pcp lists.
pub(crate) const MIN_PAGES: IntParam<usize> = IntParam {
    name: "min_pages",
    default: 0,
    min: 0,
    max: MAX_PAGES.max,
};
/// Register a shrinker, so that reclaim takes free pageblocks back (Documentation/pool.rst).
pub(crate) const SHRINKER_DEFAULT: bool = true;

// The values, as `module_param()` wrote them at load (0444: never after).
#[no_mangle]
static mut pcpool_param_initial_pages: c_ulong = INITIAL_PAGES.default;
#[no_mangle]
static mut pcpool_param_max_pages: c_ulong = MAX_PAGES.default;
#[no_mangle]
static mut pcpool_param_high: c_uint = HIGH.default;
#[no_mangle]
static mut pcpool_param_batch: c_uint = BATCH.default;
#[no_mangle]
static mut pcpool_param_node: c_int = NODE.default;
#[no_mangle]
static mut pcpool_param_notifier_priority: c_int = NOTIFIER_PRIORITY.default;
#[no_mangle]
static mut pcpool_param_evacuate_stall_ms: c_uint = EVACUATE_STALL_MS.default;
#[no_mangle]
static mut pcpool_param_zone: *const c_char = ZONE.default.as_char_ptr();
#[no_mangle]
static mut pcpool_param_drain: *const c_char = DRAIN.default.as_char_ptr();
#[no_mangle]
static mut pcpool_param_regrow: bool = REGROW_DEFAULT;
#[no_mangle]
static mut pcpool_param_min_pages: c_ulong = MIN_PAGES.default;
#[no_mangle]
static mut pcpool_param_shrinker: bool = SHRINKER_DEFAULT;
/// The memory block KUnit's notifier test offlines (-1: none).
#[cfg(CONFIG_KUNIT)]
#[no_mangle]
static mut pcpool_param_kunit_memblock: c_int = -1;

/// The module parameters as loaded, unchecked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub(crate) initial_pages: usize,
    pub(crate) max_pages: usize,
    /// `None` when not valid UTF-8.
    pub(crate) zone: Option<&'static str>,
    pub(crate) high: u32,
    pub(crate) batch: u32,
    pub(crate) node: i32,
    /// `None` when not valid UTF-8.
    pub(crate) drain: Option<&'static str>,
    pub(crate) notifier_priority: i32,
    pub(crate) regrow: bool,
    pub(crate) evacuate_stall_ms: u32,
    pub(crate) min_pages: usize,
    pub(crate) shrinker: bool,
}

impl Params {
    /// The values the parameters had at load.
    pub(crate) fn read() -> Self {
        let string = |p: *const c_char| {
            (!p.is_null())
                // SAFETY: a `charp` parameter is a NUL-terminated string that lives as long as
                // the module and is never written after load (0444).
                .then(|| unsafe { CStr::from_char_ptr(p) })
                .and_then(|s| s.to_str().ok())
        };
        // SAFETY: the statics are written only by `module_param()` while the module loads,
        // before its init runs (every parameter is 0444).
        unsafe {
            Self {
                initial_pages: pcpool_param_initial_pages,
                max_pages: pcpool_param_max_pages,
                zone: string(pcpool_param_zone),
                high: pcpool_param_high,
                batch: pcpool_param_batch,
                node: pcpool_param_node,
                drain: string(pcpool_param_drain),
                notifier_priority: pcpool_param_notifier_priority,
                regrow: pcpool_param_regrow,
                evacuate_stall_ms: pcpool_param_evacuate_stall_ms,
                min_pages: pcpool_param_min_pages,
                shrinker: pcpool_param_shrinker,
            }
        }
    }
}

/// `kunit_memblock`: the memory block the KUnit notifier test offlines, if any.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn kunit_memblock() -> Option<u32> {
    // SAFETY: written only while the module loads (see `Params::read`).
    u32::try_from(unsafe { pcpool_param_kunit_memblock }).ok()
}
