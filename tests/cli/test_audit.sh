#!/usr/bin/env bash
# test_audit.sh - a put, a get, a failed get, an rm and a wrong passphrase each leave their
# record, naming the user of the uid (never $USER); `audit export` is valid JSON Lines (and
# --since filters it); editing a record with the sqlite3 shell (triggers dropped first),
# deleting one, swapping two, editing the first or the newest record, or deleting the newest
# after a checkpoint makes `audit verify` exit 4 naming the record.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store au "[group:docs]"
rand_file "$T/x" 10000
rand_file "$T/y" 200000
x=$(lethe put --group docs "$T/x")
y=$(lethe put "$T/y")
ok lethe get "$x"
ok lethe get "$x" --offset 5 --length 10

note "a failed get: the object file was modified"
fy=$(object_file "$y")
cp -p "$fy" "$T/y.orig"
chmod u+w "$fy"
flip_byte "$fy" 1000
expect_exit 4 lethe get "$y"
cp "$T/y.orig" "$fy"
expect_exit 3 lethe get 0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d

note "rm and a wrong passphrase"
ok lethe rm "$x" --reason "audit test" --force --passphrase-file "$PASS"
printf 'not it\n' >"$T/wrong.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/wrong.pass"
ok lethe hold set "$y" --reason CASE-9

note "a failed unlock names the user of the uid, whatever \$USER says"
injected='x action=key.retire outcome=ok'
expect_exit 6 env USER="$injected" LOGNAME="$injected" "$LETHE" key rotate \
	--passphrase-file "$T/wrong.pass"

note "export is JSON Lines"
ok lethe audit export
cp "$OUT" "$T/audit.jsonl"
[ -s "$T/audit.jsonl" ] || fail "empty audit export"
python3 - "$T/audit.jsonl" <<'PY' || fail "audit export is not valid JSON Lines"
import json, sys
seqs = []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    assert line.endswith("\n"), f"line {n} is not terminated"
    rec = json.loads(line)
    assert isinstance(rec, dict), f"line {n} is not an object"
    for key in ("seq", "time", "uid", "user", "keyslot", "pid", "host", "action", "object",
                "outcome", "error"):
        assert key in rec, f"line {n} has no {key}"
    seqs.append(rec["seq"])
assert seqs == list(range(1, len(seqs) + 1)), f"sequence numbers {seqs}"
PY
if command -v jq >/dev/null 2>&1; then
	jq -e . "$T/audit.jsonl" >/dev/null || fail "jq rejects the export"
fi

# has ACTION OBJECT OUTCOME: a record with this action ('' = any object) and outcome
# ('ok', or '!ok' for anything else).
has() {
	python3 - "$T/audit.jsonl" "$1" "$2" "$3" <<'PY'
import json, sys
path, action, obj, outcome = sys.argv[1:]
for line in open(path, encoding="utf-8"):
    r = json.loads(line)
    if r["action"] != action or (obj and r["object"] != obj):
        continue
    if (outcome == "ok") == (r["outcome"] == "ok"):
        sys.exit(0)
sys.exit(1)
PY
}
has init "" ok || fail "no init record"
has put "$x" ok || fail "no record of the put"
has get "$x" ok || fail "no record of the get"
has get.range "$x" ok || fail "no record of the range get"
has get "$y" '!ok' || fail "no record of the failed get"
# A successful rm is recorded by the shred it does, in the same transaction.
has rm "$x" ok || has shred "$x" ok || fail "no record of the rm"
has unlock "" '!ok' || fail "no record of the wrong passphrase"
has hold.set "$y" ok || fail "no record of the hold"
python3 - "$T/audit.jsonl" "$(id -un 2>/dev/null || echo "uid$(id -u)")" <<'PY' ||
import json, sys
unlocks = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    assert "key.retire" not in line, f"injected text in record {r['seq']}: {line}"
    assert r["user"] == sys.argv[2], f"record {r['seq']} names user {r['user']!r}"
    unlocks += r["action"] == "unlock"
assert unlocks == 2, f"{unlocks} unlock records"
PY
	fail "a record names a user other than the uid's"
python3 - "$T/audit.jsonl" "$y" <<'PY' || fail "the failed get's record does not say why"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["action"] == "get" and r["object"] == sys.argv[2] and r["outcome"] != "ok":
        assert r["error"], "no error text"
        sys.exit(0)
sys.exit(1)
PY

note "export --since"
total=$(wc -l <"$T/audit.jsonl")
ok lethe audit export --since 3
assert_eq "$(head -n 1 "$OUT" | json 'j["seq"]')" "3" "first record with --since 3"
python3 -c '
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
assert seqs and min(seqs) == 3, seqs
' "$OUT" || fail "--since 3 returned earlier records"
ok lethe audit export --since 2099-01-01
[ ! -s "$OUT" ] || fail "records from the future"
ok lethe audit export --since 2000-01-01T00:00:00Z
[ "$(wc -l <"$OUT")" -ge "$total" ] || fail "--since 2000-01-01 lost records"

