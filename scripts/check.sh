#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: set-up and the debug kernel (each skipped when done before),
# static checks and the model on the host, then every test in the debug
# kernel under virtme-ng, in two VMs. Prints each phase's time against its
# share of the budget and the slowest test cases, then the total, and ends
# with "N passed, N failed"; exits non-zero on any failure.
#
# The budget (Documentation/testing.rst): 60 minutes from an empty
# PCPOOL_CACHE on a 2-core machine, 30 with the kernel cached. A phase past
# its share prints a warning naming it; it does not fail the run.
. "$(dirname "$0")/lib.sh"
host_init check nokernel
: >"$OUT/phases.tsv"

# phase NAME SHARE COMMAND...: runs COMMAND as one phase of the run, and
# records its time and share (seconds) in phases.tsv.
phase() {
	local name=$1 share=$2 t0 ms rc=0
	shift 2
	t0=$(date +%s%N)
	"$@" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	printf '%s\t%d.%03d\t%s\n' "$name" $((ms / 1000)) $((ms % 1000)) "$share" >>"$OUT/phases.tsv"
	printf '    %s: %d s (share %d s)\n' "$name" $((ms / 1000)) "$share"
	if [ $ms -gt $((share * 1000)) ]; then
		printf 'warning: phase %s took %d s, past its share of %d s\n' "$name" $((ms / 1000)) "$share"
	fi
	return $rc
}

# Ends the run after a phase that the rest cannot do without.
abort() {
	python3 scripts/timings.py "$OUT"
	echo "pcpool: $1; nothing was tested"
	echo "0 passed, 1 failed"
	exit 1
}

step "check 1/8: set-up (scripts/setup.sh)"
phase set-up 300 bash scripts/setup.sh || abort "the set-up failed"

step "check 2/8: the $PCPOOL_FLAVOUR test kernel (scripts/build-kernel.sh)"
if [ -z "${KDIR:-}" ]; then
	phase kernel 1320 bash scripts/build-kernel.sh || abort "the kernel build failed"
	KDIR=$(bash scripts/build-kernel.sh --dir) || abort "no kernel"
fi
export KDIR

# The static checks end with a clean build of pcpool.ko and the samples,
# which the VMs load.
step "check 3/8: static checks (warning-free build, Clippy, rustfmt, unsafe only where listed)"
static() {
	bash scripts/static-checks.sh >"$OUT/shell-static.ktap" 2>"$OUT/shell-static.stderr"
	echo $? >"$OUT/shell-static.rc"
	grep -E '^(not )?ok' "$OUT/shell-static.ktap" | sed 's/^/    /'
}
phase static-checks 60 static
[ -f pcpool.ko ] || abort "pcpool.ko did not build"

step "check 4/8: the Promela model of the pcp protocol (make model)"
model() {
	bash scripts/model.sh >"$OUT/shell-model.ktap" 2>"$OUT/shell-model.stderr"
	echo $? >"$OUT/shell-model.rc"
	grep -E '^(not )?ok' "$OUT/shell-model.ktap" | sed 's/^/    /'
}
phase model 90 model

# The KUnit suites the sources declare must all report, or the run fails;
# all but pcpool_bench, which only make bench runs.
grep -rhoPz 'kunit_suite!\(\s*\K\w+' kunit/ | tr '\0' '\n' | grep -vx pcpool_bench >"$OUT/expect-suites"

step "check 5/8: boot $(basename "$KDIR") under virtme-ng, load pcpool, run the tests"
check_vm() {
	local rc=0
	PCPOOL_VM_TIMEOUT=${PCPOOL_CHECK_TIMEOUT:-3000} run_vm "$OUT" scripts/guest/check.py "$KDIR" || rc=$?
	grep '^guest:' "$OUT/console.log" | sed 's/^/    /'
	if [ $rc -ne 0 ]; then
		echo "the VM run did not complete (exit $rc); see $OUT/console.log" >"$OUT/vm-failed"
	fi
}
phase vm-check 690 check_vm

