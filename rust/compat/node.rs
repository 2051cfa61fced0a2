// SPDX-License-Identifier: GPL-2.0

//! Superseded by a `kernel::numa` module once upstream has one.
//!
//! NUMA nodes: their ids, the calling CPU's, distances, and which have memory.

use super::{irq::IrqDisabled, sys};

/// A node id is below this (`nr_node_ids`).
pub(crate) fn nr_node_ids() -> usize {
    // SAFETY: reads a variable set at boot.
    unsafe { sys::pcpool_nr_node_ids() as usize }
}

/// This CPU's node (`numa_node_id()`), which IRQs off keep it on.
#[inline(always)]
pub(crate) fn numa_node_id(_irqs: IrqDisabled<'_>) -> usize {
    // SAFETY: reads this CPU's per-CPU node id; IRQs are off, so the CPU cannot change.
    unsafe { sys::pcpool_numa_node_id() as usize }
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
