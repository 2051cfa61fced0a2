#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the NUMA VM (two nodes, a vCPU and movable memory each): the
tests in scripts/tests/numa/, and keeps the results and the kernel log in
OUT for scripts/ktap.py on the host.

Usage: numa.py OUT KDIR"""

import os
import sys

from pcpool_guest import (guest_finish, guest_start, kmemleak_check, kmemleak_start, kunit_skip_suites, nproc,
                          online_dimms, run_tests, say, uptime)


def main():
    out, kdir = sys.argv[1], sys.argv[2]
    guest_start(out, kdir)
    kmemleak_start()
    nodes = sorted(d for d in os.listdir("/sys/devices/system/node") if d.startswith("node"))
    say(f"{nproc()} CPUs, {' '.join(nodes)}, {os.uname().release}; booted in {uptime()} s")
    # The DIMMs come up offline: online them movable, so that each node has
    # memory that can all go offline again.
    say(f"DIMM blocks online movable: {' '.join(map(str, online_dimms())) or 'none'}")
    kunit_skip_suites()
    run_tests(out, "scripts/tests/numa")
    kmemleak_check(out, "kmemleak_numa")
    guest_finish(out)


if __name__ == "__main__":
    main()
