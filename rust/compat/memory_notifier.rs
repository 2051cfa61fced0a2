// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet.
//!
//! Memory hotplug notifiers (`register_memory_notifier()`), absent from 6.12's `kernel` crate.
//!
//! The constants and `struct memory_notify` are mirrored by hand; `rust/helpers/memory_notifier.c` asserts the
//! kernel's values against the same literals as the `const` assertions here.

use super::sys;
use core::mem::offset_of;
use kernel::{
    bindings,
    ffi::{c_int, c_ulong, c_void},
    init::{self, PinInit},
    prelude::*,
    types::Opaque,
};

/// A memory block state change, `enum memory_block_state` in 6.12.117 (values, not bit flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum MemAction {
    Online = 0,
    GoingOffline = 1,
    Offline = 2,
    GoingOnline = 3,
    CancelOnline = 4,
    CancelOffline = 5,
    PrepareOnline = 6,
    FinishOffline = 7,
}

impl MemAction {
    /// Every action, in value order.
    pub(crate) const ALL: [Self; 8] = [
        Self::Online,
        Self::GoingOffline,
        Self::Offline,
        Self::GoingOnline,
        Self::CancelOnline,
        Self::CancelOffline,
        Self::PrepareOnline,
        Self::FinishOffline,
    ];

    fn from_raw(action: c_ulong) -> Option<Self> {
        Some(match action {
            0 => Self::Online,
            1 => Self::GoingOffline,
            2 => Self::Offline,
            3 => Self::GoingOnline,
            4 => Self::CancelOnline,
            5 => Self::CancelOffline,
            6 => Self::PrepareOnline,
            7 => Self::FinishOffline,
            _ => return None,
        })
    }

    /// The kernel's name for the action.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Online => "MEM_ONLINE",
            Self::GoingOffline => "MEM_GOING_OFFLINE",
            Self::Offline => "MEM_OFFLINE",
            Self::GoingOnline => "MEM_GOING_ONLINE",
            Self::CancelOnline => "MEM_CANCEL_ONLINE",
            Self::CancelOffline => "MEM_CANCEL_OFFLINE",
            Self::PrepareOnline => "MEM_PREPARE_ONLINE",
            Self::FinishOffline => "MEM_FINISH_OFFLINE",
        }
    }
}

/// `struct memory_notify`: the range a memory notifier event is about.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemoryNotify {
    altmap_start_pfn: c_ulong,
    altmap_nr_pages: c_ulong,
    /// First pfn of the range.
    pub(crate) start_pfn: c_ulong,
    /// Number of pages in the range.
    pub(crate) nr_pages: c_ulong,
    status_change_nid_normal: c_int,
    status_change_nid: c_int,
}

const _: () = {
    assert!(offset_of!(MemoryNotify, altmap_start_pfn) == 0);
    assert!(offset_of!(MemoryNotify, altmap_nr_pages) == 8);
    assert!(offset_of!(MemoryNotify, start_pfn) == 16);
    assert!(offset_of!(MemoryNotify, nr_pages) == 24);
    assert!(offset_of!(MemoryNotify, status_change_nid_normal) == 32);
    assert!(offset_of!(MemoryNotify, status_change_nid) == 36);
    assert!(core::mem::size_of::<MemoryNotify>() == 40);
};

impl MemoryNotify {
    /// One past the last pfn of the range.
    pub(crate) fn end_pfn(&self) -> c_ulong {
        self.start_pfn + self.nr_pages
    }
}

// include/linux/notifier.h, asserted in rust/helpers/memory_notifier.c.
const NOTIFY_DONE: c_int = 0x0000;
const NOTIFY_OK: c_int = 0x0001;
const NOTIFY_STOP_MASK: c_int = 0x8000;

/// `notifier_from_errno()`.
fn notifier_from_result(r: Result) -> c_int {
    match r {
        Ok(()) => NOTIFY_OK,
        Err(e) => NOTIFY_STOP_MASK | (NOTIFY_OK - e.to_errno()),
    }
}

