// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool bench: the cost of an order-0 alloc+free pair through pcpool's C
 * API (the pcp fast path) and through the kernel's own alloc_page() +
 * __free_page(), measured the same way side by side in one run, plus bulk
 * and refill/flush variants (P1), and the same pairs with every CPU running
 * them at once (P5).
 *
 * P1 runs on one CPU (@cpu, through smp_call_on_cpu()), each repetition
 * running every variant and an empty loop one after the other, so that
 * whatever drifts in the system touches them all alike; a figure is the
 * median of @reps runs of @pairs iterations, the empty loop's median
 * subtracted, in rdtsc ticks per page: guest instructions when QEMU runs
 * with -icount shift=0, cycles on real hardware. Every result is checked: an
 * allocation that comes back empty or a free that fails aborts the bench
 * with -EIO, rather than timing the refusal path.
 *
 * P5 starts one thread per online CPU, bound to it, which all run the same
 * loop at once, and compares the time per pair, (last end - first start) /
 * (CPUs * pairs), with one CPU running it alone. Under -icount, QEMU runs
 * the vCPUs in turn and the clock counts every vCPU's instructions, so a
 * ratio of 1 means no CPU did extra work for the others, and lock spinning
 * shows up as instructions.
 *
 * Results go to the log as "pcpool_bench: csv metric,value,unit" and
 * "spread" lines.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <asm/msr.h>
#include <pcpool.h>

static unsigned int pairs = 1000;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "alloc+free pairs per run (1..=100000)");

static unsigned int reps = 9;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "runs per figure, median reported (1..=99)");

static unsigned int cpu;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "the online CPU P1 runs on");

static bool contention = true;
module_param(contention, bool, 0444);
MODULE_PARM_DESC(contention, "also run P5, every CPU at once");

static char *unit = "insn";
module_param(unit, charp, 0444);
MODULE_PARM_DESC(unit, "unit of rdtsc ticks: insn under QEMU icount, cycles on hardware");

#define BULK 16
/* More than high (256) pages out and back: every refill and flush runs. */
#define SLOW 320

static struct pcpool_client *client;

enum kind { EMPTY, POOL_PAIR, KERNEL_PAIR, POOL_BULK, KERNEL_BULK, POOL_SLOW, NR_KINDS };

static const struct {
	const char *metric;
	unsigned int pages; /* per iteration */
} kinds[NR_KINDS] = {
	[EMPTY] = { "p1_empty_loop", 1 },
	[POOL_PAIR] = { "p1_pair_pcpool", 1 },
	[KERNEL_PAIR] = { "p1_pair_kernel", 1 },
	[POOL_BULK] = { "p1_bulk16_pcpool", BULK },
	[KERNEL_BULK] = { "p1_bulk16_kernel", BULK },
	[POOL_SLOW] = { "p1_refill_flush_pcpool", 2 * SLOW },
};

/* One iteration of @kind; false if a call failed (said in the log). */
static __always_inline bool iteration(enum kind kind, struct page **pages)
{
	struct page *page;
	unsigned int j, n;

	switch (kind) {
	case EMPTY:
		barrier();
		return true;
	case POOL_PAIR:
		page = pcpool_alloc_page(client, 0);
		if (unlikely(!page)) {
			pr_err("pcpool_alloc_page() returned NULL\n");
			return false;
		}
		if (unlikely(pcpool_free_page(client, page))) {
			pr_err("pcpool_free_page() failed\n");
			return false;
		}
		return true;
	case KERNEL_PAIR:
		page = alloc_page(GFP_KERNEL);
		if (unlikely(!page)) {
			pr_err("alloc_page() returned NULL\n");
			return false;
		}
		__free_page(page);
		return true;
	case POOL_BULK:
		n = pcpool_alloc_bulk(client, 0, BULK, pages);
		if (unlikely(pcpool_free_bulk(client, n, pages) != n || n != BULK)) {
			pr_err("pcpool bulk: %u of %u pages\n", n, BULK);
			return false;
		}
		return true;
	case KERNEL_BULK:
		memset(pages, 0, BULK * sizeof(*pages));
		n = alloc_pages_bulk_array(GFP_KERNEL, BULK, pages);
		for (j = 0; j < n; j++)
			__free_page(pages[j]);
		if (unlikely(n != BULK)) {
			pr_err("alloc_pages_bulk_array(): %u of %u pages\n", n, BULK);
			return false;
		}
		return true;
	case POOL_SLOW:
		for (j = 0; j < 2; j++) {
			n = pcpool_alloc_bulk(client, 0, SLOW, pages);
			if (unlikely(pcpool_free_bulk(client, n, pages) != n || n != SLOW)) {
				pr_err("pcpool bulk: %u of %u pages\n", n, SLOW);
				return false;
			}
		}
		return true;
	default:
		return false;
	}
}

