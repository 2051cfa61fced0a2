// SPDX-License-Identifier: GPL-2.0
#include <linux/cpumask.h>
#include <linux/smp.h>

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

/*
 * IPIs: run @func on every online CPU, with IRQs off there, and wait for all
 * of them. The caller must be able to sleep; might_sleep() says so early.
 */
void pcpool_on_each_cpu(smp_call_func_t func, void *info)
{
	might_sleep();
	on_each_cpu(func, info, 1);
}
