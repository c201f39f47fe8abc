#!/usr/bin/env bash
# test_races.sh - gets racing sweeps, as a stress run in any build (tests/crash/test_race.sh
# makes the same race deterministic in a fault-injection build). Writers put objects that
# expire after a second, a sweeper sweeps them as they expire, and readers get each object
# again and again until it is shredded, so that shreds keep landing while gets are under way.
# Every get exits 0 (it read the object before its shred) or 3 (shredded), never 4: a file
# missing because its row is now shredded is no tampering. Bounded by LETHE_RACES_SECONDS
# (default 3). A get's window (from its row read to its file open) is a few milliseconds of
# a process that lives tens of them, so one run meets the race only now and then; the
# fault-injection suite is what meets it every time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../crash/crash_lib.sh"

SECONDS_TO_RUN=${LETHE_RACES_SECONDS:-3}
READERS=3
crash_store races "[retention]
sweep_batch = 1
[group:short]
retention = 1s"
may_shred group:short
STOP=$T/stop
FAILED=$T/failed
IDS=$T/ids
: >"$FAILED"
: >"$IDS"
: >"$T/codes"

# writer W: put short-lived objects; their ids go to $IDS in the order they were stored,
# which is the order they expire in.
writer() {
	local w=$1 i=0 id f
	while [ ! -e "$STOP" ]; do
		i=$((i + 1))
		f=$(plain "w$w-$i" 2000)
		if id=$("$LETHE" put --group short --name "w$w-$i" "$f" 2>"$T/w$w.err"); then
			echo "$id w$w-$i" >>"$STATE/acked"
			echo "$id" >>"$IDS"
		else
			echo "writer $w: put failed: $(head -c 300 "$T/w$w.err")" >>"$FAILED"
		fi
	done
}

sweeper() {
	local rc
	while [ ! -e "$STOP" ]; do
		rc=0
		"$LETHE" sweep >/dev/null 2>"$T/sweeper.err" || rc=$?
		[ "$rc" = 0 ] || echo "sweeper: exit $rc: $(head -c 300 "$T/sweeper.err")" >>"$FAILED"
		sleep 0.05
	done
}

# reader N: get the Nth object until it is shredded, then the one READERS further on, and so
# on: each reader is at a different object as it expires.
reader() {
	local n=$1 i=$1 id rc
	while [ ! -e "$STOP" ]; do
		id=$(sed -n "${i}p" "$IDS")
		if [ -z "$id" ]; then
			sleep 0.05
			continue
		fi
		rc=0
		"$LETHE" get "$id" -o "$T/r$n.out" 2>"$T/r$n.err" || rc=$?
		echo "$rc" >>"$T/codes"
		case $rc in
		0) ;;
		3) i=$((i + READERS)) ;;
		*)
			echo "reader $n: get $id: exit $rc: $(head -c 300 "$T/r$n.err")" >>"$FAILED"
			i=$((i + READERS))
			;;
		esac
	done
}

# One writer: more processes only wait for each other's database lock.
writer 1 &
pids=$!
sweeper &
pids="$pids $!"
for n in $(seq "$READERS"); do
	reader "$n" &
	pids="$pids $!"
done
sleep "$SECONDS_TO_RUN"
touch "$STOP"
for p in $pids; do
	wait "$p"
done

if [ -s "$FAILED" ]; then
	cat "$FAILED" >&2
	fail "gets racing sweeps failed"
fi
gets=$(wc -l <"$T/codes")
late=$(grep -c '^3$' "$T/codes" || true)
note "$(wc -l <"$IDS") objects, $gets gets ($late after their object's shred), none failed"
[ "$late" -gt 0 ] || fail "no get met a shred in ${SECONDS_TO_RUN}s"
sleep 1.1
ok lethe sweep
check_invariants "gets racing sweeps"
note "ok"
