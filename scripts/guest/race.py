#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the race VM (one vCPU per host core, no debug_pagealloc):
loads pcpool with only its slow KUnit suite, pcpool_race, selected, then
runs the tests in scripts/tests/cores/ and scripts/tests/bulk/, and keeps
the results and the kernel log in OUT for scripts/ktap.py on the host.

Usage: race.py OUT KDIR"""

import os
import re
import sys
import time

from pcpool_guest import (dmesg, export_blocks, guest_finish, guest_start, insmod, kmemleak_check, kmemleak_start,
                          kunit_skip_suites, nproc, rmmod, run_tests, save_kunit_results, say, uptime, write)


def main():
    out, kdir = sys.argv[1], sys.argv[2]
    guest_start(out, kdir)
    kmemleak_start()
    say(f"{nproc()} CPUs, {os.uname().release}; booted in {uptime()} s")

    # No trailing newline: KUnit keeps the parameter's bytes as they are.
    write("/sys/module/kunit/parameters/filter_glob", "pcpool_race")
    start = time.time()
    if insmod(os.environ["PCPOOL_MODULE"], "initial_pages=0"):
        save_kunit_results(out, "pcpool_race")
        if not rmmod("pcpool"):
            say("rmmod pcpool failed")
    else:
        say("insmod pcpool.ko failed")
    say(f"pcpool_race ran in {int(time.time() - start)} s")
    for line in dmesg().splitlines():
        if re.search(r"pcpool: (isolation race|expected detection)", line):
            say(line)

    # Tests that want every vCPU on a host core of their own.
    kunit_skip_suites()
    start = time.time()
    blocks = export_blocks()
    say(f"offlinable movable blocks: {' '.join(map(str, blocks)) or 'none'} (probed in {int(time.time() - start)} s)")
    run_tests(out, "scripts/tests/cores")
    # Tests that write or move hundreds of MiB: debug_pagealloc's mapping
    # and unmapping of each page would double their time in the check VM.
    run_tests(out, "scripts/tests/bulk")
    kmemleak_check(out, "kmemleak_race")
    guest_finish(out)


if __name__ == "__main__":
    main()
