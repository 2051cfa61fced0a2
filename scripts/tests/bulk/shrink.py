#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Memory pressure on the real kernel: pcpool gives wholly free pageblocks
back, highest pfn first, through debugfs `shrink` and through its shrinker.
A user-space hog that needs half the pool completes with the shrinker and is
OOM-killed without it (so the test can fail); pages a client holds are never
taken and keep their contents; growth resumes when a client runs out; the
kernel's own figures stay exact throughout."""

import errno

from pcpool_guest import (DEBUGFS, MODULE, TOP, Ktap, cat, consistent, errname, hog, hog_bytes, insmod,
                          kernel_accounting_ok, kernel_view, kmsg_grep, kmsg_mark, kmsg_since, meminfo, one_line,
                          rmmod, write, zone)

CLIENT = f"{TOP}/samples/pcpool_client.ko"
OOM_EXPECTED = "an OOM kill is expected"
OOM_OVER = "the expected OOM kill is over"

def nr_free_pages():
    """The kernel's free pages: on the buddy lists and on its pcp lists (a
    page freed to the kernel goes to the freeing CPU's list first), summed
    over zones and CPUs (/proc/zoneinfo)."""
    n = 0
    for line in open("/proc/zoneinfo"):
        f = line.split()
        if f[:2] == ["pages", "free"]:
            n += int(f[2])
        elif f[:1] == ["count:"]:
            n += int(f[1])
    return n


def pool_block_pfns():
    """The pool's pageblocks' first pfns."""
    return [int(l.split()[0], 16) for l in cat(f"{DEBUGFS}/pageblocks").splitlines()[1:]]


