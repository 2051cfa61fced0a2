#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 200 random offline/online cycles over the movable memory blocks while the
# stress sample allocates and frees on every CPU, with regrow=1 so that the
# pool keeps coming back into the blocks that come online. Each offline
# either succeeds (pcpool gives up the pool pages there) or is refused because
# a stress thread holds a page there. The books are checked after every cycle
# (chunks = grows - offlined, from one snapshot of the zone), and in full
# every 25. Afterwards nothing is lost: verify is consistent, nothing is
# allocated, and after unload MemFree is back at its baseline.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 3

CYCLES=${PCPOOL_HOTPLUG_CYCLES:-200}
blocks=($PCPOOL_BLOCKS)
[ ${#blocks[@]} -gt 0 ] || ktap_exit_fail_msg "no offlinable movable block"

consistent() { grep -q '^consistent$' $DEBUGFS/verify; }

free_before=$(memfree)
insmod "$PCPOOL_MODULE" initial_pages=110000 max_pages=131072 regrow=1 || ktap_exit_fail_msg "insmod pcpool failed"
insmod "$PCPOOL_TOP/samples/pcpool_stress.ko" || ktap_exit_fail_msg "insmod pcpool_stress failed"
# chunks = grows - offlined - shrinks, read from one snapshot of the zone.
books_exact() {
	awk '{v[$1] = $2} END {exit !(v["chunks"] == v["grows"] - v["offlined"] - v["shrinks"])}' $DEBUGFS/zone
}

ok=1
offlined=0 with_pool=0 refused=0 onlined=0 other=0
start=$(date +%s)
for cycle in $(seq "$CYCLES"); do
	b=${blocks[RANDOM % ${#blocks[@]}]}
	n=$(blocks_in "$b")
	if set_block_state "$b" offline; then
		offlined=$((offlined + 1))
		[ "$n" -gt 0 ] && with_pool=$((with_pool + 1))
		if set_block_state "$b" online_movable; then
			onlined=$((onlined + 1))
		else
			ok=0
			ktap_print_msg "cycle $cycle: memory$b would not come online"
		fi
	elif [ "$n" -gt 0 ]; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
	fi
	if ! books_exact; then
		ok=0
		ktap_print_msg "cycle $cycle: $(tr '\n' ' ' <$DEBUGFS/zone)"
	fi
	if [ $((cycle % 25)) = 0 ]; then
		consistent || ok=0
		ktap_print_msg "cycle $cycle, $(($(date +%s) - start)) s: $(head -1 $DEBUGFS/verify)"
	fi
done
ktap_print_msg "$CYCLES cycles in $(($(date +%s) - start)) s: $offlined offline and back online ($with_pool with pool pages), $refused refused by pcpool (pages held), $other failed elsewhere"
ktap_print_msg "zone: $(tr '\n' ' ' <$DEBUGFS/zone)"
ktap_print_msg "hotplug: $(grep -v ' 0$' $DEBUGFS/hotplug | tr '\n' ' ')"
[ $ok -eq 1 ] && [ $with_pool -gt 0 ] && [ $refused -gt 0 ] && ktap_test_pass random_cycles_books_exact || ktap_test_fail random_cycles_books_exact

rmmod pcpool_stress
for b in "${blocks[@]}"; do
	[ "$(block_state "$b")" = online ] || set_block_state "$b" online_movable
done
line=$(head -1 $DEBUGFS/verify)
ktap_print_msg "after the stress: $line"
if consistent && [ "$(sed -n 's/.* \([0-9]*\) allocated;.*/\1/p' <<<"$line")" = 0 ]; then
	ktap_test_pass nothing_lost
else
	ktap_test_fail nothing_lost
fi

unload_memfree_restored "$free_before"

ktap_finished
