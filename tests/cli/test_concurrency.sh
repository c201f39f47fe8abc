#!/usr/bin/env bash
# test_concurrency.sh - four writers (loops of put), a reader (gets of acknowledged objects), a
# sweeper (loops of sweep over a 2 s group) and an officer (loops of key rotate + key rewrap)
# share one store for LETHE_CONCURRENCY_SECONDS (default 15): no command may fail (no busy
# error: the database waits up to 30 s for its lock), nothing acknowledged is lost, and the
# store keeps every invariant of tests/crash/check_store.py afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../crash/crash_lib.sh"

SECONDS_TO_RUN=${LETHE_CONCURRENCY_SECONDS:-15}
crash_store conc "[retention]
sweep_batch = 4
[group:short]
retention = 2s"
may_shred group:short
put_obj seed default 50000
snapshot
STOP=$T/stop
FAILED=$T/failed
: >"$FAILED"

# failed WORKER RC CMD: record a failure (the check at the end reports it).
failed() {
	{
		echo "$1: exit $2: $3"
		head -c 600 "$T/$1.err"
		echo
	} >>"$FAILED"
}

writer() {
	local w=$1 i=0 name f id rc group
	while [ ! -e "$STOP" ]; do
		i=$((i + 1))
		name=w$w-$i
		group=default
		[ $((i % 2)) = 0 ] && group=short
		f=$(plain "$name" $((RANDOM * 4)))
		rc=0
		id=$("$LETHE" put --group "$group" --name "$name" "$f" 2>"$T/w$w.err") || rc=$?
		if [ "$rc" = 0 ]; then
			echo "$id $name $group" >>"$T/acked.w$w"
		else
			failed "w$w" "$rc" "put $name"
		fi
	done
}

reader() {
	local rc id name group
	while [ ! -e "$STOP" ]; do
		for w in 1 2 3 4; do
			[ -s "$T/acked.w$w" ] || continue
			read -r id name group < <(tail -n 1 "$T/acked.w$w")
			rc=0
			"$LETHE" get "$id" -o "$T/reader.out" 2>"$T/reader.err" || rc=$?
			if [ "$rc" = 0 ]; then
				cmp -s "$T/reader.out" "$STATE/plain/$name" ||
					echo "reader: $id ($name) read back different bytes" >>"$FAILED"
			elif ! { [ "$rc" = 3 ] && [ "$group" = short ]; }; then
				# a short-lived object may have been swept since; nothing else may fail
				failed reader "$rc" "get $id"
			fi
		done
	done
}

sweeper() {
	local rc
	while [ ! -e "$STOP" ]; do
		rc=0
		"$LETHE" sweep >/dev/null 2>"$T/sweeper.err" || rc=$?
		[ "$rc" = 0 ] || failed sweeper "$rc" sweep
		sleep 0.2
	done
}

# rotate, rewrap, then retire every old version: nothing may be wrapped under them any more.
officer_cmd() {
	local rc=0
	"$LETHE" key "$@" --passphrase-file "$PASS" >/dev/null 2>"$T/officer.err" || rc=$?
	[ "$rc" = 0 ] || failed officer "$rc" "key $*"
}
officer() {
	local v
	while [ ! -e "$STOP" ]; do
		officer_cmd rotate
		officer_cmd rewrap
		for v in $("$LETHE" --json key list | json '" ".join(str(k["version"]) for k in j
				if k["state"] == "active" and not k["primary"])'); do
			officer_cmd retire "$v"
		done
		sleep 0.3
	done
}

note "7 processes for ${SECONDS_TO_RUN}s"
pids=""
for w in 1 2 3 4; do
	writer "$w" &
	pids="$pids $!"
done
reader &
pids="$pids $!"
sweeper &
pids="$pids $!"
officer &
pids="$pids $!"
sleep "$SECONDS_TO_RUN"
touch "$STOP"
for p in $pids; do
	wait "$p"
done

if [ -s "$FAILED" ]; then
	cat "$FAILED" >&2
	fail "commands failed while running concurrently"
fi
cat "$T"/acked.w* | awk '{ print $1, $2 }' >>"$STATE/acked"
puts=$(wc -l <"$STATE/acked")
versions=$(lethe --json key list | json 'len(j)')
note "$puts puts acknowledged, $versions KEK versions; checking"
[ "$puts" -ge 8 ] || fail "only $puts puts in ${SECONDS_TO_RUN}s"

# Finish what the last loop iterations left (the last rotate may not be rewrapped yet), then
# sweep what is still to expire.
ok lethe key rewrap --passphrase-file "$PASS"
sleep 2.1
ok lethe sweep
assert_eq "$(lethe --json ls --group short | json 'len(j)')" 0 "expired objects left"
check_invariants "the concurrent run"
cat "$T/check.out"
note "ok"
