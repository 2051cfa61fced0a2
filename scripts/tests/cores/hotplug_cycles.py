#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Random offline/online cycles over the movable memory blocks while the
stress sample allocates and frees on every CPU, with regrow=1 so that the
pool keeps coming back into the blocks that come online. Every kind of
cycle must occur:
  - a block without pool chunks goes offline and online under the stress;
  - a block with pool chunks is refused, because a client holds pages
    there and has no migrate callback (the stress stopped, the block's
    pageblocks at the head of the movable list, then pcpool_client.ko
    takes 64 pages from there);
  - a block with pool chunks goes offline (pcpool gives up its pages) and
    online again, under the stress or, one cycle in four, with the stress
    sample unloaded and its pages back on the CPUs' pcp lists.
While a kind is missing, the next cycle picks a block that can give it;
otherwise the block is random. The books are checked after every cycle
(chunks = grows - offlined - shrinks, from one snapshot of the zone), and
in full every 5, and so are the kernel's own figures (MemTotal, each zone's
present and managed: exact for the blocks' states, kernel_accounting_*).
Afterwards nothing is lost: verify is consistent, nothing is allocated,
and after unload MemFree is back at its baseline and MemTotal exact.

The pool takes 65536 pages (256 MiB), so that pages freed by the kernel
elsewhere in ZONE_MOVABLE, and not only a block that just came online
(online_pages() puts its pages at the tail of the free lists), can take
its regrowth: blocks without pool chunks keep occurring.