/// What a memory notifier does with each event. Runs in a blocking notifier chain, so it may
/// sleep; an error vetoes a `GoingOffline` or `GoingOnline`.
pub(crate) trait MemoryHotplugHandler: Sync {
    /// Handles one event for the pfn range in `arg`.
    fn notify(&self, action: MemAction, arg: &MemoryNotify) -> Result;

    /// Called once before the notifier is unregistered; may sleep.
    fn unregistering(&self) {}
}

/// A registered memory notifier: registered when initialised, unregistered on drop.
///
/// # Invariants
///
/// `nb` is registered with `register_memory_notifier()` from the end of initialisation until
/// `drop`, and its `notifier_call` finds `handler` through `container_of`.
#[pin_data(PinnedDrop)]
pub(crate) struct MemoryNotifier<H: MemoryHotplugHandler> {
    #[pin]
    handler: H,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
}

// SAFETY: the notifier block is only touched by the notifier chain, under its own lock.
unsafe impl<H: MemoryHotplugHandler + Send> Send for MemoryNotifier<H> {}
// SAFETY: `&MemoryNotifier` only gives `&H`, and `H: Sync`.
unsafe impl<H: MemoryHotplugHandler> Sync for MemoryNotifier<H> {}

impl<H: MemoryHotplugHandler> MemoryNotifier<H> {
    /// Registers `handler` at `priority` (higher runs first; the kernel's users sit at 1..100).
    pub(crate) fn register(
        handler: impl PinInit<H, Error>,
        priority: i32,
    ) -> impl PinInit<Self, Error> {
        // `handler` is initialised before `nb`, so it is ready when the first event arrives.
        try_pin_init!(Self {
            handler <- handler,
            nb <- Self::register_nb(priority),
        })
    }

    fn register_nb(priority: i32) -> impl PinInit<Opaque<bindings::notifier_block>, Error> {
        let init = move |slot: *mut Opaque<bindings::notifier_block>| {
            let nb = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; the block is pinned inside `Self`.
            unsafe {
                nb.write(bindings::notifier_block {
                    notifier_call: Some(Self::notifier_call),
                    next: core::ptr::null_mut(),
                    priority,
                })
            };
            // SAFETY: `nb` is initialised and pinned; on success it stays registered until
            // `drop` unregisters it (the type invariant).
            kernel::error::to_result(unsafe { sys::register_memory_notifier(nb) })
        };
        // SAFETY: on success the slot is initialised; on failure nothing is registered and the
        // slot needs no drop.
        unsafe { init::pin_init_from_closure(init) }
    }

    /// The handler.
    pub(crate) fn handler(&self) -> &H {
        &self.handler
    }

    /// The `notifier_call` of `nb`.
    ///
    /// # Safety
    ///
    /// `nb` is the `nb` field of a registered `Self`, and `data` a `struct memory_notify`: the
    /// memory notifier chain calls it only so.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `nb` is the `nb` field of a registered `Self` (type invariant): step back to
        // its start, `container_of`. It stays alive while registered.
        let this = unsafe { &*nb.byte_sub(offset_of!(Self, nb)).cast::<Self>() };
        let Some(action) = MemAction::from_raw(action) else {
            return NOTIFY_DONE;
        };
        // SAFETY: memory notifiers are always called with a `struct memory_notify`.
        let arg = unsafe { &*data.cast::<MemoryNotify>() };
        notifier_from_result(this.handler.notify(action, arg))
    }
}

#[pinned_drop]
impl<H: MemoryHotplugHandler> PinnedDrop for MemoryNotifier<H> {
    fn drop(self: Pin<&mut Self>) {
        self.handler.unregistering();
        // SAFETY: `nb` is registered (type invariant). Unregistering waits for running
        // callbacks, so none uses `self` after this.
        unsafe { sys::unregister_memory_notifier(self.nb.get()) };
    }
}

/// The size of a memory block, the unit of `/sys/devices/system/memory/memoryN`.
pub(crate) fn memory_block_size_bytes() -> usize {
    // SAFETY: reads a value fixed at boot.
    unsafe { sys::pcpool_memory_block_size_bytes() }
}
