#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark VM: P2 and P3 from pcpool's pcpool_bench KUnit
# suite, P1 (the bench sample) with each drain strategy, then P4 (offline
# latency with and without pool pages). Writes the figures to OUT/bench.csv
# and P1's spreads to OUT/bench-spread.txt.
# Usage: bench.sh OUT UNIT
set -u
OUT=$1
UNIT=$2
touch "$OUT/guest-started"
. scripts/guest/lib.sh
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo "metric,value,unit" >"$OUT/bench.csv"
: >"$OUT/bench-spread.txt"

# P2, P3: the suite runs when pcpool.ko goes live (no trailing newline: KUnit
# keeps the parameter's bytes).
kmsg_mark bench-p2p3
echo -n pcpool_bench >/sys/module/kunit/parameters/filter_glob
insmod pcpool.ko initial_pages=0
cat /sys/kernel/debug/kunit/pcpool_bench/results >"$OUT/kunit-pcpool_bench.ktap"
rmmod pcpool
kmsg_since bench-p2p3 | sed -n 's/.*pcpool: csv //p' >>"$OUT/bench.csv"
grep -q '^ok 1 pcpool_bench' "$OUT/kunit-pcpool_bench.ktap" && echo "guest: pcpool_bench suite passed"
kunit_skip_suites

# P1 with each drain strategy: the fast path differs only with remote (a
# spinlock per pageset on top of IRQs off). The ipi figures keep the plain
# p1_* names.
for drain in ipi pageblock remote workqueue; do
	insmod pcpool.ko initial_pages=2048 drain=$drain
	kmsg_mark "bench-p1-$drain"
	# The bench's init returns -EAGAIN once it has logged its figures.
	insmod samples/pcpool_bench.ko unit="$UNIT" 2>/dev/null
	if [ $drain = ipi ]; then
		kmsg_since "bench-p1-$drain" | sed -n 's/.*pcpool_bench: csv //p' >>"$OUT/bench.csv"
		kmsg_since "bench-p1-$drain" | sed -n 's/.*pcpool_bench: spread //p' >>"$OUT/bench-spread.txt"
	else
		kmsg_since "bench-p1-$drain" | sed -n "s/.*pcpool_bench: csv \(p1_pair_pcpool\|p1_ratio\),/\1_$drain,/p" >>"$OUT/bench.csv"
	fi
	grep -q '^consistent$' $DEBUGFS/verify && echo "guest: pool consistent after the P1 bench with drain=$drain"
	rmmod pcpool
done
# P4: offlining the same memory block with and without free pool pages in it
# (a pool of 430 MiB fills every movable block that can go offline). Guest
# time, which icount makes mostly instruction time (the offline's own waits
# still vary); median of 9 each, interleaved.
PCPOOL_BLOCKS=$(offlinable_blocks | tr '\n' ' ')
insmod pcpool.ko initial_pages=110000 max_pages=131072
B=$(pool_block)
rmmod pcpool
offline_us() {
	local t0 t1
	t0=$(date +%s%N)
	set_block_state "$B" offline || return 1
	t1=$(date +%s%N)
	set_block_state "$B" online_movable || return 1
	echo $(((t1 - t0) / 1000))
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
if [ -n "$B" ]; then
	# Interleaved, so that whatever drifts in the system meanwhile touches both.
	without= with= n=
	for i in 1 2 3 4 5 6 7 8 9; do
		insmod pcpool.ko initial_pages=0
		without="$without $(offline_us)"
		rmmod pcpool
		insmod pcpool.ko initial_pages=110000 max_pages=131072
		n="$n $(blocks_in "$B")"
		with="$with $(offline_us)"
		grep -q '^consistent$' $DEBUGFS/verify || echo "guest: pool inconsistent after the P4 offline"
		rmmod pcpool
	done
	echo "guest: P4 memory$B: without pool pages:$without us; with (pool pageblocks:$n):$with us"
	w=$(median <<<"$without")
	p=$(median <<<"$with")
	echo "p4_offline_without,$w,us" >>"$OUT/bench.csv"
	echo "p4_offline_with,$p,us" >>"$OUT/bench.csv"
	echo "p4_pool_pageblocks,$(median <<<"$n"),pageblocks" >>"$OUT/bench.csv"
	echo "p4_offline_ratio,$(awk -v a="$p" -v b="$w" 'BEGIN {printf "%.3f", a / b}'),ratio" >>"$OUT/bench.csv"
else
	echo "guest: P4: no offlinable block holds pool pages"
fi
touch "$OUT/guest-finished"