The run stops at PCPOOL_HOTPLUG_CYCLES cycles (24) or when its time share,
PCPOOL_HOTPLUG_SECONDS (240), is used up, whichever comes first; while a
kind of cycle is still missing it goes on past the share, up to twice it,
so that a slow host still sees every kind. It says how far it got. It
fails on an error, or when it ran fewer than PCPOOL_HOTPLUG_MIN cycles (6)
or some kind of cycle never occurred. make soak runs the long version (200
cycles)."""

import os
import random
import time

from pcpool_guest import (BLOCKS, DEBUGFS, MODULE, TOP, Ktap, allocated, block_pages, block_state, blocks_in, cat,
                          consistent, insmod, kernel_accounting_ok, kernel_view, memfree, one_line, read, rmmod,
                          set_block_state, unload_memfree_restored, verify_line, write, zone)

CYCLES = int(os.environ.get("PCPOOL_HOTPLUG_CYCLES") or 24)
SHARE = int(os.environ.get("PCPOOL_HOTPLUG_SECONDS") or 240)
MIN = int(os.environ.get("PCPOOL_HOTPLUG_MIN") or 6)
QUIET_EVERY = 4


def books_exact():
    """chunks = grows - offlined - shrinks, read from one snapshot of the zone."""
    z = zone()
    return z["chunks"] == z["grows"] - z["offlined"] - z["shrinks"]


def blocks_with_pool(yes):
    """The blocks of BLOCKS that hold pool chunks (yes) or none."""
    return [b for b in BLOCKS if (blocks_in(b) > 0) == yes]


def hold_pages_in(b):
    """Makes a client without a migrate callback hold pages in block b, so
    that an offline of b is refused. With the stress stopped, isolating and
    releasing b's pool pageblocks empties every pageset and puts b's
    pageblocks at the head of the movable list, so the client's pages are
    refilled from there."""
    if not stress_off():
        return False
    per = block_pages()
    write(f"{DEBUGFS}/isolate", f"{b * per} {(b + 1) * per}")
    write(f"{DEBUGFS}/isolate", "off")
    return insmod(f"{TOP}/samples/pcpool_client.ko", "hold=64")


def stress_on():
    return insmod(f"{TOP}/samples/pcpool_stress.ko")


def stress_off():
    return rmmod("pcpool_stress")


def main():
    ktap = Ktap(5)
    if not BLOCKS:
        ktap.bail("no offlinable movable block")

    free_before = memfree()
    kernel_base = kernel_view()
    kernel_ok = True
    if not insmod(MODULE, "initial_pages=65536", "max_pages=131072", "regrow=1"):
        ktap.bail("insmod pcpool failed")
    if not stress_on():
        ktap.bail("insmod pcpool_stress failed")

    ok = True
    offlined = with_pool = with_pool_stress = without_pool = refused = other = cycle = 0
    start = time.time()

    def elapsed():
        return int(time.time() - start)

    def all_kinds():
        return with_pool > 0 and without_pool > 0 and refused > 0

    while cycle < CYCLES and (elapsed() < SHARE or (not all_kinds() and elapsed() < 2 * SHARE)):
        cycle += 1
        quiet = cycle % QUIET_EVERY == 0
        if quiet and not stress_off():
            ok = False
            ktap.msg(f"cycle {cycle}: rmmod pcpool_stress failed")
        b, holding = None, False
        if quiet and with_pool == 0:
            b = random.choice(blocks_with_pool(True) or [None])
        elif not quiet and refused == 0:
            b = random.choice(blocks_with_pool(True) or [None])
            holding = b is not None and hold_pages_in(b)
        elif without_pool == 0:
            b = random.choice(blocks_with_pool(False) or [None])
        if b is None:
            b = random.choice(BLOCKS)
        n = blocks_in(b)
        if set_block_state(b, "offline"):
            offlined += 1
            if n > 0:
                with_pool += 1
                with_pool_stress += not quiet
            else:
                without_pool += 1
            if not set_block_state(b, "online_movable"):
                ok = False
                ktap.msg(f"cycle {cycle}: memory{b} would not come online")
        elif n > 0:
            refused += 1
        else:
            other += 1
        if holding and not rmmod("pcpool_client"):
            ok = False
            ktap.msg(f"cycle {cycle}: rmmod pcpool_client failed")
        if (quiet or holding) and not stress_on():
            ok = False
            ktap.msg(f"cycle {cycle}: insmod pcpool_stress failed")
        if not books_exact():
            ok = False
            ktap.msg(f"cycle {cycle}: {one_line(cat(f'{DEBUGFS}/zone'), ' ')}")
        good, figures = kernel_accounting_ok(kernel_base, f" after cycle {cycle}")
        if not good:
            kernel_ok = False
            ktap.msg(figures)
        if cycle % 5 == 0:
            ok = consistent() and ok
            ktap.msg(f"cycle {cycle}, {elapsed()} s: {verify_line()}")
    ktap.msg(f"{cycle} of {CYCLES} cycles in {elapsed()} s (share {SHARE} s, minimum {MIN}): "
             f"{offlined} offline and back online ({with_pool} with pool pages, {with_pool_stress} of them under "
             f"the stress; {without_pool} without), {refused} refused by pcpool (pages held), "
             f"{other} failed elsewhere")
    ktap.msg(f"zone: {one_line(cat(f'{DEBUGFS}/zone'), ' ')}")
    ktap.msg("hotplug: " + "".join(l + " " for l in cat(f"{DEBUGFS}/hotplug").splitlines()
                                   if not l.endswith(" 0")))
    if cycle < MIN:
        ok = False
        ktap.msg(f"only {cycle} cycles, fewer than the minimum {MIN}")
    if not all_kinds():
        ok = False
        ktap.msg("a kind of cycle never occurred")
    ktap.result("random_cycles_books_exact", ok)
    good, figures = kernel_accounting_ok(kernel_base, f" after {cycle} cycles")
    ktap.msg(figures)
    ktap.result("kernel_accounting_cycles", good and kernel_ok)

    stress_off()
    for b in BLOCKS:
        if block_state(b) != "online":
            set_block_state(b, "online_movable")
    line = verify_line()
    ktap.msg(f"after the stress: {line}")
    ktap.result("nothing_lost", consistent() and allocated(line) == 0)

    unload_memfree_restored(ktap, free_before)
    good, figures = kernel_accounting_ok(kernel_base, " after unload")
    ktap.msg(figures)
    ktap.result("kernel_accounting_unload", good)

    ktap.finished()


if __name__ == "__main__":
    main()
