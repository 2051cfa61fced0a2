// SPDX-License-Identifier: GPL-2.0

//! Superseded by `kernel::bindings`: each declaration goes when the kernel's bindings or
//! helpers cover it.
//!
//! Raw declarations of the C functions pcpool calls: those of `rust/helpers/*.c` and the few
//! exported kernel functions that 6.12's `bindings` crate leaves out. Only the files the static
//! check lists use them.

use kernel::bindings;
use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

// `struct page` and `struct notifier_block` are opaque to the `improper_ctypes` lint; we only
// ever pass pointers to them, which is FFI-safe.
#[allow(improper_ctypes)]
extern "C" {
    pub(crate) fn pcpool_alloc_percpu(size: usize, align: usize) -> *mut c_void;
    pub(crate) fn pcpool_free_percpu(ptr: *mut c_void);
    pub(crate) fn pcpool_per_cpu_ptr(ptr: *mut c_void, cpu: c_uint) -> *mut c_void;
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn pcpool_this_cpu_ptr(ptr: *mut c_void) -> *mut c_void;

    pub(crate) fn pcpool_nr_cpu_ids() -> c_uint;
    pub(crate) fn pcpool_cpu_possible(cpu: c_uint) -> bool;
    pub(crate) fn pcpool_cpu_online(cpu: c_uint) -> bool;
    pub(crate) fn pcpool_num_online_cpus() -> c_uint;
    pub(crate) fn pcpool_smp_processor_id() -> c_uint;

    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn pcpool_local_irq_save() -> c_ulong;
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn pcpool_local_irq_restore(flags: c_ulong);
    pub(crate) fn pcpool_irqs_disabled() -> bool;
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn pcpool_lockdep_hardirqs_enabled() -> bool;
    pub(crate) fn pcpool_preemptible() -> bool;

    pub(crate) fn pcpool_on_each_cpu(
        func: Option<unsafe extern "C" fn(info: *mut c_void)>,
        info: *mut c_void,
    );

    pub(crate) fn pcpool_pageblock_order() -> c_uint;
    pub(crate) fn pcpool_alloc_chunk(
        nid: c_int,
        order: c_uint,
        movable: bool,
    ) -> *mut bindings::page;
    pub(crate) fn pcpool_page_to_pfn(page: *mut bindings::page) -> c_ulong;
    pub(crate) fn pcpool_account_reclaimed_pages(pages: c_ulong);
    pub(crate) fn pcpool_page_address(page: *mut bindings::page) -> *mut c_void;
    pub(crate) fn pcpool_clear_page(page: *mut bindings::page);
    pub(crate) fn pcpool_page_ref_count(page: *mut bindings::page) -> c_int;
    pub(crate) fn pcpool_page_ref_inc(page: *mut bindings::page);
    pub(crate) fn pcpool_page_ref_dec_and_test(page: *mut bindings::page) -> bool;
    pub(crate) fn pcpool_page_offline(page: *mut bindings::page) -> bool;
    pub(crate) fn pcpool_set_page_offline(page: *mut bindings::page);
    pub(crate) fn pcpool_clear_page_offline(page: *mut bindings::page);
    pub(crate) fn pcpool_page_zone(page: *mut bindings::page) -> c_int;
    pub(crate) fn pcpool_page_is_cma(page: *mut bindings::page) -> bool;
    pub(crate) fn pcpool_page_zone_managed_pages(page: *mut bindings::page) -> c_ulong;
    pub(crate) fn pcpool_totalram_pages() -> c_ulong;

    pub(crate) fn pcpool_mutex_lock_untracked(lock: *mut bindings::mutex);
    pub(crate) fn pcpool_mutex_unlock_untracked(lock: *mut bindings::mutex);

    pub(crate) fn pcpool_rdtsc() -> u64;

    pub(crate) fn pcpool_debugfs_create(
        dir_name: *const c_char,
        files: *mut c_void,
        nr_files: c_uint,
    ) -> *mut c_void;
    pub(crate) fn pcpool_debugfs_remove(dir: *mut c_void);
    pub(crate) fn pcpool_seq_print(m: *mut bindings::seq_file, args: *const c_void);

    pub(crate) fn pcpool_module_get() -> bool;
    pub(crate) fn pcpool_module_put();
    pub(crate) fn pcpool_node_online(nid: c_int) -> bool;

    pub(crate) fn pcpool_nr_node_ids() -> c_uint;
    pub(crate) fn pcpool_node_distance(from: c_int, to: c_int) -> c_int;
    pub(crate) fn pcpool_node_has_memory(nid: c_int, movable: bool) -> bool;

    // Exported by kernel/stop_machine.c, absent from 6.12's bindings.
    pub(crate) fn stop_machine(
        f: Option<unsafe extern "C" fn(data: *mut c_void) -> c_int>,
        data: *mut c_void,
        cpus: *const c_void,
    ) -> c_int;

}

/// The C `lock_class_key` of a static [`LockClassKey`](kernel::sync::LockClassKey) (6.12 keeps
/// its `as_ptr()` crate-private).
pub(crate) fn lock_class_ptr(
    key: &'static kernel::sync::LockClassKey,
) -> *mut bindings::lock_class_key {
    // `LockClassKey` is a transparent `Opaque<lock_class_key>`, which a C key may be written
    // through (its own synchronisation).
    (key as *const kernel::sync::LockClassKey).cast_mut().cast()
}
