#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vCPUs go offline and online through sysfs while the stress sample runs: a
# dead CPU's pageset goes back to the zone (no page stranded on an offline
# CPU), a CPU that comes back has the current marks, and the pool stays
# consistent throughout.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 3

CPU=/sys/devices/system/cpu
verify_line() { head -1 $DEBUGFS/verify; }
consistent() { grep -q '^consistent$' $DEBUGFS/verify; }
# The pages on offline CPUs' pcp lists, from verify's first line on stdin.
stranded() { sed -n 's/.*(\([0-9]*\) of offline CPUs).*/\1/p'; }

insmod "$PCPOOL_MODULE" initial_pages=1024 || ktap_exit_fail_msg "insmod pcpool failed"
insmod "$PCPOOL_TOP/samples/pcpool_stress.ko" || ktap_exit_fail_msg "insmod pcpool_stress failed"

# Two rounds: the second takes down pagesets that came back online.
ok=1
for round in 1 2; do
	for c in 1 2 3; do
		echo 0 >$CPU/cpu$c/online || { ok=0; ktap_print_msg "cpu$c would not go offline"; }
		v=$(cat $DEBUGFS/verify)
		if ! grep -q '^consistent$' <<<"$v" || [ "$(head -1 <<<"$v" | stranded)" != 0 ]; then
			ok=0
			ktap_print_msg "round $round, cpu$c offline: $(head -1 <<<"$v")"
		fi
	done
	for c in 1 2 3; do
		echo 1 >$CPU/cpu$c/online || { ok=0; ktap_print_msg "cpu$c would not come online"; }
	done
	consistent || { ok=0; ktap_print_msg "round $round online: $(verify_line)"; }
done
[ $ok -eq 1 ] && ktap_test_pass offline_cpus_strand_nothing || ktap_test_fail offline_cpus_strand_nothing

# New marks set while a CPU is down reach it when it comes back.
echo 0 >$CPU/cpu3/online
echo 96 >$DEBUGFS/high
echo 12 >$DEBUGFS/batch
echo 1 >$CPU/cpu3/online
if [ "$(awk 'NR > 1 && $3 == 96 && $4 == 12' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] && consistent; then
	ktap_test_pass back_online_with_current_marks
else
	ktap_print_msg "pcp: $(tr '\n' '|' <$DEBUGFS/pcp)"
	ktap_test_fail back_online_with_current_marks
fi

kmsg_mark hp-stress
rmmod pcpool_stress
if kmsg_since hp-stress | grep -q "pcpool_stress: .* 0 failed frees, .* client holds 0" &&
	consistent && verify_line | grep -q ' 0 allocated;' && rmmod pcpool; then
	ktap_test_pass stress_done_consistent
else
	ktap_print_msg "$(verify_line 2>/dev/null)"
	ktap_test_fail stress_done_consistent
fi

ktap_finished
