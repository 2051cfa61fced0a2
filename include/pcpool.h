/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpool: a private, zone-backed page pool with per-CPU pagesets.
 *
 * A client registers once, then allocates and frees order-0 pages. The pages
 * are PageOffline: the client may use their contents and page->lru, but must
 * not map them to user space, put them on an LRU, change their reference
 * count or touch page->private (pcpool's).
 *
 * pcpool stays loaded while a registered client holds pages:
 * pcpool_client_unregister() refuses with -EBUSY until they are all freed.
 */
#ifndef _PCPOOL_H
#define _PCPOOL_H

#include <linux/types.h>

struct page;
struct pcpool_client;

/* Allocation flags. */
#define PCPOOL_ZERO	0x1u	/* zero the page */
#define PCPOOL_MAY_GROW	0x2u	/* the caller may sleep: an empty pool may grow */

/*
 * Returns a client, or an ERR_PTR(). @name is copied (at most 31 bytes).
 * Every call below refuses a NULL or ERR_PTR() client, and one already
 * unregistered, with -EINVAL (NULL, 0) and a log line.
 */
struct pcpool_client *pcpool_client_register(const char *name);
/* -EBUSY, and nothing changes, while the client holds pages. */
int pcpool_client_unregister(struct pcpool_client *client);
/* Pages the client holds now. */
long pcpool_client_held(const struct pcpool_client *client);

/*
 * Evacuation. When memory holding pages the client has goes offline, pcpool
 * may ask the client to move to another page: migrate(client, old, new,
 * priv) must copy what it needs from @old to @new and switch every use of
 * @old to @new, under its own lock, and return 0; pcpool then takes @old
 * back. It returns -ENOENT if it does not hold @old (any more), -EAGAIN if
 * @old is busy for now, or another error to refuse; @new then goes back to
 * pcpool. pcpool asks again for -ENOENT and -EAGAIN pages as long as other
 * pages move (evacuate_stall_ms without one moving ends it); a refusal makes
 * the offline fail at once. It runs in process context
 * (it may sleep), with pcpool's client list locked and memory hotplug in
 * progress: it must not register or unregister clients, nor allocate from
 * pcpool with PCPOOL_MAY_GROW (a grow waits for memory hotplug to end).
 * Without a callback, offlining memory where the client holds pages fails.
 */
typedef int (*pcpool_migrate_t)(struct pcpool_client *client, struct page *old,
				struct page *new, void *priv);
int pcpool_client_set_migrate(struct pcpool_client *client, pcpool_migrate_t migrate,
			      void *priv);

/*
 * One page, or NULL when the pool is empty (and may not or cannot grow):
 * from the calling CPU's node while its pool zone has pages, then from the
 * other nodes' by distance; growing, with PCPOOL_MAY_GROW, only when all are
 * empty, the local node first.
 */
struct page *pcpool_alloc_page(struct pcpool_client *client, unsigned int flags);
/*
 * pcpool_alloc_page() preferring node @nid (NUMA_NO_NODE: the calling CPU's);
 * NULL, logged, for an @nid that is not a node id.
 */
struct page *pcpool_alloc_page_node(struct pcpool_client *client, unsigned int flags, int nid);
/*
 * 0, or -EINVAL (nothing changes) for a page that is not an allocated pool
 * page, or that another client holds.
 */
int pcpool_free_page(struct pcpool_client *client, struct page *page);

/* The kernel address of a page the client holds (page_address()). */
void *pcpool_page_address(struct page *page);

/* Fills pages[0..n) and returns n, at most @nr. */
unsigned int pcpool_alloc_bulk(struct pcpool_client *client, unsigned int flags,
			       unsigned int nr, struct page **pages);
/* Frees pages[0..nr); returns how many were freed (invalid ones are logged, skipped). */
unsigned int pcpool_free_bulk(struct pcpool_client *client, unsigned int nr,
			      struct page **pages);

#endif /* _PCPOOL_H */
