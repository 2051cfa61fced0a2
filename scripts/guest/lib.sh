# SPDX-License-Identifier: GPL-2.0
# Helpers for scripts that run inside the test VM. Source it.

MEM=/sys/devices/system/memory

# The pfn range of memory block $1, as pcpool logs it: "pfn [0x..., 0x...)".
block_range() {
	local nr=$((0x$(cat $MEM/block_size_bytes) / $(getconf PAGESIZE)))
	printf 'pfn [%#x, %#x)' $(($1 * nr)) $((($1 + 1) * nr))
}

block_state() {
	cat $MEM/memory$1/state
}

# Set memory block $1's state; fails with the write's error. The timeout
# stops an offline that retries forever (it sends a signal, which
# offline_pages() honours).
set_block_state() {
	timeout 60 sh -c "echo $2 > $MEM/memory$1/state" 2>/dev/null
}

# The movable memory blocks that really go offline (and come back), tried
# one by one: some cannot (the top one holds ACPI tables here; a reserved
# page can sit in another), and an offline can fail for a moment (a page
# under I/O), so each gets two tries. Call it before pcpool takes memory.
offlinable_blocks() {
	local dir n
	for dir in $(ls -d $MEM/memory* | sort -V); do
		n=${dir##*memory}
		[ "$(cat "$dir/valid_zones" 2>/dev/null)" = Movable ] || continue
		[ "$(block_state "$n")" = online ] || continue
		if set_block_state "$n" offline || { sleep 1 && set_block_state "$n" offline; }; then
			if set_block_state "$n" online_movable; then
				echo "$n"
			else
				echo "guest: memory$n stayed offline" >&2
			fi
		fi
	done
}

# Put a marker in the kernel log, so a test can read only what follows it.
kmsg_mark() {
	echo "pcpool-test: $1" >/dev/kmsg
}

# The kernel log after marker $1.
kmsg_since() {
	dmesg | sed -n "/pcpool-test: $1\$/,\$p"
}

# Waits (60 s at most) until the kernel log after marker $1 holds the text $2.
kmsg_wait() {
	local end=$((SECONDS + 60))
	until kmsg_since "$1" | grep -qF -- "$2"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# Whether the kernel log after marker $1 holds lines matching each of the
# remaining arguments, in that order.
kmsg_in_order() {
	local mark=$1 line=0 n log
	shift
	log=$(kmsg_since "$mark")
	for pat in "$@"; do
		n=$(grep -nF -- "$pat" <<<"$log" | awk -F: -v after=$line '$1 > after {print $1; exit}')
		[ -n "$n" ] || return 1
		line=$n
	done
}

DEBUGFS=/sys/kernel/debug/pcpool

# The memory blocks that hold pool chunks, from the pageblocks file.
pool_blocks() {
	local per_block=$((0x$(cat $MEM/block_size_bytes) / $(getconf PAGESIZE)))
	awk 'NR > 1 {print $1}' $DEBUGFS/pageblocks 2>/dev/null |
		while read -r pfn; do echo $((pfn / per_block)); done | sort -un
}

# Pool pageblocks in memory block $1.
blocks_in() {
	local per_block=$((0x$(cat $MEM/block_size_bytes) / $(getconf PAGESIZE))) n=0 pfn
	for pfn in $(awk 'NR > 1 {print $1}' $DEBUGFS/pageblocks); do
		((pfn >= $1 * per_block && pfn < ($1 + 1) * per_block)) && n=$((n + 1))
	done
	echo $n
}

# The first of PCPOOL_BLOCKS that holds pool chunks.
pool_block() {
	local b
	for b in $(pool_blocks); do
		case " $PCPOOL_BLOCKS " in *" $b "*) echo "$b" && return ;; esac
	done
}

# A value from the pool's zone file: zone_value managed.
zone_value() {
	awk -v k="$1" '$1 == k {print $2}' $DEBUGFS/zone
}

# Waits (30 s at most) until some CPU's pcp list has changed since the call:
# pages were allocated or freed meanwhile.
wait_pcp_change() {
	local before end=$((SECONDS + 30))
	before=$(cat $DEBUGFS/pcp)
	while [ "$(cat $DEBUGFS/pcp)" = "$before" ]; do
		[ $SECONDS -lt $end ] || return 1
	done
}

# The first of PCPOOL_BLOCKS that holds no pool chunk.
free_block() {
	local used
	used=" $(pool_blocks | tr '\n' ' ') "
	for b in $PCPOOL_BLOCKS; do
		case "$used" in *" $b "*) ;; *) echo "$b"; return ;; esac
	done
}

