// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet.
//!
//! Memory hotplug notifiers (`register_memory_notifier()`), absent from 6.12's `kernel` crate.
//! Their constants and `struct memory_notify` come from `linux/memory.h` itself, through
//! bindings generated at build time (Kbuild).

use core::mem::offset_of;
use kernel::{
    ffi::{c_int, c_ulong, c_void},
    init::{self, PinInit},
    prelude::*,
    types::Opaque,
};

/// Bindings to `linux/memory.h`: `memory_block_state`, `memory_notify`, the notifier's
/// registration, `memory_block_size_bytes()` and three `NOTIFY_*` values.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    dead_code,
    unreachable_pub,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod memory {
    include!("memory_bindings_generated.rs");
}

/// A memory block state change (`enum memory_block_state`: values, not bit flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum MemAction {
    Online = memory::memory_block_state_MEM_ONLINE,
    GoingOffline = memory::memory_block_state_MEM_GOING_OFFLINE,
    Offline = memory::memory_block_state_MEM_OFFLINE,
    GoingOnline = memory::memory_block_state_MEM_GOING_ONLINE,
    CancelOnline = memory::memory_block_state_MEM_CANCEL_ONLINE,
    CancelOffline = memory::memory_block_state_MEM_CANCEL_OFFLINE,
    PrepareOnline = memory::memory_block_state_MEM_PREPARE_ONLINE,
    FinishOffline = memory::memory_block_state_MEM_FINISH_OFFLINE,
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
        Self::ALL.into_iter().find(|&a| a as c_ulong == action)
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

/// `struct memory_notify`: the range a memory notifier event is about (`start_pfn`,
/// `nr_pages`).
pub(crate) type MemoryNotify = memory::memory_notify;

impl MemoryNotify {
    /// One past the last pfn of the range.
    pub(crate) fn end_pfn(&self) -> c_ulong {
        self.start_pfn + self.nr_pages
    }
}

const NOTIFY_DONE: c_int = memory::NOTIFY_DONE as c_int;
const NOTIFY_OK: c_int = memory::NOTIFY_OK as c_int;
const NOTIFY_STOP_MASK: c_int = memory::NOTIFY_STOP_MASK as c_int;

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
    nb: Opaque<memory::notifier_block>,
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

    fn register_nb(priority: i32) -> impl PinInit<Opaque<memory::notifier_block>, Error> {
        let init = move |slot: *mut Opaque<memory::notifier_block>| {
            let nb = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; the block is pinned inside `Self`.
            unsafe {
                nb.write(memory::notifier_block {
                    notifier_call: Some(Self::notifier_call),
                    next: core::ptr::null_mut(),
                    priority,
                })
            };
            // SAFETY: `nb` is initialised and pinned; on success it stays registered until
            // `drop` unregisters it (the type invariant).
            kernel::error::to_result(unsafe { memory::register_memory_notifier(nb) })
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
        nb: *mut memory::notifier_block,
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
        unsafe { memory::unregister_memory_notifier(self.nb.get()) };
    }
}

/// The size of a memory block, the unit of `/sys/devices/system/memory/memoryN`.
pub(crate) fn memory_block_size_bytes() -> usize {
    // SAFETY: reads a value fixed at boot.
    unsafe { memory::memory_block_size_bytes() as usize }
}
