#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make model: checks model/pcpool.pml, the Promela model of the pcp-disable /
# drain / isolate protocol, and model/teardown.pml, an emptied zone's pagesets
# torn down while other CPUs run, with spin, and checks that the mapping table in
# Documentation/model.rst still names functions that exist in rust/. Prints a
# KTAP document on stdout; exits 0 only if every test passes. Needs spin and a
# C compiler, not the kernel tree.
#
# pcpool's ordering (drain=ipi, and drain=pageblock) must pass an exhaustive
# search; each weakened variant must give a counterexample trail, which is
# kept in build/model/ with the command that replays it.
#
# Environment: SPIN, CC (spin, gcc); PCPOOL_MODEL_JOBS, pan runs at a time
# (2); PCPOOL_MODEL_DEPTH, pan's -m (2000000).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
MODEL=$TOP/model/pcpool.pml
DOC=$TOP/Documentation/model.rst
TRAILS=$TOP/build/model
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
# -m: depth bound for the DFS stack; pan says so if it is too small, and
# such a run does not count as exhaustive.
DEPTH=${PCPOOL_MODEL_DEPTH:-2000000}
NICE=(nice -n 10)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pcpool-model.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$TRAILS"

# The runs: name, expected result, pan mode, spin defines.
RUNS=(
	# pcpool's ordering, drain=ipi (the default): every property, exhaustive.
	"model_pcpool_ordering pass safety"
	# drain=pageblock (2014's order: each pageblock ISOLATE, then its round).
	"model_pcpool_pageblock_ordering pass safety -DDRAIN_PAGEBLOCK"
	# Termination: <> iso_done under weak fairness, the CPUs allocating and
	# freeing forever (one round of isolation: two take a minute).
	"model_pcpool_terminates pass liveness -DROUNDS=1 -DNO_MONITOR"
	# The weakened variants: each must be caught, breadth first for the
	# shortest trail. NO_EMPTY_CHECK leaves the issue's properties only.
	"model_race_2014 fail bfs -DRACE_2014 -DNO_EMPTY_CHECK"
	"model_skip_empty fail bfs -DSKIP_EMPTY -DNO_EMPTY_CHECK"
	"model_no_high_zero fail bfs -DNO_HIGH_ZERO -DNO_EMPTY_CHECK"
	# Drain only, and the offline's wait never ends: an acceptance cycle.
	"model_no_high_zero_livelocks fail liveness -DNO_HIGH_ZERO -DROUNDS=1 -DNO_MONITOR"
	# The two halves of the 2014 race. The read outside the IRQs-off section
	# alone is harmless in pcpool (high = 0 flushes before IRQs come back,
	# and the zone re-reads the migratetype under its lock); the zone
	# trusting the free path's read is not.
	"model_early_mt_read_is_masked pass safety -DEARLY_MT_READ -DROUNDS=1"
	"model_stale_mt fail bfs -DSTALE_MT -DNO_EMPTY_CHECK"
	# model/teardown.pml: an emptied zone's pagesets torn down while other
	# CPUs allocate, free and drain (the 2021 hot-remove thread). pcpool's
	# order (unpublish, wait for readers, drain, free) must pass; the 2021
	# order, no grace period, and a drain before the unpublish must not.
	"model_teardown_ordering pass safety"
	"model_teardown_naive fail bfs -DNAIVE"
	"model_teardown_no_grace_period fail bfs -DNO_GRACE"
	"model_teardown_drain_first fail bfs -DDRAIN_FIRST"
)
TESTS=()
for r in "${RUNS[@]}"; do TESTS+=("${r%% *}"); done
TESTS+=(model_mapping_table)

echo "KTAP version 1"
echo "1..${#TESTS[@]}"

n=0
failed=0
start_all=$(date +%s.%N)

report() { # report OK|FAIL name
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

diag() { sed 's/^/# /'; }

elapsed() { # seconds since $1, one decimal
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# The model a run checks: model/teardown.pml for model_teardown_*, else
# model/pcpool.pml.
model_of() {
	case $1 in
	model_teardown_*) echo "$TOP/model/teardown.pml" ;;
	*) echo "$MODEL" ;;
	esac
}

