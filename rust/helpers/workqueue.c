// SPDX-License-Identifier: GPL-2.0
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>

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
