#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpool's memory notifier against real memory hotplug, through sysfs: a
# block without pool chunks goes offline and online untouched; a block full
# of free pool pages goes offline (pcpool gives them up) and online again; a
# block where a client holds pages is refused at once; offlines that another
# notifier fails, after pcpool and before it, leave the pool exactly as it
# was; a block where a client with a migrate callback holds pages goes
# offline, its pages moved elsewhere with their data intact. After each of
# these, the kernel's own figures (MemTotal, each zone's present and managed)
# must be exactly what the blocks' states say: kernel_accounting_*.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 25

# The kernel's figures before pcpool loads, and the KTAP test
# kernel_accounting_$1 that compares them with the figures now.
kernel_base=$(mktemp)
kernel_view >"$kernel_base"
kernel_accounting() {
	if kernel_accounting_ok "$kernel_base" " after $1"; then
		ktap_test_pass "kernel_accounting_$1"
	else
		ktap_test_fail "kernel_accounting_$1"
	fi
}

kmsg_mark load
if insmod "$PCPOOL_MODULE" && kmsg_in_order load "pcpool: loaded"; then
	ktap_test_pass load
else
	ktap_test_fail load
fi

# A block the pool has no chunk in: pcpool lets it go.
block=$(free_block)
if [ -z "$block" ]; then
	for t in offline online cancel_offline offline_pool_block online_again refused_while_held \
		enomem_injected_below enomem_injected_above evacuated_with_callback unload grow_vs_offline unload_refused_during_offline \
		kernel_accounting_{offline,online,cancel,grow_vs_offline,core_cancel,offline_pool_block,online_again,refused,enomem_{below,above},evacuated,unload}; do
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
kernel_accounting offline

kmsg_mark online
if set_block_state "$block" online_movable && [ "$(block_state "$block")" = online ] &&
	kmsg_in_order online "pcpool: MEM_GOING_ONLINE $range" "pcpool: MEM_ONLINE $range"; then
	ktap_test_pass online
else
	ktap_print_msg "state $(block_state "$block"); log: $(kmsg_since online | grep pcpool: | tr '\n' '|')"
	ktap_test_fail online
fi
kernel_accounting online

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
kernel_accounting cancel
rmmod memory_notifier_error_inject notifier_error_inject 2>/dev/null

# Blocks full of pool pages. Reload with 430 MiB, more than the free memory
# of any three of the four movable blocks, so that every block that can go
# offline holds chunks.
rmmod pcpool
insmod "$PCPOOL_MODULE" initial_pages=110000 max_pages=262144 evacuate_ms=30000

# The pool's state as it must come back after a failed offline: every page
# and who has it (pages on pcp lists count as free: the offline's drain puts
# them back in the zone), every pageblock and its migratetype, and no error
# (verify checks each page's refcount and PageOffline too).
pool_state() {
	head -1 $DEBUGFS/verify |
		sed -E 's/^([0-9]+) pages: ([0-9]+) free, ([0-9]+) isolated free, ([0-9]+) on pcp lists \([0-9]+ of offline CPUs\), ([0-9]+) allocated; ([0-9]+) errors$/pages \1 free+pcp \2+\4 isolated \3 allocated \5 errors \6/' |
		awk '{split($4, f, "+"); $4 = f[1] + f[2]; print}'
	awk 'NR > 1 {print $1, $2}' $DEBUGFS/pageblocks | sort
}
hotplug_value() { awk -v k="$1" '$1 == k {print $2}' $DEBUGFS/hotplug; }

# A block whose pool pages are all free: pcpool gives them up, the block goes
# offline, the pool shrinks by exactly its pageblocks, and it comes back.
pblock=$(pool_block)
kmsg_mark pool-offline
if [ -n "$pblock" ]; then
	n=$(blocks_in "$pblock")
	managed=$(zone_value managed)
	chunks=$(zone_value chunks)
	prange=$(block_range "$pblock")
	ktap_print_msg "memory$pblock: $prange holds $n pool pageblocks"
