// SPDX-License-Identifier: GPL-2.0
#include <linux/percpu.h>

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

#ifdef CONFIG_KUNIT
/* The C macro, for the test of the inline Rust (rust/compat/percpu.rs). */
void *pcpool_this_cpu_ptr(void __percpu *ptr)
{
	return this_cpu_ptr(ptr);
}
#endif
