#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the two-node VM for `make demo`: a pool zone on each node;
all of node 1's movable memory (its DIMM) goes offline and node 1's zone
goes away, allocation on node 1's CPU falls back to node 0; the memory comes
back and so does the zone. In titled steps, as demo.py; each is the
shell command a person would type, shown with its output.

Usage: demo_numa.py OUT"""

import os
import sys

from demo import emit, show, title, transcript
from pcpool_guest import DEBUGFS, MEM, guest_start, kmsg_mark, kmsg_since, kunit_skip_suites, online_dimms


def main():
    out = sys.argv[1]
    guest_start(out)
    transcript(out)
    dimms = online_dimms()
    node1 = [b for b in dimms if os.path.exists(f"/sys/devices/system/node/node1/memory{b}")]
    emit(f"guest  (DIMM blocks, onlined movable: {' '.join(map(str, dimms))}; node 1's: "
         f"{' '.join(map(str, node1))})")
    kunit_skip_suites()
    kmsg_mark("demo numa")
    title("A pool zone per node", "Two NUMA nodes, a CPU and a movable DIMM each: pcpool builds a zone on "
          "each node, and a client on node 1's CPU gets node 1's pages.")
    show("insmod pcpool.ko initial_pages=2048 regrow=1")
    show(f"cat {DEBUGFS}/nodes")
    show("taskset -c 1 insmod samples/pcpool_client.ko hold_extra=100; rmmod pcpool_client")
    title("Node 1's memory goes offline", "When its last movable block goes, node 1's zone is empty: pcpool "
          "unpublishes it, waits for a grace period, drains and frees its pagesets; node 1's CPU falls back "
          "to node 0.")
    for b in node1:
        show(f"echo offline > {MEM}/memory{b}/state")
    show(f"cat {DEBUGFS}/nodes")
    show(f"grep zones {DEBUGFS}/hotplug")
    show("taskset -c 1 insmod samples/pcpool_client.ko hold_extra=100; rmmod pcpool_client")
    title("Node 1's memory comes back", "MEM_ONLINE builds the zone again, and regrow=1 refills it.")
    for b in node1:
        show(f"echo online_movable > {MEM}/memory{b}/state")
    show(f"sleep 1; cat {DEBUGFS}/nodes")
    show(f"cat {DEBUGFS}/verify")
    show("rmmod pcpool")
    title("What pcpool logged", "The zone's teardown and rebuild, and where the client's pages came from.")
    emit("guest# dmesg | grep -E 'pcpool(_client)?: (node|extra|loaded)'")
    for line in kmsg_since("demo numa").splitlines():
        if "pcpool: node" in line or "extra pages" in line or "pcpool: loaded" in line:
            emit(f"guest  {line}")
    open(f"{out}/guest-finished", "w").close()


if __name__ == "__main__":
    main()