note "verify"
ok lethe audit verify
assert_contains "$OUT" "records verified"
ok lethe --json audit verify
assert_eq "$(json 'j["ok"]' <"$OUT")" "true" "verify --json"

# The seq of the get of x: a record in the middle of the chain.
K=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["action"] == "get" and r["object"] == sys.argv[2]:
        print(r["seq"]); break
' "$T/audit.jsonl" "$x")
[ -n "$K" ] || fail "no get record to tamper with"

# sql STATEMENTS: run SQL on the store's database with the sqlite3 shell (python's sqlite3
# module when the shell is not installed).
sql() {
	if command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 "$STORE/meta.db" "$1"
	else
		python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute(sys.argv[2]) if sys.argv[2].lstrip().upper().startswith("SELECT") else []:
    print("|".join(str(c) for c in row))
if not sys.argv[2].lstrip().upper().startswith("SELECT"):
    db.executescript(sys.argv[2])
db.commit()
' "$STORE/meta.db" "$1"
	fi
}
drop_triggers() {
	local t
	for t in $(sql "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"); do
		sql "DROP TRIGGER \"$t\""
	done
}

# The triggers refuse changes from SQL clients.
if sql "UPDATE audit SET user = 'mallory' WHERE seq = $K" 2>/dev/null; then
	fail "the audit table accepted an UPDATE"
fi
if sql "DELETE FROM audit WHERE seq = $K" 2>/dev/null; then
	fail "the audit table accepted a DELETE"
fi

cp -a "$STORE" "$T/snapshot"
restore() {
	rm -rf "$STORE"
	cp -a "$T/snapshot" "$STORE"
}
# broken WHAT SEQ: audit verify exits 4 and names record SEQ.
broken() {
	expect_exit 4 lethe audit verify
	assert_contains "$ERR" "record $2"
	note "$1: detected"
	restore
}

drop_triggers
sql "UPDATE audit SET user = 'mallory' WHERE seq = $K"
broken "a user name edited" "$K"

drop_triggers
sql "UPDATE audit SET outcome = 'ok', error = '' WHERE action = 'get' AND object = '$y' AND outcome != 'ok'"
Ky=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["action"] == "get" and r["object"] == sys.argv[2] and r["outcome"] != "ok":
        print(r["seq"]); break
' "$T/audit.jsonl" "$y")
broken "a failure rewritten as a success" "$Ky"

drop_triggers
sql "UPDATE audit SET time_us = time_us + 1 WHERE seq = $K"
broken "a time edited" "$K"

drop_triggers
sql "UPDATE audit SET object = '$y' WHERE seq = $K"
broken "an object id edited" "$K"

drop_triggers
sql "DELETE FROM audit WHERE seq = $K"
broken "a record deleted" "$K"

drop_triggers
sql "UPDATE audit SET seq = 1000000 WHERE seq = $K; UPDATE audit SET seq = $K WHERE seq = $((K + 1)); UPDATE audit SET seq = $((K + 1)) WHERE seq = 1000000"
broken "two records swapped" "$K"

# The ends of the chain: record 1 has no predecessor whose MAC would cover it, and the newest
# record no successor, so each is caught by its own MAC or not at all.
drop_triggers
sql "UPDATE audit SET user = 'mallory' WHERE seq = 1"
broken "the first record edited" 1

drop_triggers
sql "UPDATE audit SET action = 'get' WHERE seq = 1"
broken "the first record's action edited" 1

newest=$(sql "SELECT max(seq) FROM audit")
[ "$newest" -gt "$K" ] || fail "the newest record ($newest) is not after the middle one ($K)"
drop_triggers
sql "UPDATE audit SET user = 'mallory' WHERE seq = $newest"
broken "the newest record edited" "$newest"

drop_triggers
sql "UPDATE audit SET outcome = CASE outcome WHEN 'ok' THEN 'failed' ELSE 'ok' END WHERE seq = $newest"
broken "the newest record's outcome edited" "$newest"

note "the newest records deleted after a checkpoint"
ok lethe audit checkpoint "$T/checkpoints"
ls "$T/checkpoints"/checkpoint-*.json >/dev/null 2>&1 || fail "no checkpoint file written"
ok lethe audit verify
last=$(sql "SELECT max(seq) FROM audit")
drop_triggers
sql "DELETE FROM audit WHERE seq > $((last - 3))"
expect_exit 4 lethe audit verify
assert_contains "$ERR" "checkpoint"

note "ok"
