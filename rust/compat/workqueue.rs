// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::workqueue` once it can allocate a queue.
//!
//! A workqueue of pcpool's own. 6.12's `kernel::workqueue` can queue work on the system queues
//! but cannot cancel or flush it, so work that uses the pool would outlive the module; an owned
//! queue is drained when it is destroyed, which unloading waits for.

use super::sys;
use core::ptr::NonNull;
use kernel::{bindings, prelude::*, str::CStr, workqueue::Queue};

/// An ordered workqueue (one item at a time, in order), destroyed, after running what is
/// queued, on drop.
///
/// # Invariants
///
/// `raw` came from `alloc_ordered_workqueue()` and is destroyed only in `drop`.
pub(crate) struct OwnedQueue {
    raw: NonNull<bindings::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: queueing work is thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// A new ordered workqueue named `name`. Sleeps.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; the shim passes it as a "%s" argument.
        let raw = unsafe { sys::pcpool_alloc_ordered_wq(name.as_char_ptr()) };
        // INVARIANT: fresh from `alloc_ordered_workqueue()`.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Runs `f` once, later, on this queue (`try_spawn`).
    pub(crate) fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Result {
        self.queue().try_spawn(GFP_KERNEL, f).map_err(|_| ENOMEM)
    }

    fn queue(&self) -> &Queue {
        // SAFETY: `raw` is a live workqueue until `drop` (type invariant), which needs `&mut`.
        unsafe { Queue::from_raw(self.raw.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: `raw` is live (type invariant); `destroy_workqueue()` runs what is queued first.
        unsafe { bindings::destroy_workqueue(self.raw.as_ptr()) };
    }
}
