// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool's C shim: one-line wrappers around kernel macros and static inlines
 * that 6.12's Rust bindings cannot reach, linked into pcpool.ko with the Rust
 * crate (a composite object, as rust_binder does).
 *
 * The Rust side mirrors a few kernel constants and one struct by hand
 * (rust/ffi/notifier.rs). Both sides assert the same literal values, so a
 * kernel that changes them fails the build here, and a Rust edit that drifts
 * fails the build there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/highmem.h>
#include <linux/percpu.h>
#include <asm/msr.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/completion.h>
#include <linux/xarray.h>
#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>

#include <pcpool.h>
#include "pcpool_shim.h"

/* enum memory_block_state, mirrored by `MemAction` (0..7 in 6.12.117). */
static_assert(MEM_ONLINE == 0);
static_assert(MEM_GOING_OFFLINE == 1);
static_assert(MEM_OFFLINE == 2);
static_assert(MEM_GOING_ONLINE == 3);
static_assert(MEM_CANCEL_ONLINE == 4);
static_assert(MEM_CANCEL_OFFLINE == 5);
static_assert(MEM_PREPARE_ONLINE == 6);
static_assert(MEM_FINISH_OFFLINE == 7);

/* struct memory_notify, mirrored by `MemoryNotify`. */
static_assert(offsetof(struct memory_notify, altmap_start_pfn) == 0);
static_assert(offsetof(struct memory_notify, altmap_nr_pages) == 8);
static_assert(offsetof(struct memory_notify, start_pfn) == 16);
static_assert(offsetof(struct memory_notify, nr_pages) == 24);
static_assert(offsetof(struct memory_notify, status_change_nid_normal) == 32);
static_assert(offsetof(struct memory_notify, status_change_nid) == 36);
static_assert(sizeof(struct memory_notify) == 40);

/* notifier return codes, mirrored in rust/ffi/notifier.rs. */
static_assert(NOTIFY_OK == 0x0001);
static_assert(NOTIFY_STOP_MASK == 0x8000);

/* NUMA_NO_NODE, mirrored by `page::NUMA_NO_NODE`. */
static_assert(NUMA_NO_NODE == -1);

/* Per-CPU memory. */
void __percpu *pcpool_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void pcpool_free_percpu(void __percpu *ptr)
{
	free_percpu(ptr);
}

void *pcpool_per_cpu_ptr(void __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

void *pcpool_this_cpu_ptr(void __percpu *ptr)
{
	return this_cpu_ptr(ptr);
}

/* CPUs. */
unsigned int pcpool_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

bool pcpool_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

bool pcpool_cpu_online(unsigned int cpu)
{
	return cpu_online(cpu);
}

unsigned int pcpool_num_online_cpus(void)
{
	return num_online_cpus();
}

unsigned int pcpool_smp_processor_id(void)
{
	return smp_processor_id();
}

/* Local IRQs and preemption. */
unsigned long pcpool_local_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void pcpool_local_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}

bool pcpool_irqs_disabled(void)
{
	return irqs_disabled();
}

bool pcpool_preemptible(void)
{
	return preemptible();
}

/*
 * IPIs: run @func on every online CPU, with IRQs off there, and wait for all
 * of them. The caller must be able to sleep; might_sleep() says so early.
 */
void pcpool_on_each_cpu(smp_call_func_t func, void *info)
{
	might_sleep();
	on_each_cpu(func, info, 1);
}

/*
 * Workqueue drains, as drain_all_pages() did before 6.0: a work item per
 * online CPU, queued on that CPU, then waited for. The items are static
 * per-CPU data under a mutex, like its pcpu_drain and pcpu_drain_mutex; the
 * function runs with IRQs off, as an IPI handler would. A CPU that goes
 * offline meanwhile runs its item elsewhere; the CPU-dead callback drains its
 * pageset, so that is harmless, and flushing needs a snapshot of the mask.
 */
struct pcpool_work {
	struct work_struct work;
	void (*func)(void *info);
	void *info;
};

static DEFINE_PER_CPU(struct pcpool_work, pcpool_works);
static DEFINE_MUTEX(pcpool_works_lock);
static struct cpumask pcpool_works_cpus;

