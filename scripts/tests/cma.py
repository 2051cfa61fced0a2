#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pcpool never keeps a pageblock of a CMA area: a movable allocation may be
handed one (ALLOC_CMA), and cma_alloc() could not get it back from the
pool. The VM boots with cma=; the pool grows until the allocator offers it
CMA pageblocks, and then the whole CMA area must still be allocatable
(CONFIG_CMA_DEBUGFS's alloc file)."""

import os

from pcpool_guest import (DEBUGFS, MODULE, Ktap, cat, consistent, insmod, kmsg_grep, kmsg_mark, pool_pfns,
                          rmmod, write, zone_value)

CMA_DEBUGFS = "/sys/kernel/debug/cma"
NOT_KEPT = r"pcpool: grow: the chunk at pfn 0x[0-9a-f]* is in a CMA area: not kept"


def main():
    ktap = Ktap(3)

    areas = sorted(os.listdir(CMA_DEBUGFS)) if os.path.isdir(CMA_DEBUGFS) else []
    areas = [a for a in areas if os.path.isdir(f"{CMA_DEBUGFS}/{a}")]
    if not areas:
        ktap.fail("cma_offered_not_kept # no CMA area: boot with cma= and CONFIG_CMA_DEBUGFS")
        ktap.fail("cma_alloc_after_fill # no CMA area")
        ktap.fail("cma_unload # no CMA area")
        ktap.finished()
    cma = f"{CMA_DEBUGFS}/{areas[0]}"
    base = int(cat(f"{cma}/base_pfn"), 0)
    count = int(cat(f"{cma}/count"), 0)
    ktap.msg(f"CMA area {areas[0]}: pfn {base:#x}, {count} pages")

    # Grow until the allocator has offered CMA pageblocks (it does once they
    # are more than half of the movable zone's free memory), or the pool
    # holds 1.5 GiB.
    insmod(MODULE, "initial_pages=0", "max_pages=393216")
    kmsg_mark("cma")
    for _ in range(24):
        if kmsg_grep("cma", NOT_KEPT):
            break
        if write(f"{DEBUGFS}/grow", "16384\n"):
            break
    in_cma = sum(1 for pfn in pool_pfns() if base <= pfn < base + count)
    offered = len(kmsg_grep("cma", "is in a CMA area: not kept"))
    ktap.msg(f"pool: {zone_value('managed')} pages; grows that were offered CMA: {offered}; "
             f"pool pageblocks in the CMA area: {in_cma}")
    ktap.result("cma_offered_not_kept", offered > 0 and in_cma == 0 and consistent())

    # The whole area, while the pool is full.
    if write(f"{cma}/alloc", f"{count}\n") == 0:
        write(f"{cma}/free", f"{count}\n")
        ktap.ok("cma_alloc_after_fill")
    else:
        ktap.msg(f"cma_alloc of {count} pages failed; used: {cat(f'{cma}/used').strip()}")
        ktap.fail("cma_alloc_after_fill")

    ktap.result("cma_unload", rmmod("pcpool"))

    ktap.finished()


if __name__ == "__main__":
    main()