fi
if [ -n "$pblock" ] && set_block_state "$pblock" offline && [ "$(block_state "$pblock")" = offline ] &&
	[ "$(zone_value managed)" = $((managed - n * managed / chunks)) ] && [ "$(zone_value chunks)" = $((chunks - n)) ] &&
	[ "$(hotplug_value pageblocks_offlined)" = "$n" ] && grep -q '^consistent$' $DEBUGFS/verify &&
	kmsg_in_order pool-offline "pcpool: MEM_GOING_OFFLINE $prange" \
		"pcpool: gave up $prange: $((n * managed / chunks)) pages in $n pageblocks" \
		"pcpool: MEM_OFFLINE $prange" "pcpool: $prange is offline: $n pool pageblocks dropped"; then
	ktap_test_pass offline_pool_block
else
	ktap_print_msg "block ${pblock:-none} $(block_state "${pblock:-0}"); zone: $(tr '\n' ' ' <$DEBUGFS/zone); log: $(kmsg_since pool-offline | grep pcpool: | tr '\n' '|')"
	ktap_test_fail offline_pool_block
fi
kernel_accounting offline_pool_block

if [ -n "$pblock" ] && set_block_state "$pblock" online_movable && [ "$(block_state "$pblock")" = online ] &&
	grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass online_again
else
	ktap_test_fail online_again
fi
kernel_accounting online_again

# A grow in flight against an offline: an injected delay holds the grow
# after it took its chunk from the kernel, before the chunk is in the pool's
# books, while the chunk's memory block goes offline. The notifier must wait
# for the grow to finish (the test lets it go once MEM_GOING_OFFLINE is in
# the log), then find the chunk and hand it over with the others: without
# the wait the core meets the chunk's pages (PageOffline, refcount 1) and
# fails the offline as "unmovable page". First the pool grows until the
# block that just came back online, all free, is where the kernel's chunks
# come from.
gblock=$pblock
fill_block() {
	local i
	for i in $(seq 64); do
		[ -z "$1" ] || [ "$(blocks_in "$1")" -gt 0 ] && return
		echo 512 >$DEBUGFS/grow || return
	done
}
fill_block "$gblock"
grange=$(block_range "${gblock:-0}")
per_block=$((0x$(cat $MEM/block_size_bytes) / 4096))
echo "grow 60000" >$DEBUGFS/inject_delay
kmsg_mark grow
echo 512 >$DEBUGFS/grow &
kmsg_wait grow "pcpool: grow: took the chunk at pfn"
gpfn=$(kmsg_since grow | sed -n 's/.*pcpool: grow: took the chunk at pfn \(0x[0-9a-f]*\).*/\1/p' | head -1)
ktap_print_msg "memory${gblock:-?}: $grange; the grow took the chunk at pfn ${gpfn:-none}"
offline_rc=1
if [ -n "$gblock" ] && [ -n "$gpfn" ] && [ $((gpfn / per_block)) = "$gblock" ]; then
	set_block_state "$gblock" offline &
	offliner=$!
	kmsg_wait grow "pcpool: MEM_GOING_OFFLINE $grange"
	echo "grow 0" >$DEBUGFS/inject_delay
	wait $offliner && offline_rc=0
fi
echo "grow 0" >$DEBUGFS/inject_delay
wait
if [ $offline_rc = 0 ] && [ "$(block_state "$gblock")" = offline ] &&
	kmsg_in_order grow "pcpool: grow: took the chunk at pfn $gpfn" "pcpool: MEM_GOING_OFFLINE $grange" \
		"pcpool: inject_delay: grow goes on" "pcpool: gave up $grange" "pcpool: MEM_OFFLINE $grange" &&
	grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass grow_vs_offline
else
	ktap_print_msg "block $(block_state "${gblock:-0}"); log: $(kmsg_since grow | grep 'pcpool' | tr '\n' '|')"
	ktap_test_fail grow_vs_offline
fi
kernel_accounting grow_vs_offline
[ -n "$gblock" ] && set_block_state "$gblock" online_movable

