/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C shim's functions, called from Rust (rust/ffi/sys.rs mirrors these
 * declarations). Internal to pcpool.ko.
 */
#ifndef PCPOOL_SHIM_H
#define PCPOOL_SHIM_H

#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/types.h>

struct page;
struct dentry;
struct seq_file;
struct workqueue_struct;
struct pcpool_cb_mutex;
struct hlist_node;

/* The module parameters, as loaded. */
struct pcpool_params {
	unsigned long initial_pages;
	unsigned long max_pages;
	const char *zone;
	unsigned int high;
	unsigned int batch;
	int node;
	const char *drain;
	int notifier_priority;
	bool regrow;
	unsigned int evacuate_ms;
};

/* A debugfs file served by Rust. */
struct pcpool_dfile {
	const char *name;
	const void *owner;
	int (*show)(struct seq_file *m, const void *owner, unsigned int id);
	int (*write)(const void *owner, unsigned int id, const char *buf, size_t len);
	unsigned int id;
	unsigned short mode;
};

void __percpu *pcpool_alloc_percpu(size_t size, size_t align);
void pcpool_free_percpu(void __percpu *ptr);
void *pcpool_per_cpu_ptr(void __percpu *ptr, unsigned int cpu);
void *pcpool_this_cpu_ptr(void __percpu *ptr);

unsigned int pcpool_nr_cpu_ids(void);
bool pcpool_cpu_possible(unsigned int cpu);
bool pcpool_cpu_online(unsigned int cpu);
unsigned int pcpool_num_online_cpus(void);
unsigned int pcpool_smp_processor_id(void);

unsigned long pcpool_local_irq_save(void);
void pcpool_local_irq_restore(unsigned long flags);
bool pcpool_irqs_disabled(void);
bool pcpool_preemptible(void);

struct workqueue_struct *pcpool_alloc_ordered_wq(const char *name);
void pcpool_on_each_cpu_wq(void (*func)(void *info), void *info);
void pcpool_on_each_cpu(smp_call_func_t func, void *info);

unsigned int pcpool_pageblock_order(void);
struct page *pcpool_alloc_chunk(int nid, unsigned int order, bool movable);
unsigned long pcpool_page_to_pfn(struct page *page);
void pcpool_clear_page(struct page *page);
int pcpool_page_ref_count(struct page *page);
void pcpool_page_ref_inc(struct page *page);
bool pcpool_page_ref_dec_and_test(struct page *page);
bool pcpool_page_offline(struct page *page);
void pcpool_set_page_offline(struct page *page);
void pcpool_clear_page_offline(struct page *page);
int pcpool_page_zone(struct page *page);
bool pcpool_page_is_cma(struct page *page);
void pcpool_set_page_private(struct page *page, unsigned long private);
unsigned long pcpool_page_private(struct page *page);
unsigned long pcpool_page_zone_managed_pages(struct page *page);
unsigned long pcpool_totalram_pages(void);
unsigned long pcpool_memory_block_size_bytes(void);

struct task_struct *pcpool_kthread_start(void (*call)(void *data), void *data,
					 unsigned int cpu, const char *name);
u64 pcpool_now_ms(void);
u64 pcpool_rdtsc(void);

struct dentry *pcpool_debugfs_create(const char *dir_name, struct pcpool_dfile *files,
				     unsigned int nr_files);
void pcpool_debugfs_remove(struct dentry *dir);
void pcpool_seq_print(struct seq_file *m, const void *args);

void pcpool_params(struct pcpool_params *p);
void pcpool_log_holders(void);
void pcpool_clients_release(void);
bool pcpool_module_get(void);
void pcpool_module_put(void);
int pcpool_client_migrate(u16 id, struct page *old, struct page *new);
bool pcpool_client_can_migrate(u16 id);

struct pcpool_cb_mutex *pcpool_cb_mutex_new(void);
void pcpool_cb_mutex_free(struct pcpool_cb_mutex *m);
void pcpool_cb_mutex_lock(struct pcpool_cb_mutex *m);
int pcpool_cb_mutex_unlock(struct pcpool_cb_mutex *m);
bool pcpool_cb_mutex_held_by_current(struct pcpool_cb_mutex *m);

/* The pool's entry points for the C API, in Rust (rust/ffi/api.rs). */
struct page *pcpool_rs_alloc(unsigned int flags, u16 owner);
int pcpool_rs_free(struct page *page, u16 owner, int *holder);
unsigned int pcpool_rs_alloc_bulk(unsigned int flags, u16 owner, unsigned int nr,
				  struct page **pages);
bool pcpool_node_online(int nid);

int pcpool_cpuhp_add(struct hlist_node *node, int (*startup)(unsigned int, struct hlist_node *),
		     int (*teardown)(unsigned int, struct hlist_node *));
void pcpool_cpuhp_remove(int state, struct hlist_node *node);

#if IS_ENABLED(CONFIG_KUNIT)
void pcpool_kunit_fail(const char *file, int line, const void *args);
void pcpool_kunit_skip(const char *reason);
void pcpool_kunit_info(const void *args);
int pcpool_write_file(const char *path, const char *buf, size_t len);
int pcpool_param_kunit_memblock(void);
#endif

#endif /* PCPOOL_SHIM_H */
