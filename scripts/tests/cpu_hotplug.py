#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vCPUs go offline and online through sysfs while the stress sample runs: a
dead CPU's pageset goes back to the zone (no page stranded on an offline
CPU), a CPU that comes back has the current marks, even when they change
while it is coming up, and the pool stays consistent throughout."""

import re
import time

from pcpool_guest import (CPU, DEBUGFS, MODULE, TOP, Background, Ktap, cat, consistent, cpus_with_marks, insmod,
                          kmsg_grep, kmsg_mark, kmsg_wait, nproc, one_line, pcp_rows, rmmod, verify_line, write)


def stranded(line):
    """The pages on offline CPUs' pcp lists, from verify's first line."""
    m = re.search(r"\((\d*) of offline CPUs\)", line)
    return m.group(1) if m else ""


def online(c, on):
    return write(f"{CPU}/cpu{c}/online", f"{on}\n") == 0


def high_of(c):
    return next((r[2] for r in pcp_rows() if r[0] == str(c)), "")


def during_bringup(ktap, label, value, knob):
    """Marks that change while cpu3 is coming up (held between its prepare
    callback and its first moment online by an injected delay, until the
    test lets it go) reach it. The change is written while the CPU is held
    (with the CPU hotplug lock it then waits for the CPU to be up, which is
    the point)."""
    mark = f"bringup-{label}"
    online(3, 0)
    kmsg_mark(mark)
    write(f"{DEBUGFS}/inject_delay", "cpu_prepare 60000\n")
    up = Background(f"{CPU}/cpu3/online", "1\n")
    kmsg_wait(mark, "pcpool: inject_delay: up to 60000 ms at cpu_prepare")
    change = Background(f"{DEBUGFS}/{knob}", f"{value}\n")
    time.sleep(1)
    write(f"{DEBUGFS}/inject_delay", "cpu_prepare 0\n")
    up.wait()
    change.wait()
    ktap.msg(f"{label}: cpu3 came up with high {high_of(3)}; all CPUs: " + "".join(r[2] + " " for r in pcp_rows()))


def main():
    ktap = Ktap(4)

    if not insmod(MODULE, "initial_pages=1024"):
        ktap.bail("insmod pcpool failed")
    if not insmod(f"{TOP}/samples/pcpool_stress.ko"):
        ktap.bail("insmod pcpool_stress failed")

    # Two rounds: the second takes down pagesets that came back online.
    ok = True
    for rnd in (1, 2):
        for c in (1, 2, 3):
            if not online(c, 0):
                ok = False
                ktap.msg(f"cpu{c} would not go offline")
            v = cat(f"{DEBUGFS}/verify")
            first = v.split("\n", 1)[0]
            if "consistent" not in v.splitlines() or stranded(first) != "0":
                ok = False
                ktap.msg(f"round {rnd}, cpu{c} offline: {first}")
        for c in (1, 2, 3):
            if not online(c, 1):
                ok = False
                ktap.msg(f"cpu{c} would not come online")
        if not consistent():
            ok = False
            ktap.msg(f"round {rnd} online: {verify_line()}")
    ktap.result("offline_cpus_strand_nothing", ok)

    # New marks set while a CPU is down reach it when it comes back.
    online(3, 0)
    write(f"{DEBUGFS}/high", "96\n")
    write(f"{DEBUGFS}/batch", "12\n")
    online(3, 1)
    if cpus_with_marks(96, 12) == nproc() and consistent():
        ktap.ok("back_online_with_current_marks")
    else:
        ktap.msg(f"pcp: {one_line(cat(f'{DEBUGFS}/pcp'))}")
        ktap.fail("back_online_with_current_marks")

    # Marks that change while a CPU is coming up reach it: an update of
    # high, an isolation, the end of an isolation.
    ok = True
    during_bringup(ktap, "update", 80, "high")
    ok = cpus_with_marks(80) == nproc() and ok
    during_bringup(ktap, "isolate", "all", "isolate")
    ok = cpus_with_marks(0) == nproc() and ok
    write(f"{DEBUGFS}/isolate", "off\n")
    online(3, 0)
    write(f"{DEBUGFS}/isolate", "all\n")
    during_bringup(ktap, "isolation_end", "off", "isolate")
    ok = cpus_with_marks(80) == nproc() and ok
    ktap.result("cpu_online_marks", ok and consistent())

    kmsg_mark("hp-stress")
    rmmod("pcpool_stress")
    if (kmsg_grep("hp-stress", r"pcpool_stress: .* 0 failed frees, .* client holds 0") and consistent()
            and " 0 allocated;" in verify_line() and rmmod("pcpool")):
        ktap.ok("stress_done_consistent")
    else:
        ktap.msg(verify_line())
        ktap.fail("stress_done_consistent")

    ktap.finished()


if __name__ == "__main__":
    main()
