#!/usr/bin/env bash
# test_put_stdout.sh - a put whose id cannot be printed (stdout on a full disk, closed, or
# --json to a full disk): the object is stored and audited, so the command exits 1 (the caller
# did not get the id) with one line on stderr that names the stored id, from which a script
# recovers it instead of storing the file a second time (docs/OPERATIONS.md, section 2.3).
. "$(dirname "$0")/lib.sh"

[ -w /dev/full ] || {
	note "no /dev/full: skipped"
	exit 77
}
fresh_store putout
ID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

# check_lost NAME REASON: the last put (stderr in $ERR, exit status in $GOT) stored NAME but
# could not print its id for REASON; the id on stderr reads the object back, and it is the
# only object of that name.
check_lost() {
	local name=$1 reason=$2 id
	assert_eq "$GOT" 1 "exit status of a put whose id could not be printed ($name)"
	assert_one_line "$ERR"
	grep -E "^lethe: put: stored as $ID_RE, but could not print the id: $reason\$" "$ERR" \
		>/dev/null || fail "put ($name): unexpected message: $(cat "$ERR")"
	id=$(sed -n 's/^lethe: put: stored as \([0-9a-f-]*\), but could not print the id: .*/\1/p' \
		"$ERR")
	ok lethe get "$id" -o "$T/$name.out"
	assert_same "$T/$name.out" "$T/$name.plain"
	assert_eq "$(lethe --json ls | json "len([o for o in j if o['name'] == '$name'])")" 1 \
		"objects named $name"
	lethe audit export >"$T/audit.jsonl" || fail "audit export failed"
	python3 - "$T/audit.jsonl" "$id" <<'PY' || fail "the put of $id is not audited as ok"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
puts = [r for r in recs if r["action"] == "put" and r["object"] == sys.argv[2]]
sys.exit(0 if [r["outcome"] for r in puts] == ["ok"] else 1)
PY
}

note "stdout on a full disk"
rand_file "$T/full.plain" 50000
GOT=0
"$LETHE" put --name full "$T/full.plain" >/dev/full 2>"$ERR" || GOT=$?
check_lost full "No space left on device"

note "stdout closed"
rand_file "$T/closed.plain" 4000
GOT=0
"$LETHE" put --name closed - <"$T/closed.plain" >&- 2>"$ERR" || GOT=$?
check_lost closed "Bad file descriptor"

note "--json, stdout on a full disk"
rand_file "$T/json.plain" 4000
GOT=0
"$LETHE" --json put --name json "$T/json.plain" >/dev/full 2>"$ERR" || GOT=$?
# with --json the error is one JSON object on stderr: the same words under "error"
assert_eq "$(json '(j["command"], j["exit"])' <"$ERR")" "('put', 1)" "JSON error of a lost id"
json '"lethe: put: " + j["error"]' <"$ERR" >"$T/json.err"
cp "$T/json.err" "$ERR"
check_lost json "No space left on device"

note "the documented recovery: take the id from stderr, store nothing twice"
rand_file "$T/script.plain" 4000
if ! id=$("$LETHE" put --name script "$T/script.plain" 2>"$T/put.err" >/dev/full); then
	id=$(sed -n 's/^lethe: put: stored as \([0-9a-f-]*\), but could not print the id: .*/\1/p' \
		"$T/put.err")
fi
[ -n "$id" ] || fail "no id recovered from: $(cat "$T/put.err")"
ok lethe get "$id" -o "$T/script.out"
assert_same "$T/script.out" "$T/script.plain"
ok lethe doctor
note "ok"
