// SPDX-License-Identifier: GPL-2.0

//! Module parameters, declared with `module_param()` in pcpool_shim.c (6.12's Rust `module!`
//! takes none) and read here.

use super::sys;

/// `kunit_memblock`: the memory block the KUnit notifier test offlines, if any.
pub(crate) fn kunit_memblock() -> Option<u32> {
    // SAFETY: reads an `int` written only when the module loads (the parameter is 0444).
    u32::try_from(unsafe { sys::pcpool_param_kunit_memblock() }).ok()
}
