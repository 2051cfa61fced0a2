#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The pool's module parameters, debugfs files and knobs, on real sysfs and
# debugfs: bad parameters fail the load cleanly, bad writes are refused and
# change nothing, the files have the right modes, the pool stays consistent,
# and unloading gives the memory back.
set -u
. "$KDIR/tools/testing/selftests/kselftest/ktap_helpers.sh"
. "$PCPOOL_TOP/scripts/guest/lib.sh"

ktap_print_header
ktap_set_plan 8

# Bad parameters through insmod itself: it fails with EINVAL and a log line
# names the parameter. One of each kind (out of range, against another
# parameter, not a number, not a name); bad_input.sh runs every row of the
# table (Documentation/bad-input.rst) through finit_module().
bad_params=(
	"max_pages=0 max_pages" "batch=300 high=256 batch" "high=abc high" "drain=fast drain"
)
ok=1
for case in "${bad_params[@]}"; do
	name=${case##* }
	args=${case% *}
	kmsg_mark "param $args"
	out=$(insmod "$PCPOOL_MODULE" $args 2>&1)
	rc=$?
	[ "$case" = "${bad_params[0]}" ] && ktap_print_msg "insmod pcpool.ko $args: $out"
	if [ $rc -eq 0 ]; then
		ktap_print_msg "insmod $args succeeded"
		rmmod pcpool
		ok=0
	elif ! grep -q "Invalid argument\|Invalid parameters" <<<"$out"; then
		ktap_print_msg "insmod $args: $out"
		ok=0
	elif ! kmsg_since "param $args" | grep -q "pcpool: $name=.*is invalid\|pcpool: .*$name"; then
		ktap_print_msg "insmod $args: no log line naming $name"
		ok=0
	fi
done
[ -d /sys/module/pcpool ] && ok=0
[ $ok -eq 1 ] && ktap_test_pass bad_params_refused || ktap_test_fail bad_params_refused

free_before=$(memfree)
if insmod "$PCPOOL_MODULE" initial_pages=2048 high=64 batch=16 drain=remote &&
	[ "$(awk '/^managed/ {print $2}' $DEBUGFS/zone)" = 2048 ] &&
	[ "$(cat $DEBUGFS/drain)" = remote ]; then
	ktap_test_pass load_with_params
else
	ktap_test_fail load_with_params
fi

# Modes: statistics world-readable, verify and the knobs root's only (grow
# write-only); the parameters read-only for everyone once loaded.
modes=$(cd $DEBUGFS && stat -c '%n %a' * | sort | tr '\n' ' ')
modes="$modes| $(cd /sys/module/pcpool/parameters && stat -c '%a' * | sort -u | tr '\n' ' ')"
if [ "$modes" = "batch 600 drain 600 grow 200 high 600 hotplug 444 inject_delay 600 isolate 600 pageblocks 444 pcp 444 verify 400 zone 444 | 444 " ]; then
	ktap_test_pass file_modes
else
	ktap_print_msg "modes: $modes"
	ktap_test_fail file_modes
fi

# Every online CPU appears in pcp with the loaded marks.
cpus=$(awk 'NR > 1 && $3 == 64 && $4 == 16' $DEBUGFS/pcp | wc -l)
if [ "$cpus" = "$(nproc)" ] && grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass stats_and_verify
else
	ktap_print_msg "pcp: $(tr '\n' '|' <$DEBUGFS/pcp) verify: $(tr '\n' '|' <$DEBUGFS/verify)"
	ktap_test_fail stats_and_verify
fi

# Good writes take effect on every CPU; bad ones (one of each kind through
# the shell; bad_input.sh has them all) fail with EINVAL, are logged, and
# change nothing.
ok=1
echo 128 >$DEBUGFS/high && echo 8 >$DEBUGFS/batch && echo workqueue >$DEBUGFS/drain || ok=0
[ "$(cat $DEBUGFS/drain)" = workqueue ] || ok=0
[ "$(awk 'NR > 1 && $3 == 128 && $4 == 8' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] || ok=0
for w in "high abc" "batch 129" "verify 1" "drain fast"; do
	file=${w%% *}
	val=${w#* }
	kmsg_mark "write $w"
	if out=$( (echo "$val" >$DEBUGFS/$file) 2>&1); then
		ktap_print_msg "write '$val' to $file succeeded"
		ok=0
	elif ! grep -q "Invalid argument" <<<"$out"; then
		ktap_print_msg "write '$val' to $file: $out"
		ok=0
	elif [ -z "$(kmsg_since "write $w" | grep 'pcpool:')" ]; then
		ktap_print_msg "write '$val' to $file: no log line"
		ok=0
	fi
done
[ "$(cat $DEBUGFS/high) $(cat $DEBUGFS/batch) $(cat $DEBUGFS/drain)" = "128 8 workqueue" ] || ok=0
[ "$(awk 'NR > 1 && $3 == 128 && $4 == 8' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] || ok=0
grep -q '^consistent$' $DEBUGFS/verify || ok=0
[ $ok -eq 1 ] && ktap_test_pass knob_writes || ktap_test_fail knob_writes

# Concurrent writers: the pcp mutex serialises them; every CPU ends with one
# writer's pair, never a mix, and the pool stays consistent. The drain
# strategy changes meanwhile too (switching the pagesets' locks on and off).
strategies=(ipi pageblock remote workqueue)
for i in $(seq 20); do
	echo $((32 + i)) >$DEBUGFS/high &
	echo $((1 + i % 8)) >$DEBUGFS/batch &
	echo "${strategies[i % 4]}" >$DEBUGFS/drain &
done
wait
h=$(cat $DEBUGFS/high)
b=$(cat $DEBUGFS/batch)
if [ "$(awk -v h="$h" -v b="$b" 'NR > 1 && $3 == h && $4 == b' $DEBUGFS/pcp | wc -l)" = "$(nproc)" ] &&
	grep -q '^consistent$' $DEBUGFS/verify; then
	ktap_test_pass concurrent_knob_writes
else
	ktap_print_msg "high $h batch $b; pcp: $(tr '\n' '|' <$DEBUGFS/pcp)"
	ktap_test_fail concurrent_knob_writes
fi

# Unloading gives every page back: MemFree returns to its value before the
# load.
unload_memfree_restored "$free_before"

# Reading every file while the module goes away: readers either get the
# file or an error (the file is gone, or unload refused while one is open),
# never a crash (make check fails on any kernel report).
# Each reader creates $1 after its first pass, so that the unload starts
# once all of them read.
readers() {
	local end=$((SECONDS + 60))
	while [ -d /sys/module/pcpool ] && [ $SECONDS -lt $end ]; do
		cat $DEBUGFS/zone $DEBUGFS/pcp $DEBUGFS/pageblocks $DEBUGFS/hotplug $DEBUGFS/isolate \
			$DEBUGFS/high >/dev/null 2>&1
		[ -e "$1" ] || : >"$1"
	done
}
started=$(mktemp -d)
ok=1
refused=0
for cycle in 1 2 3; do
	insmod "$PCPOOL_MODULE" initial_pages=1024 || { ok=0; break; }
	rm -f "$started"/*
	for r in 1 2 3 4; do readers "$started/$r" & done
	until [ -e "$started/1" ] && [ -e "$started/2" ] && [ -e "$started/3" ] && [ -e "$started/4" ]; do
		[ -d /sys/module/pcpool ] || break
	done
	until rmmod pcpool 2>/dev/null; do
		refused=$((refused + 1))
		[ $refused -lt 2000 ] || { ok=0; break 2; }
	done
	wait
done
ktap_print_msg "3 unloads under 4 readers each; rmmod refused $refused times while a file was open"
[ -d /sys/module/pcpool ] && { ok=0; rmmod pcpool; }
rm -rf "$started"
[ $ok -eq 1 ] && ktap_test_pass read_during_unload || ktap_test_fail read_during_unload

ktap_finished
