#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the test VM: picks memory blocks that can really go offline,
loads pcpool to run its KUnit suites, then runs every test in
scripts/tests/. Writes everything to OUT for scripts/ktap.py on the host.

Usage: check.py OUT KDIR"""

import os
import sys
import time

from pcpool_guest import (export_blocks, guest_finish, guest_start, insmod, kmemleak_check, kmemleak_start,
                          kunit_skip_suites, mem_total_mib, nproc, rmmod, run_tests, save_kunit_results, say,
                          uptime, write)


def main():
    out, kdir = sys.argv[1], sys.argv[2]
    guest_start(out, kdir)
    kmemleak_start()
    say(f"{nproc()} CPUs, {mem_total_mib()} MiB, {os.uname().release}; booted in {uptime()} s")

    start = time.time()
    blocks = export_blocks()
    say(f"offlinable movable blocks: {' '.join(map(str, blocks)) or 'none'} (probed in {int(time.time() - start)} s)")

    # KUnit: the suites run when pcpool.ko goes live. The slow one (the race
    # suite) runs in a VM of its own (scripts/guest/race.py); here KUnit's
    # attribute filter leaves it out. No trailing newline: KUnit keeps the
    # bytes.
    write("/sys/module/kunit/parameters/filter", "speed>slow")
    start = time.time()
    # initial_pages=0: the notifier test offlines a block, which pool chunks
    # would keep online.
    if insmod(os.environ["PCPOOL_MODULE"], "initial_pages=0",
              f"kunit_memblock={blocks[0] if blocks else -1}"):
        for suite in open(f"{out}/expect-suites").read().split():
            save_kunit_results(out, suite)
        if not rmmod("pcpool"):
            say("rmmod pcpool failed")
    else:
        say("insmod pcpool.ko failed")
    say(f"KUnit suites ran in {int(time.time() - start)} s")

    kunit_skip_suites()

    # The tests, each a KTAP document of its own.
    run_tests(out, "scripts/tests")
    kmemleak_check(out, "kmemleak")

    guest_finish(out)


if __name__ == "__main__":
    main()
