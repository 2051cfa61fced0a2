#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything pcpool's build and tests need on a fresh Debian
# bookworm machine. Idempotent: each step checks first and is quick when its
# tool is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BINDGEN_VERSION=0.69.5
VNG_VERSION=1.42

PACKAGES=(
	linux-source-6.12
	build-essential flex bison bc libelf-dev libssl-dev cpio kmod dwarves
	xz-utils ccache rsync
	clang lld llvm libclang-dev
	qemu-system-x86 busybox-static udev
	spin
	gnuplot-nox
)

mkdir -p "$PCPOOL_CACHE"

step "setup 1/4: Debian packages"
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "    installing: ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq || die "apt-get update failed"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
else
	echo "    all ${#PACKAGES[@]} packages present"
fi

step "setup 2/4: rustup component rust-src"
command -v rustup >/dev/null || die "rustup not found: pcpool needs the machine's rustup toolchain"
if rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	echo "    rust-src present"
else
	rustup component add rust-src || die "rustup component add rust-src failed"
fi

step "setup 3/4: bindgen-cli $BINDGEN_VERSION"
if "$PCPOOL_CACHE/cargo/bin/bindgen" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	echo "    bindgen $BINDGEN_VERSION present"
else
	cargo install --locked --quiet --root "$PCPOOL_CACHE/cargo" "bindgen-cli@$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli@$BINDGEN_VERSION failed"
fi

step "setup 4/4: virtme-ng $VNG_VERSION (venv)"
if "$PCPOOL_CACHE/venv/bin/vng" --version 2>/dev/null | grep -q "$VNG_VERSION"; then
	echo "    virtme-ng present"
else
	python3 -m venv "$PCPOOL_CACHE/venv" || die "python3 -m venv failed"
	"$PCPOOL_CACHE/venv/bin/pip" install -q "virtme-ng==$VNG_VERSION" ||
		die "pip install virtme-ng==$VNG_VERSION failed"
fi
echo "    setup done"
