// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::workqueue` once it can allocate a queue, queue on a given CPU and
//! flush.
//!
//! A workqueue of pcpool's own: 6.12's `kernel::workqueue` can queue work on the system queues
//! but cannot cancel or flush it, so work that uses the pool would outlive the module; an owned
//! queue is drained when it is destroyed, which unloading waits for. And a function run on every
//! online CPU from a work item queued there, as `drain_all_pages()` did before 6.0.

use super::{
    cpu::{nr_cpu_ids, online_cpus},
    irq::{with_irqs_off, IrqDisabled},
};
use core::ptr::NonNull;
use kernel::{
    bindings, c_str, ffi::c_void, new_mutex, prelude::*, static_lock_class, str::CStr, sync::Mutex,
    types::Opaque, workqueue::Queue,
};

/// An ordered workqueue (one item at a time, in order), destroyed, after running what is
/// queued, on drop.
///
/// # Invariants
///
/// `raw` came from `alloc_ordered_workqueue()` and is destroyed only in `drop`.
pub(crate) struct OwnedQueue {
    raw: NonNull<bindings::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: queueing work is thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// A new ordered workqueue named `name`. Sleeps.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        let flags = bindings::wq_flags_WQ_UNBOUND | bindings::wq_flags___WQ_ORDERED;
        Self::alloc(name, flags, 1)
    }

    /// A new per-CPU workqueue named `name` that reclaim may flush (`WQ_MEM_RECLAIM`, as
    /// `mm_percpu_wq`): it has a rescuer, and the workqueue core lets a task in reclaim
    /// (`PF_MEMALLOC`) wait for it. Sleeps.
    pub(crate) fn for_reclaim(name: &CStr) -> Result<Self> {
        Self::alloc(name, bindings::wq_flags_WQ_MEM_RECLAIM, 0)
    }

    fn alloc(name: &CStr, flags: u32, max_active: i32) -> Result<Self> {
        // SAFETY: `alloc_workqueue("%s", flags, max_active, name)`: `name` is NUL-terminated
        // and is the format's one argument.
        let raw = unsafe {
            bindings::alloc_workqueue(
                c_str!("%s").as_char_ptr(),
                flags,
                max_active,
                name.as_char_ptr(),
            )
        };
        // INVARIANT: fresh from `alloc_ordered_workqueue()`.
        Ok(Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
        })
    }

    /// Runs `f` once, later, on this queue (`try_spawn`).
    pub(crate) fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Result {
        self.queue().try_spawn(GFP_KERNEL, f).map_err(|_| ENOMEM)
    }

    fn queue(&self) -> &Queue {
        // SAFETY: `raw` is a live workqueue until `drop` (type invariant), which needs `&mut`.
        unsafe { Queue::from_raw(self.raw.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: `raw` is live (type invariant); `destroy_workqueue()` runs what is queued first.
        unsafe { bindings::destroy_workqueue(self.raw.as_ptr()) };
    }
}

/// One work item per CPU, to run a function on every online CPU from that CPU's kworker.
///
/// The items live as long as the owner, like `drain_all_pages()`'s `pcpu_drain` before 6.0, and
/// a mutex lets one caller use them at a time.
#[pin_data]
pub(crate) struct CpuWorks {
    #[pin]
    items: Mutex<KVec<CpuWork>>,
    /// Where the items run: reclaim may drain through them (a shrink), so not `system_wq`.
    queue: OwnedQueue,
}

/// A work item and the call it makes.
///
/// # Invariants
///
/// `work` was initialised with [`CpuWork::run`] and never moves (the vector is never resized).
/// `call` and `info` are set before the item is queued and read only by `run`, until the queuer
/// has flushed it.
#[repr(C)]
struct CpuWork {
    work: Opaque<bindings::work_struct>,
    call: unsafe fn(*const c_void, IrqDisabled<'_>),
    info: *const c_void,
}

// SAFETY: `info` is only dereferenced by `run`, under the rules of `CpuWorks::on_each_cpu`, whose
// closure is `Sync`; the rest is plain data and a work item the workqueue code synchronises.
unsafe impl Send for CpuWork {}

impl CpuWorks {
    /// Items for every possible CPU. Sleeps.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let nr = nr_cpu_ids() as usize;
        let mut items = KVec::with_capacity(nr, GFP_KERNEL);
        if let Ok(v) = &mut items {
            for _ in 0..nr {
                let item = CpuWork {
                    work: Opaque::uninit(),
                    call: |_, _| {},
                    info: core::ptr::null(),
                };
                // Cannot fail: the capacity is there.
                let _ = v.push(item, GFP_KERNEL);
            }
            for item in v.iter_mut() {
                // SAFETY: `item.work` is in the vector's buffer, which never moves again, and
                // is initialised once, here, before any use.
                unsafe {
                    bindings::init_work_with_key(
                        item.work.get(),
                        Some(CpuWork::run),
                        false,
                        c_str!("pcpool_cpu_work").as_char_ptr(),
                        super::sys::lock_class_ptr(static_lock_class!()),
                    )
                };
            }
        }
        try_pin_init!(Self {
            items <- new_mutex!(items?, "pcpool_cpu_works"),
            queue: OwnedQueue::for_reclaim(c_str!("pcpool_drain"))?,
        }? Error)
    }

    /// Runs `f` on every online CPU from a work item queued on that CPU (`queue_work_on()` on
    /// the owner's per-CPU queue), with IRQs off there, and returns once all have run
    /// (`flush_work()`): the same synchronisation as [`on_each_cpu`](super::smp::on_each_cpu), paid for with a
    /// switch to a kworker, which waits for a busy CPU's running task. A CPU that goes offline
    /// meanwhile runs its item elsewhere: callers must make that harmless.
    ///
    /// The caller must be able to sleep. `f` must not sleep.
    pub(crate) fn on_each_cpu<F: Fn(IrqDisabled<'_>) + Sync>(&self, f: &F) {
        let mut items = self.items.lock();
        // Raw pointers from here: a queued item's kworker reads it, so no `&mut` may cover it
        // until it is flushed. Every item is idle now: the last caller flushed them all.
        let (base, nr) = (items.as_mut_ptr(), items.len());
        for cpu in online_cpus() {
            // SAFETY: `cpu < nr_cpu_ids == nr`, and the item is idle, so nothing reads it.
            let item = unsafe { base.add(cpu.as_u32() as usize) };
            // INVARIANT: `call` and `info` are set before the item is queued.
            // SAFETY: `item.work` is initialised (type invariant) and idle; `f` outlives the
            // item's run, which the flush below waits for; the queue lives as long as `self`.
            unsafe {
                (*item).call = call::<F>;
                (*item).info = (f as *const F).cast();
                let work = Opaque::raw_get(core::ptr::addr_of!((*item).work));
                bindings::queue_work_on(cpu.as_u32() as i32, self.queue.raw.as_ptr(), work);
            }
        }
        for i in 0..nr {
            // SAFETY: `i < nr`; `flush_work()` on an initialised item waits until it has run,
            // and returns at once for one that was not queued.
            unsafe {
                bindings::flush_work(Opaque::raw_get(core::ptr::addr_of!((*base.add(i)).work)))
            };
        }
    }
}

impl CpuWork {
    /// The work function: makes the item's call with IRQs off.
    ///
    /// # Safety
    ///
    /// `work` is the `work` field of a queued `CpuWork`.
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        let item = work.cast::<CpuWork>();
        // SAFETY: `work` is the first field of a `CpuWork` (`repr(C)`), whose `call` and `info`
        // were set before it was queued and stay unchanged until the queuer has flushed it.
        let (call, info) = unsafe { ((*item).call, (*item).info) };
        // SAFETY: `info` is the `&F` that `call` was instantiated for, alive until the flush.
        with_irqs_off(|irqs| unsafe { call(info, irqs) });
    }
}

/// Calls the `&F` in `info`.
///
/// # Safety
///
/// `info` is a `&F` that outlives the call.
unsafe fn call<F: Fn(IrqDisabled<'_>)>(info: *const c_void, irqs: IrqDisabled<'_>) {
    // SAFETY: the caller's guarantee.
    unsafe { (*info.cast::<F>())(irqs) }
}
