// SPDX-License-Identifier: GPL-2.0
/*
 * A C client of pcpool: takes zeroed pages, writes them, checks them, gives
 * them back, and keeps @hold pages until it is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/string.h>
#include <pcpool.h>

#define NR_PAGES 64

static unsigned int hold;
module_param(hold, uint, 0444);
MODULE_PARM_DESC(hold, "pages to keep until unload (at most 64)");

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

static int __init pcpool_client_init(void)
{
	unsigned int n, i, bad = 0;

	if (hold > NR_PAGES) {
		pr_err("hold=%u is invalid: allowed 0..=%d\n", hold, NR_PAGES);
		return -EINVAL;
	}
	client = pcpool_client_register("pcpool_client");
	if (IS_ERR(client))
		return PTR_ERR(client);

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
	return 0;
}

static void __exit pcpool_client_exit(void)
{
	pcpool_free_bulk(client, nr_held, pages);
	pcpool_client_unregister(client);
}

module_init(pcpool_client_init);
module_exit(pcpool_client_exit);
MODULE_DESCRIPTION("pcpool sample: a C client");
MODULE_LICENSE("GPL");
