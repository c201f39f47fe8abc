#!/usr/bin/env bash
# test_race.sh - races between commands, made deterministic with pause points: LETHE_PAUSE=
# POINT:FILE (a -DLETHE_FAULT_INJECTION=ON build) holds a process at a named point until FILE
# exists, while the test runs the other command. A build without fault injection skips the
# suite (exit 77); tests/cli/test_races.sh runs the same races as a stress run in any build.
#
#   - a get held between its row read and its file open while an rm, or a sweep, shreds the
#     object and unlinks its file: exit 3 and an audit record that says shredded, not the
#     exit 4 and "object file missing" of tampering (which a live row without its file still
#     is);
#   - doctor held between listing the live objects and looking for their files while an rm
#     shreds one: no "file missing" error;
#   - doctor --repair while a put is between linking its file and committing its row: the file
#     is not taken for an orphan and removed (the put is acknowledged and must read back).
# It runs $LETHE_FAULT_BIN, the lethe-fault command every test build makes (CTest sets it).
LETHE=${LETHE_FAULT_BIN:-${LETHE:-}}
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/crash_lib.sh"

crash_store race "[retention]
sweep_batch = 2
[group:short]
retention = 1s"
put_obj keep
KEEP=$ID
for i in 1 2 3; do
	put_obj "short-$i" short
	echo "$ID" >"$T/short-$i.id"
	may_shred "$ID"
done
snapshot

# Does this binary have pause points? A release build reads the object and exits 0.
got=0
LETHE_FAULT=get.before_open lethe get "$KEEP" >"$OUT" 2>"$ERR" || got=$?
if [ "$got" = 0 ]; then
	[ -z "${LETHE_FAULT_BIN:-}" ] || fail "LETHE_FAULT_BIN=$LETHE_FAULT_BIN ignores LETHE_FAULT"
	note "this lethe ignores LETHE_FAULT and LETHE_PAUSE (built without" \
		"-DLETHE_FAULT_INJECTION=ON): skipped"
	exit 77
fi
[ "$got" = 99 ] || fail "fault probe: exit $got"
sleep 1.1 # the short objects expire

# paused POINT NAME CMD...: start CMD held at POINT (in the background, $PAUSED_PID; stdout
# and stderr in $T/NAME.out and .err), and wait until it is there.
paused() {
	local point=$1 name=$2
	shift 2
	rm -f "$T/go-$name" "$T/go-$name.reached"
	LETHE_PAUSE="$point:$T/go-$name" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PAUSED_PID=$!
	wait_until 30 test -e "$T/go-$name.reached"
}

# release NAME: let the held command go on and wait for it; its exit status in $GOT.
release() {
	touch "$T/go-$1"
	GOT=0
	wait "$PAUSED_PID" || GOT=$?
}

# audited_get ID: the outcome and error of the last get of ID in the audit log.
audited_get() {
	lethe audit export >"$T/audit.jsonl" || fail "audit export failed"
	python3 - "$T/audit.jsonl" "$1" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["action"] == "get" and r["object"] == sys.argv[2]:
        last = r
print("%s: %s" % (last["outcome"], last["error"]) if last else "none")
PY
}

note "get vs rm: the shred commits and unlinks between the get's row read and its open"
id=$(cat "$T/short-1.id")
paused get.before_open get-rm lethe get "$id" -o "$T/get-rm.plain"
ok lethe rm "$id" --reason "race with a get"
removed "$id"
release get-rm
ERR=$T/get-rm.err
assert_eq "$GOT" 3 "exit status of a get that lost the race with an rm"
assert_contains "$ERR" "crypto-shredded"
assert_not_contains "$ERR" "missing"
assert_one_line "$ERR"
assert_file_absent "$T/get-rm.plain"
audit=$(audited_get "$id")
case $audit in
"failed: object was crypto-shredded at "*) ;;
*) fail "audit record of the get: $audit" ;;
esac
check_invariants "a get that raced an rm"

note "get vs sweep"
id=$(cat "$T/short-2.id")
paused get.before_open get-sweep lethe get "$id" -o "$T/get-sweep.plain"
ok lethe sweep
release get-sweep
ERR=$T/get-sweep.err
assert_eq "$GOT" 3 "exit status of a get that lost the race with a sweep"
assert_contains "$ERR" "crypto-shredded"
assert_not_contains "$ERR" "missing"
check_invariants "a get that raced a sweep"

note "a live object whose file is gone is still tampering (exit 4)"
put_obj victim
paused get.before_open get-tamper lethe get "$ID" -o "$T/get-tamper.plain"
rm -f "$(object_file "$ID")"
release get-tamper
ERR=$T/get-tamper.err
assert_eq "$GOT" 4 "exit status of a get whose live object's file was deleted"
assert_contains "$ERR" "object file missing"
audit=$(audited_get "$ID")
case $audit in
"failed: object "*": object file missing") ;;
*) fail "audit record of the get: $audit" ;;
esac

# A fresh store for the doctor races (the tampered one above stays broken).
crash_store race2 "[group:short]
retention = 1s"
put_obj keep-a
put_obj keep-b
put_obj doomed short
DOOMED=$ID
may_shred "$DOOMED"
snapshot
sleep 1.1

note "doctor vs rm: the file goes between doctor's listing and its look for the file"
paused doctor.before_file_check doctor-rm lethe doctor
ok lethe rm "$DOOMED" --reason "race with doctor"
removed "$DOOMED"
release doctor-rm
ERR=$T/doctor-rm.err
assert_eq "$GOT" 0 "exit status of doctor racing an rm"
assert_not_contains "$T/doctor-rm.out" "file missing"

note "doctor --repair vs put: a linked file whose row is about to commit is no orphan"
f=$(plain late 5000)
paused put.after_link put-doctor lethe put --name late "$f"
ok lethe doctor --repair
assert_not_contains "$OUT" "orphan"
release put-doctor
ERR=$T/put-doctor.err
assert_eq "$GOT" 0 "exit status of the put doctor --repair ran beside"
late=$(cat "$T/put-doctor.out")
echo "$late late" >>"$STATE/acked"
ok lethe get "$late" -o "$T/late.plain"
assert_same "$T/late.plain" "$f"
check_invariants "doctor --repair beside a put"
note "ok"
