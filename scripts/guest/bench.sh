#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark VM: P2 and P3 from pcpool's pcpool_bench KUnit
# suite, then P1 (the bench sample) with each drain strategy. Writes the
# figures to OUT/bench.csv and P1's spreads to OUT/bench-spread.txt.
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
touch "$OUT/guest-finished"
