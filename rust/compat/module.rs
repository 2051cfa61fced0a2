// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet (`ThisModule` has no `try_module_get`).
//!
//! A reference to pcpool's own module (`try_module_get(THIS_MODULE)`), which makes `rmmod`
//! fail with `EBUSY` at once while it is held, instead of waiting.

use super::sys;

/// Holds pcpool.ko loaded until dropped.
pub(crate) struct ModuleRef(());

impl ModuleRef {
    /// A reference, or `None` once pcpool is being unloaded.
    pub(crate) fn try_get() -> Option<Self> {
        // SAFETY: no requirement; a successful get is put back by `drop`.
        unsafe { sys::pcpool_module_get() }.then_some(Self(()))
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: taken by `try_get`.
        unsafe { sys::pcpool_module_put() };
    }
}
