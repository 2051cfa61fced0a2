#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# pcpool never keeps a pageblock of a CMA area: a movable allocation may be
# handed one (ALLOC_CMA), and cma_alloc() could not get it back from the
# pool. The VM boots with cma=; the pool grows until the allocator offers it
# CMA pageblocks, and then the whole CMA area must still be allocatable
# (CONFIG_CMA_DEBUGFS's alloc file).
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 3

cma=$(ls -d /sys/kernel/debug/cma/*/ 2>/dev/null | head -1)
if [ -z "$cma" ]; then
	ktap_test_fail "cma_offered_not_kept # no CMA area: boot with cma= and CONFIG_CMA_DEBUGFS"
	ktap_test_fail "cma_alloc_after_fill # no CMA area"
	ktap_test_fail "cma_unload # no CMA area"
	ktap_finished
fi
base=$(cat "$cma/base_pfn")
count=$(cat "$cma/count")
ktap_print_msg "CMA area $(basename "$cma"): pfn $(printf '%#x' "$base"), $count pages"

# Grow until the allocator has offered CMA pageblocks (it does once they
# are more than half of the movable zone's free memory), or the pool holds
# 1.5 GiB.
insmod "$PCPOOL_MODULE" initial_pages=0 max_pages=393216
kmsg_mark cma
for i in $(seq 24); do
	kmsg_since cma | grep -q "pcpool: grow: the chunk at pfn 0x[0-9a-f]* is in a CMA area: not kept" && break
	echo 16384 >$DEBUGFS/grow 2>/dev/null || break
done
in_cma=0
for pfn in $(awk 'NR > 1 {print $1}' $DEBUGFS/pageblocks); do
	((pfn >= base && pfn < base + count)) && in_cma=$((in_cma + 1))
done
offered=$(kmsg_since cma | grep -c "is in a CMA area: not kept")
ktap_print_msg "pool: $(zone_value managed) pages; grows that were offered CMA: $offered; pool pageblocks in the CMA area: $in_cma"
if [ "$offered" -gt 0 ] && [ "$in_cma" = 0 ] && grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass cma_offered_not_kept
else
	ktap_test_fail cma_offered_not_kept
fi

# The whole area, while the pool is full.
if echo "$count" >"$cma/alloc" 2>/dev/null; then
	echo "$count" >"$cma/free"
	ktap_test_pass cma_alloc_after_fill
else
	ktap_print_msg "cma_alloc of $count pages failed; used: $(cat "$cma/used")"
	ktap_test_fail cma_alloc_after_fill
fi

if rmmod pcpool; then
	ktap_test_pass cma_unload
else
	ktap_test_fail cma_unload
fi

ktap_finished