# An offline stuck after pcpool accepted it (an anonymous page of the block
# pinned by vmsplice(): the core retries its migration until a signal),
# with pcpool's pages handed over: rmmod fails at once (the module is in
# use), never a wait in D state behind the offline. A signal then ends the
# offline, and pcpool takes its pages back.
fill_block "$gblock"
kmsg_mark stuck
python3 "$PCPOOL_TOP/scripts/guest/pin_page.py" "${gblock:-0}" >/tmp/pin.out &
pinner=$!
end=$((SECONDS + 120))
until grep -q "pinned\|none\|failed" /tmp/pin.out 2>/dev/null; do
	[ $SECONDS -lt $end ] || break
	sleep 0.2
done
ktap_print_msg "memory${gblock:-?}: $(cat /tmp/pin.out)"
unloaded=
if grep -q pinned /tmp/pin.out && [ "$(blocks_in "$gblock")" -gt 0 ]; then
	set_block_state "$gblock" offline &
	offliner=$!
	kmsg_wait stuck "pcpool: gave up $grange" && sleep 1
	rmmod pcpool 2>/dev/null && unloaded=1 || unloaded=0
	pkill -TERM -f "echo offline > $MEM/memory$gblock/state"
	wait $offliner
fi
kill $pinner 2>/dev/null
wait
if [ "$unloaded" = 0 ] && [ -d /sys/module/pcpool ] && [ "$(block_state "$gblock")" = online ] &&
	kmsg_in_order stuck "pcpool: gave up $grange" "pcpool: MEM_CANCEL_OFFLINE $grange" \
		"pcpool: offline of $grange cancelled" && grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass unload_refused_during_offline
else
	ktap_print_msg "rmmod during the offline: ${unloaded:-not tried} (1: it unloaded); block $(block_state "${gblock:-0}"); log: $(kmsg_since stuck | grep pcpool: | tr '\n' '|')"
	ktap_test_fail unload_refused_during_offline
	[ -d /sys/module/pcpool ] || insmod "$PCPOOL_MODULE" initial_pages=110000 max_pages=262144 evacuate_ms=30000
fi
# The fourth way an offline is cancelled: by the core, after every notifier
# accepted it (here a signal).
kernel_accounting core_cancel

