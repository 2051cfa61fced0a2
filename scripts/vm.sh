# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel under virtme-ng and run a guest script. Source it.
#
#   run_vm OUTDIR GUEST_SCRIPT [ARGS...]
#
# The guest script (scripts/guest/*.py, run by python3) runs as root in a VM with 4 vCPUs and 2 GiB, of which
# 512 MiB are ZONE_MOVABLE (movablecore=), so memory blocks can be offlined
# (the debug kernel: 2.5 GiB, 896 MiB movable, see below).
# It sees the host's file system read-only and OUTDIR read-write. run_vm
# returns 0 when the guest script ran to its end (whatever the tests said),
# 2 when the guest never started the script (an infrastructure failure,
# retried twice), and 3 when the script started but did not finish (a hang
# or crash while tests ran: a failure, never retried).

: "${PCPOOL_VM_TIMEOUT:=900}"
: "${PCPOOL_VM_CPUS:=4}"
# The debug kernel: its checkers that are built in but off by default, and a
# panic (PANIC_ON_OOPS is on) that ends the VM at once instead of hanging
# until the timeout. PCPOOL_VM_PAGEALLOC=off boots without debug_pagealloc.
# no5lvl: QEMU's TCG CPU has LA57, and 6.12's identify_cpu() clears the boot
# CPU's feature bits for a moment; KASAN then takes the 5-level direct map
# for wild memory, and an interrupt in that window is a false KASAN report.
# Boot-time memblock allocations (KASAN's shadow: an
# eighth of RAM) are made top-down, inside ZONE_MOVABLE, and make the blocks
# there reserved: 2.5 GiB with 896 MiB movable leaves, like the lean
# kernel's 2 GiB with 512 MiB, a few whole movable blocks that can go offline.
# cma=64M: a CMA area, which pcpool must never keep pageblocks of
# (scripts/tests/cma.py).
if [ "${PCPOOL_FLAVOUR:-}" = debug ]; then
	: "${PCPOOL_VM_MEMORY:=2560M}"
	: "${PCPOOL_VM_APPEND:=movablecore=896M cma=64M}"
fi
: "${PCPOOL_VM_MEMORY:=2G}"
: "${PCPOOL_VM_APPEND:=movablecore=512M}"

# KVM only where it really works. On this machine kind /dev/kvm is a
# paravirtual KVM (kvm_pvm) on which a normal guest hangs or dies, so probe
# once per host kernel with a short boot and remember the answer.
vm_accel_args() {
	if [ -n "${PCPOOL_KVM:-}" ]; then
		[ "$PCPOOL_KVM" = 1 ] || echo --disable-kvm
		return
	fi
	local probe="$PCPOOL_CACHE/kvm-probe-$(uname -r)"
	if [ ! -f "$probe" ]; then
		local answer=no
		# kvm_pvm is known not to work: no need to spend the probe's minute.
		if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then
			echo "    probing KVM (a 60 s boot at most, once per host kernel)" >&2
			if timeout -k 5 60 vng --run "$VM_KERNEL" --cpus 1 --memory 512M \
				--exec 'echo pcpool-kvm-ok' </dev/null 2>/dev/null | grep -q pcpool-kvm-ok; then
				answer=yes
			fi
		fi
		echo "$answer" >"$probe"
	fi
	if [ "$(cat "$probe")" = yes ]; then
		echo "    KVM works here" >&2
	else
		echo "    KVM unusable here: TCG (--disable-kvm)" >&2
		echo --disable-kvm
	fi
}

