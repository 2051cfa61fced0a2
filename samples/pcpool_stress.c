// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool stress: a kthread on every online CPU allocates and frees pool
 * pages until the module is unloaded. Pages often move to another CPU before
 * they are freed, through a shared exchange array.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <pcpool.h>

#define BATCH 16
#define EXCHANGE 256

static bool movable;
module_param(movable, bool, 0444);
MODULE_PARM_DESC(movable, "let pcpool move the pages parked in the exchange (a migrate callback)");

static struct pcpool_client *client;
static struct task_struct **threads;
static struct page *exchange[EXCHANGE];
static atomic_long_t rounds, failed_frees, empty;

static int stress_fn(void *unused)
{
	struct page *pages[BATCH];
	unsigned int n, i;

	while (!kthread_should_stop()) {
		n = pcpool_alloc_bulk(client, 0, 1 + get_random_u32_below(BATCH), pages);
		if (!n)
			atomic_long_inc(&empty);
		for (i = 0; i < n; i++) {
			struct page *page = pages[i];

			if (get_random_u32_below(2))
				page = xchg(&exchange[get_random_u32_below(EXCHANGE)], page);
			if (page && pcpool_free_page(client, page))
				atomic_long_inc(&failed_frees);
		}
		atomic_long_inc(&rounds);
		cond_resched();
	}
	return 0;
}

/*
 * Memory going offline moves a parked page: the slot that holds @old takes
 * @new. A thread that took @old meanwhile frees it; then the move fails and
 * pcpool frees @new.
 */
static int stress_migrate(struct pcpool_client *c, struct page *old, struct page *new, void *priv)
{
	unsigned int i;

	for (i = 0; i < EXCHANGE; i++)
		if (cmpxchg(&exchange[i], old, new) == old)
			return 0;
	return -EBUSY;
}

static void stop_all(void)
{
	unsigned int cpu, i;

	for_each_possible_cpu(cpu)
		if (threads[cpu])
			kthread_stop(threads[cpu]);
	for (i = 0; i < EXCHANGE; i++)
		if (exchange[i] && pcpool_free_page(client, exchange[i]))
			atomic_long_inc(&failed_frees);
	kfree(threads);
}

static int __init pcpool_stress_init(void)
{
	unsigned int cpu;

	client = pcpool_client_register("pcpool_stress");
	if (IS_ERR(client))
		return PTR_ERR(client);
	if (movable)
		pcpool_client_set_migrate(client, stress_migrate, NULL);
	threads = kcalloc(nr_cpu_ids, sizeof(*threads), GFP_KERNEL);
	if (!threads) {
		pcpool_client_unregister(client);
		return -ENOMEM;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct task_struct *t = kthread_create_on_cpu(stress_fn, NULL, cpu, "pcpool_stress/%u");

		if (!IS_ERR(t)) {
			threads[cpu] = t;
			wake_up_process(t);
		}
	}
	cpus_read_unlock();
	pr_info("started on %u CPUs\n", num_online_cpus());
	return 0;
}

static void __exit pcpool_stress_exit(void)
{
	stop_all();
	pr_info("%ld rounds, %ld failed frees, %ld empty allocations; client holds %ld\n",
		atomic_long_read(&rounds), atomic_long_read(&failed_frees), atomic_long_read(&empty),
		pcpool_client_held(client));
	pcpool_client_unregister(client);
}

module_init(pcpool_stress_init);
module_exit(pcpool_stress_exit);
MODULE_DESCRIPTION("pcpool sample: alloc/free stress on every CPU");
MODULE_LICENSE("GPL");
