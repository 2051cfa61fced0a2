// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool.ko itself: references to it, and the exported C API
 * (include/pcpool.h), whose functions are Rust's (rust/client.rs). With
 * tracing built in (PCPOOL_TRACE), the page calls are trampolines around them
 * that fire pcpool:pcpool_alloc and pcpool:pcpool_free: a disabled event is a
 * patched-out jump here, where Rust could only call a function.
 */

#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/module.h>
#include <pcpool.h>

/* A reference to pcpool.ko itself: rmmod fails with -EBUSY while one is held. */
bool pcpool_module_get(void)
{
	return try_module_get(THIS_MODULE);
}

void pcpool_module_put(void)
{
	module_put(THIS_MODULE);
}

#ifdef PCPOOL_TRACE
#include <trace/events/pcpool.h>

struct page *pcpool_rust_alloc_page(struct pcpool_client *c, unsigned int flags);
struct page *pcpool_rust_alloc_page_node(struct pcpool_client *c,
					 unsigned int flags, int nid);
int pcpool_rust_free_page(struct pcpool_client *c, struct page *page);
unsigned int pcpool_rust_alloc_bulk(struct pcpool_client *c, unsigned int flags,
				    unsigned int nr, struct page **pages);
unsigned int pcpool_rust_free_bulk(struct pcpool_client *c, unsigned int nr,
				   struct page **pages);

/*
 * The calls with their event on, out of line so that the exported functions
 * need no stack frame: while the event is off each is a patched-out jump and
 * a tail call, and the Rust function returns to the caller itself.
 */
static noinline struct page *alloc_page_traced(struct pcpool_client *c,
					       unsigned int flags, bool node,
					       int nid)
{
	struct page *page = node ? pcpool_rust_alloc_page_node(c, flags, nid) :
				   pcpool_rust_alloc_page(c, flags);

	trace_pcpool_alloc(c, page, flags, nid);
	return page;
}

static noinline int free_page_traced(struct pcpool_client *c, struct page *page)
{
	int ret = pcpool_rust_free_page(c, page);

	trace_pcpool_free(c, page, ret);
	return ret;
}

static noinline unsigned int alloc_bulk_traced(struct pcpool_client *c,
					       unsigned int flags,
					       unsigned int nr,
					       struct page **pages)
{
	unsigned int i, n = pcpool_rust_alloc_bulk(c, flags, nr, pages);

	for (i = 0; i < n; i++)
		trace_pcpool_alloc(c, pages[i], flags, NUMA_NO_NODE);
	return n;
}

/*
 * Page by page, so that each event has its page's result: the same frees and
 * the same count.
 */
static noinline unsigned int free_bulk_traced(struct pcpool_client *c,
					      unsigned int nr,
					      struct page **pages)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr; i++)
		n += !free_page_traced(c, pages[i]);
	return n;
}

struct page *pcpool_alloc_page(struct pcpool_client *c, unsigned int flags)
{
	if (trace_pcpool_alloc_enabled())
		return alloc_page_traced(c, flags, false, NUMA_NO_NODE);
	return pcpool_rust_alloc_page(c, flags);
}

struct page *pcpool_alloc_page_node(struct pcpool_client *c, unsigned int flags,
				    int nid)
{
	if (trace_pcpool_alloc_enabled())
		return alloc_page_traced(c, flags, true, nid);
	return pcpool_rust_alloc_page_node(c, flags, nid);
}

int pcpool_free_page(struct pcpool_client *c, struct page *page)
{
	if (trace_pcpool_free_enabled())
		return free_page_traced(c, page);
	return pcpool_rust_free_page(c, page);
}

unsigned int pcpool_alloc_bulk(struct pcpool_client *c, unsigned int flags,
			       unsigned int nr, struct page **pages)
{
	if (trace_pcpool_alloc_enabled())
		return alloc_bulk_traced(c, flags, nr, pages);
	return pcpool_rust_alloc_bulk(c, flags, nr, pages);
}

unsigned int pcpool_free_bulk(struct pcpool_client *c, unsigned int nr,
			      struct page **pages)
{
	if (trace_pcpool_free_enabled() && pages && pcpool_client_trace_id(c))
		return free_bulk_traced(c, nr, pages);
	return pcpool_rust_free_bulk(c, nr, pages);
}
#endif

/* The flags are rust/client.rs's values. */
static_assert(PCPOOL_ZERO == 0x1 && PCPOOL_MAY_GROW == 0x2);
EXPORT_SYMBOL_GPL(pcpool_client_register);
EXPORT_SYMBOL_GPL(pcpool_client_unregister);
EXPORT_SYMBOL_GPL(pcpool_client_held);
EXPORT_SYMBOL_GPL(pcpool_client_set_migrate);
EXPORT_SYMBOL_GPL(pcpool_alloc_page);
EXPORT_SYMBOL_GPL(pcpool_alloc_page_node);
EXPORT_SYMBOL_GPL(pcpool_free_page);
EXPORT_SYMBOL_GPL(pcpool_alloc_bulk);
EXPORT_SYMBOL_GPL(pcpool_free_bulk);
