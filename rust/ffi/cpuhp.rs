// SPDX-License-Identifier: GPL-2.0

//! CPU hotplug callbacks, run on a control CPU for a CPU that is not running: before it boots
//! ([`CpuHotplugHandler::prepare`]) and after it died ([`CpuHotplugHandler::dead`]).

use super::{cpu::CpuId, sys};
use core::{marker::PhantomData, mem::offset_of};
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
    init,
    prelude::*,
    types::Opaque,
};

/// A CPU that runs nothing: about to boot, or dead. Its per-CPU data is the holder's alone
/// (CPU hotplug is serialised, and neither `on_each_cpu` nor the CPU itself reaches it).
///
/// # Invariants
///
/// Made only inside a CPU hotplug prepare/dead callback, for that CPU, and not `Send`.
pub(crate) struct NotRunning {
    cpu: CpuId,
    _not_send: PhantomData<*mut ()>,
}

impl NotRunning {
    /// The CPU.
    pub(crate) fn cpu(&self) -> CpuId {
        self.cpu
    }
}

/// What to do when a CPU comes or goes.
pub(crate) trait CpuHotplugHandler: Sync {
    /// Before `cpu` boots. Sleeps allowed.
    fn prepare(&self, cpu: &NotRunning);
    /// After `cpu` died (`page_alloc_cpu_dead()`'s place). Sleeps allowed.
    fn dead(&self, cpu: &NotRunning);
}

/// A registered CPU hotplug handler: a dynamic multi-instance state and this instance.
///
/// # Invariants
///
/// `node` is an instance of the dynamic state `state` from registration until drop.
#[pin_data(PinnedDrop)]
pub(crate) struct CpuHotplug<H: CpuHotplugHandler> {
    handler: H,
    #[pin]
    node: Opaque<bindings::hlist_node>,
    state: c_int,
}

// SAFETY: the node is only touched by the CPU hotplug core, under its own lock.
unsafe impl<H: CpuHotplugHandler + Send> Send for CpuHotplug<H> {}
// SAFETY: `&CpuHotplug` gives only `&H`, and `H: Sync`.
unsafe impl<H: CpuHotplugHandler> Sync for CpuHotplug<H> {}

impl<H: CpuHotplugHandler> CpuHotplug<H> {
    /// Registers `handler` for every CPU that comes or goes from now on.
    pub(crate) fn register(handler: H) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writes and pinned.
            unsafe { core::ptr::addr_of_mut!((*slot).handler).write(handler) };
            // SAFETY: as above; `hlist_node` needs no initialisation before it is added.
            let node = unsafe { Opaque::raw_get(core::ptr::addr_of!((*slot).node)) };
            // SAFETY: `node` is pinned inside `Self`, whose handler is written; the callbacks
            // match the prototypes.
            let state =
                unsafe { sys::pcpool_cpuhp_add(node, Some(Self::startup), Some(Self::teardown)) };
            if state < 0 {
                // SAFETY: written above, never used.
                unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*slot).handler)) };
                return Err(Error::from_errno(state));
            }
            // INVARIANT: `node` is an instance of `state` now.
            // SAFETY: `slot` is valid for writes.
            unsafe { core::ptr::addr_of_mut!((*slot).state).write(state) };
            Ok(())
        };
        // SAFETY: on success every field is written; on failure none is left initialised.
        unsafe { init::pin_init_from_closure(init) }
    }

    /// # Safety
    ///
    /// `node` is the `node` of a registered `Self`.
    unsafe fn this<'a>(node: *mut bindings::hlist_node) -> &'a Self {
        // SAFETY: `container_of`; the instance stays registered during the callback.
        unsafe { &*node.byte_sub(offset_of!(Self, node)).cast::<Self>() }
    }

    /// # Safety
    ///
    /// Called by the CPU hotplug core for an instance of this state.
    unsafe extern "C" fn startup(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // INVARIANT: in the prepare callback of `cpu`.
        let cpu = NotRunning {
            cpu: CpuId::from_kernel(cpu),
            _not_send: PhantomData,
        };
        // SAFETY: see the function's safety section.
        unsafe { Self::this(node) }.handler.prepare(&cpu);
        0
    }

    /// # Safety
    ///
    /// Called by the CPU hotplug core for an instance of this state.
    unsafe extern "C" fn teardown(cpu: c_uint, node: *mut bindings::hlist_node) -> c_int {
        // INVARIANT: in the dead callback of `cpu`.
        let cpu = NotRunning {
            cpu: CpuId::from_kernel(cpu),
            _not_send: PhantomData,
        };
        // SAFETY: see the function's safety section.
        unsafe { Self::this(node) }.handler.dead(&cpu);
        0
    }
}

#[pinned_drop]
impl<H: CpuHotplugHandler> PinnedDrop for CpuHotplug<H> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `node` is an instance of `state` (type invariant); removal waits for running
        // callbacks.
        unsafe { sys::pcpool_cpuhp_remove(self.state, self.node.get()) };
    }
}
