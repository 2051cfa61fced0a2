// SPDX-License-Identifier: GPL-2.0

//! pcpool's tracepoints, `include/trace/events/pcpool.h`, fired from Rust (Documentation/pool.rst
//! lists them). `pcpool_alloc` and `pcpool_free` fire in the C API's trampolines instead
//! (rust/helpers/module.c).

use crate::compat::trace::declare_trace;
use kernel::ffi::{c_char, c_int, c_uint, c_ulong};
use kernel::str::CStr;

declare_trace! {
    unsafe fn pcpool_refill(nid: c_int, want: c_uint, pages: c_uint, nr_free: c_ulong);
    unsafe fn pcpool_flush(nid: c_int, want: c_uint, pages: c_uint, nr_free: c_ulong);
    unsafe fn pcpool_drain(
        nid: c_int,
        strategy: *const c_char,
        kind: *const c_char,
        cpus: c_uint,
        pages: c_ulong,
        ns: u64,
    );
    unsafe fn pcpool_isolate(
        nid: c_int,
        start_pfn: c_ulong,
        end_pfn: c_ulong,
        blocks: c_uint,
        ret: c_int,
        ns: u64,
    );
    unsafe fn pcpool_unisolate(nid: c_int, start_pfn: c_ulong, end_pfn: c_ulong, blocks: c_uint);
    unsafe fn pcpool_evacuate(
        nid: c_int,
        start_pfn: c_ulong,
        end_pfn: c_ulong,
        moved: c_ulong,
        held: c_ulong,
        outcome: *const c_char,
        ns: u64,
    );
    unsafe fn pcpool_offline_decision(
        nid: c_int,
        start_pfn: c_ulong,
        end_pfn: c_ulong,
        accepted: bool,
        pages: c_ulong,
        held: c_ulong,
        first_held_pfn: c_ulong,
        evacuated: c_ulong,
        reason: *const c_char,
    );
    unsafe fn pcpool_grow(nid: c_int, pfn: c_ulong, pages: c_ulong, ret: c_int);
    unsafe fn pcpool_shrink(nid: c_int, pfn: c_ulong, pages: c_ulong, ret: c_int);
}

/// A pfn range `[start, end)`.
pub(crate) type Range = (usize, usize);

/// `pages` of the `want` asked for moved from node `nid`'s zone to a pageset; `nr_free` left.
#[inline(always)]
pub(crate) fn refill(nid: i32, want: u32, pages: u32, nr_free: usize) {
    // SAFETY: no pointer argument.
    unsafe { pcpool_refill(nid, want, pages, nr_free as c_ulong) }
}

/// `pages` of the `want` asked for moved from a pageset back to node `nid`'s zone.
#[inline(always)]
pub(crate) fn flush(nid: i32, want: u32, pages: u32, nr_free: usize) {
    // SAFETY: no pointer argument.
    unsafe { pcpool_flush(nid, want, pages, nr_free as c_ulong) }
}

/// A round over every CPU's pageset of node `nid`'s zone, of `kind` "disable" or "drain".
pub(crate) fn drain(nid: i32, strategy: &CStr, kind: &CStr, cpus: u32, pages: usize, ns: u64) {
    // SAFETY: the strings are NUL-terminated and live through the call.
    unsafe {
        pcpool_drain(
            nid,
            strategy.as_char_ptr(),
            kind.as_char_ptr(),
            cpus,
            pages as c_ulong,
            ns,
        )
    }
}

/// An isolation of `range` in node `nid`'s zone: `blocks` pageblocks, or the error.
pub(crate) fn isolate(
    nid: i32,
    range: Range,
    blocks: usize,
    ret: Result<(), kernel::error::Error>,
    ns: u64,
) {
    let ret = ret.map_or_else(|e| e.to_errno(), |()| 0);
    // SAFETY: no pointer argument.
    unsafe {
        pcpool_isolate(
            nid,
            range.0 as c_ulong,
            range.1 as c_ulong,
            blocks as c_uint,
            ret,
            ns,
        )
    }
}

/// The isolation of `range` undone.
pub(crate) fn unisolate(nid: i32, range: Range, blocks: usize) {
    // SAFETY: no pointer argument.
    unsafe {
        pcpool_unisolate(
            nid,
            range.0 as c_ulong,
            range.1 as c_ulong,
            blocks as c_uint,
        )
    }
}

/// An evacuation of `range`: `moved` pages moved, `held` still held, and why it stopped.
pub(crate) fn evacuate(nid: i32, range: Range, moved: usize, held: usize, outcome: &CStr, ns: u64) {
    // SAFETY: the string is NUL-terminated and lives through the call.
    unsafe {
        pcpool_evacuate(
            nid,
            range.0 as c_ulong,
            range.1 as c_ulong,
            moved as c_ulong,
            held as c_ulong,
            outcome.as_char_ptr(),
            ns,
        )
    }
}

/// What the pool answered to `MEM_GOING_OFFLINE` for `range`.
pub(crate) struct OfflineDecision<'a> {
    pub(crate) nid: i32,
    pub(crate) range: Range,
    pub(crate) accepted: bool,
    /// Pages handed over.
    pub(crate) pages: usize,
    /// Pages clients still hold there, and the first one's pfn.
    pub(crate) held: usize,
    pub(crate) first_held_pfn: usize,
    pub(crate) evacuated: usize,
    pub(crate) reason: &'a CStr,
}

/// Fires `pcpool_offline_decision`.
pub(crate) fn offline_decision(d: &OfflineDecision<'_>) {
    // SAFETY: the string is NUL-terminated and lives through the call.
    unsafe {
        pcpool_offline_decision(
            d.nid,
            d.range.0 as c_ulong,
            d.range.1 as c_ulong,
            d.accepted,
            d.pages as c_ulong,
            d.held as c_ulong,
            d.first_held_pfn as c_ulong,
            d.evacuated as c_ulong,
            d.reason.as_char_ptr(),
        )
    }
}

/// A chunk of `pages` at `pfn` taken from the kernel for node `nid`'s zone (`pfn` 0 on an
/// error).
pub(crate) fn grow(nid: i32, pfn: usize, pages: usize, ret: Result<(), kernel::error::Error>) {
    let ret = ret.map_or_else(|e| e.to_errno(), |()| 0);
    // SAFETY: no pointer argument.
    unsafe { pcpool_grow(nid, pfn as c_ulong, pages as c_ulong, ret) }
}

/// A chunk given back to the kernel.
pub(crate) fn shrink(nid: i32, pfn: usize, pages: usize) {
    // SAFETY: no pointer argument.
    unsafe { pcpool_shrink(nid, pfn as c_ulong, pages as c_ulong, 0) }
}
