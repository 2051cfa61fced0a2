#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Combine the KTAP a test run produced into one document, parse it with the
kernel's own tools/testing/kunit/kunit.py, and print "N passed, N failed".

Usage: ktap.py KDIR OUTDIR

OUTDIR holds, from the guest:
  kunit-*.ktap   /sys/kernel/debug/kunit/<suite>/results (one suite each)
  shell-*.ktap   a test's stdout (KTAP as kselftest's ktap_helpers.sh prints it)
  shell-*.rc     its exit code
  dmesg*.txt     the guests' kernel logs at the end (one per VM)
  expect-suites  the KUnit suites that must have reported
  vm-failed*     present when a VM did not run to its end
Exit status: 0 when every test passed, 1 otherwise.
"""

import glob
import json
import os
import re
import subprocess
import sys

# Kernel reports that fail a run wherever they appear.
REPORTS = re.compile(
    r"WARNING:|BUG:|kernel BUG|Oops|general protection fault|"
    r"possible circular locking|possible recursive locking|"
    r"inconsistent lock state|DEBUG_LOCKS_WARN_ON|UBSAN:|refcount_t:|"
    r"kmemleak:.*new suspected|Call Trace:|"
    r"INFO: task .* blocked|soft lockup|hard LOCKUP|rcu_sched self-detected|"
    # The debug kernel's checkers: SLUB's "BUG kmalloc-64 (Not tainted): ...",
    # debugobjects, DEBUG_VM's dump_page() (but for "unmovable page" and
    # "migration failure": an offline that fails or retries says why with it,
    # and hotplug.py pins a page on purpose), page poisoning, panics.
    r"\bBUG [\w.:-]+ \((Not t|T)ainted|ODEBUG:|page dumped because: (?!unmovable page|migration failure)|"
    r"pagealloc: memory corruption|Kernel panic|KFENCE:"
)


# A test that makes the OOM killer run on purpose (scripts/tests/bulk/shrink.py,
# with the shrinker off) writes these markers around it. Between them the
# stack that the OOM report dumps ("Call Trace:" after "invoked oom-killer")
# is not a kernel report; every other pattern still is.
OOM_EXPECTED = "pcpool-test: an OOM kill is expected"
OOM_OVER = "pcpool-test: the expected OOM kill is over"


def report_lines(text):
    """The lines of a kernel log that are kernel reports (REPORTS)."""
    hits, expected, oom = [], False, False
    for l in text.splitlines():
        if OOM_EXPECTED in l:
            expected, oom = True, False
        elif OOM_OVER in l:
            expected = oom = False
        elif expected and "invoked oom-killer" in l:
            oom = True
        if REPORTS.search(l) and not (oom and "Call Trace:" in l):
            hits.append(l)
    return hits


def indent(lines):
    return ["    " + l if l else l for l in lines]


def suite(name, ok, lines):
    """A KTAP subtest block: header, the suite's own lines, and its result."""
    return ["    KTAP version 1", f"    # Subtest: {name}"] + indent(lines), ok


def kunit_suite(path):
    lines = open(path, errors="replace").read().splitlines()
    # The debugfs file is a whole KTAP document for one suite: drop its
    # top-level header and plan, and take its final "ok 1 <suite>" line. The
    # lines between are the suite's own subtest block, already indented.
    name = re.sub(r"^kunit-(.*)\.ktap$", r"\1", os.path.basename(path))
    ok = bool(lines) and lines[-1].startswith("ok ")
    return lines[2:-1], ok, name


def shell_suite(path):
    name = "pcpool_" + re.sub(r"^shell-(.*)\.ktap$", r"\1", os.path.basename(path))
    lines = open(path, errors="replace").read().splitlines()
    lines = [l for l in lines if not re.match(r"^(K?TAP version|TAP version)", l)]
    rc_file = path[: -len(".ktap")] + ".rc"
    rc = open(rc_file).read().strip() if os.path.exists(rc_file) else "missing"
    ok = rc == "0"
    if not ok:
        lines.append(f"# exit status {rc}")
    return suite(name, ok, lines) + (name,)


