#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The pool's module parameters, debugfs files and knobs, on real sysfs and
debugfs: bad parameters fail the load cleanly, bad writes are refused and
change nothing, the files have the right modes, the pool stays consistent,
and unloading gives the memory back."""

import errno
import os
import shutil
import subprocess
import tempfile
import time

from pcpool_guest import (DEBUGFS, MODULE, Background, Ktap, cat, consistent, cpus_with_marks, insmod,
                          kmsg_grep, kmsg_mark, kmsg_since, loaded, memfree, nproc, one_line, rmmod,
                          unload_memfree_restored, write, zone_value)

# Bad parameters through insmod itself: it fails with EINVAL and a log line
# names the parameter. One of each kind (out of range, against another
# parameter, not a number, not a name); bad_input.py runs every row of the
# table (Documentation/bad-input.rst) through finit_module().
BAD_PARAMS = [("max_pages=0", "max_pages"), ("batch=300 high=256", "batch"), ("high=abc", "high"),
              ("drain=fast", "drain")]


def modes(directory, names=True):
    """stat -c '%n %a' (or '%a') of a directory's files."""
    return [f"{n} {os.lstat(f'{directory}/{n}').st_mode & 0o7777:o}" if names
            else f"{os.lstat(f'{directory}/{n}').st_mode & 0o7777:o}"
            for n in os.listdir(directory) if not n.startswith(".")]


def readers(started):
    """A child that reads every file while pcpool is loaded (60 s at most),
    with cat as a shell would, and creates the file started after its first
    pass."""
    pid = os.fork()
    if pid:
        return pid
    try:
        end = time.time() + 60
        files = [f"{DEBUGFS}/{f}" for f in ("zone", "pcp", "pageblocks", "hotplug", "isolate", "high")]
        while loaded("pcpool") and time.time() < end:
            subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not os.path.exists(started):
                open(started, "w").close()
    finally:
        os._exit(0)