# pcpool.ko carries its KUnit suites, and KUnit runs them at every load.
# After the KUnit run, later loads skip them: a glob no suite matches.
kunit_skip_suites() {
	echo 'pcpool-kunit-done' >/sys/module/kunit/parameters/filter_glob
}

# The kernel's own figures, one per line, in one process: "MemTotal kB",
# "MemFree kB", "zone NAME present managed free" (pages, summed over nodes),
# and "block N state zone" for each memory block (an online block's zone;
# "-" for an offline one).
kernel_view() {
	awk '
	FILENAME == "/proc/meminfo" && ($1 == "MemTotal:" || $1 == "MemFree:") { print substr($1, 1, length($1) - 1), $2 }
	FILENAME == "/proc/zoneinfo" && $1 == "Node" { z = $4; zones[z] = 1 }
	FILENAME == "/proc/zoneinfo" && $1 == "pages" && $2 == "free" { free[z] += $3 }
	FILENAME == "/proc/zoneinfo" && ($1 == "present" || $1 == "managed") && NF == 2 { v[z, $1] += $2 }
	FILENAME ~ /\/state$/ { split(FILENAME, p, "/"); n = substr(p[6], 7); state[n] = $1 }
	FILENAME ~ /\/valid_zones$/ { split(FILENAME, p, "/"); n = substr(p[6], 7); zone[n] = $1 }
	END {
		for (z in zones) if (v[z, "present"]) print "zone", z, v[z, "present"], v[z, "managed"], free[z]
		for (n in state) print "block", n, state[n], state[n] == "online" ? zone[n] : "-"
	}' /proc/meminfo /proc/zoneinfo $MEM/memory*/state $MEM/memory*/valid_zones | sort -V
}

# Compares the kernel's figures now with kernel_view's output $1, taken before
# pcpool was loaded: MemTotal and each zone's present and managed must differ
# from it by exactly the pages of the memory blocks whose state changed since
# (an offline block's pages less in its zone, an online block's more). Prints
# the figures as a KTAP comment; returns 1 on any difference.
kernel_accounting_ok() {
	local per_block=$((0x$(cat $MEM/block_size_bytes) / 4096))
	kernel_view | awk -v per_block=$per_block -v what="${2:-}" '
	NR == FNR { base[$1, $2] = $0; if ($1 == "block") bstate[$2] = $3 " " $4; next }
	{ now[$1, $2] = $0 }
	$1 == "MemTotal" { total = $2 }
	$1 == "MemFree" { memfree = $2 }
	$1 == "zone" { present[$2] = $3; managed[$2] = $4; free[$2] = $5 }
	$1 == "block" { split(bstate[$2], b, " ")
		if (b[1] == "online" && $3 == "offline") { d[b[2]] -= per_block; dt -= per_block; off++ }
		if (b[1] == "offline" && $3 == "online") { d[$4] += per_block; dt += per_block; on++ } }
	END {
		for (k in base) {
			split(base[k], f, " ")
			if (f[1] == "MemTotal") exp_total = f[2] + dt * 4
			if (f[1] == "zone") { bp[f[2]] = f[3]; bm[f[2]] = f[4]; bz[f[2]] = 1 }
		}
		msg = sprintf("kernel%s: MemTotal %d kB (expected %d), MemFree %d kB; %d blocks offline, %d online since load", what, total, exp_total, memfree, off, on)
		bad = total != exp_total
		for (z in bz) {
			msg = msg sprintf("; %s present %d (%d) managed %d (%d) free %d", z, present[z], bp[z] + d[z], managed[z], bm[z] + d[z], free[z])
			bad = bad || present[z] != bp[z] + d[z] || managed[z] != bm[z] + d[z]
		}
		print "# " msg (bad ? " MISMATCH" : "")
		exit bad
	}' "$1" -
}

# MemFree in kB, after dropping clean caches and shrinking every slab cache
# (which also empties KASAN's quarantine of freed objects: on the debug
# kernel it holds tens of MiB that would look like pages lost).
memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	awk '/MemFree/ {print $2}' /proc/meminfo
}

