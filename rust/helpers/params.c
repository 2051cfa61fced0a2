// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters. 6.12's Rust `module!` takes none, so each is
 * declared here on the Rust static that holds it; rust/params.rs has their
 * defaults and limits, and checks them at load. All are read-only in sysfs.
 */
#include <linux/moduleparam.h>

extern unsigned long pcpool_param_initial_pages, pcpool_param_max_pages, pcpool_param_min_pages;
extern unsigned int pcpool_param_high, pcpool_param_batch, pcpool_param_evacuate_stall_ms;
extern int pcpool_param_node, pcpool_param_notifier_priority;
extern char *pcpool_param_zone, *pcpool_param_drain;
extern bool pcpool_param_regrow, pcpool_param_shrinker;

module_param_named(initial_pages, pcpool_param_initial_pages, ulong, 0444);
MODULE_PARM_DESC(initial_pages, "pages taken from the kernel at load");
module_param_named(max_pages, pcpool_param_max_pages, ulong, 0444);
MODULE_PARM_DESC(max_pages, "most pages the pool may hold");
module_param_named(high, pcpool_param_high, uint, 0444);
MODULE_PARM_DESC(high, "pageset high mark (0: no pageset caching)");
module_param_named(batch, pcpool_param_batch, uint, 0444);
MODULE_PARM_DESC(batch, "pageset refill and flush batch");
module_param_named(zone, pcpool_param_zone, charp, 0444);
MODULE_PARM_DESC(zone, "zone the chunks come from: movable or normal");
module_param_named(node, pcpool_param_node, int, 0444);
MODULE_PARM_DESC(node, "NUMA node of the chunks (-1: any)");
module_param_named(drain, pcpool_param_drain, charp, 0444);
MODULE_PARM_DESC(drain, "how isolation drains the pagesets: ipi, pageblock, remote or workqueue");
module_param_named(notifier_priority, pcpool_param_notifier_priority, int, 0444);
MODULE_PARM_DESC(notifier_priority, "memory notifier priority; higher runs first");
module_param_named(regrow, pcpool_param_regrow, bool, 0444);
MODULE_PARM_DESC(regrow, "grow back to initial_pages after an offline took pool pages, and on MEM_ONLINE");
module_param_named(evacuate_stall_ms, pcpool_param_evacuate_stall_ms, uint, 0444);
MODULE_PARM_DESC(evacuate_stall_ms, "how long evacuation may go without moving a page before the offline is refused, in ms (0: never evacuate)");
module_param_named(min_pages, pcpool_param_min_pages, ulong, 0444);
MODULE_PARM_DESC(min_pages, "pages the shrinker leaves the pool");
module_param_named(shrinker, pcpool_param_shrinker, bool, 0444);
MODULE_PARM_DESC(shrinker, "give free pageblocks back under memory pressure (0: never)");

#if IS_ENABLED(CONFIG_KUNIT)
extern int pcpool_param_kunit_memblock;
module_param_named(kunit_memblock, pcpool_param_kunit_memblock, int, 0444);
MODULE_PARM_DESC(kunit_memblock, "memory block the KUnit notifier test offlines (-1: skip that test)");
#endif
