// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool bench: the cost of an order-0 alloc+free pair through pcpool's C
 * API (the pcp fast path) and through the kernel's own alloc_page() +
 * __free_page(), measured the same way side by side in one run, plus bulk
 * and refill/flush variants. Each figure is the median of @reps runs of
 * @pairs pairs, in rdtsc ticks per page: guest instructions when QEMU runs
 * with -icount shift=0, cycles on real hardware. Results go to the log as
 * "pcpool_bench: csv metric,value,unit" and "spread" lines.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/sort.h>
#include <asm/msr.h>
#include <pcpool.h>

static unsigned int pairs = 1000;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "alloc+free pairs per run (1..=100000)");

static unsigned int reps = 9;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "runs per figure, median reported (1..=99)");

static char *unit = "insn";
module_param(unit, charp, 0444);
MODULE_PARM_DESC(unit, "unit of rdtsc ticks: insn under QEMU icount, cycles on hardware");

#define BULK 16

static struct pcpool_client *client;

enum kind { POOL_PAIR, KERNEL_PAIR, POOL_BULK, KERNEL_BULK, POOL_SLOW };

static noinline u64 run(enum kind kind)
{
	struct page *pages[BULK];
	unsigned int i, j;
	u64 t0, t1;

	t0 = rdtsc_ordered();
	for (i = 0; i < pairs; i++) {
		switch (kind) {
		case POOL_PAIR:
			pcpool_free_page(client, pcpool_alloc_page(client, 0));
			break;
		case KERNEL_PAIR:
			__free_page(alloc_page(GFP_KERNEL));
			break;
		case POOL_BULK:
			pcpool_alloc_bulk(client, 0, BULK, pages);
			pcpool_free_bulk(client, BULK, pages);
			break;
		case KERNEL_BULK:
			memset(pages, 0, sizeof(pages));
			alloc_pages_bulk_array(GFP_KERNEL, BULK, pages);
			for (j = 0; j < BULK; j++)
				__free_page(pages[j]);
			break;
		case POOL_SLOW:
			/* More than high (256) pages out and back: every refill and flush runs. */
			for (j = 0; j < 2; j++) {
				static struct page *many[320];
				unsigned int n = pcpool_alloc_bulk(client, 0, ARRAY_SIZE(many), many);

				pcpool_free_bulk(client, n, many);
			}
			break;
		}
	}
	t1 = rdtsc_ordered();
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median and spread (min, max) of @reps runs, per page. */
static u64 measure(const char *metric, enum kind kind, unsigned int pages_per_iter)
{
	u64 t[99];
	unsigned int r;
	u64 per = (u64)pairs * pages_per_iter;

	run(kind); /* warm up: fill the pcp lists, fault in the code */
	for (r = 0; r < reps; r++)
		t[r] = run(kind);
	sort(t, reps, sizeof(t[0]), cmp_u64, NULL);
	pr_info("csv %s,%llu,%s\n", metric, t[reps / 2] / per, unit);
	pr_info("spread %s: min %llu median %llu max %llu %s per page over %u runs\n", metric,
		t[0] / per, t[reps / 2] / per, t[reps - 1] / per, unit, reps);
	return t[reps / 2] / per;
}

static int __init pcpool_bench_init(void)
{
	u64 pool, kernel;

	if (!pairs || pairs > 100000 || !reps || reps > 99) {
		pr_err("pairs=%u reps=%u invalid: allowed 1..=100000 and 1..=99\n", pairs, reps);
		return -EINVAL;
	}
	client = pcpool_client_register("pcpool_bench");
	if (IS_ERR(client))
		return PTR_ERR(client);
	pool = measure("p1_pair_pcpool", POOL_PAIR, 1);
	kernel = measure("p1_pair_kernel", KERNEL_PAIR, 1);
	pr_info("csv p1_ratio,%llu.%03llu,ratio\n", pool / kernel, pool * 1000 / kernel % 1000);
	measure("p1_bulk16_pcpool", POOL_BULK, BULK);
	measure("p1_bulk16_kernel", KERNEL_BULK, BULK);
	measure("p1_refill_flush_pcpool", POOL_SLOW, 640);
	pcpool_client_unregister(client);
	/* Nothing to keep loaded: the figures are in the log. */
	return -EAGAIN;
}

module_init(pcpool_bench_init);
MODULE_DESCRIPTION("pcpool sample: fast-path benchmark against the kernel's own pcp path");
MODULE_LICENSE("GPL");
