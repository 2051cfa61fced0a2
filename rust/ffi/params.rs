// SPDX-License-Identifier: GPL-2.0

//! Module parameters, declared with `module_param()` in pcpool_shim.c (6.12's Rust `module!`
//! takes none) and read here. rust/config.rs checks them.

use super::sys;
use core::mem::offset_of;
use kernel::{
    ffi::{c_char, c_int, c_uint, c_ulong},
    str::CStr,
};

/// `struct pcpool_params`, asserted in pcpool_shim.c.
#[repr(C)]
pub(crate) struct RawParams {
    initial_pages: c_ulong,
    max_pages: c_ulong,
    zone: *const c_char,
    high: c_uint,
    batch: c_uint,
    node: c_int,
    drain: *const c_char,
    notifier_priority: c_int,
    regrow: bool,
    evacuate_ms: c_uint,
}

const _: () = {
    assert!(offset_of!(RawParams, initial_pages) == 0);
    assert!(offset_of!(RawParams, max_pages) == 8);
    assert!(offset_of!(RawParams, zone) == 16);
    assert!(offset_of!(RawParams, high) == 24);
    assert!(offset_of!(RawParams, batch) == 28);
    assert!(offset_of!(RawParams, node) == 32);
    assert!(offset_of!(RawParams, drain) == 40);
    assert!(offset_of!(RawParams, notifier_priority) == 48);
    assert!(offset_of!(RawParams, regrow) == 52);
    assert!(offset_of!(RawParams, evacuate_ms) == 56);
    assert!(core::mem::size_of::<RawParams>() == 64);
};

/// The module parameters as loaded, unchecked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    pub(crate) initial_pages: usize,
    pub(crate) max_pages: usize,
    /// `zone=`, or `None` when it is not valid UTF-8.
    pub(crate) zone: Option<&'static str>,
    pub(crate) high: u32,
    pub(crate) batch: u32,
    pub(crate) node: i32,
    /// `drain=`, or `None` when it is not valid UTF-8.
    pub(crate) drain: Option<&'static str>,
    pub(crate) notifier_priority: i32,
    pub(crate) regrow: bool,
    pub(crate) evacuate_ms: u32,
}

/// Reads the parameters.
pub(crate) fn params() -> Params {
    let mut raw = RawParams {
        initial_pages: 0,
        max_pages: 0,
        zone: core::ptr::null(),
        high: 0,
        batch: 0,
        node: 0,
        drain: core::ptr::null(),
        notifier_priority: 0,
        regrow: false,
        evacuate_ms: 0,
    };
    // SAFETY: `raw` is a valid `struct pcpool_params` to fill.
    unsafe { sys::pcpool_params(&mut raw) };
    let string = |p: *const c_char| {
        (!p.is_null())
            // SAFETY: a `charp` parameter is a NUL-terminated string that lives as long as the
            // module and is read-only (0444).
            .then(|| unsafe { CStr::from_char_ptr(p) })
            .and_then(|s| s.to_str().ok())
    };
    Params {
        initial_pages: raw.initial_pages,
        max_pages: raw.max_pages,
        zone: string(raw.zone),
        high: raw.high,
        batch: raw.batch,
        node: raw.node,
        drain: string(raw.drain),
        notifier_priority: raw.notifier_priority,
        regrow: raw.regrow,
        evacuate_ms: raw.evacuate_ms,
    }
}

/// Whether `nid` is an online NUMA node.
pub(crate) fn node_online(nid: i32) -> bool {
    // SAFETY: any value; the shim checks the range.
    unsafe { sys::pcpool_node_online(nid) }
}

/// `kunit_memblock`: the memory block the KUnit notifier test offlines, if any.
#[cfg(CONFIG_KUNIT)]
pub(crate) fn kunit_memblock() -> Option<u32> {
    // SAFETY: reads an `int` written only when the module loads (the parameter is 0444).
    u32::try_from(unsafe { sys::pcpool_param_kunit_memblock() }).ok()
}