# numa_vm_layout CPUS: the NUMA VM's layout, exported for run_vm: two
# nodes of 1 GiB, each with half the vCPUs and a 256 MiB DIMM plugged at
# boot (pc-dimm, ACPI memory hotplug) and left offline
# (CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE) for the guest to online movable
# (online_dimms() in pcpool_guest.py). A node's boot memory cannot all go
# offline (its memmap sits at its top); a DIMM can.
numa_vm_layout() {
	local cpus=$1 half=$(($1 / 2)) n
	export PCPOOL_VM_CPUS=$cpus PCPOOL_VM_MEMORY=2048M PCPOOL_VM_APPEND="${PCPOOL_NUMA_APPEND:-}"
	export PCPOOL_VM_NUMA="1024M,cpus=0-$((half - 1)) 1024M,cpus=$half-$((cpus - 1))"
	# A socket per node: QEMU's default puts every vCPU in one socket, whose
	# shared LLC across two nodes makes the guest WARN (topology_sane()).
	PCPOOL_VM_QEMU_OPTS="-m 2048M,slots=2,maxmem=2560M -smp $cpus,sockets=2,cores=$half,threads=1"
	for n in 0 1; do
		PCPOOL_VM_QEMU_OPTS+=" -object memory-backend-ram,id=dimm$n,size=256M"
		PCPOOL_VM_QEMU_OPTS+=" -device pc-dimm,id=d$n,memdev=dimm$n,node=$n"
	done
	export PCPOOL_VM_QEMU_OPTS
}

# PCPOOL_VM_NUMA="MEM[,cpus=..] ...": a --numa node each.
vm_numa_args() {
	local node
	for node in ${PCPOOL_VM_NUMA:-}; do
		printf -- '--numa %s ' "$node"
	done
}

run_vm_once() {
	local out=$1 script=$2
	shift 2
	# nokaslr: with KASLR the kernel image (70 MB in the debug kernel) lands
	# at a random physical address, sometimes inside ZONE_MOVABLE, and its
	# reserved pages keep one or two movable blocks from ever going offline:
	# which blocks can, and how many, changed from boot to boot.
	# The kernel's console goes to console.log from warnings up (loglevel=5
	# with vng --verbose): a guest that dies leaves its Oops or panic there,
	# and the boot's and pcpool's info lines stay off the slow serial port.
	local append="$PCPOOL_VM_APPEND nokaslr loglevel=5"
	if [ "${PCPOOL_FLAVOUR:-}" = debug ]; then
		append="$append debug_pagealloc=${PCPOOL_VM_PAGEALLOC:-on} page_owner=on panic=-1 no5lvl"
	fi
	rm -f "$out/guest-started" "$out/guest-finished"
	timeout -k 10 "$PCPOOL_VM_TIMEOUT" vng --verbose $(vm_accel_args) --run "$VM_KERNEL" \
		--cpus "$PCPOOL_VM_CPUS" --memory "$PCPOOL_VM_MEMORY" $(vm_numa_args) \
		--append "$append" ${PCPOOL_VM_QEMU_OPTS:+--qemu-opts="$PCPOOL_VM_QEMU_OPTS"} \
		--rwdir "$out" --cwd "$PCPOOL_TOP" \
		--exec "python3 $script $out $*" </dev/null >"$out/console.log" 2>&1
	local rc=$?
	if [ ! -f "$out/guest-started" ]; then
		echo "    infrastructure failure: the guest never started the script (vng exit $rc)" >&2
		tail -n 15 "$out/console.log" | sed 's/^/    | /' >&2
		return 2
	fi
	if [ ! -f "$out/guest-finished" ]; then
		echo "    the guest script started but did not finish (vng exit $rc;" \
			"timeout ${PCPOOL_VM_TIMEOUT}s): a hang or a crash" >&2
		tail -n 25 "$out/console.log" | sed 's/^/    | /' >&2
		return 3
	fi
	return 0
}

run_vm() {
	local out=$1
	VM_KERNEL="$KDIR/arch/x86/boot/bzImage"
	[ -f "$VM_KERNEL" ] || die "no kernel image at $VM_KERNEL"
	mkdir -p "$out"
	local rc=0 attempt
	# The tests never ran, so a retry cannot turn a failed test into a pass.
	# (QEMU's TCG sometimes dies at boot: an msix_table_mmio_write assertion.)
	for attempt in 1 2 3; do
		rc=0
		run_vm_once "$@" || rc=$?
		[ $rc -eq 2 ] && [ $attempt -lt 3 ] || return $rc
		echo "    retrying the VM (attempt $((attempt + 1)) of 3)" >&2
	done
}
