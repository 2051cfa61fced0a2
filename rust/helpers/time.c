// SPDX-License-Identifier: GPL-2.0
#include <asm/msr.h>

/* A benchmark timestamp: guest instructions under QEMU's -icount, cycles on hardware. */
u64 pcpool_rdtsc(void)
{
	return rdtsc_ordered();
}
