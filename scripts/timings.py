#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the time of a test run went: each phase against its share of the
budget, and the slowest test cases.

Usage: timings.py OUTDIR [N]

OUTDIR holds, from scripts/check.sh and the guests:
  phases.tsv     one line per phase: name, seconds, share (seconds)
  shell-*.times  a test's KTAP lines, each after the time it came
                 (run_tests in scripts/guest/pcpool_guest.py)
  dmesg*.txt     the guests' kernel logs, with KUnit's lines in them
Prints the table and the N (default 5) slowest test cases; a phase past its
share gets a warning that names it. The exit status is always 0: a slow
phase is for a person to look at, not a failed run.
"""

import glob
import os
import re
import sys

RESULT = re.compile(r"^(?:not )?ok \d+ (\S+)")
# printk's "[   12.345678] " (and a caller id "[ T123] " when configured).
DMESG = re.compile(r"^\[\s*(\d+\.\d+)\](?:\[\s*[TC]\d+\])? ?(.*)$")


def fmt(secs):
    secs = int(round(secs))
    return f"{secs // 60}m{secs % 60:02d}s" if secs >= 60 else f"{secs}s"


def shell_cases(path):
    """(name, seconds) for each top-level result of one shell test."""
    suite = "pcpool_" + re.sub(r"^shell-(.*)\.times$", r"\1", os.path.basename(path))
    prev, out = None, []
    for line in open(path, errors="replace"):
        stamp, _, text = line.rstrip("\n").partition(" ")
        try:
            t = float(stamp)
        except ValueError:
            continue
        m = RESULT.match(text)
        if text == "start":
            prev = t
        elif m and prev is not None:
            out.append((f"{suite}.{m.group(1)}", t - prev))
            prev = t
    return out


def kunit_cases(path):
    """(name, seconds) for each KUnit case of a pcpool suite in a kernel log:
    from the suite's header or the case before to the case's result line."""
    suite, prev, out = None, None, []
    for line in open(path, errors="replace"):
        m = DMESG.match(line.rstrip("\n"))
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        h = re.match(r"^    # Subtest: (\S+)", text)
        if h:
            suite, prev = h.group(1), t
            continue
        r = re.match(r"^    (?:not )?ok \d+ (\S+)", text)
        if r and suite and suite.startswith("pcpool_") and prev is not None:
            out.append((f"{suite}.{r.group(1)}", t - prev))
            prev = t
        elif re.match(r"^(?:not )?ok \d+ ", text):
            suite = None
    return out


def main():
    out = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    total, over = 0.0, []
    print("    phase                     time   share")
    for line in open(os.path.join(out, "phases.tsv")):
        name, secs, share = line.rstrip("\n").split("\t")
        secs, share = float(secs), float(share)
        total += secs
        flag = ""
        if secs > share:
            flag = "  past its share"
            over.append((name, secs, share))
        print(f"    {name:<24} {fmt(secs):>6}  {fmt(share):>6}{flag}")
    cases = []
    for p in sorted(glob.glob(os.path.join(out, "shell-*.times"))):
        cases += shell_cases(p)
    for p in sorted(glob.glob(os.path.join(out, "dmesg*.txt"))):
        cases += kunit_cases(p)
    cases.sort(key=lambda c: -c[1])
    print(f"    slowest {top} of {len(cases)} test cases:")
    for name, secs in cases[:top]:
        print(f"      {fmt(secs):>6}  {name}")
    for name, secs, share in over:
        print(f"warning: phase '{name}' took {fmt(secs)}, past its share of {fmt(share)}")
    print(f"total {fmt(total)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
