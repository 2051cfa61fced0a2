#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the test VM for `make demo`: load pcpool, watch its per-CPU
pagesets while the stress sample runs on every CPU; then, with a large
pool, offline a real movable memory block full of pool pages through sysfs
(pcpool gives them up), online it again, see an offline refused while a
client holds pages, and show what pcpool logged. Each step is the shell
command a person would type, shown with its output.

Usage: demo.py OUT"""

import subprocess
import sys

from pcpool_guest import (DEBUGFS, MEM, blocks_in, guest_start, kmsg_mark, kmsg_since, kunit_skip_suites,
                          offlinable_blocks, pool_block, pool_blocks)


def show(cmd, run=None):
    """Prints the command, then runs it (or run(), whose lines stand for
    its output) and prints what it says, indented."""
    print(f"guest# {cmd}", flush=True)
    if run is None:
        text = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace").stdout
    else:
        text = "".join(l + "\n" for l in run())
    for line in text.splitlines():
        print(f"guest  {line}", flush=True)


def main():
    out = sys.argv[1]
    guest_start(out)

    # Movable blocks that really go offline, tried before pcpool takes memory.
    blocks = offlinable_blocks()
    print("guest  (movable blocks that can go offline: " + "".join(f"{b} " for b in blocks) + ")", flush=True)
    kunit_skip_suites()
    kmsg_mark("demo")
    show("insmod pcpool.ko")
    show(f"cat {DEBUGFS}/zone")
    show("insmod samples/pcpool_stress.ko")
    show("sleep 2")
    show(f"cat {DEBUGFS}/pcp")
    show(f"cat {DEBUGFS}/verify")
    show("rmmod pcpool_stress")
    show(f"cat {DEBUGFS}/zone")
    show(f"cat {DEBUGFS}/pageblocks")

    show("rmmod pcpool")

    # A pool of 430 MiB: every movable block that can go offline holds
    # chunks. One of them goes offline with all its pool pages free: pcpool
    # gives them up, and the pool shrinks by exactly those pageblocks.
    show("insmod pcpool.ko initial_pages=110000 max_pages=131072")
    show("per_block", lambda: [f"memory{b}: {blocks_in(b)} pool pageblocks" for b in pool_blocks()])
    # A client holds every pool page: an offline is refused at once, with
    # the reason, and the pool stays as it was.
    show("insmod samples/pcpool_client.ko hold_extra=200000")
    held = pool_block(blocks)
    if held is not None:
        show(f"echo offline > {MEM}/memory{held}/state")
        show(f"cat {MEM}/memory{held}/state")
    show("rmmod pcpool_client")

    # The same block with all its pool pages free: it goes offline.
    block = pool_block(blocks)
    if block is not None:
        show(f"cat {DEBUGFS}/zone")
        show(f"echo offline > {MEM}/memory{block}/state")
        show(f"cat {MEM}/memory{block}/state")
        show(f"cat {DEBUGFS}/zone")
        show(f"grep -v ' 0$' {DEBUGFS}/hotplug")
        show(f"echo online_movable > {MEM}/memory{block}/state")
        show(f"cat {MEM}/memory{block}/state")
    show(f"cat {DEBUGFS}/verify")
    show("rmmod pcpool")
    print("guest# dmesg | grep pcpool", flush=True)
    for line in kmsg_since("demo").splitlines():
        if "pcpool" in line:
            print(f"guest  {line}", flush=True)
    open(f"{out}/guest-finished", "w").close()
    sys.exit(0 if block is not None and held is not None else 1)


if __name__ == "__main__":
    main()
