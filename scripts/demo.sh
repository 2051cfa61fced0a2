#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo, a story in titled steps: boot the test kernel, load pcpool, show
# its per-CPU pagesets while the stress sample runs, see an offline refused
# while a client holds pages, offline a real memory block full of free pool
# pages (and online it again), each with the trace of pcpool's events, and
# print what pcpool logged; then, in a VM of two NUMA nodes, take all of
# node 1's movable memory offline and see its pool zone go and come back.
. "$(dirname "$0")/lib.sh"
host_init demo

step "demo: boot $(basename "$KDIR") ($PCPOOL_VM_CPUS vCPUs, $PCPOOL_VM_MEMORY, $PCPOOL_VM_APPEND)"
# The guest writes its transcript to demo.txt (a VM's console can lose lines).
run_vm "$OUT" scripts/guest/demo.py || exit 1
sed 's/^guest//' "$OUT/demo.txt"
grep -q 'pcpool: .* is offline: [0-9]* pool pageblocks dropped' "$OUT/demo.txt" ||
	{ echo "demo: no block with pool pages went offline"; exit 1; }
grep -q 'pcpool: refusing to offline' "$OUT/demo.txt" || { echo "demo: no refused offline"; exit 1; }
for d in refused accepted; do
	grep -q "pcpool_offline_decision: .* $d" "$OUT/demo.txt" || { echo "demo: no $d offline traced"; exit 1; }
done

step "demo: a whole node's memory offline and back, in a VM of two NUMA nodes with a DIMM each"
mkdir -p "$OUT/numa"
# The NUMA VM's boot is the slowest (debug_pagealloc over two nodes): the
# time limit of make check's NUMA VM.
(numa_vm_layout 2 && PCPOOL_VM_TIMEOUT=${PCPOOL_NUMA_TIMEOUT:-1800} run_vm "$OUT/numa" scripts/guest/demo_numa.py) ||
	exit 1
sed 's/^guest//' "$OUT/numa/demo.txt"
grep -q 'pcpool: node 1: pool zone torn down' "$OUT/numa/demo.txt" || { echo "demo: node 1's zone stayed"; exit 1; }
grep -q 'pcpool: node 1: pool zone built' "$OUT/numa/demo.txt" || { echo "demo: node 1's zone did not come back"; exit 1; }