def main():
    ktap = Ktap(8)
    base = kernel_view()
    total_kb = base["MemTotal"]
    # About 40% of RAM, in whole pageblocks of 512 pages, from ZONE_NORMAL
    # (ZONE_MOVABLE is smaller than that here).
    pool_pages = int(total_kb * 0.4 / 4) // 512 * 512

    # debugfs shrink: whole free pageblocks go back, highest pfn first; the
    # kernel's free pages grow by as much; a pageblock a client uses stays.
    ok = insmod(MODULE, f"initial_pages={16 * 512}")
    z0, pfns0, free0 = zone(), sorted(pool_block_pfns()), nr_free_pages()
    e = write(f"{DEBUGFS}/shrink", "1500\n")
    z1, pfns1, free1 = zone(), sorted(pool_block_pfns()), nr_free_pages()
    gone = sorted(set(pfns0) - set(pfns1))
    ktap.msg(f"shrink 1500: {errname(e)}; managed {z0['managed']} -> {z1['managed']}, shrinks {z1['shrinks']}, "
             f"pages_returned {z1['pages_returned']}; kernel free pages {free0} -> {free1}; "
             f"pageblocks gone {[hex(p) for p in gone]}, the highest were {[hex(p) for p in pfns0[-3:]]}")
    ok = ok and e == 0 and z1["managed"] == z0["managed"] - 1536 and z1["shrinks"] == 3
    ok = ok and z1["pages_returned"] == 1536 and gone == pfns0[-3:]
    # Others allocate and free meanwhile: the kernel's count moves by a few
    # pages more or less than the 1536 given.
    ok = ok and abs(free1 - free0 - 1536) < 256
    ktap.result("shrink_returns_highest_free_pageblocks", ok and consistent())

    # Refused, with nothing changed: while an isolation holds the pagesets
    # (EBUSY); 0 and garbage (EINVAL; bad_input.py has every row).
    ok = write(f"{DEBUGFS}/isolate", "all\n") == 0
    kmsg_mark("shrink while isolated")
    e = write(f"{DEBUGFS}/shrink", "512\n")
    ok = ok and e == errno.EBUSY and bool(kmsg_grep("shrink while isolated", r"pcpool: shrink: refused"))
    ok = write(f"{DEBUGFS}/isolate", "off\n") == 0 and ok
    for bad in ("0", "abc", "-1"):
        ok = write(f"{DEBUGFS}/shrink", bad + "\n") == errno.EINVAL and ok
    ok = zone()["managed"] == z1["managed"] and ok
    ktap.result("shrink_refused_while_isolated_or_bad", ok and consistent())
    rmmod("pcpool")

    # The hog against a pool of 40% of RAM, all free, but for a client's
    # 2048 stamped pages.
    need_kb = hog_bytes(pool_pages) // 1024
    ok = insmod(MODULE, f"initial_pages={pool_pages}", f"max_pages={pool_pages * 2}", "zone=normal")
    ok = ok and insmod(CLIENT, "hold_extra=2048", "movable=1")
    z0 = zone()
    avail, free = meminfo("MemAvailable"), meminfo("MemFree")
    kmsg_mark("hog with the shrinker")
    rc, secs = hog(need_kb * 1024)
    z1 = zone()
    oom = kmsg_grep("hog with the shrinker", r"Out of memory|invoked oom-killer")
    returned = z1["pages_returned"] - z0["pages_returned"]
    ktap.msg(f"MemTotal {total_kb} kB; pool {pool_pages} pages; hog {need_kb} kB, MemAvailable before {avail} kB, "
             f"MemFree {free} kB: "
             f"exit {rc} in {secs:.1f} s; pool {z0['managed']} -> {z1['managed']} pages, {returned} returned in "
             f"{z1['shrinks'] - z0['shrinks']} shrinks; shrinker counts {z1['shrinker_counts']} scans "
             f"{z1['shrinker_scans']} stops {z1['shrinker_stops']}; OOM lines {len(oom)}")
    # The pool gave about what the hog lacked beside it (what MemAvailable
    # lacked): at least 90% of it, and at most twice it and 16 pageblocks.
    # Reclaim takes from the page cache and from the shrinkers in
    # proportions of its own, more so with reclaimers and kswapd running at
    # once on a slow host (runs gave 1.05, 1.15 and 1.75 times); a shrinker
    # that gave a pageblock for every 128 pages asked gave 2.5 times.
    lacked = max(0, need_kb - avail) // 4
    least, most = lacked * 9 // 10, lacked * 2 + 16 * 512
    ktap.msg(f"pages the pool should give: {least} ..= {most}")
    ok = ok and rc == 0 and not oom and least <= returned <= most
    ktap.result("shrink_under_pressure_no_oom", ok and consistent())

    # The client's pages were never taken: each still carries its stamp.
    kmsg_mark("client after the hog")
    ok = rmmod("pcpool_client")
    checked = kmsg_grep("client after the hog", r"checked 2048 pages: 0 corrupt")
    ktap.msg(one_line(kmsg_since("client after the hog"), " / "))
    ktap.result("shrink_keeps_held_pages", ok and bool(checked) and consistent())

    # Growth resumes when a client runs out: empty the pool, then a client
    # allocates with PCPOOL_MAY_GROW and the pool grows again.
    write(f"{DEBUGFS}/shrink", f"{pool_pages * 2}\n")
    z2 = zone()
    ok = insmod(CLIENT)
    z3 = zone()
    ktap.msg(f"after shrinking all: {z2['managed']} pages; a client's allocation grew it to {z3['managed']} "
             f"({z3['grows'] - z2['grows']} grows)")
    ok = ok and z2["managed"] == 0 and z3["grows"] > z2["grows"] and rmmod("pcpool_client")
    ktap.result("shrink_then_client_grows", ok and consistent())

    good, line = kernel_accounting_ok(base, " after the shrinks")
    ktap.msg(line)
    ktap.result("shrink_kernel_accounting_exact", good)
    rmmod("pcpool")

    # Without the shrinker the same hog is OOM-killed: the pool held on.
    ok = insmod(MODULE, f"initial_pages={pool_pages}", f"max_pages={pool_pages * 2}", "zone=normal", "shrinker=0")
    z0 = zone()
    kmsg_mark(OOM_EXPECTED)
    rc, secs = hog(need_kb * 1024)
    kmsg_mark(OOM_OVER)
    z1 = zone()
    killed = kmsg_grep(OOM_EXPECTED, r"Out of memory: Killed process")
    ktap.msg(f"shrinker=0: hog exit {rc} in {secs:.1f} s; pool {z0['managed']} -> {z1['managed']} pages; "
             f"{one_line(killed[0]) if killed else 'no OOM kill'}")
    ok = ok and rc == -9 and bool(killed) and z1["managed"] == z0["managed"] and z1["pages_returned"] == 0
    ktap.result("shrink_off_hog_oom_killed", ok and consistent())
    rmmod("pcpool")

    good, line = kernel_accounting_ok(base, " after unload")
    ktap.msg(line)
    ktap.result("shrink_accounting_after_unload", good)
    ktap.finished()


if __name__ == "__main__":
    main()