static void pcpool_work_fn(struct work_struct *work)
{
	struct pcpool_work *w = container_of(work, struct pcpool_work, work);

	local_irq_disable();
	w->func(w->info);
	local_irq_enable();
}

void pcpool_on_each_cpu_wq(void (*func)(void *info), void *info)
{
	unsigned int cpu;

	mutex_lock(&pcpool_works_lock);
	cpumask_copy(&pcpool_works_cpus, cpu_online_mask);
	for_each_cpu(cpu, &pcpool_works_cpus) {
		struct pcpool_work *w = per_cpu_ptr(&pcpool_works, cpu);

		INIT_WORK(&w->work, pcpool_work_fn);
		w->func = func;
		w->info = info;
		queue_work_on(cpu, system_wq, &w->work);
	}
	for_each_cpu(cpu, &pcpool_works_cpus)
		flush_work(&per_cpu_ptr(&pcpool_works, cpu)->work);
	mutex_unlock(&pcpool_works_lock);
}

/* An ordered workqueue of pcpool's own, for work that unloading must wait for. */
struct workqueue_struct *pcpool_alloc_ordered_wq(const char *name)
{
	return alloc_ordered_workqueue("%s", 0, name);
}

/* Pages. */
unsigned int pcpool_pageblock_order(void)
{
	return pageblock_order;
}

/*
 * A pageblock-sized, naturally aligned chunk, split into order-0 pages so
 * that each page has its own reference count (as virtio-mem's pages do).
 * @movable picks ZONE_MOVABLE where the machine has one.
 */
struct page *pcpool_alloc_chunk(int nid, unsigned int order, bool movable)
{
	gfp_t gfp = (movable ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL) |
		    __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	struct page *page;

	if (nid != NUMA_NO_NODE)
		gfp |= __GFP_THISNODE;
	page = alloc_pages_node(nid, gfp, order);
	if (page)
		split_page(page, order);
	return page;
}

/* RawPage's Debug (rust/ffi/page.rs) relies on page_to_pfn() never dereferencing. */
#ifndef CONFIG_SPARSEMEM_VMEMMAP
#error "pcpool needs SPARSEMEM_VMEMMAP: page_to_pfn() must be pointer arithmetic"
#endif

unsigned long pcpool_page_to_pfn(struct page *page)
{
	return page_to_pfn(page);
}

void *pcpool_page_address(struct page *page)
{
	return page_address(page);
}
EXPORT_SYMBOL_GPL(pcpool_page_address);

void pcpool_clear_page(struct page *page)
{
	clear_highpage(page);
}

int pcpool_page_ref_count(struct page *page)
{
	return page_ref_count(page);
}

void pcpool_page_ref_inc(struct page *page)
{
	page_ref_inc(page);
}

bool pcpool_page_ref_dec_and_test(struct page *page)
{
	return page_ref_dec_and_test(page);
}

bool pcpool_page_offline(struct page *page)
{
	return PageOffline(page);
}

void pcpool_set_page_offline(struct page *page)
{
	__SetPageOffline(page);
}

void pcpool_clear_page_offline(struct page *page)
{
	__ClearPageOffline(page);
}

/*
 * Whether the page's pageblock belongs to a CMA area (is_migrate_cma_page()).
 * get_pageblock_migratetype() calls get_pfnblock_flags_mask(), which is not
 * exported, so the bits are read here as it reads them with SPARSEMEM: from
 * the section's pageblock_flags bitmap (mem_section is exported).
 */