# pan NAME MODE SPIN_DEFINES... : generate, compile and run pan in
# $WORK/NAME. MODE: safety (assertions, no claim, DFS), bfs (the same,
# breadth first: shortest counterexample) or liveness (the LTL claim, -a -f).
# Leaves pan's output in $WORK/NAME/pan.out and the wall time in
# $WORK/NAME/secs.
pan() {
	local name=$1 mode=$2
	shift 2
	local dir=$WORK/$name t0 cflags=(-O2 -w) runflags=("-m$DEPTH")
	mkdir -p "$dir"
	cp "$(model_of "$name")" "$dir/pcpool.pml"
	t0=$(date +%s.%N)
	case $mode in
	safety) cflags+=(-DSAFETY -DNOCLAIM) ;;
	bfs) cflags+=(-DSAFETY -DNOCLAIM -DBFS) ;;
	liveness)
		cflags+=(-DNFAIR=3)
		runflags+=(-a -f)
		;;
	esac
	(
		cd "$dir" &&
			"$SPIN" "$@" -a pcpool.pml >spin.out 2>&1 &&
			"${NICE[@]}" "$CC" "${cflags[@]}" -o pan pan.c >cc.out 2>&1 &&
			"${NICE[@]}" ./pan "${runflags[@]}" >pan.out 2>&1
	)
	echo "$(elapsed "$t0")" >"$dir/secs"
	[ -f "$dir/pan.out" ] || { cat "$dir/spin.out" "$dir/cc.out" 2>/dev/null >"$dir/pan.out"; }
}

field() { # field NAME REGEX: first match in pan's output
	grep -m1 -oE "$2" "$WORK/$1/pan.out"
}

errors() { field "$1" 'errors: [0-9]+' | awk '{ print $2 }'; }

stats() { # one line: states, transitions, depth, time
	local f=$WORK/$1/pan.out
	local states trans depth t
	states=$(grep -m1 -E 'states, stored' "$f" | awk '{ print $1 }')
	trans=$(grep -m1 -E 'transitions' "$f" | awk '{ print $1 }')
	depth=$(grep -m1 -oE 'depth reached [0-9]+' "$f" | awk '{ print $3 }')
	t=$(grep -m1 -oE 'elapsed time [0-9.e+]+' "$f" | awk '{ print $3 }')
	echo "states: ${states:-?}, transitions: ${trans:-?}, depth: ${depth:-?}, time: ${t:-?}s (pan), $(cat "$WORK/$1/secs")s with spin and cc"
}

# Exhaustive: pan ran to the end, no bitstate hashing, the depth bound never hit.
exhaustive() {
	local f=$WORK/$1/pan.out
	! grep -q -e 'Search not completed' -e 'max search depth too small' -e 'Bit statespace' "$f" &&
		grep -q 'Full statespace search' "$f"
}

# expect_pass NAME MODE DEFINES...: pan's run had no error, and was exhaustive.
expect_pass() {
	local name=$1 mode=$2
	shift 2
	local e
	e=$(errors "$name")
	if [ "${e:-x}" = 0 ] && exhaustive "$name"; then
		report OK "$name" >"$WORK/$name/ktap"
	else
		report FAIL "$name" >"$WORK/$name/ktap"
	fi
	{
		echo "$mode run${*:+ with $*}: errors: ${e:-none reported}"
		stats "$name"
		if exhaustive "$name"; then
			echo "exhaustive: yes (full state space, no bitstate, depth bound $DEPTH not reached)"
		else
			echo "exhaustive: NO"
			grep -e 'error' -e 'too small' -e 'not completed' "$WORK/$name/pan.out" | head -5
		fi
		if [ "${e:-x}" != 0 ] && [ -f "$WORK/$name/pcpool.pml.trail" ]; then
			cp "$WORK/$name/pcpool.pml.trail" "$TRAILS/$name.trail"
			replay_summary "$name" "$@"
		fi
	} | diag >"$WORK/$name/diag"
}

replay_cmd() { # replay_cmd NAME DEFINES...
	local name=$1
	shift
	echo "spin -k build/model/$name.trail -t -p $* model/$(basename "$(model_of "$name")")"
}

replay_summary() { # the violated property, from spin -t -p
	local name=$1
	shift
	local out=$WORK/$name/replay.out
	(cd "$WORK/$name" && "$SPIN" -k pcpool.pml.trail -t -p "$@" pcpool.pml >"$out" 2>&1)
	grep -v 'printf(' "$out" | grep -m3 -E 'violated:|Error: assertion violated|START OF CYCLE' |
		sed -e 's/^[[:space:]]*//'
	grep -m1 -E 'acceptance cycle' "$WORK/$name/pan.out"
	echo "trail: build/model/$name.trail; replay: $(replay_cmd "$name" "$@")"
	echo "$(replay_cmd "$name" "$@")" >"$TRAILS/$name.replay"
}

