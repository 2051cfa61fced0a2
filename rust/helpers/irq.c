// SPDX-License-Identifier: GPL-2.0
#include <linux/irqflags.h>
#include <linux/preempt.h>

/* Local IRQs and preemption. */
bool pcpool_irqs_disabled(void)
{
	return irqs_disabled();
}

bool pcpool_preemptible(void)
{
	return preemptible();
}

#ifdef CONFIG_KUNIT
/* The C macros and lockdep's view, for the test of the inline Rust (rust/compat/irq.rs). */
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

bool pcpool_lockdep_hardirqs_enabled(void)
{
#ifdef CONFIG_TRACE_IRQFLAGS
	return lockdep_hardirqs_enabled();
#else
	return !irqs_disabled();
#endif
}
#endif
