#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs every row of the bad-input table in Documentation/bad-input.rst
against the real module, in the test VM, and prints KTAP: one test per row.

Each row names what is written, the input, the situation, the errno the
write must get and a piece of the log line it must leave. Errors are taken
from the system calls themselves (finit_module(), open() and write()). After
every row the pool must be as before (for rows that fail) and verify must
say consistent.

Usage: bad_input.py [TABLE.rst]   (the table: Documentation/bad-input.rst;
PCPOOL_MODULE, PCPOOL_TOP, PCPOOL_BLOCKS from the environment, as
scripts/guest/check.py sets them)
"""

import csv
import re
import sys
import threading
import time

from pcpool_guest import (DEBUGFS, MEM, MODULE, TOP, Background, Ktap, consistent, errname, kmsg_mark, kmsg_since, load,
                          loaded, pool_block, read, unload, write)

# The loaded pool of every row but the load rows: enough pages that every
# memory block that can go offline holds chunks (as scripts/tests/hotplug.py).
LOAD_ARGS = "initial_pages=110000 max_pages=262144 high=64 batch=16"
BASELINE = {"high": "64", "batch": "16"}
INPUTS = {"<empty>": b"", "<long>": b"7" * 100, "<binary>": b"\xff\xfe1"}


def table(path):
    """The csv-table's rows: (write, input, while, error, log)."""
    body = open(path).read().split(".. csv-table::", 1)[1].splitlines()[1:]
    rows = []
    for line in body:
        if line.startswith('   "'):
            rows.append(line.strip())
        elif rows and line.strip() and not line.startswith("   "):
            break
    return list(csv.reader(rows, skipinitialspace=True))


def state():
    """What a refused write must leave as it was."""
    pcp = [l.split()[2:] for l in read("pcp").splitlines()[1:]]
    zone = dict(l.split() for l in read("zone").splitlines())
    return {
        "high": read("high").strip(),
        "batch": read("batch").strip(),
        "drain": read("drain").strip(),
        "isolate": read("isolate").strip(),
        "pcp": pcp,
        "managed": zone["managed"],
    }


def restore():
    for k, v in BASELINE.items():
        write(f"{DEBUGFS}/{k}", v.encode())


class Offlining:
    """A memory block holding pool pages going offline, held up in pcpool's
    evacuation by a client whose migrate callback sleeps 20 ms a page, so
    that writes can be made while it is in progress (pages keep moving, so
    evacuation goes on: a block's would take minutes). The rows done, the
    writer gets SIGTERM, and pcpool refuses the offline on the signal."""

    def __init__(self):
        self.block = pool_block()
        self.result = None
        self.offline = None

    def __enter__(self):
        if self.block is None:
            raise RuntimeError("no offlinable block holds pool chunks")
        e = load(f"{TOP}/samples/pcpool_client.ko", "hold_extra=300000 movable=1 migrate_delay_ms=20")
        if e:
            raise RuntimeError(f"pcpool_client: {errname(e)}")
        self.offline = Background(f"{MEM}/memory{self.block}/state", b"offline")
        # In progress once every pageset runs with high 0 and the isolate
        # file holds nothing: the offline's isolation.
        deadline = time.time() + 20
        while time.time() < deadline:
            if all(p[0] == "0" for p in state()["pcp"]) and read("isolate").strip() == "none":
                return self
            time.sleep(0.05)
        raise RuntimeError("the offline never started")

    def __exit__(self, *exc):
        self.offline.kill()
        self.result = self.offline.wait()
        if self.result == 0:
            write(f"{MEM}/memory{self.block}/state", b"online_movable")
        unload("pcpool_client")
        print(f"# the held-up offline of memory{self.block} ended: {errname(self.result)}")
        return False


class Isolated:
    def __enter__(self):
        e = write(f"{DEBUGFS}/isolate", b"all")
        if e:
            raise RuntimeError(f"isolate all: {errname(e)}")
        return self

    def __exit__(self, *exc):
        write(f"{DEBUGFS}/isolate", b"off")
        return False


