#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The exported C API through the samples: a C client and a Rust client get
# zeroed pages and give them back, the stress sample runs on every CPU while
# the pool is scanned, and pcpool cannot be unloaded while a client holds
# pages. A client that breaks the rules (a foreign page, a double free) is
# refused, logged once per bad page, and leaves the pool consistent; so is a
# free through another client's handle, and a call through a NULL, ERR_PTR or
# unregistered handle.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 13

verify_line() { head -1 $DEBUGFS/verify; }
allocated() { verify_line | sed -n 's/.* \([0-9]*\) allocated;.*/\1/p'; }
consistent() { grep -q '^consistent$' $DEBUGFS/verify; }

kmsg_mark api
insmod "$PCPOOL_MODULE" initial_pages=512 || { ktap_exit_fail_msg "insmod pcpool failed"; }

if insmod "$PCPOOL_TOP/samples/pcpool_client.ko" hold=8 &&
	kmsg_in_order api "pcpool_client: 64 pages allocated, 0 not as expected, 8 held, client holds 8" &&
	[ "$(allocated)" = 8 ] && consistent; then
	ktap_test_pass c_client
else
	ktap_print_msg "$(verify_line); log: $(kmsg_since api | grep pcpool | tr '\n' '|')"
	ktap_test_fail c_client
fi

if ! rmmod pcpool 2>/dev/null && [ -d /sys/module/pcpool ] && consistent; then
	ktap_test_pass unload_refused_while_held
else
	ktap_test_fail unload_refused_while_held
fi

kmsg_mark rust
if insmod "$PCPOOL_TOP/samples/pcpool_rust_client.ko" &&
	kmsg_in_order rust "pcpool_rust_client: 32 pages allocated, 0 not as expected, client holds 0" &&
	rmmod pcpool_rust_client && [ "$(allocated)" = 8 ]; then
	ktap_test_pass rust_client
else
	ktap_print_msg "$(verify_line); log: $(kmsg_since rust | grep pcpool | tr '\n' '|')"
	ktap_test_fail rust_client
fi

# Scans while the stress sample runs on every CPU: each must be consistent.
kmsg_mark stress
ok=1
if insmod "$PCPOOL_TOP/samples/pcpool_stress.ko"; then
	# Each scan after the stress threads have allocated or freed since the
	# one before.
	for i in 1 2 3 4 5 6; do
		wait_pcp_change || { ok=0; ktap_print_msg "scan $i: no pcp list changed in 30 s"; }
		consistent || { ok=0; ktap_print_msg "scan $i: $(verify_line)"; }
	done
	ktap_print_msg "pcp during stress: $(tail -n +2 $DEBUGFS/pcp | tr '\n' '|')"
	rmmod pcpool_stress || ok=0
	kmsg_since stress | grep -q "pcpool_stress: .* 0 failed frees, .* client holds 0" || ok=0
else
	ok=0
fi
[ "$(allocated)" = 8 ] && consistent || ok=0
[ $ok -eq 1 ] && ktap_test_pass stress_scans_consistent || ktap_test_fail stress_scans_consistent

if rmmod pcpool_client && [ "$(allocated)" = 0 ] && consistent; then
	ktap_test_pass client_gave_back
else
	ktap_test_fail client_gave_back
fi

# Misuse: each bad page refused with EINVAL (-22) and one log line (two bad
# frees, then the same two inside a bulk free with one good page).
kmsg_mark misuse
if insmod "$PCPOOL_TOP/samples/pcpool_client.ko" misuse=1 &&
	kmsg_in_order misuse "pcpool_client: misuse: foreign free -22, double free -22, bulk free of 1 good + 2 bad: 1 freed, client holds 0" &&
	[ "$(kmsg_since misuse | grep -c 'pcpool: free of the page at pfn 0x[0-9a-f]* refused: not a page of the pool')" = 2 ] &&
	[ "$(kmsg_since misuse | grep -c 'pcpool: free of page id [0-9]* refused: it is not allocated')" = 2 ] &&
	[ "$(kmsg_since misuse | grep -c 'refused')" = 4 ] &&
	[ "$(allocated)" = 0 ] && consistent && rmmod pcpool_client; then
	ktap_test_pass misuse_refused_logged_once
