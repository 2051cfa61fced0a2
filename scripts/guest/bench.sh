#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the benchmark VM: load pcpool, run the bench sample, and write
# its figures to OUT/bench.csv and its spreads to OUT/bench-spread.txt.
# Usage: bench.sh OUT UNIT
set -u
OUT=$1
UNIT=$2
touch "$OUT/guest-started"
. scripts/guest/lib.sh
kunit_skip_suites
insmod pcpool.ko initial_pages=2048
kmsg_mark bench
# The bench's init returns -EAGAIN once it has logged its figures.
insmod samples/pcpool_bench.ko unit="$UNIT" 2>/dev/null
echo "metric,value,unit" >"$OUT/bench.csv"
kmsg_since bench | sed -n 's/.*pcpool_bench: csv //p' >>"$OUT/bench.csv"
kmsg_since bench | sed -n 's/.*pcpool_bench: spread //p' >"$OUT/bench-spread.txt"
grep -q '^consistent$' $DEBUGFS/verify && echo "guest: pool consistent after the bench"
rmmod pcpool
touch "$OUT/guest-finished"
