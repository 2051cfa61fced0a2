// SPDX-License-Identifier: GPL-2.0
/*
 * A C client of pcpool: takes zeroed pages, writes them, checks them, gives
 * them back, and keeps @hold pages until it is unloaded. With @hold_extra it
 * also takes that many more pages, or all the pool has, without growing it,
 * and keeps them: how the tests make a client hold pages everywhere. With
 * @movable it stamps each of those pages with its index and a pattern, gives
 * pcpool a migrate callback (so that memory going offline can take them
 * elsewhere), and checks every stamp when it is unloaded. @migrate_delay_ms
 * makes each move sleep first: how the tests keep an offline in progress;
 * @migrate_error makes each move fail with that error.
 * With @misuse it first breaks the API's rules the ways a buggy client
 * would (a page that is not pcpool's, a double free, a bulk free with both
 * inside) and reports what pcpool answered. With @misuse_handles it breaks
 * the rules of client handles: a free through another client's handle, NULL
 * and ERR_PTR() handles, a handle used after unregister, a double unregister.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <pcpool.h>

#define NR_PAGES 64

static unsigned int hold;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold, "pages to keep until unload (at most 64)");

static unsigned int hold_extra;
module_param(hold_extra, uint, 0444);
MODULE_PARM_DESC(hold_extra, "more pages to take without growing the pool, kept until unload (at most 4194304)");

static int extra_node = NUMA_NO_NODE;
module_param(extra_node, int, 0444);
MODULE_PARM_DESC(extra_node, "take the extra pages one by one with pcpool_alloc_page_node() for this node");

static bool movable;
module_param(movable, bool, 0444);
MODULE_PARM_DESC(movable, "let pcpool move the extra pages (a migrate callback); check them at unload");

static unsigned int migrate_delay_ms;
module_param(migrate_delay_ms, uint, 0444);
MODULE_PARM_DESC(migrate_delay_ms, "sleep this long in each migrate callback (at most 1000)");

static unsigned int migrate_error;
module_param(migrate_error, uint, 0444);
MODULE_PARM_DESC(migrate_error, "make the migrate callback fail with -migrate_error (5: EIO, a refusal; 11: EAGAIN, busy)");

static bool misuse;
module_param(misuse, bool, 0444);
MODULE_PARM_DESC(misuse, "free a foreign page, free a page twice, and bulk-free both; report the answers");

static bool misuse_handles;
module_param(misuse_handles, bool, 0444);
MODULE_PARM_DESC(misuse_handles, "free through another client's handle, use NULL, ERR_PTR and unregistered handles; report the answers");

static unsigned int misuse_loop;
module_param(misuse_loop, uint, 0444);
MODULE_PARM_DESC(misuse_loop, "free a foreign page this many times (at most 100000), then once more 5 s later");

static struct page **extra;
static unsigned int nr_extra;
/* Serialises the migrate callback with the unload's check and frees. */
static DEFINE_MUTEX(extra_lock);
static unsigned int nr_moved;

/* Word 0 is the page's index in extra[]; the rest a pattern made from it. */
static void stamp(struct page *page, u64 idx)
{
	u64 *p = page_address(page);
	size_t i;

	p[0] = idx;
	for (i = 1; i < PAGE_SIZE / sizeof(u64); i++)
		p[i] = idx * 0x9e3779b97f4a7c15ULL + i;
}

static bool stamped(struct page *page, u64 idx)
{
	u64 *p = page_address(page);
	size_t i;

	if (p[0] != idx)
		return false;
	for (i = 1; i < PAGE_SIZE / sizeof(u64); i++)
		if (p[i] != idx * 0x9e3779b97f4a7c15ULL + i)
			return false;
	return true;
}

/* pcpool asks us to move from @old to @new: copy, and switch our pointer. */
static int client_migrate(struct pcpool_client *c, struct page *old, struct page *new,
			  void *priv)
{
	u64 idx;

	if (migrate_delay_ms)
		msleep(min(migrate_delay_ms, 1000u));
	if (migrate_error)
		return -(int)migrate_error;
	mutex_lock(&extra_lock);
	idx = *(u64 *)page_address(old);
	if (idx >= nr_extra || extra[idx] != old) {
		mutex_unlock(&extra_lock);
		return -ENOENT;
	}
	memcpy(page_address(new), page_address(old), PAGE_SIZE);
	extra[idx] = new;
	nr_moved++;
	mutex_unlock(&extra_lock);
	return 0;
}

static struct pcpool_client *client;
static struct page *pages[NR_PAGES];
static unsigned int nr_held;

static bool page_is(struct page *page, u8 byte)
{
	u8 *p = page_address(page);
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		if (p[i] != byte)
			return false;
	return true;
}

