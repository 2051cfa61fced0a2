// SPDX-License-Identifier: GPL-2.0
#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/swap.h>

/* NUMA_NO_NODE, mirrored by `page::NUMA_NO_NODE`. */
static_assert(NUMA_NO_NODE == -1);

/* Pages. */
unsigned int pcpool_pageblock_order(void)
{
	return pageblock_order;
}

/*
 * A pageblock-sized, naturally aligned chunk, split into order-0 pages so
 * that each page has its own reference count (as virtio-mem's pages do).
 * @movable picks ZONE_MOVABLE where the machine has one.
 */
struct page *pcpool_alloc_chunk(int nid, unsigned int order, bool movable)
{
	gfp_t gfp = (movable ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL) |
		    __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	struct page *page;

	if (nid != NUMA_NO_NODE)
		gfp |= __GFP_THISNODE;
	page = alloc_pages_node(nid, gfp, order);
	if (page)
		split_page(page, order);
	return page;
}

/* RawPage's Debug (rust/ffi/page.rs) relies on page_to_pfn() never dereferencing. */
#ifndef CONFIG_SPARSEMEM_VMEMMAP
#error "pcpool needs SPARSEMEM_VMEMMAP: page_to_pfn() must be pointer arithmetic"
#endif

unsigned long pcpool_page_to_pfn(struct page *page)
{
	return page_to_pfn(page);
}

void *pcpool_page_address(struct page *page)
{
	return page_address(page);
}
EXPORT_SYMBOL_GPL(pcpool_page_address);

void pcpool_clear_page(struct page *page)
{
	clear_highpage(page);
}

int pcpool_page_ref_count(struct page *page)
{
	return page_ref_count(page);
}

void pcpool_page_ref_inc(struct page *page)
{
	page_ref_inc(page);
}

bool pcpool_page_ref_dec_and_test(struct page *page)
{
	return page_ref_dec_and_test(page);
}

bool pcpool_page_offline(struct page *page)
{
	return PageOffline(page);
}

void pcpool_set_page_offline(struct page *page)
{
	__SetPageOffline(page);
}

void pcpool_clear_page_offline(struct page *page)
{
	__ClearPageOffline(page);
}

/*
 * Whether the page's pageblock belongs to a CMA area (is_migrate_cma_page()).
 * get_pageblock_migratetype() calls get_pfnblock_flags_mask(), which is not
 * exported, so the bits are read here as it reads them with SPARSEMEM: from
 * the section's pageblock_flags bitmap (mem_section is exported).
 */
#ifndef CONFIG_SPARSEMEM
#error "pcpool reads pageblock flags through mem_section: SPARSEMEM only"
#endif
bool pcpool_page_is_cma(struct page *page)
{
#ifdef CONFIG_CMA
	unsigned long pfn = page_to_pfn(page);
	unsigned long *bitmap = section_to_usemap(__pfn_to_section(pfn));
	unsigned long bitidx = ((pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order) *
			       NR_PAGEBLOCK_BITS;
	unsigned long word = READ_ONCE(bitmap[bitidx / BITS_PER_LONG]);

	return ((word >> (bitidx & (BITS_PER_LONG - 1))) & MIGRATETYPE_MASK) == MIGRATE_CMA;
#else
	return false;
#endif
}

/* The page's zone as rust/ffi/page.rs names it: 0 Normal, 1 Movable, -1 other. */
int pcpool_page_zone(struct page *page)
{
	switch (page_zonenum(page)) {
	case ZONE_NORMAL:
		return 0;
	case ZONE_MOVABLE:
		return 1;
	default:
		return -1;
	}
}

unsigned long pcpool_page_zone_managed_pages(struct page *page)
{
	return zone_managed_pages(page_zone(page));
}

unsigned long pcpool_totalram_pages(void)
{
	return totalram_pages();
}

bool pcpool_node_online(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES && node_online(nid);
}

/*
 * Pages a shrinker freed, counted as reclaimed when the caller is in
 * reclaim (mm_account_reclaimed_pages(), as XFS does for its buffer pages):
 * reclaim then sees the progress and neither throttles nor reclaims more.
 */
void pcpool_account_reclaimed_pages(unsigned long pages)
{
	mm_account_reclaimed_pages(pages);
}
