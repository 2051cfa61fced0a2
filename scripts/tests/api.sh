#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The exported C API through the samples: a C client and a Rust client get
# zeroed pages and give them back, the stress sample runs on every CPU while
# the pool is scanned, and pcpool cannot be unloaded while a client holds
# pages. A client that breaks the rules (a foreign page, a double free) is
# refused, logged once per bad page, and leaves the pool consistent.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 7

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

if rmmod pcpool && [ ! -d /sys/module/pcpool ]; then
	ktap_test_pass unload
else
	ktap_test_fail unload
fi

ktap_finished
