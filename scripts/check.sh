#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: static checks and the model on the host, then every test in the
# debug kernel under virtme-ng. Ends with "N passed, N failed"; exits non-zero on any
# failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$PCPOOL_TOP/scripts/vm.sh"
cd "$PCPOOL_TOP"
start=$(date +%s)
KDIR=${KDIR:-$(bash scripts/build-kernel.sh --dir)} || exit 1
export KDIR

OUT="$PCPOOL_CACHE/runs/check-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

step "check 1/5: static checks (warning-free build, Clippy, rustfmt, unsafe only in rust/ffi)"
bash scripts/static-checks.sh >"$OUT/shell-static.ktap" 2>"$OUT/shell-static.stderr"
echo $? >"$OUT/shell-static.rc"
grep -E '^(not )?ok' "$OUT/shell-static.ktap" | sed 's/^/    /'

step "check 2/5: the Promela model of the pcp protocol (make model)"
bash scripts/model.sh >"$OUT/shell-model.ktap" 2>"$OUT/shell-model.stderr"
echo $? >"$OUT/shell-model.rc"
grep -E '^(not )?ok' "$OUT/shell-model.ktap" | sed 's/^/    /'

# The KUnit suites the sources declare must all report, or the run fails;
# all but pcpool_bench, which only make bench runs.
grep -rhoPz 'kunit_suite!\(\s*\K\w+' kunit/ | tr '\0' '\n' | grep -vx pcpool_bench >"$OUT/expect-suites"

step "check 3/5: boot $(basename "$KDIR") under virtme-ng, load pcpool, run the tests"
vm_rc=0
PCPOOL_VM_TIMEOUT=${PCPOOL_CHECK_TIMEOUT:-1800} run_vm "$OUT" scripts/guest/check.sh "$KDIR" || vm_rc=$?
grep '^guest:' "$OUT/console.log" | sed 's/^/    /'
if [ $vm_rc -ne 0 ]; then
	echo "the VM run did not complete (exit $vm_rc); see $OUT/console.log" >"$OUT/vm-failed"
fi

# The race suite wants every vCPU on a host core of its own: with more vCPUs
# than cores an IPI waits for the host to schedule its target (35 ms instead
# of 1 per isolation under TCG).
race_cpus=${PCPOOL_RACE_CPUS:-$(nproc)}
[ "$race_cpus" -ge 2 ] || race_cpus=2
step "check 4/5: the race suite and scripts/tests/cores/ in a VM with $race_cpus vCPUs"
RACE="$OUT/race"
race_rc=0
PCPOOL_VM_TIMEOUT=${PCPOOL_RACE_TIMEOUT:-2400} PCPOOL_VM_CPUS=$race_cpus run_vm "$RACE" scripts/guest/race.sh "$KDIR" || race_rc=$?
grep '^guest:' "$RACE/console.log" | sed 's/^/    /'
cp "$RACE"/kunit-*.ktap "$RACE"/shell-* "$OUT/" 2>/dev/null
[ -f "$RACE/dmesg.txt" ] && cp "$RACE/dmesg.txt" "$OUT/dmesg-race.txt"
if [ $race_rc -ne 0 ]; then
	echo "the race VM run did not complete (exit $race_rc); see $RACE/console.log" >"$OUT/vm-failed-race"
fi
# A kernel with kmemleak must have had each VM scan with it: a missing
# scan (kmemleak switched itself off, say) fails instead of vanishing.
if grep -q "^CONFIG_DEBUG_KMEMLEAK=y" "$KDIR/.config" 2>/dev/null; then
	for n in kmemleak kmemleak_race; do
		[ -f "$OUT/shell-$n.ktap" ] && continue
		printf 'TAP version 13\n1..1\nnot ok 1 kmemleak_clean # no kmemleak scan in this VM\n' >"$OUT/shell-$n.ktap"
		echo 1 >"$OUT/shell-$n.rc"
	done
fi
echo "    tests ran in $(($(date +%s) - start)) s"

step "check 5/5: results (kunit.py parse; $OUT)"
python3 scripts/ktap.py "$KDIR" "$OUT"
