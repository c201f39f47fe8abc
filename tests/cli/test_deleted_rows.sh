#!/usr/bin/env bash
# test_deleted_rows.sh - T1 (a writer of meta.db without keys) makes an object vanish: the
# objects table and its digest rolled back, with the sqlite3 CLI, to a copy from before the
# object's put, and its file deleted. Every row left is MAC-valid and the digest matches, but
# the audit log, MAC-chained and anchored, still records the put: `doctor` and `evidence
# verify` report the put whose row is gone (exit 4). Before, every check passed.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || {
	echo "[$SUITE] skipped: the sqlite3 CLI is not installed"
	exit 77
}

fresh_store gone "[group:locked]
retention = 3650d
lock = true"
rand_file "$T/f" 3000
old=$(lethe put --group locked "$T/f")
sqlite3 "$STORE/meta.db" ".backup '$T/snap.db'"
x=$(lethe put --group locked "$T/f")
ok lethe hold set "$x" --reason LITIGATION-8
ok lethe doctor
ok lethe evidence verify

note "the objects table rolled back to before the put, the file deleted"
sqlite3 "$STORE/meta.db" <<SQL
ATTACH '$T/snap.db' AS old;
DELETE FROM main.objects;
INSERT INTO main.objects SELECT * FROM old.objects;
UPDATE main.row_digests SET count = (SELECT count FROM old.row_digests WHERE tbl = 'objects'),
  xor = (SELECT xor FROM old.row_digests WHERE tbl = 'objects'),
  mac = (SELECT mac FROM old.row_digests WHERE tbl = 'objects') WHERE tbl = 'objects';
SQL
rm -f "$(object_file "$x")"
expect_exit 3 lethe get "$x"
expect_exit 4 lethe doctor
cat "$OUT" "$ERR" >"$T/both"
assert_contains "$T/both" "records the put of $x, of which meta.db has no row"
expect_exit 4 lethe evidence verify
cat "$OUT" "$ERR" >"$T/both"
assert_contains "$T/both" "records the put of $x"
ok lethe get "$old" -o "$T/out"
note "ok"
