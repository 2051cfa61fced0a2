#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make soak, inside the VM: the hotplug cycles of scripts/tests/cores/ at
length, then a long randomised run against the real module for the rest
of the time, then a kmemleak scan; results and the kernel log go to OUT for
scripts/ktap.py on the host.

The randomised run: while the stress sample allocates and frees on every
vCPU (it is stopped and started again now and then, so that offlines of
pool memory can succeed too), steps are drawn at random from:

While the stress sample allocates and frees on every vCPU (it is stopped and
started again now and then, so that offlines of pool memory can succeed
too), steps are drawn at random from:

  isolate      isolate a random pfn range of pool pageblocks, or all, through
               debugfs; verify while isolated; end it
  offline      offline a random movable memory block, then online it again
  cpu          take a random vCPU (not 0) offline, verify, bring it back
  knobs        write high or batch: valid values must be taken (or get
               EBUSY), invalid ones EINVAL, and so must any write of drain
               (the strategy, chosen from the seed at load)
  evacuate     a client with a migrate callback takes pages; a block holding
               them goes offline (its pages moved) or is refused; the client
               checks every page's contents when it is unloaded
  inject       another memory notifier fails MEM_GOING_OFFLINE (above or
               below pcpool): the offline fails and the pool is as before
  stress       stop or start the stress sample
  shrink       give pages back (debugfs shrink, as the shrinker does) over
               and over, growing the pool back between, while an isolate,
               offline or cpu step runs: a shrink gets EBUSY while an
               isolation or offline holds the pagesets, never an error
  node         offline all of a random node's movable memory (its DIMM):
               its pool zone is torn down (or the offline refused while
               pages are held there), then online it again: the zone is
               built again

