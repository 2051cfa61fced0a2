// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::sync::rcu` once it has `synchronize_rcu()`.
//!
//! RCU's grace period.

/// Waits until every RCU read-side critical section in progress has ended. Since RCU's flavours
/// were consolidated (4.20), that includes every section with preemption or IRQs off. Sleeps.
pub(crate) fn synchronize_rcu() {
    // SAFETY: no requirement beyond a sleepable context, which the signature cannot express
    // and callers document.
    unsafe { kernel::bindings::synchronize_rcu() };
}
