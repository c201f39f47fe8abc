#!/usr/bin/env bash
# test_audit_attacks.sh - the audit log attacked as someone who can write the store's files but
# holds no key (T1) would, with the sqlite3 and cryptsetup CLIs, and through the clock (T3):
# forged rows in audit_pending, the newest records deleted with their checkpoints, the unsigned
# checkpoint columns lowered and then the tail deleted, the whole log deleted, the anchor token
# removed, the log cut and grown again, and records written under a clock set back and forward.
# Each makes `audit verify` exit 4; a genuine failed unlock does not.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || {
	note "no sqlite3 command (the attacker's tool): skipped"
	exit 77
}

fresh_store att
rand_file "$T/x" 1000
for _ in 1 2 3; do ok lethe put "$T/x"; done
ok lethe audit checkpoint
for _ in 1 2 3; do ok lethe put "$T/x"; done
ok lethe audit checkpoint "$T/kept"
ok lethe put "$T/x"
ok lethe audit verify

sql() { sqlite3 "$STORE/meta.db" "$1"; }
unguard() {
	local t
	for t in $(sql "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit', 'checkpoints')"); do
		sql "DROP TRIGGER \"$t\""
	done
}
cp -a "$STORE" "$T/snapshot"
restore() {
	rm -rf "$STORE"
	cp -a "$T/snapshot" "$STORE"
}
# detected WHAT TEXT: audit verify exits 4 and says TEXT.
detected() {
	expect_exit 4 lethe audit verify
	assert_contains "$ERR" "$2"
	note "$1: detected"
	restore
}
last=$(sql "SELECT max(seq) FROM audit")

note "a genuine failed unlock is folded in unauthenticated, attributed to no one, and verifies"
printf 'wrong\n' >"$T/wrong.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/wrong.pass"
ok lethe audit verify
ok lethe audit export
python3 - "$OUT" <<'PY' || fail "the folded failed unlock is not marked or still names a keyslot"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
u = [r for r in recs if r["action"] == "unlock"]
assert len(u) == 1, u
assert u[0]["unauthenticated"] is True and u[0]["keyslot"] == "", u[0]
assert 'keyslot "officer"' in u[0]["error"], u[0]
assert all(r["unauthenticated"] is False for r in recs if r["action"] != "unlock")
PY
restore

note "rows inserted into audit_pending as an officer's hold clear"
sql "INSERT INTO audit_pending (time_us, uid, user, keyslot, pid, host, action, object, grp, outcome, error)
     VALUES (strftime('%s','now') * 1000000, 0, 'root', 'alice', 1, 'h', 'hold.clear', '', '', 'ok', '')"
ok lethe ls
ok lethe audit export
grep_q '"action":"hold.clear"' "$OUT" || fail "the forged record was not folded"
grep '"action":"hold.clear"' "$OUT" | grep_q '"keyslot":"","pid"' ||
	fail "the forged record is attributed to a keyslot"
detected "a forged pending record" "only failed opens and unlocks are recorded without a key"

note "the newest records deleted with the checkpoints"
unguard
sql "DELETE FROM audit WHERE seq > $((last - 4)); DELETE FROM checkpoints"
detected "tail and checkpoints deleted" "audit anchor: names record $last but the log ends at $((last - 4))"

note "the checkpoint columns lowered, then the tail deleted"
unguard
sql "UPDATE checkpoints SET audit_seq = 3, audit_mac = (SELECT mac FROM audit WHERE seq = 3);
     DELETE FROM audit WHERE seq > 3"
# row MACs catch the edited columns first; the anchor catches the cut tail as well
detected "checkpoint columns lowered" "checkpoints row 1 fails its MAC"
assert_contains "$ERR" "audit anchor: names record"

note "the whole log deleted"
unguard
sql "DELETE FROM audit; DELETE FROM checkpoints"
detected "the whole log deleted" "the log is empty"

note "the anchor token removed from the keystore, and the tail"
token=$(cryptsetup luksDump "$STORE/keystore.luks" | sed -n 's/^ *\([0-9]*\): lethe-anchor$/\1/p')
[ -n "$token" ] || fail "no lethe-anchor token in the keystore"
cryptsetup token remove --token-id "$token" "$STORE/keystore.luks"
unguard
sql "DELETE FROM audit WHERE seq > $((last - 2)); DELETE FROM checkpoints"
detected "anchor token removed" "missing from keystore.luks"

note "the log cut, then grown again past the anchor by the service"
unguard
sql "DELETE FROM audit WHERE seq > $((last - 2)); DELETE FROM checkpoints"
for _ in 1 2 3 4; do ok lethe put "$T/x"; done
detected "log cut and regrown" "another MAC"

note "a checkpoint kept elsewhere: the log must contain and extend it"
cp_file=$(ls "$T"/kept/checkpoint-*.json)
ok lethe audit verify --anchor "$cp_file"
unguard
sql "DELETE FROM audit WHERE seq > 3"
for _ in 1 2 3 4 5 6 7 8; do ok lethe put "$T/x"; done
expect_exit 4 lethe audit verify --anchor "$cp_file"
assert_contains "$ERR" "checkpoint file"
restore
printf '{}' >"$T/bogus.json"
cp "${cp_file%.json}.sig" "$T/bogus.sig"
expect_exit 4 lethe audit verify --anchor "$T/bogus.json"
assert_contains "$ERR" "signature does not verify"

note "the clock set back, then forward (LD_PRELOAD)"
: "${LETHE_TEST_SHIM:?LETHE_TEST_SHIM must name the test shim (set by CTest)}"
# a sanitizer build wants its runtime first among preloaded libraries
preload=$LETHE_TEST_SHIM
asan=$(ldd "$LETHE" 2>/dev/null | awk '/libasan/ {print $3}')
[ -z "$asan" ] || preload="$asan $LETHE_TEST_SHIM"
LD_PRELOAD=$preload LETHE_TEST_CLOCK_SHIFT=-86400 LETHE_TEST_CLOCK_FILES=1 "$LETHE" put "$T/x" >/dev/null ||
	fail "put under a clock set back failed"
expect_exit 4 lethe audit verify
assert_contains "$ERR" "time goes backwards"
restore
LD_PRELOAD=$preload LETHE_TEST_CLOCK_SHIFT=315360000 LETHE_TEST_CLOCK_FILES=1 "$LETHE" put "$T/x" >/dev/null ||
	fail "put under a clock set forward failed"
expect_exit 4 lethe audit verify
assert_contains "$ERR" "lies in the future"
restore

note "ok"
