#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the benchmark VM: P2 and P3 from pcpool's pcpool_bench KUnit
suite, P1 (the bench sample) with each drain strategy, then P4 (offline
latency with and without pool pages) and P6 (a memory hog beside a pool the
shrinker gives back). Writes the figures to OUT/bench.csv
and P1's spreads to OUT/bench-spread.txt.

Usage: bench.py OUT UNIT"""

import re
import subprocess
import sys
import time

from pcpool_guest import (blocks_in, cat, consistent, guest_start, held_per_block, hog, hog_bytes, insmod, kmsg_mark,
                          kmsg_since, kunit_skip_suites, meminfo, offlinable_blocks, pool_block, rmmod, say,
                          set_block_state, write)

BIG_POOL = ("initial_pages=110000", "max_pages=131072")


def after(mark, pattern, repl):
    """sed -n 's/PATTERN/REPL/p' over the log after mark."""
    return [re.sub(pattern, repl, l) for l in kmsg_since(mark).splitlines() if re.search(pattern, l)]


def median(values):
    v = sorted(values)
    return v[(len(v) + 1) // 2 - 1] if v else ""


def main():
    out, unit = sys.argv[1], sys.argv[2]
    guest_start(out)
    csv = open(f"{out}/bench.csv", "w", buffering=1)
    csv.write("metric,value,unit\n")
    spread = open(f"{out}/bench-spread.txt", "w", buffering=1)

    # P2, P3: the suite runs when pcpool.ko goes live (no trailing newline:
    # KUnit keeps the parameter's bytes).
    kmsg_mark("bench-p2p3")
    write("/sys/module/kunit/parameters/filter_glob", "pcpool_bench")
    insmod("pcpool.ko", "initial_pages=0")
    results = cat("/sys/kernel/debug/kunit/pcpool_bench/results")
    with open(f"{out}/kunit-pcpool_bench.ktap", "w") as f:
        f.write(results)
    rmmod("pcpool")
    for line in after("bench-p2p3", r".*pcpool: csv ", ""):
        csv.write(line + "\n")
    if re.search(r"^ok 1 pcpool_bench", results, re.M):
        say("pcpool_bench suite passed")
    kunit_skip_suites()

    # P1 with each drain strategy: the fast path differs only with remote (a
    # spinlock per pageset on top of IRQs off). The ipi figures keep the
    # plain p1_* names. First the same tree built without tracepoints
    # (PCPOOL_TRACE=n, bench.sh), the pair's figures as p1_*_notrace.
    pair = {}
    for module, drain in (("build/notrace/pcpool.ko", "ipi"), ("pcpool.ko", "ipi"), ("pcpool.ko", "pageblock"),
                          ("pcpool.ko", "remote"), ("pcpool.ko", "workqueue")):
        notrace = module != "pcpool.ko"
        insmod(module, "initial_pages=2048", f"drain={drain}")
        mark = f"bench-p1-{drain}-{module}"
        kmsg_mark(mark)
        # The bench's init returns -EAGAIN once it has logged its figures,
        # -EIO if a call failed (nothing measured: the figures go missing).
        contention = int(drain == "ipi" and not notrace)
        insmod("samples/pcpool_bench.ko", f"unit={unit}", f"contention={contention}", quiet=True)
        for line in after(mark, r".*pcpool_bench: (.*aborted.*)", r"\1"):
            say(f"P1 with drain={drain} ({module}): {line}")
        for line in after(mark, r".*pcpool_bench: csv p1_pair_pcpool,([0-9]+),.*", r"\1"):
            pair[notrace] = int(line)
        if notrace:
            for line in after(mark, r".*pcpool_bench: csv (p1_pair_pcpool|p1_bulk16_pcpool),", r"\1_notrace,"):
                csv.write(line + "\n")
        elif drain == "ipi":
            for line in after(mark, r".*pcpool_bench: csv ", ""):
                csv.write(line + "\n")
            for line in after(mark, r".*pcpool_bench: spread ", ""):
                spread.write(line + "\n")
        else:
            for line in after(mark, r".*pcpool_bench: csv (p1_pair_pcpool|p1_ratio),", rf"\1_{drain},"):
                csv.write(line + "\n")
        if consistent():
            say(f"pool consistent after the P1 bench with drain={drain} ({module})")
        rmmod("pcpool")
    ratio = f"{pair[False] / pair[True]:.3f}" if pair.get(True) and pair.get(False) else ""
    csv.write(f"p1_trace_ratio,{ratio},ratio\n")

    # P4: offlining the same memory block with and without free pool pages
    # in it (a pool of 430 MiB fills every movable block that can go
    # offline). Guest time, which icount makes mostly instruction time (the
    # offline's own waits still vary); median of 9 each, interleaved, so
    # that whatever drifts in the system meanwhile touches both.
    blocks = offlinable_blocks()
    insmod("pcpool.ko", *BIG_POOL)
    b = pool_block(blocks)
    rmmod("pcpool")

    def offline_us():
        t0 = time.time_ns()
        if not set_block_state(b, "offline"):
            return None
        t1 = time.time_ns()
        if not set_block_state(b, "online_movable"):
            return None
        return (t1 - t0) // 1000

    if b is not None:
        without, with_, n = [], [], []
        for _ in range(9):
            insmod("pcpool.ko", "initial_pages=0")
            without.append(offline_us())
            rmmod("pcpool")
            insmod("pcpool.ko", *BIG_POOL)
            n.append(blocks_in(b))
            with_.append(offline_us())
            if not consistent():
                say("pool inconsistent after the P4 offline")
            rmmod("pcpool")
        without = [t for t in without if t is not None]
        with_ = [t for t in with_ if t is not None]
        say(f"P4 memory{b}: without pool pages:{''.join(f' {t}' for t in without)} us; "
            f"with (pool pageblocks:{''.join(f' {k}' for k in n)}):{''.join(f' {t}' for t in with_)} us")
        w, p = median(without), median(with_)
        csv.write(f"p4_offline_without,{w},us\n")
        csv.write(f"p4_offline_with,{p},us\n")
        csv.write(f"p4_pool_pageblocks,{median(n)},pageblocks\n")
        csv.write(f"p4_offline_ratio,{p / w:.3f},ratio\n" if w and p != "" else "p4_offline_ratio,,ratio\n")
    else:
        say("P4: no offlinable block holds pool pages")

    # P4, evacuation: a movable client holds 20,000 pages, most of them in
    # one block, which goes offline; the pcpool_evacuate event gives the
    # pages moved and the time it took (guest time, icount's).
    insmod("pcpool.ko", *BIG_POOL)
    if insmod("samples/pcpool_client.ko", "hold_extra=20000", "movable=1") and blocks:
        held = held_per_block(blocks)
        e = max(held, key=held.get)
        tracing = "/sys/kernel/tracing"
        subprocess.run(["bash", "-c", f"mountpoint -q {tracing} || mount -t tracefs nodev {tracing}"])
        write(f"{tracing}/trace", "\n")
        write(f"{tracing}/events/pcpool/pcpool_evacuate/enable", "1\n")
        went = set_block_state(e, "offline")
        write(f"{tracing}/events/pcpool/pcpool_evacuate/enable", "0\n")
        ev = re.search(r"pcpool_evacuate: .* moved=([0-9]+) held=([0-9]+) outcome=(\w+) ns=([0-9]+)",
                       cat(f"{tracing}/trace"))
        rmmod("pcpool_client")
        if went:
            set_block_state(e, "online_movable")
        if ev and went:
            moved, ns = int(ev.group(1)), int(ev.group(4))
            say(f"P4 evacuation of memory{e}: {moved} pages moved in {ns} ns ({ev.group(3)})")
            csv.write(f"p4_evacuated_pages,{moved},pages\n")
            csv.write(f"p4_evacuate_pages_per_s,{moved * 1_000_000_000 // max(ns, 1)},pages/s\n")
        else:
            say(f"P4 evacuation: memory{e} offline {went}, event {ev}")
    rmmod("pcpool")

    # P6: a memory hog's time beside a pool of 40% of RAM, all free, that
    # the shrinker gives back as the hog needs it, against its time with no
    # pool; guest time (icount), median of 3 each, interleaved.
    pool_pages = meminfo("MemTotal") * 4 // 10 // 4 // 512 * 512
    nbytes = hog_bytes(pool_pages)
    without, with_ = [], []
    for _ in range(3):
        rc, secs = hog(nbytes)
        without += [secs] if rc == 0 else []
        insmod("pcpool.ko", f"initial_pages={pool_pages}", f"max_pages={pool_pages}", "zone=normal")
        rc, secs = hog(nbytes)
        with_ += [secs] if rc == 0 else []
        if not consistent():
            say("pool inconsistent after the P6 hog")
        rmmod("pcpool")
    say(f"P6 hog of {nbytes >> 20} MiB beside a pool of {pool_pages} pages: without pcpool"
        f"{''.join(f' {t:.2f}' for t in without)} s; with{''.join(f' {t:.2f}' for t in with_)} s")
    w, p = median(without), median(with_)
    csv.write(f"p6_hog_without,{w:.3f},s\n" if w != "" else "p6_hog_without,,s\n")
    csv.write(f"p6_hog_with,{p:.3f},s\n" if p != "" else "p6_hog_with,,s\n")
    csv.write(f"p6_hog_ratio,{p / w:.3f},ratio\n" if w and p != "" else "p6_hog_ratio,,ratio\n")
    open(f"{out}/guest-finished", "w").close()


if __name__ == "__main__":
    main()
