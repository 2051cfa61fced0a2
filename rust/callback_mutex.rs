// SPDX-License-Identifier: GPL-2.0

//! A mutex held from one memory notifier callback to a later one: taken in
//! `MEM_GOING_OFFLINE`, released in `MEM_OFFLINE` or `MEM_CANCEL_OFFLINE`, as virtio-mem holds
//! its `hotplug_mutex`. A guard cannot outlive the callback that took it, so this lock has no
//! guard: the task that locked it unlocks it, and anyone else is refused.
//!
//! Lockdep does not track it (it is taken under `lockdep_off()`, as virtio-mem does):
//! between the two callbacks the notifier chain drops and retakes its rwsem, which lockdep
//! would report as an inversion, although memory hotplug serialises the callbacks. Its place
//! in the lock order is written at the top of `mem_hotplug.rs`.

use crate::compat::sys;
use core::{
    ptr,
    sync::atomic::{AtomicPtr, Ordering::Relaxed},
};
use kernel::{bindings, c_str, prelude::*, static_lock_class, types::Opaque};

/// A sleeping lock that its holder may keep across calls.
///
/// # Invariants
///
/// `lock` is an initialised `struct mutex`; `owner` is the task that holds it, or null.
#[pin_data]
pub(crate) struct CallbackMutex {
    #[pin]
    lock: Opaque<bindings::mutex>,
    owner: AtomicPtr<bindings::task_struct>,
}

// SAFETY: a `struct mutex` may be locked from any task; `owner` is atomic.
unsafe impl Send for CallbackMutex {}
// SAFETY: as above.
unsafe impl Sync for CallbackMutex {}

impl CallbackMutex {
    /// An unlocked mutex.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: `__mutex_init()` initialises the mutex in place, where it stays (pinned).
            // SAFETY: `slot` is valid memory for a mutex; the name and key are static.
            lock <- Opaque::ffi_init(|slot| unsafe {
                bindings::__mutex_init(
                    slot,
                    c_str!("pcpool_hotplug_lock").as_char_ptr(),
                    sys::lock_class_ptr(static_lock_class!()),
                )
            }),
            owner: AtomicPtr::new(ptr::null_mut()),
        })
    }

    /// Takes the mutex, sleeping until it is free; it stays held until this task calls
    /// [`CallbackMutex::unlock`], in this call or a later one.
    pub(crate) fn lock(&self) {
        // SAFETY: `lock` is an initialised mutex (type invariant); we may sleep.
        unsafe { sys::pcpool_mutex_lock_untracked(self.lock.get()) };
        self.owner.store(current(), Relaxed);
    }

    /// Releases the mutex; `EPERM`, and nothing changes, unless this task holds it.
    pub(crate) fn unlock(&self) -> Result {
        if !self.held_by_current() {
            return Err(EPERM);
        }
        self.owner.store(ptr::null_mut(), Relaxed);
        // SAFETY: this task holds the initialised mutex (checked above).
        unsafe { sys::pcpool_mutex_unlock_untracked(self.lock.get()) };
        Ok(())
    }

    /// Whether this task holds the mutex.
    pub(crate) fn held_by_current(&self) -> bool {
        // Only this task stores itself there, so a relaxed load sees its own stores.
        self.owner.load(Relaxed) == current()
    }
}

fn current() -> *mut bindings::task_struct {
    // SAFETY: `current` is always valid in task context.
    unsafe { bindings::get_current() }
}
