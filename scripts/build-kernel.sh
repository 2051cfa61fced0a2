#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build pcpool's test kernel from Debian's linux-source-6.12 into
# $PCPOOL_CACHE/kernel-<version>-<flavour>-<fragment hash>, unless that
# directory already holds a finished build. Prints the directory on the last
# line of stdout. With --dir, only prints the directory of a finished build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The whole script is one function, so that bash has read all of it before
# the long build starts: editing the file meanwhile cannot derail a run.
main() {
	local dir tmp start frag frags line sym val bad log pid now
	dir=$(kernel_dir)
	if [ "${1:-}" = --dir ]; then
		[ -f "$dir/.pcpool-built" ] || die "the test kernel is not built yet: run 'make kernel'"
		echo "$dir"
		return 0
	fi
	if [ -f "$dir/.pcpool-built" ]; then
		step "kernel: cached $(basename "$dir")"
		echo "$dir"
		return 0
	fi

	tmp="$dir.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	start=$(date +%s)

	step "kernel 1/4: unpack $(kernel_tarball) ($(kernel_version))"
	tar -xf "$(kernel_tarball)" -C "$tmp" --strip-components=1 || die "unpacking the kernel failed"

	MAKE=(make -C "$tmp" LLVM=1 "CC=ccache clang" -j"$(nproc)")

	step "kernel 2/4: $PCPOOL_FLAVOUR config (vng --kconfig + $(kernel_fragments | xargs -n1 basename | tr '\n' ' '))"
	(cd "$tmp" && vng --kconfig >/dev/null 2>&1) || die "vng --kconfig failed"
	frags=()
	for frag in $(kernel_fragments); do
		case "$frag" in @*) frag="$tmp/${frag#@}" ;; esac
		frags+=("$frag")
		(cd "$tmp" && scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null 2>&1) ||
			die "merging $frag failed"
	done
	"${MAKE[@]}" -s olddefconfig >/dev/null || die "make olddefconfig failed"

	# merge_config only warns when a value does not stick; make it fatal.
	# "# CONFIG_X is not set" means n; the last fragment naming a symbol wins.
	bad=0
	while IFS= read -r line; do
		sym=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			grep -qE "^$sym=" "$tmp/.config" && { echo "    $sym: wanted n, got $(grep -E "^$sym=" "$tmp/.config")"; bad=1; }
		else
			grep -qx "$line" "$tmp/.config" || { echo "    $sym: wanted $val, got $(grep -E "^$sym=|^# $sym " "$tmp/.config" || echo unset)"; bad=1; }
		fi
	done < <(cat "${frags[@]}" | sed -nE 's/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1=n/p; /^CONFIG_[A-Za-z0-9_]+=/p' |
		tac | awk -F= '!seen[$1]++' | tac)
	[ $bad -eq 0 ] || die "the config fragments did not apply (see above)"
	"${MAKE[@]}" -s rustavailable >/dev/null || die "make rustavailable failed: Rust toolchain not usable"

	step "kernel 3/4: build (LLVM=1, ccache, -j$(nproc)); progress every 30 s"
	log="$tmp/.pcpool-build.log"
	"${MAKE[@]}" >"$log" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		for _ in $(seq 30); do
			kill -0 $pid 2>/dev/null || break
			sleep 1
		done
		now=$(date +%s)
		printf '    %4ds  %6d objects  %s\n' $((now - start)) \
			"$(grep -cE '^  (CC|RUSTC|AS|LD)' "$log" || true)" "$(tail -n1 "$log" | cut -c1-70)"
	done
	if ! wait $pid; then
		tail -n 40 "$log"
		die "kernel build failed (log: $log)"
	fi

	step "kernel 4/4: done in $(($(date +%s) - start)) s; ccache: $(ccache -s 2>/dev/null | grep -E 'Hits' | head -1 | tr -s ' ')"
	touch "$tmp/.pcpool-built"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$dir"
}

main "$@"
