// SPDX-License-Identifier: GPL-2.0
/*
 * pcpool.ko itself: references to it, and the exported C API
 * (include/pcpool.h), whose functions are Rust's (rust/client.rs).
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