/* Ticks for @pairs iterations of @kind, or 0 if a call failed. */
static noinline u64 run(enum kind kind, struct page **pages)
{
	unsigned int i;
	u64 t0, t1;

	t0 = rdtsc_ordered();
	/* One loop per kind, so that the switch is decided before the clock runs. */
	switch (kind) {
#define LOOP(k)								\
	case k:								\
		for (i = 0; i < pairs; i++)				\
			if (!iteration(k, pages))			\
				return 0;				\
		break
	LOOP(EMPTY);
	LOOP(POOL_PAIR);
	LOOP(KERNEL_PAIR);
	LOOP(POOL_BULK);
	LOOP(KERNEL_BULK);
	LOOP(POOL_SLOW);
#undef LOOP
	default:
		return 0;
	}
	t1 = rdtsc_ordered();
	return max(t1 - t0, 1ULL);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the @reps runs in @t and returns their median. */
static u64 median(u64 *t)
{
	sort(t, reps, sizeof(*t), cmp_u64, NULL);
	return t[reps / 2];
}

/* P1, on the CPU smp_call_on_cpu() runs it on: every kind in each repetition. */
static int p1(void *unused)
{
	static u64 t[NR_KINDS][99];
	u64 med[NR_KINDS], empty;
	struct page **pages;
	unsigned int r, k;

	pages = kcalloc(SLOW, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (k = 0; k < NR_KINDS; k++) {
		/* Warm up: fill the pcp lists, fault in the code. */
		if (!run(k, pages))
			goto failed;
	}
	for (r = 0; r < reps; r++) {
		for (k = 0; k < NR_KINDS; k++) {
			t[k][r] = run(k, pages);
			if (!t[k][r])
				goto failed;
		}
	}
	kfree(pages);
	for (k = 0; k < NR_KINDS; k++) {
		med[k] = median(t[k]);
	}
	/* The loop's own cost per iteration, taken off every figure. */
	empty = med[EMPTY];
	for (k = 0; k < NR_KINDS; k++) {
		u64 per = (u64)pairs * kinds[k].pages;
		u64 off = k == EMPTY ? 0 : empty;

		pr_info("csv %s,%llu,%s\n", kinds[k].metric,
			(med[k] - min(off, med[k])) / per, unit);
		pr_info("spread %s: min %llu median %llu max %llu %s per page over %u runs (loop included)\n",
			kinds[k].metric, t[k][0] / per, med[k] / per, t[k][reps - 1] / per, unit,
			reps);
	}
	{
		u64 pool = med[POOL_PAIR] - min(empty, med[POOL_PAIR]);
		u64 kernel = med[KERNEL_PAIR] - min(empty, med[KERNEL_PAIR]);

		if (kernel)
			pr_info("csv p1_ratio,%llu.%03llu,ratio\n", pool / kernel,
				pool * 1000 / kernel % 1000);
	}
	return 0;
failed:
	kfree(pages);
	pr_err("P1 aborted: a call failed, nothing was measured\n");
	return -EIO;
}

/* P5: the same loop on several CPUs at once. */
struct p5_thread {
	struct completion done;
	enum kind kind;
	u64 start, end;
	bool ok;
	struct page *pages[SLOW];
};

static atomic_t p5_ready;
static bool p5_go;

static int p5_thread_fn(void *data)
{
	struct p5_thread *th = data;

	atomic_inc(&p5_ready);
	/* Spin, so that all start together, but let the starter have its CPU. */
	while (!READ_ONCE(p5_go))
		cond_resched();
	th->start = rdtsc_ordered();
	th->ok = run(th->kind, th->pages) != 0;
	th->end = rdtsc_ordered();
	complete(&th->done);
	return 0;
}

/* Ticks per iteration with @kind running on @n of the online CPUs at once; 0 on failure. */
static u64 p5_run(enum kind kind, unsigned int n)
{
	struct p5_thread *th;
	unsigned int i = 0, c, started;
	u64 first = U64_MAX, last = 0;
	bool ok = true;

	th = kvcalloc(n, sizeof(*th), GFP_KERNEL);
	if (!th)
		return 0;
	atomic_set(&p5_ready, 0);
	WRITE_ONCE(p5_go, false);
	for_each_online_cpu(c) {
		struct task_struct *t;

		if (i == n)
			break;
		init_completion(&th[i].done);
		th[i].kind = kind;
		t = kthread_create_on_cpu(p5_thread_fn, &th[i], c, "pcpool_bench/%u");
		if (IS_ERR(t)) {
			ok = false;
			break;
		}
		wake_up_process(t);
		i++;
	}
	started = i;
	while (atomic_read(&p5_ready) < started)
		schedule_timeout_uninterruptible(1);
	WRITE_ONCE(p5_go, true);
	for (i = 0; i < started; i++) {
		wait_for_completion(&th[i].done);
		ok &= th[i].ok;
		first = min(first, th[i].start);
		last = max(last, th[i].end);
	}
	kvfree(th);
	if (!ok || started != n)
		return 0;
	return (last - first) / ((u64)n * pairs * kinds[kind].pages);
}

static int p5(void)
{
	static const enum kind contended[] = { POOL_PAIR, KERNEL_PAIR, POOL_SLOW };
	static const char *const names[] = { "pair_pcpool", "pair_kernel", "refill_flush_pcpool" };
	unsigned int n = num_online_cpus(), i, r;

	for (i = 0; i < ARRAY_SIZE(contended); i++) {
		u64 alone[99], all[99], a, b;

		p5_run(contended[i], 1); /* warm up every pageset */
		p5_run(contended[i], n);
		for (r = 0; r < reps; r++) {
			alone[r] = p5_run(contended[i], 1);
			all[r] = p5_run(contended[i], n);
			if (!alone[r] || !all[r]) {
				pr_err("P5 aborted: a call failed or a thread did not start\n");
				return -EIO;
			}
		}
		a = median(alone);
		b = median(all);
		pr_info("csv p5_%s_alone,%llu,%s\n", names[i], a, unit);
		pr_info("csv p5_%s_%ucpus,%llu,%s\n", names[i], n, b, unit);
		pr_info("csv p5_contended_ratio%s%s,%llu.%03llu,ratio\n", i ? "_" : "",
			i ? names[i] : "", b / a, b * 1000 / a % 1000);
	}
	return 0;
}

static int __init pcpool_bench_init(void)
{
	int ret;

	if (!pairs || pairs > 100000 || !reps || reps > 99) {
		pr_err("pairs=%u reps=%u invalid: allowed 1..=100000 and 1..=99\n", pairs, reps);
		return -EINVAL;
	}
	if (cpu >= nr_cpu_ids || !cpu_online(cpu)) {
		pr_err("cpu=%u invalid: not an online CPU\n", cpu);
		return -EINVAL;
	}
	client = pcpool_client_register("pcpool_bench");
	if (IS_ERR(client))
		return PTR_ERR(client);
	ret = smp_call_on_cpu(cpu, p1, NULL, false);
	if (!ret && contention)
		ret = p5();
	if (pcpool_client_unregister(client))
		pr_err("the client still holds pages\n");
	/* Nothing to keep loaded: the figures are in the log. */
	return ret ?: -EAGAIN;
}

module_init(pcpool_bench_init);
MODULE_DESCRIPTION("pcpool sample: fast-path benchmark against the kernel's own pcp path");
MODULE_LICENSE("GPL");
