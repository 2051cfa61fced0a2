#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM: picks memory blocks that can really go offline,
# loads pcpool to run its KUnit suites, then runs every shell test. Writes
# everything to OUT for scripts/ktap.py on the host.
#
# Usage: check.sh OUT KDIR
set -u
OUT=$1
export KDIR=$2
export PCPOOL_TOP=$PWD
export PCPOOL_MODULE=$PCPOOL_TOP/pcpool.ko
touch "$OUT/guest-started"
. scripts/guest/lib.sh

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
kmemleak_start
echo "guest: $(nproc) CPUs, $(awk '/MemTotal/ {print $2 / 1024}' /proc/meminfo) MiB, $(uname -r); booted in $(cut -d. -f1 /proc/uptime) s"

start=$SECONDS
blocks=($(offlinable_blocks))
export PCPOOL_BLOCKS="${blocks[*]}"
echo "guest: offlinable movable blocks: ${PCPOOL_BLOCKS:-none} (probed in $((SECONDS - start)) s)"

# KUnit: the suites run when pcpool.ko goes live. The slow one (the race
# suite) runs in a VM of its own (scripts/guest/race.sh); here KUnit's
# attribute filter leaves it out. No trailing newline: KUnit keeps the bytes.
echo -n 'speed>slow' >/sys/module/kunit/parameters/filter
start=$SECONDS
# initial_pages=0: the notifier test offlines a block, which pool chunks would keep online.
if insmod "$PCPOOL_MODULE" initial_pages=0 kunit_memblock="${blocks[0]:--1}"; then
	for suite in $(cat "$OUT/expect-suites"); do
		f=/sys/kernel/debug/kunit/$suite/results
		[ -f "$f" ] && cat "$f" >"$OUT/kunit-$suite.ktap"
	done
	rmmod pcpool || echo "guest: rmmod pcpool failed"
else
	echo "guest: insmod pcpool.ko failed"
fi
echo "guest: KUnit suites ran in $((SECONDS - start)) s"

kunit_skip_suites

# Shell tests, each a KTAP document of its own.
run_shell_tests "$OUT" scripts/tests
kmemleak_check "$OUT" kmemleak

dmesg >"$OUT/dmesg.txt"
touch "$OUT/guest-finished"