else
	ktap_print_msg "$(verify_line); log: $(kmsg_since misuse | grep pcpool | tr '\n' '|')"
	ktap_test_fail misuse_refused_logged_once
fi

# Handles: each bad call refused (-22, or no page) with a log line naming
# the clients; the page stays its owner's, every held count right, and
# pcpool's module count exactly as before the client loaded.
refcnt=$(cat /sys/module/pcpool/refcnt)
kmsg_mark handles
insmod "$PCPOOL_TOP/samples/pcpool_client.ko" misuse_handles=1
rmmod pcpool_client
handles=$(kmsg_since handles)
ktap_print_msg "$(grep -o 'misuse_handles: .*\|pcpool: .*refused.*' <<<"$handles" | tr '\n' '|')"
handle_test() {
	local name=$1 pat ok=1
	shift
	for pat in "$@"; do grep -qF -- "$pat" <<<"$handles" || ok=0; done
	if [ $ok = 1 ] && [ "$(allocated)" = 0 ] && consistent &&
		[ "$(cat /sys/module/pcpool/refcnt)" = "$refcnt" ]; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
	fi
}
handle_test foreign_client_free \
	"pcpool_client: misuse_handles: foreign client free -22; this client holds 1, the other 0; the other unregistered: 0" \
	"pcpool: client pcpool_client_b: free of the page at pfn" \
	"pcpool: client pcpool_client_b unregistered" \
	"pcpool_client: misuse_handles: the owner's free 0; this client holds 0"
handle_test bad_client_handle_null "pcpool_client: misuse_handles: NULL handle: alloc NULL, free -22" \
	"pcpool: pcpool_free_page: NULL client handle refused"
handle_test bad_client_handle_err_ptr \
	"pcpool_client: misuse_handles: ERR_PTR handle: alloc NULL, free -22, held 0, unregister -22" \
	"pcpool: pcpool_client_unregister: invalid client handle -ENOMEM refused"
handle_test bad_client_handle_after_unregister \
	"pcpool_client: misuse_handles: after unregister: alloc NULL, free -22, unregister again -22" \
	"pcpool: pcpool_client_unregister: client pcpool_client_b is unregistered: call refused"
# An unregister racing allocations through the same handle: refused while a
# page is held, then done; the allocating thread's next call is refused.
handle_test bad_client_handle_unregister_race \
	"pcpool: client pcpool_client_race unregistered" \
	"pcpool: pcpool_alloc_page: client pcpool_client_race is"
grep -q "misuse_handles: unregister during allocations: 0 after [0-9]* refusals; the thread made [1-9]" <<<"$handles" ||
	ktap_print_msg "the unregister race did not run as planned"

# A client looping on a bad free: 1000 refusals log a burst of 10 lines;
# 5 s later the next one logs its line after one saying how many of the
# same were suppressed.
kmsg_mark ratelimit
insmod "$PCPOOL_TOP/samples/pcpool_client.ko" misuse_loop=1000 && rmmod pcpool_client
lines=$(kmsg_since ratelimit | grep -c 'pcpool: free of the page at pfn 0x[0-9a-f]* refused: not a page of the pool')
ktap_print_msg "$lines refusal lines; $(kmsg_since ratelimit | grep -o 'pcpool: [0-9]* messages like the next suppressed\|misuse_loop: .*' | tr '\n' ' ')"
if [ "$lines" = 11 ] && kmsg_in_order ratelimit "pcpool: 990 messages like the next suppressed" \
	"pcpool_client: misuse_loop: 1001 of 1001 bad frees refused" && [ "$(allocated)" = 0 ] && consistent; then
	ktap_test_pass ratelimit_bad_frees
else
	ktap_test_fail ratelimit_bad_frees
fi

if rmmod pcpool && [ ! -d /sys/module/pcpool ]; then
	ktap_test_pass unload
else
	ktap_test_fail unload
fi

ktap_finished
