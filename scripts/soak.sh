#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak DURATION=30m [SEED=n]: the randomised long run of
# scripts/guest/soak.py in the debug kernel, in a VM with one vCPU per host
# core, in two NUMA nodes with a DIMM each (numa_vm_layout, scripts/vm.sh). Prints the soak's summary (each operation's count and outcomes,
# failures, pages lost), then the results with the kernel-report and
# kmemleak checks, ending with "N passed, N failed".
. "$(dirname "$0")/lib.sh"

duration=${DURATION:-10m}
case "$duration" in
*h) secs=$((${duration%h} * 3600)) ;;
*m) secs=$((${duration%m} * 60)) ;;
*s) secs=${duration%s} ;;
*) secs=$duration ;;
esac
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || die "DURATION='$duration': want N, Ns, Nm or Nh"
host_init soak

cpus=${PCPOOL_SOAK_CPUS:-$(nproc)}
[ "$cpus" -ge 2 ] || cpus=2
cpus=$((cpus / 2 * 2))
step "soak: $(basename "$KDIR"), $cpus vCPUs in two NUMA nodes, $secs s${SEED:+, seed $SEED}"
vm_rc=0
numa_vm_layout "$cpus"
PCPOOL_VM_TIMEOUT=$((secs + 900)) run_vm "$OUT" scripts/guest/soak.py "$KDIR" "$secs" "${SEED:-}" || vm_rc=$?
grep '^guest:' "$OUT/console.log" | sed 's/^guest: //'
[ $vm_rc -eq 0 ] || echo "the soak VM did not complete (exit $vm_rc); see $OUT/console.log" >"$OUT/vm-failed"
step "soak: results ($OUT)"
python3 scripts/ktap.py "$KDIR" "$OUT"
