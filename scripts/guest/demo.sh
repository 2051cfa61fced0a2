#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM for `make demo`: load pcpool, watch its per-CPU
# pagesets while the stress sample runs on every CPU; then, with a large
# pool, offline a real movable memory block full of pool pages through sysfs
# (pcpool gives them up), online it again, see an offline refused while a
# client holds pages, and show what pcpool logged.
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

show rmmod pcpool

# A pool of 430 MiB: every movable block that can go offline holds chunks.
# One of them goes offline with all its pool pages free: pcpool gives them
# up, and the pool shrinks by exactly those pageblocks.
show insmod pcpool.ko initial_pages=110000 max_pages=131072
export PCPOOL_BLOCKS
per_block() {
	local b
	for b in $(pool_blocks); do echo "memory$b: $(blocks_in "$b") pool pageblocks"; done
}
show per_block
# A client holds every pool page: an offline is refused at once, with the
# reason, and the pool stays as it was.
show insmod samples/pcpool_client.ko hold_extra=200000
held=$(pool_block)
if [ -n "$held" ]; then
	show "echo offline > $MEM/memory$held/state"
	show cat $MEM/memory$held/state
fi
show rmmod pcpool_client

# The same block with all its pool pages free: it goes offline.
block=$(pool_block)
if [ -n "$block" ]; then
	show cat $DEBUGFS/zone
	show "echo offline > $MEM/memory$block/state"
	show cat $MEM/memory$block/state
	show cat $DEBUGFS/zone
	show "grep -v ' 0$' $DEBUGFS/hotplug"
	show "echo online_movable > $MEM/memory$block/state"
	show cat $MEM/memory$block/state
fi
show cat $DEBUGFS/verify
show rmmod pcpool
echo "guest# dmesg | grep pcpool"
kmsg_since demo | grep 'pcpool' | sed 's/^/guest  /'
touch "$OUT/guest-finished"
[ -n "$block" ] && [ -n "$held" ]