def main():
    ktap = Ktap(8)

    ok = True
    for i, (args, name) in enumerate(BAD_PARAMS):
        kmsg_mark(f"param {args}")
        run = subprocess.run(["insmod", MODULE, *args.split()], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        out = run.stdout.rstrip("\n")
        if i == 0:
            ktap.msg(f"insmod pcpool.ko {args}: {out}")
        if run.returncode == 0:
            ktap.msg(f"insmod {args} succeeded")
            rmmod("pcpool")
            ok = False
        elif "Invalid argument" not in out and "Invalid parameters" not in out:
            ktap.msg(f"insmod {args}: {out}")
            ok = False
        elif not kmsg_grep(f"param {args}", rf"pcpool: {name}=.*is invalid|pcpool: .*{name}"):
            ktap.msg(f"insmod {args}: no log line naming {name}")
            ok = False
    ktap.result("bad_params_refused", ok and not loaded("pcpool"))

    free_before = memfree()
    ktap.result("load_with_params",
                insmod(MODULE, "initial_pages=2048", "high=64", "batch=16", "drain=remote")
                and zone_value("managed") == 2048 and cat(f"{DEBUGFS}/drain").strip() == "remote")

    # Modes: statistics world-readable, verify and the knobs root's only
    # (grow write-only); the parameters read-only for everyone once loaded.
    got = "".join(m + " " for m in sorted(modes(DEBUGFS)))
    got += "| " + "".join(m + " " for m in sorted(set(modes("/sys/module/pcpool/parameters", names=False))))
    if got == ("batch 600 drain 400 grow 200 high 600 hotplug 444 inject_delay 600 isolate 600 nodes 444 "
               "pageblocks 444 pcp 444 shrink 200 verify 400 zone 444 | 444 "):
        ktap.ok("file_modes")
    else:
        ktap.msg(f"modes: {got}")
        ktap.fail("file_modes")

    # Every online CPU appears in pcp with the loaded marks.
    if cpus_with_marks(64, 16) == nproc() and consistent():
        ktap.ok("stats_and_verify")
    else:
        ktap.msg(f"pcp: {one_line(cat(f'{DEBUGFS}/pcp'))} verify: {one_line(cat(f'{DEBUGFS}/verify'))}")
        ktap.fail("stats_and_verify")

    # Good writes take effect on every CPU; bad ones (one of each kind here;
    # bad_input.py has them all) fail with EINVAL, are logged, and change
    # nothing. The drain strategy is chosen at load: a write is refused.
    ok = write(f"{DEBUGFS}/high", "128\n") == 0 and write(f"{DEBUGFS}/batch", "8\n") == 0
    ok = cpus_with_marks(128, 8) == nproc() and ok
    for w in ("high abc", "batch 129", "verify 1", "drain workqueue"):
        knob, val = w.split(" ", 1)
        kmsg_mark(f"write {w}")
        e = write(f"{DEBUGFS}/{knob}", f"{val}\n")
        if e == 0:
            ktap.msg(f"write '{val}' to {knob} succeeded")
            ok = False
        elif e != errno.EINVAL:
            ktap.msg(f"write '{val}' to {knob}: {os.strerror(e)}")
            ok = False
        elif "pcpool:" not in kmsg_since(f"write {w}"):
            ktap.msg(f"write '{val}' to {knob}: no log line")
            ok = False
    knobs = " ".join(cat(f"{DEBUGFS}/{k}").strip() for k in ("high", "batch", "drain"))
    ok = knobs == "128 8 remote" and ok
    ok = cpus_with_marks(128, 8) == nproc() and ok
    ok = consistent() and ok
    ktap.result("knob_writes", ok)

    # Concurrent writers: the pcp mutex serialises them; every CPU ends with
    # one writer's pair, never a mix, and the pool stays consistent.
    writers = []
    for i in range(1, 21):
        writers.append(Background(f"{DEBUGFS}/high", f"{32 + i}\n"))
        writers.append(Background(f"{DEBUGFS}/batch", f"{1 + i % 8}\n"))
    for w in writers:
        w.wait()
    h, b = cat(f"{DEBUGFS}/high").strip(), cat(f"{DEBUGFS}/batch").strip()
    if cpus_with_marks(h, b) == nproc() and consistent():
        ktap.ok("concurrent_knob_writes")
    else:
        ktap.msg(f"high {h} batch {b}; pcp: {one_line(cat(f'{DEBUGFS}/pcp'))}")
        ktap.fail("concurrent_knob_writes")

    # Unloading gives every page back: MemFree returns to its value before
    # the load.
    unload_memfree_restored(ktap, free_before)

    # Reading every file while the module goes away: readers either get the
    # file or an error (the file is gone, or unload refused while one is
    # open), never a crash (make check fails on any kernel report). The
    # unload starts once all four readers have read.
    started = tempfile.mkdtemp()
    ok = True
    refused = 0
    pids = []
    for _ in range(3):
        if not insmod(MODULE, "initial_pages=1024"):
            ok = False
            break
        for f in os.listdir(started):
            os.unlink(f"{started}/{f}")
        pids = [readers(f"{started}/{r}") for r in range(1, 5)]
        while not all(os.path.exists(f"{started}/{r}") for r in range(1, 5)):
            if not loaded("pcpool"):
                break
        while not rmmod("pcpool", quiet=True):
            refused += 1
            if refused >= 2000:
                ok = False
                break
        if not ok:
            break
        for pid in pids:
            os.waitpid(pid, 0)
    ktap.msg(f"3 unloads under 4 readers each; rmmod refused {refused} times while a file was open")
    if loaded("pcpool"):
        ok = False
        rmmod("pcpool")
    shutil.rmtree(started)
    ktap.result("read_during_unload", ok)

    ktap.finished()


if __name__ == "__main__":
    main()
