# crash_lib.sh - helpers of the crash, kill and concurrency suites, on top of tests/cli/lib.sh:
# puts and rms whose acknowledgement is recorded, and the invariant check (check_store.py).
#
# A suite sources tests/cli/lib.sh, then this file, then calls crash_store NAME [CONFIG].

CRASH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MARKER=LETHE-PLAINTEXT-MARKER

# crash_store NAME [EXTRA-CONFIG]: a fresh store (lib.sh) and its state directory $STATE.
crash_store() {
	fresh_store "$@"
	STATE=$T/$1.state
	mkdir -p "$STATE/plain"
	: >"$STATE/acked"
	: >"$STATE/removed"
	: >"$STATE/may_shred"
	: >"$STATE/wraps"
}

# plain NAME [SIZE]: write the plaintext of object NAME (the marker, then random bytes).
plain() {
	local f=$STATE/plain/$1
	{
		printf '%s %s\n' "$MARKER" "$1"
		head -c "${2:-3000}" /dev/urandom
		printf '\n%s end\n' "$MARKER"
	} >"$f"
	echo "$f"
}

# put_obj NAME [GROUP] [SIZE]: put a new object named NAME and record it as acknowledged;
# its id in $ID.
put_obj() {
	local name=$1 group=${2:-default} f
	f=$(plain "$name" "${3:-3000}")
	ID=$(lethe put --group "$group" --name "$name" "$f") || fail "put $name failed"
	echo "$ID $name" >>"$STATE/acked"
}

# may_shred ID|group:G: the test may shred it (an rm or a sweep is coming).
may_shred() {
	echo "$1" >>"$STATE/may_shred"
}

# removed ID: an rm of ID was acknowledged.
removed() {
	echo "$1" >>"$STATE/removed"
}

# snapshot: remember every wrapped key now in meta.db (to look for its bytes later).
snapshot() {
	python3 "$CRASH_DIR/check_store.py" snapshot "$STATE" || fail "snapshot failed"
}

# check_invariants WHAT: every invariant of check_store.py, or fail naming WHAT.
check_invariants() {
	if ! python3 "$CRASH_DIR/check_store.py" check "$STATE" >"$T/check.out" 2>"$T/check.err"
	then
		cat "$T/check.err" >&2
		ERR=$T/check.err fail "invariants broken after $1"
	fi
}

# crash POINT CMD...: run CMD with the fault point armed; it must die there (exit 99).
crash() {
	local point=$1 got=0
	shift
	LETHE_FAULT=$point "$@" >"$OUT" 2>"$ERR" || got=$?
	[ "$got" = 99 ] || fail "LETHE_FAULT=$point $*: exit $got, expected 99 (point not reached?)"
}

# state_of ID: live or shredded.
state_of() {
	lethe --json stat "$1" | json 'j["state"]'
}

# kek_objects VERSION: how many live data keys KEK VERSION wraps; kek_state VERSION.
kek_objects() {
	lethe --json key list | json "[k['objects'] for k in j if k['version'] == $1][0]"
}
kek_state() {
	lethe --json key list | json "[k['state'] for k in j if k['version'] == $1][0]"
}
