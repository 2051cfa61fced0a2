// SPDX-License-Identifier: GPL-2.0

//! The pool's configuration and its limits.

use crate::ffi::page::{ZoneKind, NUMA_NO_NODE};

/// Largest `high` a pageset may have.
pub(crate) const MAX_HIGH: u32 = 4096;

/// The pool's settings, checked by [`PoolConfig::validate`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    /// Pages taken from the kernel at load.
    pub(crate) initial_pages: usize,
    /// Most pages the pool may hold.
    pub(crate) max_pages: usize,
    /// Pageset high mark.
    pub(crate) high: u32,
    /// Pageset batch.
    pub(crate) batch: u32,
    /// Zone the chunks come from.
    pub(crate) zone: ZoneKind,
    /// NUMA node, or `NUMA_NO_NODE`.
    pub(crate) nid: i32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            initial_pages: 1024,
            max_pages: 16384,
            high: 256,
            batch: 32,
            zone: ZoneKind::Movable,
            nid: NUMA_NO_NODE,
        }
    }
}

/// Whether `high` and `batch` make a valid pageset: `1 <= batch <= high <= MAX_HIGH`, or
/// `high == 0` (every free goes to the zone).
pub(crate) fn valid_high_batch(high: u32, batch: u32) -> bool {
    (1..=MAX_HIGH).contains(&batch) && high <= MAX_HIGH && (high == 0 || batch <= high)
}
