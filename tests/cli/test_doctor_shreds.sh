#!/usr/bin/env bash
# test_doctor_shreds.sh - doctor cross-checks shreds against the audit log and the certificates
# (issue 14): an attacker with write access to meta.db (the sqlite3 shell) deletes the audit
# record of a shred, or a shred's certificate; doctor reports the object or the record, exit 4.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 shell not installed: skipped"; exit 77; }
sql() { sqlite3 "$STORE/meta.db" "$1"; }

fresh_store shreds "[group:short]
retention = 1s"
rand_file "$T/f" 2000
a=$(lethe put --group short "$T/f")
b=$(lethe put --group short "$T/f")
c=$(lethe put "$T/f")
sleep 1.1
ok lethe sweep
ok lethe rm "$c" --reason "case closed" --force --passphrase-file "$PASS"
ok lethe doctor
assert_contains "$OUT" "ok        evidence: 3 certificate(s): every shredded object has its certificate and its shred record"
# the whole store: meta.db and the keystore's audit anchor go back together
cp -a "$STORE" "$T/store.good"
restore() {
	rm -rf "$STORE"
	cp -a "$T/store.good" "$STORE"
}

note "the sweep's record of a shred deleted"
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE action = 'sweep.shred' AND object = '$a';"
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     evidence: object $a: shredded, but the audit log has no authenticated record of its shred"
assert_not_contains "$OUT" "object $b: shredded, but"
# audit verify sees the chain broken too; the row and its certificate are intact
expect_exit 4 lethe evidence verify
assert_contains "$ERR$(cat "$OUT")" "object $a"

note "an officer's forced removal record deleted"
restore
ok lethe doctor
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE action = 'rm' AND object = '$c';"
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     evidence: object $c: shredded, but the audit log has no authenticated record of its shred"

note "a shred record whose certificate is gone"
restore
sql "DROP TRIGGER IF EXISTS certificates_no_delete; DELETE FROM certificates WHERE object_id = '$b';"
expect_exit 4 lethe doctor
assert_contains "$OUT" "records the shred of $b, whose disposal certificate is missing"
assert_contains "$OUT" "object $b: shredded, but its disposal certificate is missing"

restore
ok lethe doctor
note "ok"
