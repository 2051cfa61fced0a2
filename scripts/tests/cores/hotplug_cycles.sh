#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Random offline/online cycles over the movable memory blocks while the
# stress sample allocates and frees on every CPU, with regrow=1 so that the
# pool keeps coming back into the blocks that come online. Every kind of
# cycle must occur:
#   - a block without pool chunks goes offline and online under the stress;
#   - a block with pool chunks is refused, because a stress thread holds a
#     page there;
#   - a block with pool chunks goes offline (pcpool gives up its pages) and
#     online again. Under the stress this is rare (the stress threads hold
#     pages all over the pool), so one cycle in four runs with the stress
#     sample unloaded, its pages back on the CPUs' pcp lists.
# While a kind is missing, the next cycle picks a block that can give it;
# otherwise the block is random. The books are checked after every cycle
# (chunks = grows - offlined - shrinks, from one snapshot of the zone), and
# in full every 5, and so are the kernel's own figures (MemTotal, each zone's
# present and managed: exact for the blocks' states, kernel_accounting_*).
# Afterwards nothing is lost: verify is consistent, nothing is allocated,
# and after unload MemFree is back at its baseline and MemTotal exact.
#
# The pool takes 65536 pages (256 MiB), so that pages freed by the kernel
# elsewhere in ZONE_MOVABLE, and not only a block that just came online
# (online_pages() puts its pages at the tail of the free lists), can take
# its regrowth: blocks without pool chunks keep occurring.
#
# The run stops at PCPOOL_HOTPLUG_CYCLES cycles (24) or when its time share,
# PCPOOL_HOTPLUG_SECONDS (240), is used up, whichever comes first; while a
# kind of cycle is still missing it goes on past the share, up to twice it,
# so that a slow host still sees every kind. It says how far it got. It
# fails on an error, or when it ran fewer than PCPOOL_HOTPLUG_MIN cycles (6)
# or some kind of cycle never occurred. make soak runs the long version (200
# cycles).
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 5

