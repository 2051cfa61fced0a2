#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: every benchmark, side by side in one VM run of the lean test
# kernel:
# - P1: samples/pcpool_bench.ko, an order-0 alloc+free pair through pcpool's
#   pcp fast path and through the kernel's own, with each drain strategy,
#   and with pcpool built without its tracepoints;
# - P2: isolate+unisolate of 1, 8, 64 and 512 pageblocks, one drain against
#   one per pageblock (pcpool's pcpool_bench KUnit suite);
# - P3: drain latency by IPI, remote locking and work items, vCPUs idle and
#   busy (the same suite);
# - P4: offlining the same memory block with and without free pool pages,
#   and the pages per second evacuation moves out of one;
# - P5: the bench sample's pairs on every vCPU at once against one alone;
# - P1 across nodes, in a second VM of two NUMA nodes: the pair on a CPU of
#   node 1 from its own node's zone, and falling back to node 0's.
# Under TCG
# the VM runs with QEMU's -icount shift=0,sleep=off, so rdtsc deltas count
# guest instructions (unit "insn"); with a working KVM they are cycles.
# Prints a table and writes build/bench.csv (metric,value,unit) and its plot,
# build/bench.svg (scripts/bench_plot.py, gnuplot).
. "$(dirname "$0")/lib.sh"
host_init bench

VM_KERNEL="$KDIR/arch/x86/boot/bzImage"
if [ -n "$(vm_accel_args 2>/dev/null)" ]; then
	unit=insn
	export PCPOOL_VM_QEMU_OPTS="-icount shift=0,sleep=off"
else
	unit=cycles
fi
export PCPOOL_VM_CPUS=${PCPOOL_BENCH_CPUS:-4}
# P2 at scale isolates a pool of 1 GiB in ZONE_NORMAL: room for it beside
# the 512M of ZONE_MOVABLE that P4 offlines.
export PCPOOL_VM_MEMORY=${PCPOOL_BENCH_MEMORY:-3G}

# P1 with the tracepoints compiled in (and off) against the same tree without
# them: a copy built with PCPOOL_TRACE=n in build/notrace.
step "bench: pcpool.ko without tracepoints (PCPOOL_TRACE=n, build/notrace)"
# Only the sources: a copied build artefact (pcpool.mod lists objects by
# absolute path) would link the traced objects again.
rm -rf build/notrace && mkdir -p build/notrace
git ls-files -z | rsync -a --from0 --files-from=- ./ build/notrace/ &&
	make -s -C "$KDIR" M="$PWD/build/notrace" LLVM=1 PCPOOL_TRACE=n modules >/dev/null ||
	die "the build without tracepoints failed"
traced=$(nm pcpool.ko | grep -c rust_do_trace_)
untraced=$(nm build/notrace/pcpool.ko | grep -c rust_do_trace_)
if [ "$untraced" -ne 0 ] || [ "$traced" -eq 0 ]; then
	die "pcpool.ko should have the tracepoints and build/notrace/pcpool.ko none (CONFIG_TRACEPOINTS in $KDIR?)"
fi

step "bench: boot $(basename "$KDIR") (${unit}: ${PCPOOL_VM_QEMU_OPTS:-KVM})"
run_vm "$OUT" scripts/guest/bench.py "$unit" || exit 1
grep '^guest:' "$OUT/console.log" | sed 's/^/    /'
[ "$(wc -l <"$OUT/bench.csv")" -gt 1 ] || die "the bench produced no figures (see $OUT/console.log)"

# P1 across nodes, in a VM of two nodes of two vCPUs each; its figures go on
# bench.csv.
step "bench: P1 across NUMA nodes (two nodes of two vCPUs)"
mkdir -p "$OUT/numa"
cp "$OUT/bench.csv" "$OUT/numa/bench.csv"
PCPOOL_VM_MEMORY=3072M PCPOOL_VM_NUMA="1536M,cpus=0-1 1536M,cpus=2-3" run_vm "$OUT/numa" scripts/guest/bench_numa.py "$unit" || exit 1
grep '^guest:' "$OUT/numa/console.log" | sed 's/^/    /'
cp "$OUT/numa/bench.csv" "$OUT/bench.csv"