# A client holds every pool page: pcpool refuses at once (its decision, from
# MEM_GOING_OFFLINE to the refusal in its own log, within 2 s: the whole
# write also holds the kernel's own isolation work, which a busy host can
# stretch), with the reason, and the pool is exactly as before.
insmod "$PCPOOL_TOP/samples/pcpool_client.ko" hold_extra=200000
hblock=$(pool_block)
before=$(pool_state; cat $DEBUGFS/pageblocks)
kmsg_mark held
t0=$(date +%s%N)
if [ -n "$hblock" ] && ! set_block_state "$hblock" offline; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	decided=$(kmsg_since held | awk -F'[][]' '/pcpool: MEM_GOING_OFFLINE/ && !t {t = $2}
		/pcpool: refusing to offline/ && t {printf "%d", ($2 - t) * 1000; exit}')
	ktap_print_msg "memory$hblock: offline refused in $ms ms, pcpool decided in ${decided:-?} ms"
	if [ "$(block_state "$hblock")" = online ] && [ "${decided:-99999}" -lt 2000 ] &&
		[ "$(pool_state; cat $DEBUGFS/pageblocks)" = "$before" ] &&
		kmsg_in_order held "pcpool: refusing to offline $(block_range "$hblock"): clients hold" \
			"pcpool: client pcpool_client holds" "pcpool: MEM_CANCEL_OFFLINE $(block_range "$hblock")"; then
		ktap_test_pass refused_while_held
	else
		ktap_print_msg "state: $(pool_state | head -1); log: $(kmsg_since held | grep pcpool: | tr '\n' '|')"
		ktap_test_fail refused_while_held
	fi
else
	ktap_print_msg "block ${hblock:-none}: offline did not fail"
	ktap_test_fail refused_while_held
fi
kernel_accounting refused
rmmod pcpool_client

# Another notifier fails MEM_GOING_OFFLINE with -ENOMEM, after pcpool
# (priority -1) and before it (priority 1). After: pcpool gave its pages up
# and takes them back on MEM_CANCEL_OFFLINE. Before: pcpool never sees the
# offline, and its MEM_CANCEL_OFFLINE is a no-op. Either way the pool is
# exactly as before.
inject=/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_OFFLINE/error
insmod "$KDIR/lib/notifier-error-inject.ko"
for where in below above; do
	prio=-1
	[ $where = above ] && prio=1
	iblock=$(pool_block)
	irange=$(block_range "${iblock:-0}")
	before=$(pool_state)
	kmsg_mark "inject-$where"
	if [ -n "$iblock" ] && insmod "$KDIR/lib/memory-notifier-error-inject.ko" priority=$prio &&
		echo -12 >"$inject" && ! set_block_state "$iblock" offline &&
		[ "$(block_state "$iblock")" = online ] && [ "$(pool_state)" = "$before" ] &&
		grep -q '^consistent$' $DEBUGFS/verify; then
		if [ $where = below ]; then
			kmsg_in_order "inject-$where" "pcpool: MEM_GOING_OFFLINE $irange" "pcpool: gave up $irange" \
				"pcpool: MEM_CANCEL_OFFLINE $irange" "pcpool: offline of $irange cancelled"
		else
			! kmsg_since "inject-$where" | grep -q "pcpool: MEM_GOING_OFFLINE" &&
				kmsg_in_order "inject-$where" "pcpool: MEM_CANCEL_OFFLINE $irange" &&
				! kmsg_since "inject-$where" | grep -q "pcpool: offline of .* cancelled"
		fi
		ok=$?
	else
		ok=1
	fi
	rmmod memory_notifier_error_inject 2>/dev/null
	if [ $ok -eq 0 ]; then
		ktap_test_pass "enomem_injected_$where"
	else
		ktap_print_msg "block ${iblock:-none}; state: $(pool_state | head -1); log: $(kmsg_since "inject-$where" | grep pcpool: | tr '\n' '|')"
		ktap_test_fail "enomem_injected_$where"
	fi
	kernel_accounting "enomem_$where"
done
rmmod notifier_error_inject

# A client with a migrate callback holds every pool page: pcpool moves the
# pages of the block going offline to new pages elsewhere (growing the pool),
# the offline succeeds, and every page the client holds still carries its
# stamp when the client checks them.
insmod "$PCPOOL_TOP/samples/pcpool_client.ko" hold_extra=300000 movable=1
eblock=$(pool_block)
erange=$(block_range "${eblock:-0}")
kmsg_mark evacuate
if [ -n "$eblock" ] && set_block_state "$eblock" offline && [ "$(block_state "$eblock")" = offline ] &&
	grep -q '^consistent$' $DEBUGFS/verify && rmmod pcpool_client &&
	kmsg_in_order evacuate "pcpool: MEM_GOING_OFFLINE $erange" "pcpool: gave up $erange" \
		"pcpool: $erange is offline" "pcpool_client: checked" &&
	kmsg_since evacuate | grep -q "pcpool_client: checked [0-9]* pages: 0 corrupt, [1-9][0-9]* moved by pcpool"; then
	ktap_print_msg "$(kmsg_since evacuate | grep -o 'gave up.*\|checked.*' | tr '\n' ' ')"
	ktap_test_pass evacuated_with_callback
else
	ktap_print_msg "block ${eblock:-none} $(block_state "${eblock:-0}"); log: $(kmsg_since evacuate | grep pcpool | tr '\n' '|')"
	ktap_test_fail evacuated_with_callback
fi
[ -d /sys/module/pcpool_client ] && rmmod pcpool_client
kernel_accounting evacuated
[ -n "$eblock" ] && set_block_state "$eblock" online_movable

kmsg_mark unload
if rmmod pcpool && [ ! -d /sys/module/pcpool ] && kmsg_in_order unload "pcpool: unloaded"; then
	ktap_test_pass unload
else
	ktap_test_fail unload
fi
kernel_accounting unload

ktap_finished