def run_row(target, data, when, want, log, mark):
    """Runs one row; returns a list of what went wrong (empty: passed)."""
    bad = []
    kind, _, name = target.partition(" ")
    if kind == "param":
        e = load(MODULE, data.decode())
        if e == 0:
            unload("pcpool")
        got = errname(e)
    elif kind == "module":
        got = errname(load(MODULE, data.decode()))
    elif kind == "sysfs":
        got = errname(write(f"/sys/module/pcpool/parameters/{name}", data))
    elif kind == "state":
        b = pool_block()
        if b is None:
            return ["no offlinable block holds pool chunks"]
        e = write(f"{MEM}/memory{b}/state", data)
        if e == 0:
            write(f"{MEM}/memory{b}/state", b"online_movable")
        got = errname(e)
    elif when == "concurrent":
        values = data.split(b"|")
        results = [None] * len(values)
        barrier = threading.Barrier(len(values))

        def writer(i):
            barrier.wait()
            results[i] = errname(write(f"{DEBUGFS}/{name}", values[i]))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(values))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = "|".join(results)
        if want == "one ok":
            if results.count("ok") == 1 and results.count("EBUSY") == len(results) - 1:
                got = want
            # The pagesets come back when the one isolation ends.
            if write(f"{DEBUGFS}/isolate", b"off"):
                bad.append("isolate off refused after the concurrent isolations")
        # Every CPU ends with one writer's marks, shown by the files.
        s = state()
        if any(p != [s["high"], s["batch"]] for p in s["pcp"]):
            bad.append(f"pagesets {s['pcp']} differ from high {s['high']} batch {s['batch']}")
    else:
        got = errname(write(f"{DEBUGFS}/{name}", data))
    if got != want:
        bad.append(f"got {got}, want {want}")
    if log != "-" and log not in kmsg_since(mark):
        bad.append(f"no log line with '{log}'")
    return bad


def main():
    rows = table(sys.argv[1] if len(sys.argv) > 1 else f"{TOP}/Documentation/bad-input.rst")
    ktap = Ktap(len(rows))
    done = []

    def report(row, bad):
        target, inp, when = row[0], row[1], row[2]
        done.append(not bad)
        name = re.sub(r"[^A-Za-z0-9]+", "_", f"{target} {when} {inp}").strip("_")[:60]
        for b in bad:
            ktap.msg(f"{target} '{inp}' ({when}): {b}")
        ktap.result(name, not bad)

    def run_group(group):
        for row in group:
            target, inp, when, want, log = row
            mark = f"bad-input {len(done) + 1}"
            kmsg_mark(mark)
            try:
                pool_loaded = when != "load"
                before = state() if pool_loaded else None
                bad = run_row(target, INPUTS.get(inp, inp.encode()), when, want, log, mark)
                if not pool_loaded:
                    if loaded("pcpool"):
                        bad.append("pcpool stayed loaded")
                        unload("pcpool")
                    report(row, bad)
                    continue
                # A refused write changes nothing (an offline in progress
                # moves pages meanwhile: there only verify counts).
                if "ok" not in want and when != "offlining" and state() != before:
                    bad.append(f"state changed: {before} -> {state()}")
                if not consistent():
                    bad.append("verify: " + read("verify").replace("\n", " "))
                if when in ("idle", "concurrent"):
                    if read("isolate").strip() != "none":
                        write(f"{DEBUGFS}/isolate", b"off")
                    restore()
            except Exception as e:  # a broken row fails; the rest still run
                bad = [f"{type(e).__name__}: {e}"]
            report(row, bad)

    def fail_group(group, why):
        for row in group:
            report(row, [why])

    by_when = {}
    for row in rows:
        by_when.setdefault(row[2], []).append(row)
    unknown = set(by_when) - {"load", "idle", "isolated", "offlining", "concurrent"}
    if unknown:
        ktap.msg(f"unknown situations in the table: {unknown}")
        return 1

    run_group(by_when.get("load", []))
    e = load(MODULE, LOAD_ARGS)
    if e:
        fail_group(rows[len(done):], f"insmod {LOAD_ARGS}: {errname(e)}")
        return 1
    ktap.msg(f"loaded with {LOAD_ARGS}; first offlinable pool block: {pool_block()}")
    run_group(by_when.get("idle", []))
    for ctx, when in ((Isolated, "isolated"), (Offlining, "offlining")):
        try:
            with ctx():
                run_group(by_when.get(when, []))
        except RuntimeError as err:
            fail_group(by_when.get(when, []), str(err))  # __enter__ failed: none ran
            unload("pcpool_client")
    run_group(by_when.get("concurrent", []))
    unloaded = unload("pcpool")
    if not unloaded:
        ktap.msg("rmmod pcpool failed")
    ktap.msg(f"{done.count(True)} rows passed, {done.count(False)} failed")
    return 0 if all(done) and len(done) == len(rows) and unloaded else 1


if __name__ == "__main__":
    sys.exit(main())
