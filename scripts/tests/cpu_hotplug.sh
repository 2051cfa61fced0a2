#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vCPUs go offline and online through sysfs while the stress sample runs: a
# dead CPU's pageset goes back to the zone (no page stranded on an offline
# CPU), a CPU that comes back has the current marks, even when they change
# while it is coming up, and the pool stays consistent throughout.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 4

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

# Marks that change while a CPU is coming up (held between its prepare
# callback and its first moment online by an injected delay, until the test
# lets it go) reach it: an update of high, an isolation, the end of an
# isolation. The change is written while the CPU is held (with the CPU
# hotplug lock it then waits for the CPU to be up, which is the point).
high_of() { awk -v c="$1" 'NR > 1 && $1 == c {print $3}' $DEBUGFS/pcp; }
during_bringup() {
	local mark="bringup-$1"
	echo 0 >$CPU/cpu3/online
	kmsg_mark "$mark"
	echo "cpu_prepare 60000" >$DEBUGFS/inject_delay
	echo 1 >$CPU/cpu3/online &
	kmsg_wait "$mark" "pcpool: inject_delay: up to 60000 ms at cpu_prepare"
	echo "$2" >"$DEBUGFS/$3" &
	sleep 1
	echo "cpu_prepare 0" >$DEBUGFS/inject_delay
	wait
	ktap_print_msg "$1: cpu3 came up with high $(high_of 3); all CPUs: $(awk 'NR > 1 {printf "%s ", $3}' $DEBUGFS/pcp)"
}
ok=1
during_bringup update 80 high
[ "$(awk 'NR > 1 && $3 == 80' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] || ok=0
during_bringup isolate all isolate
[ "$(awk 'NR > 1 && $3 == 0' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] || ok=0
echo off >$DEBUGFS/isolate
echo 0 >$CPU/cpu3/online
echo all >$DEBUGFS/isolate
during_bringup isolation_end off isolate
[ "$(awk 'NR > 1 && $3 == 80' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] || ok=0
if [ $ok = 1 ] && consistent; then
	ktap_test_pass cpu_online_marks
else
	ktap_test_fail cpu_online_marks
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
