#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the P1 fast-path benchmark. Boots the lean test kernel and runs
# samples/pcpool_bench.ko: an order-0 alloc+free pair through pcpool's pcp
# fast path and through the kernel's own, side by side in one run. Under TCG
# the VM runs with QEMU's -icount shift=0,sleep=off, so rdtsc deltas count
# guest instructions (unit "insn"); with a working KVM they are cycles.
# Prints a table and writes build/bench.csv (metric,value,unit).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$PCPOOL_TOP/scripts/vm.sh"
cd "$PCPOOL_TOP"
KDIR=${KDIR:-$(bash scripts/build-kernel.sh --dir)} || exit 1
export KDIR
OUT="$PCPOOL_CACHE/runs/bench-$(date +%Y%m%d-%H%M%S)"

VM_KERNEL="$KDIR/arch/x86/boot/bzImage"
if [ -n "$(vm_accel_args 2>/dev/null)" ]; then
	unit=insn
	export PCPOOL_VM_QEMU_OPTS="-icount shift=0,sleep=off"
else
	unit=cycles
fi
export PCPOOL_VM_CPUS=2

step "bench: boot $(basename "$KDIR") (${unit}: ${PCPOOL_VM_QEMU_OPTS:-KVM})"
run_vm "$OUT" scripts/guest/bench.sh "$unit" || exit 1
grep '^guest:' "$OUT/console.log" | sed 's/^/    /'
[ "$(wc -l <"$OUT/bench.csv")" -gt 1 ] || die "the bench produced no figures (see $OUT/console.log)"

mkdir -p build
cp "$OUT/bench.csv" build/bench.csv
echo
column -s, -t <build/bench.csv
echo
echo "spread (min / median / max per page over the runs):"
sed 's/^/  /' "$OUT/bench-spread.txt"
ratio=$(awk -F, '$1 == "p1_ratio" {print $2}' build/bench.csv)
echo
echo "P1: pcpool's alloc+free pair costs ${ratio}x the kernel's (goal: <= 0.6); build/bench.csv"
