#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: static checks on the host, then every test in the test kernel
# under virtme-ng. Ends with "N passed, N failed"; exits non-zero on any
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

step "check 1/3: static checks (warning-free build, Clippy, rustfmt, unsafe only in rust/ffi)"
bash scripts/static-checks.sh >"$OUT/shell-static.ktap" 2>"$OUT/shell-static.stderr"
echo $? >"$OUT/shell-static.rc"
grep -E '^(not )?ok' "$OUT/shell-static.ktap" | sed 's/^/    /'

step "check 2/3: boot $(basename "$KDIR") under virtme-ng, load pcpool, run the tests"
vm_rc=0
run_vm "$OUT" scripts/guest/check.sh "$KDIR" || vm_rc=$?
grep '^guest:' "$OUT/console.log" | sed 's/^/    /'

if [ $vm_rc -ne 0 ]; then
	echo "the VM run did not complete (exit $vm_rc); see $OUT/console.log" >"$OUT/vm-failed"
fi
echo "    tests ran in $(($(date +%s) - start)) s"

step "check 3/3: results (kunit.py parse; $OUT)"
python3 scripts/ktap.py "$KDIR" "$OUT"
