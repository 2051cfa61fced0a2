#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the race VM (one vCPU per host core): loads pcpool with only
# its slow KUnit suite, pcpool_race, selected, then runs the shell tests in
# scripts/tests/cores/, and keeps the results and the kernel log in OUT for
# scripts/ktap.py on the host.
#
# Usage: race.sh OUT KDIR
set -u
OUT=$1
export KDIR=$2
export PCPOOL_TOP=$PWD
touch "$OUT/guest-started"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
export KDIR PCPOOL_MODULE=$PCPOOL_TOP/pcpool.ko
. scripts/guest/lib.sh
kmemleak_start
echo "guest: $(nproc) CPUs, $(uname -r); booted in $(cut -d. -f1 /proc/uptime) s"

# No trailing newline: KUnit keeps the parameter's bytes as they are.
echo -n pcpool_race >/sys/module/kunit/parameters/filter_glob
start=$(date +%s)
if insmod "$PCPOOL_TOP/pcpool.ko" initial_pages=0; then
	f=/sys/kernel/debug/kunit/pcpool_race/results
	[ -f "$f" ] && cat "$f" >"$OUT/kunit-pcpool_race.ktap"
	rmmod pcpool || echo "guest: rmmod pcpool failed"
else
	echo "guest: insmod pcpool.ko failed"
fi
echo "guest: pcpool_race ran in $(($(date +%s) - start)) s"
dmesg | grep -E 'pcpool: (isolation race|expected detection)' | sed 's/^/guest: /'

# Shell tests that want every vCPU on a host core of their own.
kunit_skip_suites
start=$SECONDS
PCPOOL_BLOCKS=$(offlinable_blocks | tr '\n' ' ')
export PCPOOL_BLOCKS
echo "guest: offlinable movable blocks: ${PCPOOL_BLOCKS:-none} (probed in $((SECONDS - start)) s)"
run_shell_tests "$OUT" scripts/tests/cores
kmemleak_check "$OUT" kmemleak_race
dmesg >"$OUT/dmesg.txt"
touch "$OUT/guest-finished"