After every step verify must say consistent, and the kernel's own figures
(MemTotal, each zone's present and managed) must be exactly what the memory
blocks' states say. At the end everything is
unloaded and the summary gives each operation's count and outcomes, the
failures, and the pages lost (which must be 0).

Usage: soak.py OUT KDIR SECONDS [SEED]. The randomised run is a process of
its own, soak.py --random SECONDS (KDIR, PCPOOL_MODULE, PCPOOL_TOP,
PCPOOL_BLOCKS, PCPOOL_SEED from the environment), whose output is kept in
OUT/soak.log.
"""

import collections
import errno
import os
import random
import re
import subprocess
import sys
import threading
import time

from pcpool_guest import (BLOCKS, CPU, DEBUGFS, INJECT, KDIR, MEM, MODULE, TOP, Ktap, block_state, export_blocks,
                          guest_finish, guest_start, kernel_accounting, kernel_view, kmemleak_check, kmemleak_start,
                          kmsg_mark, kmsg_since, kunit_skip_suites, load, loaded, mem_total_mib, memfree, nproc, online_dimms,
                          pcp_slack, pool_blocks, pool_pfns, read, run_tests, say, unload, write, zone)

SEED = int(os.environ.get("PCPOOL_SEED") or time.time())
LOAD_ARGS = "initial_pages=60000 max_pages=262144 regrow=1 high=64 batch=16"
STRATEGIES = ["ipi", "pageblock", "remote", "workqueue"]
# An offline may be refused (pages held: EBUSY; memory a moment busy
# elsewhere: EAGAIN, EINTR after our timeout) without anything being wrong.
OFFLINE_REFUSALS = {errno.EBUSY, errno.EAGAIN, errno.EINTR, errno.ENOMEM}

rng = random.Random(SEED)
counts = collections.Counter()  # (op, outcome) -> n
failures = []


def log(msg):
    print(f"soak: {msg}", flush=True)


def fail(op, why):
    failures.append(f"{op}: {why}")
    log(f"FAILURE in {op}: {why}")


def insmod(path, args=""):
    return load(path, args) == 0


def verify(after):
    """The stop_machine() scan, after every step."""
    out = read("verify")
    counts[("verify", "run")] += 1
    if out.splitlines()[-1] != "consistent":
        fail(after, "verify: " + out.replace("\n", " "))
        return False
    z = zone()
    if z["chunks"] != z["grows"] - z["offlined"] - z["shrinks"]:
        fail(after, f"books: chunks {z['chunks']} != grows {z['grows']} - offlined {z['offlined']} - shrinks {z['shrinks']}")
        return False
    return True


def online(b, op):
    if block_state(b) != "online" and write(f"{MEM}/memory{b}/state", "online_movable") != 0:
        fail(op, f"memory{b} would not come online")


def offline_cycle(b, op):
    """Offline block b and online it again; returns the outcome's name."""
    e = write(f"{MEM}/memory{b}/state", "offline", timeout=60)
    if e == 0:
        online(b, op)
        return "offlined"
    if e in OFFLINE_REFUSALS:
        return f"refused_{errno.errorcode[e]}"
    fail(op, f"offline memory{b}: {os.strerror(e)}")
    return "error"


def op_isolate():
    pfns = pool_pfns()
    if pfns and rng.random() < 0.7:
        a, b = sorted(rng.sample(pfns, 2) if len(pfns) > 1 else pfns * 2)
        arg = f"{a:#x} {b + 512:#x}"
    else:
        arg = "all"
    e = write(f"{DEBUGFS}/isolate", arg)
    if e == errno.EBUSY:
        return "busy"  # a regrowth's or an offline's isolation (regrow=1)
    if e:
        fail("isolate", f"'{arg}': {os.strerror(e)}")
        return "error"
    verify("isolate (while isolated)")
    if write(f"{DEBUGFS}/isolate", "off"):
        fail("isolate", "off refused")
    return "isolated"


def op_offline():
    if not BLOCKS:
        return "no_block"
    b = rng.choice(BLOCKS)
    pool = b in pool_blocks(BLOCKS)
    return offline_cycle(b, "offline") + ("_pool" if pool else "")


def op_cpu():
    cpus = [c for c in range(1, os.cpu_count()) if os.path.exists(f"{CPU}/cpu{c}/online")]
    if not cpus:
        return "no_cpu"
    c = rng.choice(cpus)
    if write(f"{CPU}/cpu{c}/online", "0"):
        fail("cpu", f"cpu{c} would not go offline")
        return "error"
    verify("cpu (one offline)")
    if write(f"{CPU}/cpu{c}/online", "1"):
        fail("cpu", f"cpu{c} would not come back")
        return "error"
    return "cycled"


def op_knobs():
    high, batch = int(read("high")), int(read("batch"))
    kind = rng.choice(["high", "batch", "drain", "bad"])
    if kind == "high":
        new = rng.choice([0, batch, rng.randint(batch, 4096)])
        path, value, valid = "high", str(new), True
    elif kind == "batch":
        top = high if high else 4096
        path, value, valid = "batch", str(rng.randint(1, top)), True
    elif kind == "drain":
        path, value, valid = "drain", rng.choice(STRATEGIES), False
    else:
        path, value = rng.choice([("high", "-1"), ("high", "4097"), ("batch", "0"), ("high", "x"),
                                  ("batch", str(high + 1) if high else "4097"), ("drain", "fast"),
                                  ("high", "99999999999999999999")])
        valid = False
    e = write(f"{DEBUGFS}/{path}", value)
    if e == errno.EBUSY:
        return "busy"
    if valid and e:
        fail("knobs", f"{path}={value} refused: {os.strerror(e)}")
        return "error"
    if not valid and e != errno.EINVAL:
        fail("knobs", f"bad {path}={value} got {os.strerror(e) if e else 'success'}")
        return "error"
    return "set" if valid else "rejected"


def op_evacuate():
    if not insmod(f"{TOP}/samples/pcpool_client.ko", f"hold_extra={rng.randint(100, 5000)} movable=1"):
        fail("evacuate", "insmod pcpool_client failed")
        return "error"
    blocks = pool_blocks(BLOCKS)
    outcome = offline_cycle(rng.choice(blocks), "evacuate") if blocks else "no_pool_block"
    verify("evacuate")
    mark = f"soak evacuate {time.time()}"
    kmsg_mark(mark)
    if not unload("pcpool_client"):
        fail("evacuate", "rmmod pcpool_client failed")
    tail = kmsg_since(mark)
    if "pcpool_client: checked" not in tail or " 0 corrupt" not in tail:
        fail("evacuate", "the client's pages were not all intact: " +
             " ".join(l for l in tail.splitlines() if "pcpool_client" in l))
    return outcome


def op_inject():
    blocks = pool_blocks(BLOCKS)
    if not blocks:
        return "no_pool_block"
    prio = rng.choice([-1, 1])
    if not insmod(f"{KDIR}/lib/memory-notifier-error-inject.ko", f"priority={prio}"):
        fail("inject", "insmod memory-notifier-error-inject failed")
        return "error"
    b = rng.choice(blocks)
    before = zone()["managed"]
    try:
        if write(INJECT, "-12"):
            fail("inject", "could not arm the injection")
            return "error"
        e = write(f"{MEM}/memory{b}/state", "offline", timeout=60)
        if e == 0:
            fail("inject", f"memory{b} went offline despite the injected error")
            online(b, "inject")
            return "error"
        if zone()["managed"] != before:
            fail("inject", f"managed {before} -> {zone()['managed']} after a failed offline")
        return f"failed_as_injected_{'above' if prio > 0 else 'below'}"
    finally:
        unload("memory_notifier_error_inject")


def op_stress():
    if loaded("pcpool_stress"):
        return "stopped" if unload("pcpool_stress") else "error"
    if not insmod(f"{TOP}/samples/pcpool_stress.ko", "movable=1"):
        fail("stress", "insmod pcpool_stress failed")
        return "error"
    return "started"


def node_movable_blocks(nid):
    """The offlinable movable blocks (BLOCKS) of node nid."""
    return [b for b in BLOCKS if os.path.exists(f"/sys/devices/system/node/node{nid}/memory{b}")]


def node_zones():
    """The nodes that have a pool zone."""
    return {int(l.split()[0]) for l in read("nodes").splitlines()[1:]}


def op_node():
    nid = rng.choice([0, 1])
    blocks = node_movable_blocks(nid)
    if not blocks:
        return "no_block"
    outcome = "offlined"
    for b in blocks:
        e = write(f"{MEM}/memory{b}/state", "offline", timeout=60)
        if e in OFFLINE_REFUSALS:
            outcome = f"refused_{errno.errorcode[e]}"
            break
        if e:
            fail("node", f"offline memory{b}: {os.strerror(e)}")
            outcome = "error"
            break
    if outcome == "offlined":
        gone = nid not in node_zones()
        outcome = "torn_down" if gone else "offlined_zone_kept"
        verify("node (its memory offline)")
    for b in blocks:
        online(b, "node")
    if outcome == "torn_down" and nid not in node_zones():
        fail("node", f"node {nid}'s zone was not built again when its memory came online")
    return outcome


def op_shrink():
    """Shrinks and grows in a loop while one other step runs."""
    other = rng.choice(["isolate", "offline", "cpu"])
    stop = threading.Event()
    seen = collections.Counter()
    r = random.Random(rng.random())  # the thread's own, so the seed still replays the run

    def loop():
        while not stop.is_set():
            e = write(f"{DEBUGFS}/shrink", str(r.randint(1, 20000)))
            seen["ok" if e == 0 else errno.errorcode.get(e, str(e))] += 1
            write(f"{DEBUGFS}/grow", str(r.randint(512, 8192)))

    t = threading.Thread(target=loop)
    t.start()
    try:
        OPS[other][0]()
    finally:
        stop.set()
        t.join()
    bad = {k: n for k, n in seen.items() if k not in ("ok", "EBUSY")}
    if bad:
        fail("shrink", f"shrink writes during {other}: {dict(seen)}")
        return "error"
    return f"during_{other}"


OPS = {
    "isolate": (op_isolate, 4),
    "offline": (op_offline, 4),
    "cpu": (op_cpu, 2),
    "knobs": (op_knobs, 4),
    "evacuate": (op_evacuate, 1),
    "inject": (op_inject, 1),
    "stress": (op_stress, 1),
    "shrink": (op_shrink, 2),
    "node": (op_node, 2),
}


def soak(duration):
    log(f"seed {SEED}, {duration} s, {os.cpu_count()} vCPUs, offlinable blocks {BLOCKS}")
    free_before = memfree()
    kernel_base = kernel_view()
    max_drift = 0
    strategy = rng.choice(STRATEGIES)
    log(f"drain={strategy}")
    if not insmod(MODULE, f"{LOAD_ARGS} drain={strategy}"):
        log("insmod pcpool failed")
        return 1
    insmod(f"{KDIR}/lib/notifier-error-inject.ko")
    insmod(f"{TOP}/samples/pcpool_stress.ko", "movable=1")
    names, weights = zip(*((n, w) for n, (_, w) in OPS.items()))
    start = time.time()
    steps = 0
    next_report = start + 60
    while time.time() - start < duration:
        name = rng.choices(names, weights)[0]
        try:
            outcome = OPS[name][0]()
        except Exception as e:  # a broken step is a failure, and the run goes on
            fail(name, f"{type(e).__name__}: {e}")
            outcome = "exception"
        counts[(name, outcome)] += 1
        steps += 1
        verify(name)
        # The kernel's figures after every step: exact for the blocks' states.
        drift, bad = kernel_accounting(kernel_base)
        max_drift = max(max_drift, abs(drift))
        if bad:
            fail(name, f"kernel accounting: {bad}")
        if time.time() > next_report:
            next_report += 60
            log(f"{int(time.time() - start)} s: {steps} steps, {len(failures)} failures; {read('verify').splitlines()[0]}")

    # The end: stop everything, then count what is left.
    if loaded("pcpool_stress"):
        unload("pcpool_stress")
    for c in range(1, os.cpu_count()):
        if os.path.exists(f"{CPU}/cpu{c}/online"):
            write(f"{CPU}/cpu{c}/online", "1")
    for b in BLOCKS:
        online(b, "end")
    unload("notifier_error_inject")
    final = read("verify").splitlines()[0]
    allocated = int(final.split(" allocated;")[0].rsplit(" ", 1)[1])
    verify("end")
    zone_end = zone()
    hotplug = dict(l.split(None, 1) for l in read("hotplug").splitlines())
    if not unload("pcpool"):
        fail("end", "rmmod pcpool failed")
    free_after = memfree()
    end_drift, bad = kernel_accounting(kernel_base)
    if bad:
        fail("end", f"kernel accounting after unload: {bad}")
    slack = pcp_slack()
    short_kb = max(0, free_before - free_after - slack)
    lost = allocated + short_kb // 4

    elapsed = int(time.time() - start)
    print("soak: ---- summary ----")
    print(f"soak: seed {SEED}; {elapsed} s; {steps} steps; {counts[('verify', 'run')]} verify scans")
    for name in OPS:
        outs = {o: n for (op, o), n in sorted(counts.items()) if op == name}
        print(f"soak: {name:9} {sum(outs.values()):6}  " + ", ".join(f"{o} {n}" for o, n in outs.items()))
    print(f"soak: pool at the end: {final}")
    print("soak: zone: " + " ".join(f"{k} {v}" for k, v in zone_end.items()))
    print("soak: hotplug: " + " ".join(f"{k} {v.strip()}" for k, v in hotplug.items() if v.strip() not in ("0", "none")))
    print(f"soak: MemFree before load {free_before} kB, after unload {free_after} kB; kernel pcp slack {slack} kB")
    print(f"soak: MemTotal before load {kernel_base['MemTotal']} kB; drift after unload {end_drift} kB, "
          f"largest after a step {max_drift} kB (0: exact for the blocks' states)")
    print(f"soak: failures: {len(failures)}")
    for f_ in failures[:20]:
        print(f"soak:   {f_}")
    print(f"soak: pages lost: {lost}")
    return 0 if not failures and lost == 0 else 1


def main():
    out, kdir, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.environ["PCPOOL_SEED"] = sys.argv[4] if len(sys.argv) > 4 else ""
    guest_start(out, kdir)
    kmemleak_start()
    kunit_skip_suites()
    say(f"{nproc()} CPUs, {mem_total_mib()} MiB, {os.uname().release}")
    say(f"DIMM blocks online movable: {' '.join(map(str, online_dimms())) or 'none'}")
    blocks = export_blocks()
    say(f"offlinable movable blocks: {' '.join(map(str, blocks)) or 'none'}")

    # The long version of make check's hotplug cycles first: 200 cycles, or
    # as many as fit in half the time (never less than make check's 240 s);
    # the randomised run gets the rest.
    start = time.time()
    share = max(seconds // 2, 240)
    run_tests(out, "scripts/tests/cores", {"PCPOOL_HOTPLUG_CYCLES": "200", "PCPOOL_HOTPLUG_SECONDS": str(share)})
    for line in open(f"{out}/shell-hotplug_cycles.ktap"):
        if "cycles in" in line:
            say(re.sub(r"^# ", "", line.rstrip("\n")))
    seconds = max(seconds - int(time.time() - start), 60)

    # Its lines to soak.log, and those of its log to the console too.
    with open(f"{out}/soak.log", "w") as log_file:
        run = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--random", str(seconds)],
                               stdout=subprocess.PIPE, text=True, errors="replace",
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
        for line in run.stdout:
            log_file.write(line)
            if line.startswith("soak: "):
                print("guest: " + line, end="", flush=True)
        rc = run.wait()
    lines = open(f"{out}/soak.log").read().splitlines()
    at = next((i for i, l in enumerate(lines) if "soak: ---- summary" in l), None)
    with open(f"{out}/shell-soak.ktap", "w") as f:
        ktap = Ktap(1, f)
        for line in lines[at:at + 42] if at is not None else []:
            ktap._line(re.sub(r"^soak: ", "# ", line))
        ktap.result("soak_consistent_nothing_lost", rc == 0)
    with open(f"{out}/shell-soak.rc", "w") as f:
        f.write(f"{rc}\n")
    kmemleak_check(out, "kmemleak_soak")
    guest_finish(out)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--random"]:
        sys.exit(soak(int(sys.argv[2])))
    main()