#ifndef CONFIG_SPARSEMEM
#error "pcpool reads pageblock flags through mem_section: SPARSEMEM only"
#endif
bool pcpool_page_is_cma(struct page *page)
{
#ifdef CONFIG_CMA
	unsigned long pfn = page_to_pfn(page);
	unsigned long *bitmap = section_to_usemap(__pfn_to_section(pfn));
	unsigned long bitidx = ((pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order) *
			       NR_PAGEBLOCK_BITS;
	unsigned long word = READ_ONCE(bitmap[bitidx / BITS_PER_LONG]);

	return ((word >> (bitidx & (BITS_PER_LONG - 1))) & MIGRATETYPE_MASK) == MIGRATE_CMA;
#else
	return false;
#endif
}

/* The page's zone as rust/ffi/page.rs names it: 0 Normal, 1 Movable, -1 other. */
int pcpool_page_zone(struct page *page)
{
	switch (page_zonenum(page)) {
	case ZONE_NORMAL:
		return 0;
	case ZONE_MOVABLE:
		return 1;
	default:
		return -1;
	}
}

void pcpool_set_page_private(struct page *page, unsigned long private)
{
	set_page_private(page, private);
}

unsigned long pcpool_page_private(struct page *page)
{
	return page_private(page);
}

/*
 * A mutex held from one memory notifier callback to a later one (from
 * MEM_GOING_OFFLINE to MEM_OFFLINE or MEM_CANCEL_OFFLINE), as virtio-mem's
 * hotplug_mutex is. Lockdep does not see it, as virtio-mem arranges with
 * lockdep_off(): the notifier chain's rwsem is dropped and taken again
 * between the two callbacks, which lockdep would report as an inversion,
 * while memory hotplug itself serialises the callbacks. The owner is kept so
 * that only the holder can unlock.
 */
struct pcpool_cb_mutex {
	struct mutex lock;
	struct task_struct *owner;
};

struct pcpool_cb_mutex *pcpool_cb_mutex_new(void)
{
	struct pcpool_cb_mutex *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (m)
		mutex_init(&m->lock);
	return m;
}

void pcpool_cb_mutex_free(struct pcpool_cb_mutex *m)
{
	WARN_ON_ONCE(m->owner);
	mutex_destroy(&m->lock);
	kfree(m);
}

void pcpool_cb_mutex_lock(struct pcpool_cb_mutex *m)
{
	lockdep_off();
	mutex_lock(&m->lock);
	lockdep_on();
	WRITE_ONCE(m->owner, current);
}

int pcpool_cb_mutex_unlock(struct pcpool_cb_mutex *m)
{
	if (READ_ONCE(m->owner) != current)
		return -EPERM;
	WRITE_ONCE(m->owner, NULL);
	lockdep_off();
	mutex_unlock(&m->lock);
	lockdep_on();
	return 0;
}

bool pcpool_cb_mutex_held_by_current(struct pcpool_cb_mutex *m)
{
	return READ_ONCE(m->owner) == current;
}

unsigned long pcpool_page_zone_managed_pages(struct page *page)
{
	return zone_managed_pages(page_zone(page));
}

unsigned long pcpool_totalram_pages(void)
{
	return totalram_pages();
}

/* A reference to pcpool.ko itself: rmmod fails with -EBUSY while one is held. */
bool pcpool_module_get(void)
{
	return try_module_get(THIS_MODULE);
}

void pcpool_module_put(void)
{
	module_put(THIS_MODULE);
}

unsigned long pcpool_memory_block_size_bytes(void)
{
	return memory_block_size_bytes();
}

/* Kernel threads: call @call(@data) until kthread_stop(), bound to @cpu. */
struct pcpool_kthread {
	void (*call)(void *data);
	void *data;
};

static int pcpool_kthread_loop(void *arg)
{
	struct pcpool_kthread k = *(struct pcpool_kthread *)arg;

	kfree(arg);
	while (!kthread_should_stop()) {
		k.call(k.data);
		/* Voluntary preemption: without this, work queued on this CPU starves. */
		cond_resched();
	}
	return 0;
}

struct task_struct *pcpool_kthread_start(void (*call)(void *data), void *data,
					 unsigned int cpu, const char *name)
{
	struct pcpool_kthread *k = kmalloc(sizeof(*k), GFP_KERNEL);
	struct task_struct *task;

	if (!k)
		return NULL;
	k->call = call;
	k->data = data;
	task = kthread_create_on_cpu(pcpool_kthread_loop, k, cpu, name);
	if (IS_ERR(task)) {
		kfree(k);
		return NULL;
	}
	wake_up_process(task);
	return task;
}

/* Monotonic milliseconds since boot (jiffies_to_msecs() is 32-bit and wraps 5 minutes in). */
u64 pcpool_now_ms(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

u64 pcpool_rdtsc(void)
{
	return rdtsc_ordered();
}

/*
 * The pool's module parameters. 6.12's Rust `module!` takes none, so they
 * are declared here, read-only in sysfs, and checked by rust/config.rs at
 * load.
 */
static unsigned long initial_pages = 512;
module_param(initial_pages, ulong, 0444);
MODULE_PARM_DESC(initial_pages, "pages taken from the kernel at load (default 512)");

static unsigned long max_pages = 65536;
module_param(max_pages, ulong, 0444);
MODULE_PARM_DESC(max_pages, "most pages the pool may hold (default 65536)");

static unsigned int high = 256;
module_param(high, uint, 0444);
MODULE_PARM_DESC(high, "pageset high mark (default 256; 0: no pageset caching)");

static unsigned int batch = 32;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch, "pageset refill and flush batch (default 32)");

static char *zone = "movable";
module_param(zone, charp, 0444);
MODULE_PARM_DESC(zone, "zone the chunks come from: movable (default) or normal");

static int node = NUMA_NO_NODE;
module_param(node, int, 0444);
MODULE_PARM_DESC(node, "NUMA node of the chunks (default -1: any)");

static char *drain = "ipi";
module_param(drain, charp, 0444);
MODULE_PARM_DESC(drain,
		 "how isolation drains the pagesets: ipi (default: one on_each_cpu), pageblock (one per pageblock, 2014), remote (per-CPU spinlock, 6.x), workqueue (pre-6.0)");

static int notifier_priority;
module_param(notifier_priority, int, 0444);
MODULE_PARM_DESC(notifier_priority,
		 "memory notifier priority, -1000..1000; higher runs first (default 0; the kernel's own users sit at 1..100)");

static bool regrow;
module_param(regrow, bool, 0444);
MODULE_PARM_DESC(regrow,
		 "after memory with pool pages goes offline, and when memory comes online, grow the pool back to initial_pages (default N)");

static unsigned int evacuate_ms = 1000;
module_param(evacuate_ms, uint, 0444);
MODULE_PARM_DESC(evacuate_ms,
		 "how long an offline may spend moving pages clients hold (with a migrate callback) out of the range, 0..60000 ms (default 1000; 0: never)");

void pcpool_params(struct pcpool_params *p)
{
	p->initial_pages = initial_pages;
	p->max_pages = max_pages;
	p->high = high;
	p->batch = batch;
	p->zone = zone;
	p->node = node;
	p->drain = drain;
	p->notifier_priority = notifier_priority;
	p->regrow = regrow;
	p->evacuate_ms = evacuate_ms;
}

static_assert(offsetof(struct pcpool_params, initial_pages) == 0);
static_assert(offsetof(struct pcpool_params, max_pages) == 8);
static_assert(offsetof(struct pcpool_params, zone) == 16);
static_assert(offsetof(struct pcpool_params, high) == 24);
static_assert(offsetof(struct pcpool_params, batch) == 28);
static_assert(offsetof(struct pcpool_params, node) == 32);
static_assert(offsetof(struct pcpool_params, drain) == 40);
static_assert(offsetof(struct pcpool_params, notifier_priority) == 48);
static_assert(offsetof(struct pcpool_params, regrow) == 52);
static_assert(offsetof(struct pcpool_params, evacuate_ms) == 56);
static_assert(sizeof(struct pcpool_params) == 64);

bool pcpool_node_online(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES && node_online(nid);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* KUnit: report a failed expectation of the current test. */
void pcpool_kunit_fail(const char *file, int line, const void *args)
{
	struct kunit *test = kunit_get_current_test();

	if (!test) {
		pr_err("%s:%d: %pA (not in a KUnit test)\n", file, line, args);
		return;
	}
	/* KUNIT_FAIL(), with the Rust caller's file and line. */
	{
		const struct kunit_loc loc = { .file = file, .line = line };
		const struct kunit_fail_assert assert = {};

		__kunit_do_failed_assertion(test, &loc, KUNIT_EXPECTATION, &assert.assert,
					    kunit_fail_assert_format, "%pA", args);
	}
}

/* kunit_info(): a diagnostic line in the running test's KTAP output. */
void pcpool_kunit_info(const void *args)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_info(test, "%pA", args);
	else
		pr_info("%pA\n", args);
}

void pcpool_kunit_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}

