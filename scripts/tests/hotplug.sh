#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpool's memory notifier against real memory hotplug: load, offline and
# online a movable block through sysfs, a cancelled offline, unload.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 5

block=${PCPOOL_BLOCKS%% *}
if [ -z "$block" ]; then
	for t in load offline online cancel_offline unload; do ktap_test_fail "$t # no offlinable block"; done
	ktap_finished
fi
range=$(block_range "$block")
ktap_print_msg "memory$block: $range"

kmsg_mark load
if insmod "$PCPOOL_MODULE" && kmsg_in_order load "pcpool: loaded"; then
	ktap_test_pass load
else
	ktap_test_fail load
fi

kmsg_mark offline
if set_block_state "$block" offline && [ "$(block_state "$block")" = offline ] &&
	kmsg_in_order offline "pcpool: MEM_GOING_OFFLINE $range" "pcpool: MEM_OFFLINE $range"; then
	ktap_test_pass offline
else
	ktap_print_msg "state $(block_state "$block"); log: $(kmsg_since offline | grep pcpool: | tr '\n' '|')"
	ktap_test_fail offline
fi

kmsg_mark online
if set_block_state "$block" online_movable && [ "$(block_state "$block")" = online ] &&
	kmsg_in_order online "pcpool: MEM_GOING_ONLINE $range" "pcpool: MEM_ONLINE $range"; then
	ktap_test_pass online
else
	ktap_print_msg "state $(block_state "$block"); log: $(kmsg_since online | grep pcpool: | tr '\n' '|')"
	ktap_test_fail online
fi

# A notifier after pcpool (priority -1) refuses: the core must send pcpool
# MEM_CANCEL_OFFLINE, and the block stays online.
inject=/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_OFFLINE/error
kmsg_mark cancel
if insmod "$KDIR/lib/notifier-error-inject.ko" &&
	insmod "$KDIR/lib/memory-notifier-error-inject.ko" priority=-1 &&
	echo -16 >"$inject" && ! set_block_state "$block" offline &&
	[ "$(block_state "$block")" = online ] &&
	kmsg_in_order cancel "pcpool: MEM_GOING_OFFLINE $range" "pcpool: MEM_CANCEL_OFFLINE $range"; then
	ktap_test_pass cancel_offline
else
	ktap_print_msg "state $(block_state "$block"); log: $(kmsg_since cancel | grep pcpool: | tr '\n' '|')"
	ktap_test_fail cancel_offline
fi
rmmod memory_notifier_error_inject notifier_error_inject 2>/dev/null

kmsg_mark unload
if rmmod pcpool && [ ! -d /sys/module/pcpool ] && kmsg_in_order unload "pcpool: unloaded"; then
	ktap_test_pass unload
else
	ktap_test_fail unload
fi

ktap_finished
