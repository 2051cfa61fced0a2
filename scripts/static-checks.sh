#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, printed as a KTAP suite: the module builds warning-free
# under CONFIG_WERROR, with and without Clippy; rustfmt is clean; `unsafe`
# and raw bindings stay in the files listed below, each with a SAFETY comment.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
cd "$(dirname "$0")/.."

ktap_print_header
ktap_set_plan 5

rs_files=$(find rust kunit samples -name '*.rs' ! -name '*_generated.rs' 2>/dev/null)
kmake() { make -s -C "$KDIR" M="$PWD" LLVM=1 "$@"; }

# A clean build, so every file is compiled and every warning shows.
check_build() {
	local name=$1 log
	shift
	kmake clean >/dev/null 2>&1
	if log=$(kmake "$@" modules 2>&1) && ! grep -qiE 'warning|error' <<<"$log" && [ -f pcpool.ko ]; then
		ktap_test_pass "$name"
	else
		grep -iE -A3 'warning|error' <<<"$log" | head -20 | sed 's/^/# /'
		ktap_test_fail "$name"
	fi
}
check_build clippy_clean CLIPPY=1
check_build build_warning_free

if out=$(rustfmt --check --edition 2021 --config-path "$KDIR/.rustfmt.toml" $rs_files 2>&1); then
	ktap_test_pass rustfmt_clean
else
	head -20 <<<"$out" | sed 's/^/# /'
	ktap_test_fail rustfmt_clean
fi

# `unsafe` and raw bindings only in these files, each for the reason given
# (Documentation/layout.rst); everything else is safe Rust.
unsafe_allowed=(
	"rust/compat/*.rs"       # generic kernel abstractions, in upstream's shapes
	rust/chunk.rs            # struct pages: chunks from the buddy allocator, PageOffline, refcounts
	rust/page_list.rs        # page->lru lists and the page word in page->private
	rust/zone.rs             # the free lists: pages of its own chunks, pushed and popped
	rust/pool.rs             # the pagesets: pages of its zone, pushed and popped
	rust/client.rs           # the exported C API: handles and pages that come from C
	rust/params.rs           # the statics that C's module_param() writes at load
	rust/percpu_lock.rs      # per-CPU data behind IRQs off, or IRQs off and a spinlock
	rust/callback_mutex.rs   # a mutex held from one memory notifier callback to the next
	rust/trace.rs            # the tracepoints: their C strings and pointer-free arguments
	"samples/*/ffi.rs"       # a Rust sample client's own bindings to pcpool.h
)
leaks=
for f in $(grep -lE '\bunsafe\b|bindings::' $rs_files); do
	ok=
	for pat in "${unsafe_allowed[@]}"; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $f == $pat ]] && ok=1
	done
	[ -n "$ok" ] || leaks+="$f: $(grep -cE '\bunsafe\b|bindings::' "$f") lines"$'\n'
done
if [ -z "$leaks" ]; then
	ktap_test_pass unsafe_only_in_listed_files
else
	sed 's/^/# /' <<<"${leaks%$'\n'}"
	ktap_test_fail unsafe_only_in_listed_files
fi

# Every unsafe block or impl has a SAFETY comment on one of the 6 lines above.
missing=$(awk '
	FNR == 1 { seen = -100 }
	/\/\/ SAFETY:/ { seen = FNR }
	/unsafe (\{|impl)/ && !/^\s*\/\// { if (FNR - seen > 6) print FILENAME ":" FNR ": " $0 }
' $rs_files)
if [ -z "$missing" ]; then
	ktap_test_pass safety_comments
else
	sed 's/^/# /' <<<"$missing"
	ktap_test_fail safety_comments
fi

ktap_finished