/* Tests drive real memory hotplug through its sysfs files. */
int pcpool_write_file(const char *path, const char *buf, size_t len)
{
	struct file *file = filp_open(path, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t ret;

	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = kernel_write(file, buf, len, &pos);
	filp_close(file, NULL);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/*
 * Module parameters for the tests. 6.12's Rust `module!` has no parameters,
 * so they live here and Rust reads them through rust/ffi/params.rs.
 */
static int kunit_memblock = -1;
module_param(kunit_memblock, int, 0444);
MODULE_PARM_DESC(kunit_memblock,
		 "memory block the KUnit notifier test offlines and onlines (-1: skip that test)");

int pcpool_param_kunit_memblock(void)
{
	return kunit_memblock;
}
#endif /* CONFIG_KUNIT */

/*
 * debugfs files whose show and write callbacks are in Rust
 * (rust/ffi/debugfs.rs mirrors struct pcpool_dfile).
 */
static_assert(offsetof(struct pcpool_dfile, name) == 0);
static_assert(offsetof(struct pcpool_dfile, owner) == 8);
static_assert(offsetof(struct pcpool_dfile, show) == 16);
static_assert(offsetof(struct pcpool_dfile, write) == 24);
static_assert(offsetof(struct pcpool_dfile, id) == 32);
static_assert(offsetof(struct pcpool_dfile, mode) == 36);
static_assert(sizeof(struct pcpool_dfile) == 40);

static int pcpool_dfile_show(struct seq_file *m, void *unused)
{
	const struct pcpool_dfile *f = m->private;

	return f->show ? f->show(m, f->owner, f->id) : -EINVAL;
}

static int pcpool_dfile_open(struct inode *inode, struct file *file)
{
	return single_open(file, pcpool_dfile_show, inode->i_private);
}

/* Writes are small commands ("256", "1"): up to 63 bytes, NUL-terminated. */
static ssize_t pcpool_dfile_write(struct file *file, const char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	const struct pcpool_dfile *f = file_inode(file)->i_private;
	char buf[64];
	int ret;

	if (!f->write)
		return -EINVAL;
	if (len >= sizeof(buf)) {
		pr_err("%s: write of %zu bytes refused (at most %zu)\n", f->name, len,
		       sizeof(buf) - 1);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = f->write(f->owner, f->id, buf, len);
	return ret ? ret : len;
}

static const struct file_operations pcpool_dfile_fops = {
	.owner = THIS_MODULE,
	.open = pcpool_dfile_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = pcpool_dfile_write,
};

struct dentry *pcpool_debugfs_create(const char *dir_name, struct pcpool_dfile *files,
				     unsigned int nr_files)
{
	struct dentry *dir = debugfs_create_dir(dir_name, NULL);
	unsigned int i;

	for (i = 0; i < nr_files; i++)
		debugfs_create_file(files[i].name, files[i].mode, dir, &files[i],
				    &pcpool_dfile_fops);
	return dir;
}

/* Removes the directory; waits for callbacks running on its files. */
void pcpool_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
}

void pcpool_seq_print(struct seq_file *m, const void *args)
{
	seq_printf(m, "%pA", args);
}

/*
 * The exported C API (include/pcpool.h). The pool is in Rust
 * (rust/ffi/api.rs); clients and their held-page counts are here. A client
 * pins pcpool.ko (try_module_get()) until it unregisters, which it cannot
 * while it holds pages.
 *
 * A handle stays readable until pcpool.ko unloads, so a call through a
 * handle already unregistered is refused, not a use-after-free: unregister
 * retires the client (state DEAD, its id freed) and keeps the struct and its
 * per-CPU count on a list that unload frees. A client module cannot outlive
 * pcpool.ko (it links against its symbols), so no handle can.
 *
 * Allocations hold the client's percpu_ref while they run; unregister kills
 * it and waits for those in flight, so that no page can be added to the
 * held count it then reads, and resurrects it if that count is not 0. Frees
 * only take pages away from the count, so they need no reference: a free
 * racing with an unregister either lands before the count is read or makes
 * it non-zero.
 */
static_assert(PCPOOL_ZERO == 0x1 && PCPOOL_MAY_GROW == 0x2);

enum pcpool_client_state { PCPOOL_CLIENT_LIVE, PCPOOL_CLIENT_UNREGISTERING, PCPOOL_CLIENT_DEAD };

struct pcpool_client {
	char name[32];
	atomic_t state;
	struct percpu_ref active;
	struct completion idle;
	long __percpu *held;
	struct list_head node;
	u16 id;
	pcpool_migrate_t migrate;
	void *migrate_priv;
};

/* Client ids, 1..65535, recorded with each page a client allocates: id -> live client. */
static DEFINE_XARRAY_ALLOC1(pcpool_client_ids);

/* The registered clients (for refusals and evacuation), and the retired ones. */
static LIST_HEAD(pcpool_clients);
static LIST_HEAD(pcpool_retired);
static DEFINE_MUTEX(pcpool_clients_lock);

static void pcpool_client_idle(struct percpu_ref *ref)
{
	complete(&container_of(ref, struct pcpool_client, active)->idle);
}

struct pcpool_client *pcpool_client_register(const char *name)
{
	struct pcpool_client *c;
	u32 id;
	int ret = -ENOMEM;

	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto put;
	c->held = alloc_percpu(long);
	if (!c->held)
		goto free;
	ret = percpu_ref_init(&c->active, pcpool_client_idle, 0, GFP_KERNEL);
	if (ret)
		goto free;
	init_completion(&c->idle);
	strscpy(c->name, name ? name : "?", sizeof(c->name));
	ret = xa_alloc(&pcpool_client_ids, &id, c, XA_LIMIT(1, U16_MAX), GFP_KERNEL);
	if (ret)
		goto exit_ref;
	c->id = id;
	mutex_lock(&pcpool_clients_lock);
	list_add_tail(&c->node, &pcpool_clients);
	mutex_unlock(&pcpool_clients_lock);
	pr_info("client %s registered\n", c->name);
	return c;
exit_ref:
	percpu_ref_exit(&c->active);
free:
	free_percpu(c->held);
	kfree(c);
put:
	module_put(THIS_MODULE);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(pcpool_client_register);

/* A handle that is not a client at all, or one already unregistered: refused and logged. */
static bool pcpool_client_ok(const struct pcpool_client *c, const char *call)
{
	if (!c) {
		pr_err_ratelimited("%s: NULL client handle refused\n", call);
		return false;
	}
	if (IS_ERR(c)) {
		pr_err_ratelimited("%s: invalid client handle %pe refused\n", call, c);
		return false;
	}
	if (atomic_read(&c->state) == PCPOOL_CLIENT_DEAD) {
		pr_err_ratelimited("%s: client %s is unregistered: call refused\n", call, c->name);
		return false;
	}
	return true;
}

/*
 * Starts a call through @c; pcpool_client_put() ends it. The reference alone
 * tells a live client (an unregistered one's is dead, and stays readable),
 * so the allocation path reads the state only to word a refusal.
 */
static bool pcpool_client_get(struct pcpool_client *c, const char *call)
{
	if (IS_ERR_OR_NULL(c))
		return pcpool_client_ok(c, call);
	if (likely(percpu_ref_tryget_live(&c->active)))
		return true;
	if (pcpool_client_ok(c, call))
		pr_err_ratelimited("%s: client %s is being unregistered: call refused\n", call,
				   c->name);
	return false;
}

static void pcpool_client_put(struct pcpool_client *c)
{
	percpu_ref_put(&c->active);
}

static long pcpool_client_sum(const struct pcpool_client *c)
{
	long held = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		held += *per_cpu_ptr(c->held, cpu);
	return held;
}

long pcpool_client_held(const struct pcpool_client *c)
{
	if (!pcpool_client_ok(c, "pcpool_client_held"))
		return 0;
	return pcpool_client_sum(c);
}
EXPORT_SYMBOL_GPL(pcpool_client_held);

int pcpool_client_unregister(struct pcpool_client *c)
{
	long held;

	if (!pcpool_client_ok(c, "pcpool_client_unregister"))
		return -EINVAL;
	/* One unregister at a time per client; a second one, or one after, is refused. */
	if (atomic_cmpxchg(&c->state, PCPOOL_CLIENT_LIVE, PCPOOL_CLIENT_UNREGISTERING) !=
	    PCPOOL_CLIENT_LIVE) {
		pr_err_ratelimited("pcpool_client_unregister: client %s is already being unregistered: refused\n",
				   c->name);
		return -EINVAL;
	}
	/* No call may start now; wait for those in flight, then read a count that holds still. */
	percpu_ref_kill(&c->active);
	wait_for_completion(&c->idle);
	held = pcpool_client_sum(c);
	if (held) {
		reinit_completion(&c->idle);
		percpu_ref_resurrect(&c->active);
		atomic_set(&c->state, PCPOOL_CLIENT_LIVE);
		pr_err("client %s holds %ld pages: unregister refused, pcpool stays loaded\n",
		       c->name, held);
		return -EBUSY;
	}
	mutex_lock(&pcpool_clients_lock);
	list_move_tail(&c->node, &pcpool_retired);
	xa_erase(&pcpool_client_ids, c->id);
	atomic_set(&c->state, PCPOOL_CLIENT_DEAD);
	mutex_unlock(&pcpool_clients_lock);
	percpu_ref_exit(&c->active);
	pr_info("client %s unregistered\n", c->name);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_GPL(pcpool_client_unregister);

/* At unload, when no client is registered: frees the retired handles. */
void pcpool_clients_release(void)
{
	struct pcpool_client *c, *next;

	mutex_lock(&pcpool_clients_lock);
	WARN_ON_ONCE(!list_empty(&pcpool_clients));
	list_for_each_entry_safe(c, next, &pcpool_retired, node) {
		list_del(&c->node);
		free_percpu(c->held);
		kfree(c);
	}
	mutex_unlock(&pcpool_clients_lock);
}

int pcpool_client_set_migrate(struct pcpool_client *c, pcpool_migrate_t migrate, void *priv)
{
	if (!pcpool_client_get(c, "pcpool_client_set_migrate"))
		return -EINVAL;
	mutex_lock(&pcpool_clients_lock);
	c->migrate = migrate;
	c->migrate_priv = priv;
	mutex_unlock(&pcpool_clients_lock);
	pcpool_client_put(c);
	return 0;
}
EXPORT_SYMBOL_GPL(pcpool_client_set_migrate);

/*
 * Asks client @id to move from @old to @new (evacuation, rust/pool/offline.rs):
 * 0 when it did, -ENOENT when it holds @old no more, -EOPNOTSUPP without a
 * migrate callback (or client). Under the client list lock, so that the
 * client cannot be unregistered meanwhile. The held count does not change:
 * the client holds @new instead of @old.
 */
int pcpool_client_migrate(u16 id, struct page *old, struct page *new)
{
	struct pcpool_client *c;
	int ret = -EOPNOTSUPP;

	mutex_lock(&pcpool_clients_lock);
	c = xa_load(&pcpool_client_ids, id);
	if (c && c->migrate)
		ret = c->migrate(c, old, new, c->migrate_priv);
	mutex_unlock(&pcpool_clients_lock);
	return ret;
}

/* Whether client @id has a migrate callback. */
bool pcpool_client_can_migrate(u16 id)
{
	struct pcpool_client *c;
	bool ret;

	mutex_lock(&pcpool_clients_lock);
	c = xa_load(&pcpool_client_ids, id);
	ret = c && c->migrate;
	mutex_unlock(&pcpool_clients_lock);
	return ret;
}

/* Logs each registered client that holds pages, and how many. */
void pcpool_log_holders(void)
{
	struct pcpool_client *c;
	long held;

	mutex_lock(&pcpool_clients_lock);
	list_for_each_entry(c, &pcpool_clients, node) {
		held = pcpool_client_sum(c);
		if (held)
			pr_info("client %s holds %ld pages\n", c->name, held);
	}
	mutex_unlock(&pcpool_clients_lock);
}

static bool pcpool_flags_ok(const struct pcpool_client *c, unsigned int flags)
{
	if (flags & ~(PCPOOL_ZERO | PCPOOL_MAY_GROW)) {
		pr_err_ratelimited("client %s: unknown flags %#x\n", c->name, flags);
		return false;
	}
	return true;
}

/*
 * A free through @c of a page that client @owner holds: refused (the page's
 * owner is the one record of who holds it). Any context: the name is read
 * under RCU, and client structs are freed only at unload.
 */
static void pcpool_log_foreign_free(const struct pcpool_client *c, struct page *page, u16 owner)
{
	const struct pcpool_client *holder;

	rcu_read_lock();
	holder = xa_load(&pcpool_client_ids, owner);
	pr_err_ratelimited("client %s: free of the page at pfn %#lx refused: client %s holds it\n",
			   c->name, page_to_pfn(page), holder ? holder->name : "(in-kernel user)");
	rcu_read_unlock();
}

struct page *pcpool_alloc_page(struct pcpool_client *c, unsigned int flags)
{
	struct page *page = NULL;

	if (!pcpool_client_get(c, "pcpool_alloc_page"))
		return NULL;
	if (pcpool_flags_ok(c, flags)) {
		if (flags & PCPOOL_MAY_GROW)
			might_sleep();
		page = pcpool_rs_alloc(flags, c->id);
		if (page)
			this_cpu_inc(*c->held);
	}
	pcpool_client_put(c);
	return page;
}
EXPORT_SYMBOL_GPL(pcpool_alloc_page);

int pcpool_free_page(struct pcpool_client *c, struct page *page)
{
	int ret, owner = -1;

	if (!pcpool_client_ok(c, "pcpool_free_page"))
		return -EINVAL;
	/* A refused free is logged once, by pcpool_rs_free() or here, with its reason. */
	ret = pcpool_rs_free(page, c->id, &owner);
	if (!ret)
		this_cpu_dec(*c->held);
	else if (owner >= 0)
		pcpool_log_foreign_free(c, page, owner);
	return ret;
}
EXPORT_SYMBOL_GPL(pcpool_free_page);

unsigned int pcpool_alloc_bulk(struct pcpool_client *c, unsigned int flags, unsigned int nr,
			       struct page **pages)
{
	unsigned int n = 0;

	if (!pcpool_client_get(c, "pcpool_alloc_bulk"))
		return 0;
	if (pcpool_flags_ok(c, flags)) {
		if (flags & PCPOOL_MAY_GROW)
			might_sleep();
		n = pcpool_rs_alloc_bulk(flags, c->id, nr, pages);
		this_cpu_add(*c->held, n);
	}
	pcpool_client_put(c);
	return n;
}
EXPORT_SYMBOL_GPL(pcpool_alloc_bulk);

unsigned int pcpool_free_bulk(struct pcpool_client *c, unsigned int nr, struct page **pages)
{
	unsigned int i, n = 0;
	int owner;

	if (!pcpool_client_ok(c, "pcpool_free_bulk"))
		return 0;
	/* Each refused page is logged once, by pcpool_rs_free() or here. */
	for (i = 0; pages && i < nr; i++) {
		owner = -1;
		if (!pcpool_rs_free(pages[i], c->id, &owner))
			n++;
		else if (owner >= 0)
			pcpool_log_foreign_free(c, pages[i], owner);
	}
	this_cpu_sub(*c->held, n);
	return n;
}
EXPORT_SYMBOL_GPL(pcpool_free_bulk);

/*
 * CPU hotplug: one multi-instance state in the BP prepare section. Its
 * startup callback runs on a control CPU before the CPU boots, its teardown
 * after the CPU is dead, where page_alloc_cpu_dead() runs for the kernel's
 * own pcp lists.
 */
int pcpool_cpuhp_add(struct hlist_node *node, int (*startup)(unsigned int, struct hlist_node *),
		     int (*teardown)(unsigned int, struct hlist_node *))
{
	int state = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "pcpool:prepare", startup,
					    teardown);
	int ret;

	if (state < 0)
		return state;
	ret = cpuhp_state_add_instance_nocalls(state, node);
	if (ret) {
		cpuhp_remove_multi_state(state);
		return ret;
	}
	return state;
}

void pcpool_cpuhp_remove(int state, struct hlist_node *node)
{
	cpuhp_state_remove_instance_nocalls(state, node);
	cpuhp_remove_multi_state(state);
}
