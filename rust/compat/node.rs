// SPDX-License-Identifier: GPL-2.0

//! Superseded by a `kernel::numa` module once upstream has one.
//!
//! NUMA nodes: their ids, the calling CPU's, distances, and which have memory.

use super::{irq::IrqDisabled, percpu::this_cpu_off, sys};

/// A node id is below this (`nr_node_ids`).
pub(crate) fn nr_node_ids() -> usize {
    // SAFETY: reads a variable set at boot.
    unsafe { sys::pcpool_nr_node_ids() as usize }
}

/// This CPU's node, `numa_node_id()` inline (`CONFIG_USE_PERCPU_NUMA_NODE_ID`: this CPU's copy
/// of the per-CPU `numa_node`, through [`this_cpu_off`]); IRQs off keep the CPU.
#[inline(always)]
pub(crate) fn numa_node_id(irqs: IrqDisabled<'_>) -> usize {
    extern "C" {
        /// Each CPU's node (`mm/page_alloc.c`, exported).
        static numa_node: kernel::ffi::c_int;
    }
    // SAFETY: `numa_node` is a per-CPU variable, so its address plus this CPU's offset is this
    // CPU's copy (`this_cpu_ptr()`), an initialised `int` that only CPU hotplug writes, and
    // never while this CPU runs with IRQs off. No reference to the static is formed.
    unsafe {
        let this = core::ptr::addr_of!(numa_node).wrapping_byte_add(this_cpu_off(irqs));
        this.read() as usize
    }
}

/// The distance between two nodes (`node_distance()`): 10 to itself.
pub(crate) fn node_distance(from: usize, to: usize) -> u32 {
    // SAFETY: node ids below `nr_node_ids`, which the callers iterate.
    unsafe { sys::pcpool_node_distance(from as i32, to as i32) as u32 }
}

/// Whether `nid` has memory in its ZONE_MOVABLE (`movable`), or any memory.
pub(crate) fn node_has_memory(nid: usize, movable: bool) -> bool {
    // SAFETY: any id; the shim checks the range.
    unsafe { sys::pcpool_node_has_memory(nid as i32, movable) }
}