# The race VM wants every vCPU on a host core of its own: with more vCPUs
# than cores an IPI waits for the host to schedule its target (35 ms instead
# of 1 per isolation under TCG). It boots without debug_pagealloc, which
# maps and unmaps every page of a memory block at each offline and online:
# the check VM's hotplug tests run with it, and the cycles here many times.
race_cpus=${PCPOOL_RACE_CPUS:-$(nproc)}
[ "$race_cpus" -ge 2 ] || race_cpus=2
step "check 6/8: the race suite, scripts/tests/cores/ and bulk/ in a VM with $race_cpus vCPUs"
RACE="$OUT/race"
race_vm() {
	local rc=0
	PCPOOL_VM_TIMEOUT=${PCPOOL_RACE_TIMEOUT:-2400} PCPOOL_VM_CPUS=$race_cpus PCPOOL_VM_PAGEALLOC=off \
		run_vm "$RACE" scripts/guest/race.py "$KDIR" || rc=$?
	grep '^guest:' "$RACE/console.log" | sed 's/^/    /'
	cp "$RACE"/kunit-*.ktap "$RACE"/shell-* "$OUT/" 2>/dev/null
	[ -f "$RACE/dmesg.txt" ] && cp "$RACE/dmesg.txt" "$OUT/dmesg-race.txt"
	if [ $rc -ne 0 ]; then
		echo "the race VM run did not complete (exit $rc); see $RACE/console.log" >"$OUT/vm-failed-race"
	fi
}
phase vm-race 660 race_vm

# The NUMA tests want two nodes, each with a vCPU and a DIMM of movable
# memory (a node's boot memory cannot all go offline: its memmap sits at its
# top); only they run there. Without debug_pagealloc, as the race VM, for
# the node-wide offline cycles.
step "check 7/8: the NUMA tests (scripts/tests/numa/) in a VM with two nodes"
NUMA="$OUT/numa"
numa_vm() {
	local rc=0
	(
		numa_vm_layout 2
		PCPOOL_VM_TIMEOUT=${PCPOOL_NUMA_TIMEOUT:-1800} PCPOOL_VM_PAGEALLOC=off \
			run_vm "$NUMA" scripts/guest/numa.py "$KDIR"
	) || rc=$?
	grep '^guest:' "$NUMA/console.log" | sed 's/^/    /'
	cp "$NUMA"/shell-* "$OUT/" 2>/dev/null
	[ -f "$NUMA/dmesg.txt" ] && cp "$NUMA/dmesg.txt" "$OUT/dmesg-numa.txt"
	if [ $rc -ne 0 ]; then
		echo "the NUMA VM run did not complete (exit $rc); see $NUMA/console.log" >"$OUT/vm-failed-numa"
	fi
}
phase vm-numa 270 numa_vm

# A kernel with kmemleak must have had each VM scan with it: a missing
# scan (kmemleak switched itself off, say) fails instead of vanishing.
if grep -q "^CONFIG_DEBUG_KMEMLEAK=y" "$KDIR/.config" 2>/dev/null; then
	for n in kmemleak kmemleak_race kmemleak_numa; do
		[ -f "$OUT/shell-$n.ktap" ] && continue
		printf 'TAP version 13\n1..1\nnot ok 1 kmemleak_clean # no kmemleak scan in this VM\n' >"$OUT/shell-$n.ktap"
		echo 1 >"$OUT/shell-$n.rc"
	done
fi

step "check 8/8: results (kunit.py parse; $OUT)"
results() {
	python3 scripts/ktap.py "$KDIR" "$OUT" >"$OUT/results.txt"
	local rc=$?
	head -n -1 "$OUT/results.txt"
	return $rc
}
rc=0
phase results 30 results || rc=$?

step "time per phase and the slowest test cases (budget: 60 min from an empty cache, 30 cached)"
python3 scripts/timings.py "$OUT"
tail -n 1 "$OUT/results.txt"
exit $rc