/*
 * The rules broken on purpose: pcpool must refuse each bad free with -EINVAL
 * and one log line, and take back only the good pages of a bulk free.
 */
static void break_the_rules(void)
{
	struct page *foreign = alloc_page(GFP_KERNEL), *page, *bulk[3];
	int foreign_ret = 0, double_ret = 0;
	unsigned int bulk_freed = 0;

	if (foreign)
		foreign_ret = pcpool_free_page(client, foreign);
	page = pcpool_alloc_page(client, PCPOOL_MAY_GROW);
	if (page && !pcpool_free_page(client, page))
		double_ret = pcpool_free_page(client, page);
	bulk[0] = pcpool_alloc_page(client, PCPOOL_MAY_GROW);
	bulk[1] = foreign;
	bulk[2] = page;
	if (bulk[0])
		bulk_freed = pcpool_free_bulk(client, 3, bulk);
	if (foreign)
		__free_page(foreign);
	pr_info("misuse: foreign free %d, double free %d, bulk free of 1 good + 2 bad: %u freed, client holds %ld\n",
		foreign_ret, double_ret, bulk_freed, pcpool_client_held(client));
}

/* Allocates and frees through @arg until pcpool refuses the handle. */
static int alloc_until_refused(void *arg)
{
	struct pcpool_client *c = arg;
	unsigned long n = 0;
	struct page *page;

	while ((page = pcpool_alloc_page(c, 0))) {
		if (pcpool_free_page(c, page))
			pr_err("misuse_handles: a free during unregister failed\n");
		n++;
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return n;
}

/*
 * An unregister racing a thread that allocates and frees through the same
 * handle: refused while the thread holds a page, then done; the thread's
 * next call is refused.
 */
static void unregister_racing_allocations(void)
{
	struct pcpool_client *c = pcpool_client_register("pcpool_client_race");
	struct task_struct *t;
	unsigned int busy = 0;
	int ret;

	if (IS_ERR(c))
		return;
	t = kthread_run(alloc_until_refused, c, "pcpool_client_race");
	if (IS_ERR(t)) {
		pcpool_client_unregister(c);
		return;
	}
	msleep(20);
	while ((ret = pcpool_client_unregister(c)) == -EBUSY)
		busy++;
	pr_info("misuse_handles: unregister during allocations: %d after %u refusals; the thread made %d allocations\n",
		ret, busy, kthread_stop(t));
}

/*
 * Client handles broken on purpose: pcpool must refuse each call with -EINVAL
 * (NULL for an allocation) and a log line, and every count must stay right.
 */
static void break_the_handles(void)
{
	struct pcpool_client *other = pcpool_client_register("pcpool_client_b");
	struct pcpool_client *bad = ERR_PTR(-ENOMEM);
	struct page *page = pcpool_alloc_page(client, PCPOOL_MAY_GROW), *got;
	int ret;

	if (IS_ERR(other) || !page) {
		pr_err("misuse_handles: no second client or no page\n");
		if (!IS_ERR(other))
			pcpool_client_unregister(other);
		if (page)
			pcpool_free_page(client, page);
		return;
	}
	ret = pcpool_free_page(other, page);
	pr_info("misuse_handles: foreign client free %d; this client holds %ld, the other %ld; the other unregistered: %d\n",
		ret, pcpool_client_held(client), pcpool_client_held(other),
		pcpool_client_unregister(other));

	ret = pcpool_free_page(NULL, page);
	got = pcpool_alloc_page(NULL, 0);
	pr_info("misuse_handles: NULL handle: alloc %s, free %d\n", got ? "a page" : "NULL", ret);

	ret = pcpool_free_page(bad, page);
	got = pcpool_alloc_page(bad, 0);
	pr_info("misuse_handles: ERR_PTR handle: alloc %s, free %d, held %ld, unregister %d\n",
		got ? "a page" : "NULL", ret, pcpool_client_held(bad), pcpool_client_unregister(bad));

	ret = pcpool_free_page(other, page);
	got = pcpool_alloc_page(other, 0);
	pr_info("misuse_handles: after unregister: alloc %s, free %d, unregister again %d\n",
		got ? "a page" : "NULL", ret, pcpool_client_unregister(other));

	ret = pcpool_free_page(client, page);
	pr_info("misuse_handles: the owner's free %d; this client holds %ld\n", ret,
		pcpool_client_held(client));
	unregister_racing_allocations();
}

/*
 * A client looping on a bad free: pcpool logs at most a burst of lines, and
 * the first line of the next interval says how many it suppressed.
 */
static void loop_on_bad_frees(void)
{
	struct page *foreign = alloc_page(GFP_KERNEL);
	unsigned int i, refused = 0;

	if (!foreign)
		return;
	for (i = 0; i < misuse_loop; i++)
		refused += pcpool_free_page(client, foreign) == -EINVAL;
	msleep(5100);
	refused += pcpool_free_page(client, foreign) == -EINVAL;
	__free_page(foreign);
	pr_info("misuse_loop: %u of %u bad frees refused\n", refused, misuse_loop + 1);
}

/* Where the extra pages came from, for the NUMA tests: "node N: PAGES" for each node. */
static void log_nodes(struct page **p, unsigned int nr)
{
	static unsigned int per_node[MAX_NUMNODES];
	unsigned int i;
	int nid;

	for (i = 0; i < nr; i++)
		per_node[page_to_nid(p[i])]++;
	for_each_online_node(nid)
		pr_info("extra pages from node %d: %u\n", nid, per_node[nid]);
}

static int __init pcpool_client_init(void)
{
	unsigned int n, i, bad = 0;

	if (hold > NR_PAGES) {
		pr_err("hold=%u is invalid: allowed 0..=%d\n", hold, NR_PAGES);
		return -EINVAL;
	}
	if (misuse_loop > 100000) {
		pr_err("misuse_loop=%u is invalid: allowed 0..=100000\n", misuse_loop);
		return -EINVAL;
	}
	if (hold_extra > (1u << 22)) {
		pr_err("hold_extra=%u is invalid: allowed 0..=4194304\n", hold_extra);
		return -EINVAL;
	}
	if (migrate_error > MAX_ERRNO) {
		pr_err("migrate_error=%u is invalid: allowed 0..=%d\n", migrate_error, MAX_ERRNO);
		return -EINVAL;
	}
	client = pcpool_client_register("pcpool_client");
	if (IS_ERR(client))
		return PTR_ERR(client);
	if (misuse)
		break_the_rules();
	if (misuse_handles)
		break_the_handles();
	if (misuse_loop)
		loop_on_bad_frees();

	n = pcpool_alloc_bulk(client, PCPOOL_ZERO | PCPOOL_MAY_GROW, NR_PAGES, pages);
	for (i = 0; i < n; i++) {
		bad += !page_is(pages[i], 0);
		memset(page_address(pages[i]), 0xc3, PAGE_SIZE);
	}
	for (i = 0; i < n; i++)
		bad += !page_is(pages[i], 0xc3);
	nr_held = min(hold, n);
	pcpool_free_bulk(client, n - nr_held, pages + nr_held);
	pr_info("%u pages allocated, %u not as expected, %u held, client holds %ld\n", n, bad,
		nr_held, pcpool_client_held(client));
	if (n != NR_PAGES || bad) {
		pcpool_free_bulk(client, nr_held, pages);
		pcpool_client_unregister(client);
		return -EIO;
	}
	if (hold_extra) {
		extra = kvmalloc_array(hold_extra, sizeof(*extra), GFP_KERNEL);
		if (!extra) {
			pcpool_free_bulk(client, nr_held, pages);
			pcpool_client_unregister(client);
			return -ENOMEM;
		}
		if (extra_node == NUMA_NO_NODE) {
			nr_extra = pcpool_alloc_bulk(client, 0, hold_extra, extra);
		} else {
			while (nr_extra < hold_extra &&
			       (extra[nr_extra] = pcpool_alloc_page_node(client, 0, extra_node)))
				nr_extra++;
		}
		log_nodes(extra, nr_extra);
		if (movable) {
			for (i = 0; i < nr_extra; i++)
				stamp(extra[i], i);
			pcpool_client_set_migrate(client, client_migrate, NULL);
		}
		pr_info("holding %u more pages%s, client holds %ld\n", nr_extra,
			movable ? " (movable)" : "", pcpool_client_held(client));
	}
	return 0;
}

static void __exit pcpool_client_exit(void)
{
	if (extra) {
		unsigned int i, corrupt = 0;

		mutex_lock(&extra_lock);
		if (movable) {
			for (i = 0; i < nr_extra; i++)
				corrupt += !stamped(extra[i], i);
			pr_info("checked %u pages: %u corrupt, %u moved by pcpool\n", nr_extra,
				corrupt, nr_moved);
		}
		pcpool_free_bulk(client, nr_extra, extra);
		nr_extra = 0;
		mutex_unlock(&extra_lock);
		kvfree(extra);
	}
	pcpool_free_bulk(client, nr_held, pages);
	pcpool_client_unregister(client);
}

module_init(pcpool_client_init);
module_exit(pcpool_client_exit);
MODULE_DESCRIPTION("pcpool sample: a C client");
MODULE_LICENSE("GPL");