# expect_counterexample NAME MODE DEFINES...: pan's run found an error and
# wrote a trail.
expect_counterexample() {
	local name=$1 mode=$2
	shift 2
	local e trail=$WORK/$name/pcpool.pml.trail
	e=$(errors "$name")
	if [ "${e:-0}" -ge 1 ] && [ -s "$trail" ]; then
		cp "$trail" "$TRAILS/$name.trail"
		report OK "$name" >"$WORK/$name/ktap"
	else
		report FAIL "$name" >"$WORK/$name/ktap"
	fi
	{
		echo "$mode run with $*: errors: ${e:-none reported} (a counterexample is expected)"
		stats "$name"
		if [ -s "$trail" ]; then
			replay_summary "$name" "$@"
		else
			echo "no trail: the weakened variant was not caught"
			grep -e 'error' "$WORK/$name/spin.out" "$WORK/$name/cc.out" 2>/dev/null | head -5
		fi
	} | diag >"$WORK/$name/diag"
}

emit() { # the KTAP line, then its diagnostics
	cat "$WORK/$1/diag"
	cat "$WORK/$1/ktap"
}

if ! command -v "$SPIN" >/dev/null || ! command -v "$CC" >/dev/null; then
	for t in "${TESTS[@]}"; do
		echo "# $SPIN or $CC not found"
		report FAIL "$t"
	done
	exit 1
fi
echo "# $("$SPIN" -V | head -1); model/pcpool.pml: 3 CPUs, 2 pageblocks of 2 pages, high 3, batch 2"

# Run them JOBS at a time (pan is single-threaded), then report in order.
JOBS=${PCPOOL_MODEL_JOBS:-2}
for r in "${RUNS[@]}"; do
	read -r name _ mode defs <<<"$r"
	rm -f "$TRAILS/$name.trail" "$TRAILS/$name.replay"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	# shellcheck disable=SC2086
	pan "$name" "$mode" $defs &
done
wait
for r in "${RUNS[@]}"; do
	read -r name expect mode defs <<<"$r"
	# shellcheck disable=SC2086
	if [ "$expect" = pass ]; then
		expect_pass "$name" "$mode" $defs
	else
		expect_counterexample "$name" "$mode" $defs
	fi
	emit "$name"
done

# The mapping table: every function it names still exists in the named file,
# inside the named line range, in an impl of the named type.
mapping_check() {
	python3 - "$DOC" "$TOP" <<'PY'
import csv, re, sys
doc, top = sys.argv[1], sys.argv[2]
lines = open(doc).read().splitlines()
try:
    i = next(k for k, l in enumerate(lines) if l.startswith(".. csv-table:: Model steps"))
except StopIteration:
    print("no '.. csv-table:: Model steps' in " + doc)
    sys.exit(1)
rows = []
for l in lines[i + 1:]:
    if l.strip() == "" or l.lstrip().startswith(":"):
        if rows and l.strip() == "":
            break
        continue
    if not l.startswith("   "):
        break
    rows.append(next(csv.reader([l.strip()], skipinitialspace=True)))
bad = 0
for step, path, func, rng in rows:
    m = re.fullmatch(r"(\d+)-(\d+)", rng)
    try:
        src = open(f"{top}/{path}").read().splitlines()
    except OSError:
        print(f"MISSING {path}: no such file ({step})")
        bad += 1
        continue
    typ, _, name = func.rpartition("::")
    hits = [k + 1 for k, l in enumerate(src)
            if re.search(r"\bfn " + re.escape(name) + r"\b", l)]
    def in_impl(line):
        if not typ:
            return True
        for l in reversed(src[:line - 1]):
            if l.startswith("impl"):
                return re.search(r"\b" + re.escape(typ) + r"\b", l) is not None
        return False
    hits = [h for h in hits if in_impl(h)]
    if not hits:
        print(f"MISSING {func} in {path} ({step})")
        bad += 1
        continue
    lo, hi = int(m.group(1)), int(m.group(2))
    inside = [h for h in hits if lo <= h <= hi]
    if not inside or hi > len(src):
        print(f"MOVED {func} in {path}: fn at line {','.join(map(str, hits))}, table says {rng} ({step})")
        bad += 1
        continue
    print(f"ok {func} {path}:{rng} (fn at {inside[0]})")
print(f"{len(rows)} rows, {bad} stale")
sys.exit(1 if bad or not rows else 0)
PY
}
t0=$(date +%s.%N)
mkdir -p "$WORK/model_mapping_table"
if mapping_check >"$WORK/model_mapping_table/out" 2>&1; then
	report OK model_mapping_table >"$WORK/model_mapping_table/ktap"
else
	report FAIL model_mapping_table >"$WORK/model_mapping_table/ktap"
fi
{
	grep -v '^ok ' "$WORK/model_mapping_table/out"
	echo "Documentation/model.rst checked against rust/ in $(elapsed "$t0")s"
} | diag >"$WORK/model_mapping_table/diag"
emit model_mapping_table

echo "# $((n - failed)) passed, $failed failed, $(elapsed "$start_all")s"
[ "$failed" -eq 0 ] && [ "$n" -eq "${#TESTS[@]}" ]
