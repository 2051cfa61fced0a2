#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs inside the test VM for `make demo`, as a story in titled steps: load
pcpool, watch its per-CPU pagesets while the stress sample runs on every
CPU; then, with a large pool, see an offline refused while a client holds
pages and a real movable memory block full of free pool pages go offline
through sysfs (pcpool gives them up), each with the trace of pcpool's
events, online it again, and show what pcpool logged. Each step is the
shell command a person would type, shown with its output.

Usage: demo.py OUT"""

import subprocess
import sys

from pcpool_guest import (DEBUGFS, MEM, blocks_in, guest_start, kmsg_mark, kmsg_since, kunit_skip_suites,
                          offlinable_blocks, pool_block, pool_blocks)


TRANSCRIPT = []


def emit(text):
    """A line of the transcript: on the console, and in OUT/demo.txt, which
    the host prints (a VM's console can lose lines)."""
    print(text, flush=True)
    if TRANSCRIPT:
        TRANSCRIPT[0].write(text + "\n")
        TRANSCRIPT[0].flush()


def transcript(out):
    """Starts OUT/demo.txt."""
    TRANSCRIPT.append(open(f"{out}/demo.txt", "w"))


def show(cmd, run=None):
    """Prints the command, then runs it (or run(), whose lines stand for
    its output) and prints what it says, indented."""
    emit(f"guest# {cmd}")
    if run is None:
        text = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace").stdout
    else:
        text = "".join(l + "\n" for l in run())
    for line in text.splitlines():
        emit(f"guest  {line}")


STEP = [0]
TRACING = "/sys/kernel/tracing"
EVENTS = ("pcpool_drain", "pcpool_isolate", "pcpool_unisolate", "pcpool_offline_decision", "pcpool_evacuate")


def title(text, why):
    """A step's title and what it shows."""
    STEP[0] += 1
    emit(f"guest\nguest  ---- {STEP[0]}. {text}")
    emit(f"guest  {why}")


def trace_on():
    """A few of pcpool's events on, the buffer empty."""
    subprocess.run(["bash", "-c", f"mountpoint -q {TRACING} || mount -t tracefs nodev {TRACING}"])
    show(f"echo > {TRACING}/trace; for e in {' '.join(EVENTS)}; do echo 1 > {TRACING}/events/pcpool/$e/enable; done")


def trace_show():
    """The events that came in, without the task and flags columns; then off."""
    show(f"sed -n 's/^.*\\(pcpool_[a-z_]*:\\)/\\1/p' {TRACING}/trace")
    subprocess.run(["bash", "-c", f"echo 0 > {TRACING}/events/pcpool/enable"])


def main():
    out = sys.argv[1]
    guest_start(out)
    transcript(out)

    # Movable blocks that really go offline, tried before pcpool takes memory.
    blocks = offlinable_blocks()
    emit("guest  (movable blocks that can go offline: " + "".join(f"{b} " for b in blocks) + ")")
    kunit_skip_suites()
    kmsg_mark("demo")
    title("Load pcpool", "It takes one pageblock of 512 pages from ZONE_MOVABLE and serves it through per-CPU "
          "pagesets.")
    show("insmod pcpool.ko")
    show(f"cat {DEBUGFS}/zone")
    title("The pagesets under load", "pcpool_stress allocates and frees on every CPU; each CPU's pageset "
          "holds up to high pages, refilled and flushed batch at a time, and verify finds every page in one place.")
    show("insmod samples/pcpool_stress.ko")
    show("sleep 2")
    show(f"cat {DEBUGFS}/pcp")
    show(f"cat {DEBUGFS}/verify")
    show("rmmod pcpool_stress")
    show(f"cat {DEBUGFS}/zone")
    show(f"cat {DEBUGFS}/pageblocks")

    show("rmmod pcpool")

    title("A large pool", "430 MiB: every movable memory block that can go offline now holds pool pageblocks.")
    # A pool of 430 MiB: every movable block that can go offline holds
    # chunks. One of them goes offline with all its pool pages free: pcpool
    # gives them up, and the pool shrinks by exactly those pageblocks.
    show("insmod pcpool.ko initial_pages=110000 max_pages=131072")
    show("per_block", lambda: [f"memory{b}: {blocks_in(b)} pool pageblocks" for b in pool_blocks()])
    # A client holds every pool page: an offline is refused at once, with
    # the reason, and the pool stays as it was.
    title("An offline refused", "A client holds every pool page and cannot let them go (no migrate callback): "
          "pcpool isolates the block's pageblocks, sees the pages held, undoes it and refuses at once.")
    show("insmod samples/pcpool_client.ko hold_extra=200000")
    held = pool_block(blocks)
    if held is not None:
        trace_on()
        show(f"echo offline > {MEM}/memory{held}/state")
        show(f"cat {MEM}/memory{held}/state")
        trace_show()
    show("rmmod pcpool_client")

    # The same block with all its pool pages free: it goes offline.
    block = pool_block(blocks)
    if block is not None:
        title("An offline accepted", "The client is gone and the pages are free: pcpool disables its pagesets "
              "with one drain, isolates, hands every page to the core (PageOffline, refcount 0), and the block "
              "goes offline; the pool is smaller by exactly its pageblocks.")
        show(f"cat {DEBUGFS}/zone")
        trace_on()
        show(f"echo offline > {MEM}/memory{block}/state")
        show(f"cat {MEM}/memory{block}/state")
        trace_show()
        show(f"cat {DEBUGFS}/zone")
        show(f"grep -v ' 0$' {DEBUGFS}/hotplug")
        title("Online again", "The block comes back to the kernel; the pool does not take it back (regrow=0).")
        show(f"echo online_movable > {MEM}/memory{block}/state")
        show(f"cat {MEM}/memory{block}/state")
    show(f"cat {DEBUGFS}/verify")
    show("rmmod pcpool")
    title("What pcpool logged", "Every decision, with its reason.")
    emit("guest# dmesg | grep pcpool")
    for line in kmsg_since("demo").splitlines():
        if "pcpool" in line:
            emit(f"guest  {line}")
    open(f"{out}/guest-finished", "w").close()
    sys.exit(0 if block is not None and held is not None else 1)


if __name__ == "__main__":
    main()
