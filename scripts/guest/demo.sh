#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM for `make demo`: load pcpool, watch its per-CPU
# pagesets while the stress sample runs on every CPU, offline and online a
# real movable memory block through sysfs, and show what pcpool saw.
set -u
OUT=$1
touch "$OUT/guest-started"
. scripts/guest/lib.sh

show() {
	echo "guest# $*"
	eval "$@" 2>&1 | sed 's/^/guest  /'
}

# Movable blocks that really go offline, tried before pcpool takes memory.
PCPOOL_BLOCKS=" $(offlinable_blocks | tr '\n' ' ')"
echo "guest  (movable blocks that can go offline:$PCPOOL_BLOCKS)"
kunit_skip_suites
kmsg_mark demo
show insmod pcpool.ko
show cat $DEBUGFS/zone
show insmod samples/pcpool_stress.ko
show sleep 2
show cat $DEBUGFS/pcp
show cat $DEBUGFS/verify
show rmmod pcpool_stress
show cat $DEBUGFS/zone
show cat $DEBUGFS/pageblocks

block=$(free_block)
if [ -n "$block" ]; then
	show "grep -H . $MEM/memory$block/{valid_zones,state}"
	show "echo offline > $MEM/memory$block/state"
	show cat $MEM/memory$block/state
	show "echo online_movable > $MEM/memory$block/state"
	show cat $MEM/memory$block/state
fi
# A block that holds a pool chunk: pcpool refuses at once, with a reason.
for b in $(pool_blocks); do
	case " $PCPOOL_BLOCKS " in *" $b "*) ;; *) continue ;; esac
	show "echo offline > $MEM/memory$b/state"
	break
done
show rmmod pcpool
echo "guest# dmesg | grep pcpool"
kmsg_since demo | grep 'pcpool' | sed 's/^/guest  /'
touch "$OUT/guest-finished"
[ -n "$block" ]