def dmesg_suite(out):
    if not os.path.exists(os.path.join(out, "dmesg.txt")):
        return suite("pcpool_dmesg", False, ["1..1", "not ok 1 no_kernel_reports # no dmesg.txt"]) + ("pcpool_dmesg",)
    hits = []
    for path in sorted(glob.glob(os.path.join(out, "dmesg*.txt"))):
        name = os.path.basename(path)
        hits += [f"{name}: {l}" for l in report_lines(open(path, errors="replace").read())]
    lines = ["1..1"] + [f"# {h}" for h in hits[:20]]
    lines.append(("not ok" if hits else "ok") + " 1 no_kernel_reports")
    return suite("pcpool_dmesg", not hits, lines) + ("pcpool_dmesg",)


def main():
    kdir, out = sys.argv[1], os.path.abspath(sys.argv[2])
    blocks = []
    for p in sorted(glob.glob(os.path.join(out, "kunit-*.ktap"))):
        blocks.append(kunit_suite(p))
    expect = os.path.join(out, "expect-suites")
    if os.path.exists(expect):
        seen = {b[2] for b in blocks}
        for name in open(expect).read().split():
            if name not in seen:
                blocks.append(suite(name, False, ["1..1", "not ok 1 suite_reported # no KUnit results"]) + (name,))
    for p in sorted(glob.glob(os.path.join(out, "shell-*.ktap"))):
        blocks.append(shell_suite(p))
    blocks.append(dmesg_suite(out))
    for vm_failed in sorted(glob.glob(os.path.join(out, "vm-failed*"))):
        why = open(vm_failed).read().strip()
        name = "pcpool_" + os.path.basename(vm_failed).replace("-failed", "").replace("-", "_")
        blocks.append(suite(name, False, ["1..1", f"not ok 1 vm_completed # {why}"]) + (name,))

    doc = ["KTAP version 1", f"1..{len(blocks)}"]
    for i, (lines, ok, name) in enumerate(blocks, 1):
        doc += lines
        doc.append(f"{'ok' if ok else 'not ok'} {i} {name}")
    combined = os.path.join(out, "results.ktap")
    with open(combined, "w") as f:
        f.write("\n".join(doc) + "\n")

    json_path = os.path.join(out, "results.json")
    kunit = os.path.join(kdir, "tools/testing/kunit/kunit.py")
    parse = subprocess.run(
        [sys.executable, kunit, "parse", f"--json={json_path}", combined],
        capture_output=True, text=True,
    )
    sys.stdout.write(parse.stdout)
    if parse.stderr.strip():
        sys.stdout.write(parse.stderr)

    passed, failed, notes = 0, 0, []

    def walk(group, prefix):
        nonlocal passed, failed
        for case in group.get("test_cases", []):
            if case["status"] == "PASS":
                passed += 1
            else:
                failed += 1
                notes.append(f"{prefix}{case['name']}: {case['status']}")
        for sub in group.get("sub_groups", []):
            walk(sub, f"{prefix}{sub['name']}.")

    try:
        walk(json.load(open(json_path)), "")
    except (OSError, ValueError) as e:
        notes.append(f"kunit.py parse produced no JSON: {e}")
        failed += 1
    if parse.returncode != 0 and failed == 0:
        notes.append(f"kunit.py parse exited {parse.returncode}")
        failed += 1
    # Detections the tests expect (a weakened variant caught) are results too.
    for line in open(combined).read().splitlines():
        m = re.search(r"# (\w+): (expected detection: .*)", line)
        if m:
            print(f"{m.group(1)}: {m.group(2)} (expected, not a failure)")
    for n in notes:
        # A skipped test tested nothing: the run counts it as failed.
        print(f"FAILED: {n}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
