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
    pub(crate) fn pcpool_this_cpu_ptr(ptr: *mut c_void) -> *mut c_void;

    pub(crate) fn pcpool_nr_cpu_ids() -> c_uint;
    pub(crate) fn pcpool_cpu_possible(cpu: c_uint) -> bool;
    pub(crate) fn pcpool_cpu_online(cpu: c_uint) -> bool;
    pub(crate) fn pcpool_num_online_cpus() -> c_uint;
    pub(crate) fn pcpool_smp_processor_id() -> c_uint;

    pub(crate) fn pcpool_local_irq_save() -> c_ulong;
    pub(crate) fn pcpool_local_irq_restore(flags: c_ulong);
    pub(crate) fn pcpool_irqs_disabled() -> bool;
    pub(crate) fn pcpool_preemptible() -> bool;

    pub(crate) fn pcpool_on_each_cpu(
        func: Option<unsafe extern "C" fn(info: *mut c_void)>,
        info: *mut c_void,
    );

    pub(crate) fn pcpool_alloc_ordered_wq(name: *const c_char) -> *mut bindings::workqueue_struct;
    pub(crate) fn pcpool_on_each_cpu_wq(
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
    pub(crate) fn pcpool_set_page_private(page: *mut bindings::page, private: c_ulong);
    pub(crate) fn pcpool_page_private(page: *mut bindings::page) -> c_ulong;
    pub(crate) fn pcpool_page_zone_managed_pages(page: *mut bindings::page) -> c_ulong;
    pub(crate) fn pcpool_totalram_pages() -> c_ulong;

    pub(crate) fn pcpool_memory_block_size_bytes() -> c_ulong;

    pub(crate) fn pcpool_cb_mutex_new() -> *mut c_void;
    pub(crate) fn pcpool_cb_mutex_free(m: *mut c_void);
    pub(crate) fn pcpool_cb_mutex_lock(m: *mut c_void);
    pub(crate) fn pcpool_cb_mutex_unlock(m: *mut c_void) -> c_int;
    pub(crate) fn pcpool_cb_mutex_held_by_current(m: *mut c_void) -> bool;

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

    // Exported by kernel/stop_machine.c, absent from 6.12's bindings.
    pub(crate) fn stop_machine(
        f: Option<unsafe extern "C" fn(data: *mut c_void) -> c_int>,
        data: *mut c_void,
        cpus: *const c_void,
    ) -> c_int;

    // Exported by drivers/base/memory.c, absent from 6.12's bindings.
    pub(crate) fn register_memory_notifier(nb: *mut bindings::notifier_block) -> c_int;
    pub(crate) fn unregister_memory_notifier(nb: *mut bindings::notifier_block);
}

// Only in a kernel with KUnit: the shim builds these under `IS_ENABLED(CONFIG_KUNIT)`.
#[cfg(CONFIG_KUNIT)]
extern "C" {
    pub(crate) fn pcpool_kunit_fail(file: *const c_char, line: c_int, args: *const c_void);
    pub(crate) fn pcpool_kunit_skip(reason: *const c_char);
    pub(crate) fn pcpool_kunit_info(args: *const c_void);
}