CYCLES=${PCPOOL_HOTPLUG_CYCLES:-24}
SHARE=${PCPOOL_HOTPLUG_SECONDS:-240}
MIN=${PCPOOL_HOTPLUG_MIN:-6}
QUIET_EVERY=4
blocks=($PCPOOL_BLOCKS)
[ ${#blocks[@]} -gt 0 ] || ktap_exit_fail_msg "no offlinable movable block"

consistent() { grep -q '^consistent$' $DEBUGFS/verify; }
# chunks = grows - offlined - shrinks, read from one snapshot of the zone.
books_exact() {
	awk '{v[$1] = $2} END {exit !(v["chunks"] == v["grows"] - v["offlined"] - v["shrinks"])}' $DEBUGFS/zone
}
# A random block of $1 (a list), or nothing when it is empty.
pick() {
	local l=($1)
	[ ${#l[@]} -gt 0 ] && echo "${l[RANDOM % ${#l[@]}]}"
}
# The blocks of PCPOOL_BLOCKS that hold pool chunks ($1 = yes) or none (no).
blocks_with_pool() {
	local b
	for b in "${blocks[@]}"; do
		if [ "$(blocks_in "$b")" -gt 0 ]; then
			[ "$1" = yes ] && echo "$b"
		else
			[ "$1" = no ] && echo "$b"
		fi
	done
}
stress_on() { insmod "$PCPOOL_TOP/samples/pcpool_stress.ko"; }
stress_off() { rmmod pcpool_stress; }

free_before=$(memfree)
kernel_base=$(mktemp)
kernel_view >"$kernel_base"
kernel_ok=1
insmod "$PCPOOL_MODULE" initial_pages=65536 max_pages=131072 regrow=1 || ktap_exit_fail_msg "insmod pcpool failed"
stress_on || ktap_exit_fail_msg "insmod pcpool_stress failed"

ok=1
offlined=0 with_pool=0 with_pool_stress=0 without_pool=0 refused=0 other=0 cycle=0
start=$SECONDS
all_kinds() { [ $with_pool -gt 0 ] && [ $without_pool -gt 0 ] && [ $refused -gt 0 ]; }
while [ $cycle -lt "$CYCLES" ] && { [ $((SECONDS - start)) -lt "$SHARE" ] ||
	{ ! all_kinds && [ $((SECONDS - start)) -lt $((2 * SHARE)) ]; }; }; do
	cycle=$((cycle + 1))
	quiet=0
	[ $((cycle % QUIET_EVERY)) = 0 ] && quiet=1
	if [ $quiet = 1 ]; then
		stress_off || { ok=0; ktap_print_msg "cycle $cycle: rmmod pcpool_stress failed"; }
	fi
	b=
	if [ $quiet = 1 ] && [ $with_pool = 0 ]; then
		b=$(pick "$(blocks_with_pool yes)")
	elif [ $quiet = 0 ] && [ $refused = 0 ]; then
		b=$(pick "$(blocks_with_pool yes)")
	elif [ $without_pool = 0 ]; then
		b=$(pick "$(blocks_with_pool no)")
	fi
	[ -n "$b" ] || b=${blocks[RANDOM % ${#blocks[@]}]}
	n=$(blocks_in "$b")
	if set_block_state "$b" offline; then
		offlined=$((offlined + 1))
		if [ "$n" -gt 0 ]; then
			with_pool=$((with_pool + 1))
			[ $quiet = 0 ] && with_pool_stress=$((with_pool_stress + 1))
		else
			without_pool=$((without_pool + 1))
		fi
		if ! set_block_state "$b" online_movable; then
			ok=0
			ktap_print_msg "cycle $cycle: memory$b would not come online"
		fi
	elif [ "$n" -gt 0 ]; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
	fi
	if [ $quiet = 1 ]; then
		stress_on || { ok=0; ktap_print_msg "cycle $cycle: insmod pcpool_stress failed"; }
	fi
	if ! books_exact; then
		ok=0
		ktap_print_msg "cycle $cycle: $(tr '\n' ' ' <$DEBUGFS/zone)"
	fi
	figures=$(kernel_accounting_ok "$kernel_base" " after cycle $cycle") || { kernel_ok=0; echo "$figures"; }
	if [ $((cycle % 5)) = 0 ]; then
		consistent || ok=0
		ktap_print_msg "cycle $cycle, $((SECONDS - start)) s: $(head -1 $DEBUGFS/verify)"
	fi
done
ktap_print_msg "$cycle of $CYCLES cycles in $((SECONDS - start)) s (share ${SHARE} s, minimum $MIN):" \
	"$offlined offline and back online ($with_pool with pool pages, $with_pool_stress of them under the stress;" \
	"$without_pool without), $refused refused by pcpool (pages held), $other failed elsewhere"
ktap_print_msg "zone: $(tr '\n' ' ' <$DEBUGFS/zone)"
ktap_print_msg "hotplug: $(grep -v ' 0$' $DEBUGFS/hotplug | tr '\n' ' ')"
[ $cycle -ge "$MIN" ] || { ok=0; ktap_print_msg "only $cycle cycles, fewer than the minimum $MIN"; }
all_kinds || { ok=0; ktap_print_msg "a kind of cycle never occurred"; }
[ $ok -eq 1 ] && ktap_test_pass random_cycles_books_exact || ktap_test_fail random_cycles_books_exact
kernel_accounting_ok "$kernel_base" " after $cycle cycles" && [ $kernel_ok = 1 ] &&
	ktap_test_pass kernel_accounting_cycles || ktap_test_fail kernel_accounting_cycles

stress_off
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
kernel_accounting_ok "$kernel_base" " after unload" && ktap_test_pass kernel_accounting_unload ||
	ktap_test_fail kernel_accounting_unload

ktap_finished
