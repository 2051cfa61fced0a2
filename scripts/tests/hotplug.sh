#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpool's memory notifier against real memory hotplug: load, offline and
# online a movable block through sysfs, a cancelled offline, a refused
# offline of a block that holds pool chunks, unload.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 6

kmsg_mark load
if insmod "$PCPOOL_MODULE" && kmsg_in_order load "pcpool: loaded"; then
	ktap_test_pass load
else
	ktap_test_fail load
fi

# A block the pool has no chunk in: pcpool lets it go.
block=$(free_block)
if [ -z "$block" ]; then
	for t in offline online cancel_offline refused_for_pool_chunks unload; do
		ktap_test_fail "$t # no offlinable block without pool chunks"
	done
	rmmod pcpool
	ktap_finished
fi
range=$(block_range "$block")
ktap_print_msg "memory$block: $range; pool chunks in blocks: $(pool_blocks | tr '\n' ' ')"

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

# A block that holds pool chunks: pcpool refuses at once, with a reason,
# instead of leaving offline_pages() to retry until a signal. Reload with
# 430 MiB, more than the free memory of any three of the four movable blocks,
# so that every block that can go offline holds chunks.
rmmod pcpool
insmod "$PCPOOL_MODULE" initial_pages=110000 max_pages=131072
pblock=
for b in $(pool_blocks); do
	case " $PCPOOL_BLOCKS " in *" $b "*) pblock=$b && break ;; esac
done
kmsg_mark refuse
start=$(date +%s)
if [ -n "$pblock" ] && ! set_block_state "$pblock" offline && [ "$(block_state "$pblock")" = online ] &&
	[ $(($(date +%s) - start)) -lt 10 ] &&
	kmsg_in_order refuse "pcpool: MEM_GOING_OFFLINE $(block_range "$pblock")" \
		"pcpool: refusing to offline $(block_range "$pblock"): it holds" \
		"pcpool: MEM_CANCEL_OFFLINE $(block_range "$pblock")"; then
	ktap_test_pass refused_for_pool_chunks
else
	ktap_print_msg "pool blocks $(pool_blocks | tr '\n' ' '); offlinable $PCPOOL_BLOCKS; log: $(kmsg_since refuse | grep pcpool: | tr '\n' '|')"
	ktap_test_fail refused_for_pool_chunks
fi

kmsg_mark unload
if rmmod pcpool && [ ! -d /sys/module/pcpool ] && kmsg_in_order unload "pcpool: unloaded"; then
	ktap_test_pass unload
else
	ktap_test_fail unload
fi

ktap_finished
