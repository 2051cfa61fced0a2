#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM for `make demo`: load pcpool, offline and online a
# real movable memory block through sysfs, and show what pcpool saw.
set -u
OUT=$1
touch "$OUT/guest-started"
. scripts/guest/lib.sh

show() {
	echo "guest# $*"
	eval "$@" 2>&1 | sed 's/^/guest  /'
}

block=
for dir in $(ls -d $MEM/memory* | sort -V); do
	n=${dir##*memory}
	[ "$(cat "$dir/valid_zones" 2>/dev/null)" = Movable ] && [ "$(block_state "$n")" = online ] || continue
	kmsg_mark "probe$n"
	if set_block_state "$n" offline; then
		set_block_state "$n" online_movable
		block=$n
		break
	fi
done
[ -n "$block" ] || { echo "guest: no movable memory block goes offline"; touch "$OUT/guest-finished"; exit 1; }

kmsg_mark demo
show insmod pcpool.ko
show "grep -H . $MEM/memory$block/{valid_zones,state}"
show "echo offline > $MEM/memory$block/state"
show cat $MEM/memory$block/state
show "echo online_movable > $MEM/memory$block/state"
show cat $MEM/memory$block/state
show rmmod pcpool
echo "guest# dmesg | grep pcpool:"
kmsg_since demo | grep 'pcpool:' | sed 's/^/guest  /'
touch "$OUT/guest-finished"
