# SPDX-License-Identifier: GPL-2.0
# Shared settings for pcpool's harness scripts. Source it, don't run it.

PCPOOL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PCPOOL_CACHE=${PCPOOL_CACHE:-$HOME/.cache/pcpool}
export PCPOOL_CACHE

# Tools installed by scripts/setup.sh live in the cache, not on the system.
export PATH="$PCPOOL_CACHE/cargo/bin:$PCPOOL_CACHE/venv/bin:$HOME/.cargo/bin:$PATH"
export CCACHE_DIR="$PCPOOL_CACHE/ccache"
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}

step() { printf '==> %s\n' "$*"; }

# The start of make check, demo, bench and soak: strict mode, the VM runner,
# the repository as the working directory, OUT (this run's directory in the
# cache) and KDIR (as given, else the cached test kernel; not for check,
# which builds the kernel as one of its phases: host_init check nokernel).
host_init() {
	set -uo pipefail
	. "$PCPOOL_TOP/scripts/vm.sh"
	cd "$PCPOOL_TOP" || exit 1
	if [ "${2:-}" != nokernel ]; then
		KDIR=${KDIR:-$(bash scripts/build-kernel.sh --dir)} || exit 1
		export KDIR
	fi
	OUT="$PCPOOL_CACHE/runs/$1-$(date +%Y%m%d-%H%M%S)"
	mkdir -p "$OUT"
}
die() {
	printf 'pcpool: error: %s\n' "$*" >&2
	exit 1
}

# The kernel version is the one Debian's linux-source-6.12 package ships.
kernel_tarball() {
	ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || die "linux-source-6.12 is not installed: run scripts/setup.sh"
}

kernel_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed: run scripts/setup.sh"
}

# The flavour picks the config fragments merged onto vng's config: debug
# (KASAN, lockdep, DEBUG_VM, kmemleak, UBSAN...) for check, demo and soak;
# lean for bench, whose figures the checkers would distort.
PCPOOL_FLAVOUR=${PCPOOL_FLAVOUR:-debug}
export PCPOOL_FLAVOUR

# debug: the kernel's own kernel/configs/debug.config, then ours on top.
# A fragment named @FILE lives in the unpacked kernel tree, whose version is
# already part of the cache key.
kernel_fragments() {
	echo "$PCPOOL_TOP/config/pcpool.config"
	case "$PCPOOL_FLAVOUR" in
	lean) echo "$PCPOOL_TOP/config/pcpool-lean.config" ;;
	debug)
		echo "@kernel/configs/debug.config"
		echo "$PCPOOL_TOP/config/pcpool-debug.config"
		;;
	*) die "unknown PCPOOL_FLAVOUR '$PCPOOL_FLAVOUR' (lean or debug)" ;;
	esac
}

# Cache key: kernel package version, flavour and the hash of every fragment,
# so a new Debian kernel or a changed fragment rebuilds, and nothing else does.
kernel_key() {
	local h
	h=$(kernel_fragments | grep -v '^@' | xargs cat | sha256sum | cut -c1-12)
	echo "$(kernel_version)-$PCPOOL_FLAVOUR-$h"
}

kernel_dir() {
	echo "$PCPOOL_CACHE/kernel-$(kernel_key)"
}