# Unloads pcpool and reports the KTAP test memfree_restored: MemFree is back
# at $1 (kB, from memfree before the load), within the pcp slack of the
# kernel itself (what its own pcp lists may hold: the sum of every CPU's high
# mark in /proc/zoneinfo).
unload_memfree_restored() {
	local after diff slack
	rmmod pcpool
	after=$(memfree)
	diff=$(($1 - after))
	slack=$(awk '$1 == "high:" {s += $2} END {print s * 4}' /proc/zoneinfo)
	ktap_print_msg "MemFree before load $1 kB, after unload $after kB; kernel pcp slack $slack kB"
	if [ ! -d /sys/module/pcpool ] && [ ${diff#-} -le "$slack" ]; then
		ktap_test_pass memfree_restored
	else
		ktap_test_fail memfree_restored
	fi
}

# Runs every shell test in directory $2, each a KTAP document of its own,
# into OUT $1 (shell-NAME.ktap, .stderr, .rc), and shell-NAME.times: each
# KTAP line with the time it came ($EPOCHREALTIME), so that the host can
# tell how long each test case took (scripts/timings.py).
run_shell_tests() {
	local t name
	for t in "$2"/*.sh; do
		name=$(basename "$t" .sh)
		echo "guest: shell test $name"
		PYTHONUNBUFFERED=1 bash "$t" 2>"$1/shell-$name.stderr" |
			stamp_lines "$1/shell-$name.times" >"$1/shell-$name.ktap"
		echo "${PIPESTATUS[0]}" >"$1/shell-$name.rc"
		echo "guest: shell test $name took $(awk 'NR == 1 {t = $1} END {printf "%d", $1 - t}' "$1/shell-$name.times") s"
	done
}

# Copies stdin to stdout, and each line with the time it came to $1 (after a
# first line "TIME start").
stamp_lines() {
	local line
	echo "$EPOCHREALTIME start" >"$1"
	while IFS= read -r line; do
		printf '%s\n' "$line"
		printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$1"
	done
	echo "$EPOCHREALTIME end" >>"$1"
}

KMEMLEAK=/sys/kernel/debug/kmemleak

# Debug kernel: stop kmemleak's periodic scan (it would log leaks of code
# that is not ours as reports), and forget what boot left behind, so a later
# scan reports only objects allocated from now on. A no-op without kmemleak.
kmemleak_start() {
	[ -w $KMEMLEAK ] || return 0
	echo scan=off >$KMEMLEAK
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
}

# After every module is unloaded: scan and write the KTAP test
# kmemleak_clean into $1/shell-$2.ktap (.rc). A leak is ours when its
# allocation backtrace names pcpool or holds a frame kallsyms no longer
# resolves, which is what an unloaded module's code leaves. Other leaks are
# only counted. Without kmemleak (the lean kernel) it writes nothing.
kmemleak_check() {
	local out=$1 name=$2 ours total
	[ -w $KMEMLEAK ] || return 0
	echo "$EPOCHREALTIME start" >"$out/shell-$2.times"
	# An object must look unreferenced in a scan and be older than 5 s.
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	cat $KMEMLEAK >"$out/kmemleak-$2.txt"
	total=$(grep -c '^unreferenced object' "$out/kmemleak-$2.txt")
	ours=$(awk '/^unreferenced object/ { if (hit) n++; hit = 0 }
		/pcpool|\[<[0-9a-f]+>\] 0x[0-9a-f]+$/ { hit = 1 }
		END { if (hit) n++; print n + 0 }' "$out/kmemleak-$2.txt")
	{
		echo "TAP version 13"
		echo "1..1"
		echo "# kmemleak after unloading: $total suspected leaks, $ours from pcpool or its samples"
		if [ "$ours" -eq 0 ]; then
			echo "ok 1 kmemleak_clean"
		else
			grep -B2 -A18 -m 3 'pcpool\|\] 0x' "$out/kmemleak-$2.txt" | sed 's/^/# /'
			echo "not ok 1 kmemleak_clean"
		fi
	} >"$out/shell-$2.ktap"
	echo "$EPOCHREALTIME $(tail -n1 "$out/shell-$2.ktap")" >>"$out/shell-$2.times"
	[ "$ours" -eq 0 ]
	echo $? >"$out/shell-$2.rc"
}
