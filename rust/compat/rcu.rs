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

use crate::compat::irq::{with_irqs_off, IrqDisabled};
use core::{
    marker::PhantomData,
    ptr::null_mut,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::sync::{Arc, ArcBorrow};

/// An `Arc<T>` published to readers that run with IRQs off (`rcu_assign_pointer()` and
/// `rcu_dereference_sched()`): a reader borrows it for its IRQs-off section, and an
/// unpublished `Arc` is handed back only after a grace period, when no reader can still see it.
///
/// # Invariants
///
/// `ptr` is null or comes from [`Arc::into_raw`], and owns that reference.
pub(crate) struct RcuArc<T: Send + Sync> {
    ptr: AtomicPtr<T>,
    _owns: PhantomData<Arc<T>>,
}

/// An `Arc` just unpublished from an [`RcuArc`]: readers in IRQs-off sections that began before
/// may still use it, so it becomes usable only after a grace period.
#[must_use = "dropping it waits for a grace period"]
pub(crate) struct Unpublished<T: Send + Sync>(Option<Arc<T>>);

impl<T: Send + Sync> RcuArc<T> {
    /// Nothing published.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(null_mut()),
            _owns: PhantomData,
        }
    }

    /// What is published, for the rest of this IRQs-off section.
    #[inline(always)]
    pub(crate) fn get<'a>(&'a self, _irqs: IrqDisabled<'a>) -> Option<&'a T> {
        let ptr = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-null `ptr` is an `Arc`'s (type invariant). An unpublished one is dropped
        // only after a grace period, which waits for this IRQs-off section to end.
        unsafe { ptr.as_ref() }
    }

    /// A reference of its own to what is published, for a caller that may sleep.
    pub(crate) fn get_arc(&self) -> Option<Arc<T>> {
        with_irqs_off(|irqs| {
            self.get(irqs).map(|t| {
                // SAFETY: `t` is the published `Arc`'s (type invariant), alive for this
                // section (as in `get`), so a new reference may be taken from it.
                let borrow = unsafe { ArcBorrow::from_raw(t) };
                Arc::from(borrow)
            })
        })
    }

    /// Publishes `new`; returns what was published before, which readers may still see.
    pub(crate) fn replace(&self, new: Option<Arc<T>>) -> Unpublished<T> {
        let ptr = new.map_or(null_mut(), |a| Arc::into_raw(a).cast_mut());
        // INVARIANT: `ptr` is null or an `Arc`'s reference, which the cell now owns.
        let old = self.ptr.swap(ptr, Ordering::AcqRel);
        // SAFETY: `old` was owned by the cell (type invariant), which gave it up in the swap.
        Unpublished((!old.is_null()).then(|| unsafe { Arc::from_raw(old) }))
    }
}

impl<T: Send + Sync> Drop for RcuArc<T> {
    fn drop(&mut self) {
        let ptr = *self.ptr.get_mut();
        if !ptr.is_null() {
            // SAFETY: owned by the cell (type invariant); `&mut self` means no reader is left.
            drop(unsafe { Arc::from_raw(ptr) });
        }
    }
}

impl<T: Send + Sync> Unpublished<T> {
    /// Waits for every IRQs-off section that may have seen it, then hands it over. Sleeps.
    pub(crate) fn after_grace_period(mut self) -> Option<Arc<T>> {
        let arc = self.0.take();
        if arc.is_some() {
            synchronize_rcu();
        }
        arc
    }
}

impl<T: Send + Sync> Drop for Unpublished<T> {
    fn drop(&mut self) {
        if self.0.is_some() {
            synchronize_rcu();
        }
    }
}
