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
echo "guest: $(nproc) CPUs, $(awk '/MemTotal/ {print $2 / 1024}' /proc/meminfo) MiB, $(uname -r)"

# Movable blocks that go offline and come back. Some cannot (the top one holds
# ACPI tables here), so try each.
blocks=()
for dir in $(ls -d $MEM/memory* | sort -V); do
	n=${dir##*memory}
	[ "$(cat "$dir/valid_zones" 2>/dev/null)" = Movable ] || continue
	[ "$(block_state "$n")" = online ] || continue
	# An offline can fail for a moment (a page under I/O): try twice.
	if set_block_state "$n" offline || { sleep 1 && set_block_state "$n" offline; }; then
		set_block_state "$n" online_movable || { echo "guest: memory$n stayed offline"; continue; }
		blocks+=("$n")
	fi
done
export PCPOOL_BLOCKS="${blocks[*]}"
echo "guest: offlinable movable blocks: ${PCPOOL_BLOCKS:-none}"

# KUnit: the suites run when pcpool.ko goes live.
# The suites the sources declare must all report, or the run fails.
grep -rhoPz 'kunit_suite!\(\s*\K\w+' kunit/ | tr '\0' '\n' >"$OUT/expect-suites"
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

kunit_skip_suites

# Shell tests, each a KTAP document of its own.
for t in scripts/tests/*.sh; do
	name=$(basename "$t" .sh)
	echo "guest: shell test $name"
	bash "$t" >"$OUT/shell-$name.ktap" 2>"$OUT/shell-$name.stderr"
	echo $? >"$OUT/shell-$name.rc"
done

dmesg >"$OUT/dmesg.txt"
touch "$OUT/guest-finished"
