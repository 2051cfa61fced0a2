// SPDX-License-Identifier: GPL-2.0

//! Superseded by nothing upstream yet: a `kernel::cpuhp` would take its place.
//!
//! CPU hotplug callbacks, run on a control CPU for a CPU that is not running: before it boots
//! ([`CpuHotplugHandler::prepare`]) and after it died ([`CpuHotplugHandler::dead`]).

use super::cpu::CpuId;
use core::{marker::PhantomData, mem::offset_of};
use kernel::{
    bindings,
    ffi::{c_int, c_uint},
    init,
    prelude::*,
    str::CStr,
    types::Opaque,
};

/// A multi-instance state's callback, as `cpuhp_setup_state_multi()` passes it.
type MultiCallback = unsafe extern "C" fn(c_uint, *mut bindings::hlist_node) -> c_int;
/// The type `__cpuhp_setup_state()` declares its callbacks with.
type Callback = unsafe extern "C" fn(c_uint) -> c_int;

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
    /// Registers `handler` for every CPU that comes or goes from now on, as one instance of a
    /// new dynamic state in the BP prepare section, named `name`
    /// (`cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, ...)`): its startup callback runs on a
    /// control CPU before the CPU boots, its teardown after the CPU is dead, where
    /// `page_alloc_cpu_dead()` runs for the kernel's own pcp lists.
    pub(crate) fn register(handler: H, name: &'static CStr) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writes and pinned.
            unsafe { core::ptr::addr_of_mut!((*slot).handler).write(handler) };
            // SAFETY: as above; `hlist_node` needs no initialisation before it is added.
            let node = unsafe { Opaque::raw_get(core::ptr::addr_of!((*slot).node)) };
            // SAFETY: a multi-instance state's callbacks take the instance's node too; the core
            // stores them untyped and calls them so, as `cpuhp_setup_state_multi()` casts them.
            let (startup, teardown) = unsafe {
                (
                    core::mem::transmute::<MultiCallback, Callback>(Self::startup),
                    core::mem::transmute::<MultiCallback, Callback>(Self::teardown),
                )
            };
            // SAFETY: `name` lives forever; the callbacks are a multi-instance state's.
            let state = unsafe {
                bindings::__cpuhp_setup_state(
                    bindings::cpuhp_state_CPUHP_BP_PREPARE_DYN,
                    name.as_char_ptr(),
                    false,
                    Some(startup),
                    Some(teardown),
                    true,
                )
            };
            // SAFETY: `node` is pinned inside `Self`, whose handler is written.
            let added = (state >= 0)
                .then(|| unsafe { bindings::__cpuhp_state_add_instance(state, node, false) });
            if added != Some(0) {
                if state >= 0 {
                    // SAFETY: the state was set up above and has no instance.
                    unsafe { bindings::__cpuhp_remove_state(state, false) };
                }
                // SAFETY: written above, never used.
                unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*slot).handler)) };
                return Err(Error::from_errno(added.unwrap_or(state)));
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
            // SAFETY: the hotplug core passes a CPU id.
            cpu: unsafe { CpuId::from_u32_unchecked(cpu) },
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
            // SAFETY: the hotplug core passes a CPU id.
            cpu: unsafe { CpuId::from_u32_unchecked(cpu) },
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
        // callbacks, and the state has no other instance.
        unsafe {
            bindings::__cpuhp_state_remove_instance(self.state, self.node.get(), false);
            bindings::__cpuhp_remove_state(self.state, false);
        }
    }
}
