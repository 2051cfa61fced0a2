// SPDX-License-Identifier: GPL-2.0

//! A mutex held from one memory notifier callback to a later one: taken in
//! `MEM_GOING_OFFLINE`, released in `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`, as virtio-mem holds
//! its `hotplug_mutex`. A guard cannot outlive the callback that took it, so this lock has no
//! guard: the task that locked it unlocks it, and the shim refuses anyone else.
//!
//! Lockdep does not track it (the shim takes it under `lockdep_off()`, as virtio-mem does):
//! between the two callbacks the notifier chain drops and retakes its rwsem, which lockdep
//! would report as an inversion, although memory hotplug serialises the callbacks. Its place
//! in the lock order is written down in Documentation/hotplug.rst instead.

use crate::compat::sys;
use core::ptr::NonNull;
use kernel::{ffi::c_void, prelude::*};

/// A sleeping lock that its holder may keep across calls.
///
/// # Invariants
///
/// `raw` is a `struct pcpool_cb_mutex` from `pcpool_cb_mutex_new()`, freed only in `drop`.
pub(crate) struct CallbackMutex {
    raw: NonNull<c_void>,
}

// SAFETY: the C object is a mutex plus its owner's task pointer; any task may lock it, and the
// shim lets only the owner unlock.
unsafe impl Send for CallbackMutex {}
// SAFETY: as above; every operation is a locked or atomic access in the shim.
unsafe impl Sync for CallbackMutex {}

impl CallbackMutex {
    /// An unlocked mutex.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: no requirement.
        let raw = NonNull::new(unsafe { sys::pcpool_cb_mutex_new() }).ok_or(ENOMEM)?;
        // INVARIANT: fresh from `pcpool_cb_mutex_new()`.
        Ok(Self { raw })
    }

    /// Takes the mutex, sleeping until it is free; it stays held until this task calls
    /// [`CallbackMutex::unlock`], in this call or a later one.
    pub(crate) fn lock(&self) {
        // SAFETY: `raw` is a live mutex (type invariant); we may sleep.
        unsafe { sys::pcpool_cb_mutex_lock(self.raw.as_ptr()) };
    }

    /// Releases the mutex; `EPERM`, and nothing changes, unless this task holds it.
    pub(crate) fn unlock(&self) -> Result {
        // SAFETY: `raw` is a live mutex (type invariant); the shim checks the owner.
        kernel::error::to_result(unsafe { sys::pcpool_cb_mutex_unlock(self.raw.as_ptr()) })
    }

    /// Whether this task holds the mutex.
    pub(crate) fn held_by_current(&self) -> bool {
        // SAFETY: `raw` is a live mutex (type invariant); reads its owner.
        unsafe { sys::pcpool_cb_mutex_held_by_current(self.raw.as_ptr()) }
    }
}

impl Drop for CallbackMutex {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `pcpool_cb_mutex_new()` and nobody uses it after `drop`; the
        // shim warns if it is still held.
        unsafe { sys::pcpool_cb_mutex_free(self.raw.as_ptr()) };
    }
}
