#!/usr/bin/env bash
# test_type_casts.sh - T1 (a writer of meta.db without keys) re-stores values as BLOBs of the
# same bytes: every row MAC, table digest and chain MAC still verifies, since they cover the
# bytes lethe reads, but an SQL equality or range no longer matches. Scripted as the attacker
# would, with the sqlite3 CLI:
#   - a group hold and its hold.set record cast to BLOBs: the sweep refuses (exit 4), the
#     objects stay, and doctor reports the rows; the table rolled back to before the hold and the record cast: the
#     sweep refuses (exit 4) instead of shredding the held objects;
#   - an object's retain_until cast to a BLOB (the sweep's range query never matches it: kept
#     forever, silently): doctor reports it.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || {
	echo "[$SUITE] skipped: the sqlite3 CLI is not installed"
	exit 77
}

fresh_store casts "[group:g]
retention = 2s"
rand_file "$T/f" 3000
x=$(lethe put --group g "$T/f")
y=$(lethe put --group g "$T/f")
sqlite3 "$STORE/meta.db" ".backup '$T/snap.db'"
ok lethe hold set --group g --reason LITIGATION-42
sleep 3
ok lethe sweep
assert_contains "$OUT" "2 kept on hold"

note "a group hold and its record cast to BLOBs: the sweep refuses, doctor reports the rows"
cp "$STORE/meta.db" "$T/before.db"
sqlite3 "$STORE/meta.db" <<'SQL'
UPDATE holds SET grp = CAST(grp AS BLOB);
DROP TRIGGER audit_no_update;
UPDATE audit SET object = CAST(object AS BLOB) WHERE action = 'hold.set';
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
SQL
expect_exit 4 lethe sweep
assert_contains "$ERR" "column grp is not text"
ok lethe get "$x" -o "$T/out"
expect_exit 4 lethe doctor
cat "$OUT" "$ERR" >"$T/both"
assert_contains "$T/both" "is not text"

note "holds rolled back to before the hold, its record cast: the sweep refuses"
cp "$T/before.db" "$STORE/meta.db"
sqlite3 "$STORE/meta.db" <<SQL
ATTACH '$T/snap.db' AS old;
DELETE FROM main.holds;
INSERT INTO main.holds SELECT * FROM old.holds;
UPDATE main.row_digests SET count = (SELECT count FROM old.row_digests WHERE tbl = 'holds'),
  xor = (SELECT xor FROM old.row_digests WHERE tbl = 'holds'),
  mac = (SELECT mac FROM old.row_digests WHERE tbl = 'holds') WHERE tbl = 'holds';
DROP TRIGGER audit_no_update;
UPDATE audit SET object = CAST(object AS BLOB) WHERE action = 'hold.set';
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
SQL
expect_exit 4 lethe sweep
cat "$OUT" "$ERR" >"$T/both"
assert_contains "$T/both" "is not text"
ok lethe get "$x" -o "$T/out"
ok lethe get "$y" -o "$T/out"

note "retain_until cast to a BLOB of its digits: never swept, but doctor reports it"
fresh_store casts2 "[group:g]
retention = 2s"
z=$(lethe put --group g "$T/f")
sqlite3 "$STORE/meta.db" "UPDATE objects SET retain_until = CAST(CAST(retain_until AS TEXT) AS BLOB) WHERE id = '$z'"
expect_exit 4 lethe doctor
cat "$OUT" "$ERR" >"$T/both"
assert_contains "$T/both" "is not an integer"
note "ok"
