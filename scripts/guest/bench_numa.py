#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the two-node benchmark VM (CPUs 0-1 on node 0, 2-3 on node
1): P1's alloc+free pair on CPU 2, first with a pool zone on each node (the
page comes from node 1's zone, local), then with the pool restricted to
node 0 (node=0: every allocation on CPU 2 falls back to node 0's zone, and
every free misses the local lookup first). Appends p1_pair_local_node,
p1_pair_remote_node and their ratio to OUT/bench.csv.

Usage: bench_numa.py OUT UNIT"""

import re
import sys

from pcpool_guest import consistent, guest_start, insmod, kmsg_mark, kmsg_since, kunit_skip_suites, rmmod, say


def main():
    out, unit = sys.argv[1], sys.argv[2]
    guest_start(out)
    kunit_skip_suites()
    figures = {}
    with open(f"{out}/bench.csv", "a", buffering=1) as csv:
        for name, node in (("local_node", -1), ("remote_node", 0)):
            insmod("pcpool.ko", "initial_pages=2048", f"node={node}")
            mark = f"bench-numa-{name}"
            kmsg_mark(mark)
            insmod("samples/pcpool_bench.ko", f"unit={unit}", "contention=0", "cpu=2", quiet=True)
            for line in kmsg_since(mark).splitlines():
                m = re.search(r"pcpool_bench: csv p1_pair_pcpool,(\d+),", line)
                if m:
                    figures[name] = int(m.group(1))
                    csv.write(f"p1_pair_{name},{m.group(1)},{unit}\n")
                elif "aborted" in line:
                    say(f"P1 {name}: {line}")
            if consistent():
                say(f"pool consistent after the P1 bench, {name}")
            rmmod("pcpool")
        if len(figures) == 2:
            csv.write(f"p1_remote_node_ratio,{figures['remote_node'] / figures['local_node']:.3f},ratio\n")
    say(f"P1 on CPU 2 (node 1): {figures}")
    open(f"{out}/guest-finished", "w").close()


if __name__ == "__main__":
    main()
