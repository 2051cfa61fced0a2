#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the soak VM: the hotplug cycles of scripts/tests/cores/ at
# length, the randomised soak (scripts/guest/soak.py) for the rest of
# SECONDS, then a kmemleak scan; results and the kernel log go to OUT for
# scripts/ktap.py on the host.
#
# Usage: soak.sh OUT KDIR SECONDS [SEED]
set -u
OUT=$1
export KDIR=$2
SECONDS_TO_RUN=$3
export PCPOOL_SEED=${4:-}
export PCPOOL_TOP=$PWD
export PCPOOL_MODULE=$PCPOOL_TOP/pcpool.ko
touch "$OUT/guest-started"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
. scripts/guest/lib.sh
kmemleak_start
kunit_skip_suites
echo "guest: $(nproc) CPUs, $(awk '/MemTotal/ {print $2 / 1024}' /proc/meminfo) MiB, $(uname -r)"
PCPOOL_BLOCKS=$(offlinable_blocks | tr '\n' ' ')
export PCPOOL_BLOCKS
echo "guest: offlinable movable blocks: ${PCPOOL_BLOCKS:-none}"

# The long version of make check's hotplug cycles first: 200 cycles, or as
# many as fit in half the time (never less than make check's 240 s); the
# randomised soak gets the rest.
start=$SECONDS
share=$((SECONDS_TO_RUN / 2))
[ $share -ge 240 ] || share=240
PCPOOL_HOTPLUG_CYCLES=200 PCPOOL_HOTPLUG_SECONDS=$share run_shell_tests "$OUT" scripts/tests/cores
grep -h 'cycles in' "$OUT"/shell-hotplug_cycles.ktap | sed 's/^# /guest: /'
SECONDS_TO_RUN=$((SECONDS_TO_RUN - (SECONDS - start)))
[ "$SECONDS_TO_RUN" -gt 60 ] || SECONDS_TO_RUN=60

python3 scripts/guest/soak.py "$SECONDS_TO_RUN" | tee "$OUT/soak.log" | grep --line-buffered '^soak: ' | sed -u 's/^soak:/guest: soak:/'
rc=${PIPESTATUS[0]}
{
	echo "TAP version 13"
	echo "1..1"
	grep -A40 'soak: ---- summary' "$OUT/soak.log" | sed 's/^soak: /# /'
	[ "$rc" -eq 0 ] && echo "ok 1 soak_consistent_nothing_lost" || echo "not ok 1 soak_consistent_nothing_lost"
} >"$OUT/shell-soak.ktap"
echo "$rc" >"$OUT/shell-soak.rc"
kmemleak_check "$OUT" kmemleak_soak
dmesg >"$OUT/dmesg.txt"
touch "$OUT/guest-finished"
