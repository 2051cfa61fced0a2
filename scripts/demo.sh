#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the test kernel, load pcpool, show its per-CPU pagesets
# while the stress sample runs, offline a real memory block full of pool pages
# (and online it again), see an offline refused while a client holds pages,
# and print what pcpool logged.
. "$(dirname "$0")/lib.sh"
host_init demo

step "demo: boot $(basename "$KDIR") ($PCPOOL_VM_CPUS vCPUs, $PCPOOL_VM_MEMORY, $PCPOOL_VM_APPEND)"
run_vm "$OUT" scripts/guest/demo.py || exit 1
grep '^guest' "$OUT/console.log" | sed 's/^guest//'
grep -q 'pcpool: .* is offline: [0-9]* pool pageblocks dropped' "$OUT/console.log" ||
	{ echo "demo: no block with pool pages went offline"; exit 1; }
grep -q 'pcpool: refusing to offline' "$OUT/console.log" || { echo "demo: no refused offline"; exit 1; }