mkdir -p build
cp "$OUT/bench.csv" build/bench.csv
# The hot functions' own instructions (what they call out of line is not
# counted): the static side of P1, from the build without tracepoints, where
# they are the exported functions; with them, the C trampolines in front.
for fn in pcpool_alloc_page pcpool_free_page; do
	n=$(objdump -d --no-show-raw-insn "--disassemble=$fn" build/notrace/pcpool.ko | grep -cE '^ +[0-9a-f]+:')
	echo "p1_static_insn_$fn,$n,insn" >>build/bench.csv
	n=$(objdump -d --no-show-raw-insn "--disassemble=$fn" pcpool.ko | grep -cE '^ +[0-9a-f]+:')
	echo "p1_static_insn_trampoline_$fn,$n,insn" >>build/bench.csv
done
python3 scripts/bench_plot.py build/bench.csv build/bench.svg || die "gnuplot failed on build/bench.csv"
echo
column -s, -t <build/bench.csv
echo
echo "spread (min / median / max per page over the runs):"
sed 's/^/  /' "$OUT/bench-spread.txt"
val() { awk -F, -v m="$1" '$1 == m {print $2}' build/bench.csv; }
echo
echo "P1: pcpool's alloc+free pair costs $(val p1_pair_pcpool) insn, $(val p1_ratio)x the kernel's" \
	"(goal: <= 0.30 and <= 200 insn); with the remote-lock pagesets $(val p1_ratio_remote)x;" \
	"16 at a time $(val p1_bulk16_pcpool) per page against the kernel's $(val p1_bulk16_kernel)"
echo "P1 with the tracepoints compiled in and off: $(val p1_pair_pcpool) insn against $(val p1_pair_pcpool_notrace)" \
	"without them ($(val p1_trace_ratio)x; goal: <= 1.05)"
echo "P1 across nodes: on a CPU of node 1, a pair from its own node's zone costs $(val p1_pair_local_node) insn," \
	"one that falls back to node 0's $(val p1_pair_remote_node) ($(val p1_remote_node_ratio)x)"
echo "P2: $(val p2_drains_64) drain per isolation of 64 pageblocks (goal: 1);" \
	"one drain is $(val p2_speedup_64)x faster than a drain per pageblock at 64," \
	"$(val p2_speedup_512)x at 512 pageblocks, 1 GiB (goal: >= 20)"
echo "P3: with every vCPU busy, a workqueue drain takes $(val p3_ipi_vs_wq_busy)x an IPI drain" \
	"(goal: >= 5); remote locking $(val p3_ipi_vs_remote_busy)x"
echo "P4: offlining a block full of free pool pages takes $(val p4_offline_ratio)x the same" \
	"offline without them (goal: <= 1.2)"
echo "P4: evacuation moves $(val p4_evacuate_pages_per_s) pages/s ($(val p4_evacuated_pages) pages of a movable" \
	"client, out of a block going offline)"
echo "P5: a pair with every vCPU running pairs at once costs $(val p5_contended_ratio)x" \
	"what it costs on one alone; refills and flushes $(val p5_contended_ratio_refill_flush_pcpool)x"
echo "P6: giving 256 MiB back through the shrinker takes $(val p6_shrink_256m) $unit;" \
	"a memory hog beside a pool of 40% of RAM takes $(val p6_hog_ratio)x its time without (goal: <= 1.2)"
echo "build/bench.csv, build/bench.svg"
[ -n "$(val p1_ratio)" ] && [ -n "$(val p5_contended_ratio)" ] && [ -n "$(val p2_speedup_64)" ] && [ -n "$(val p2_speedup_512)" ] && [ -n "$(val p3_ipi_vs_wq_busy)" ] && [ -n "$(val p1_ratio_remote)" ] &&
	[ -n "$(val p4_offline_ratio)" ] && [ -n "$(val p6_shrink_256m)" ] && [ -n "$(val p6_hog_ratio)" ] &&
	[ -n "$(val p1_remote_node_ratio)" ] && [ -n "$(val p1_trace_ratio)" ] && [ -n "$(val p4_evacuate_pages_per_s)" ] ||
	die "some figures are missing (see $OUT/console.log)"
grep -q '^ok 1 pcpool_bench' "$OUT/kunit-pcpool_bench.ktap" ||
	die "the pcpool_bench suite failed its checks (see $OUT/kunit-pcpool_bench.ktap)"
