#!/usr/bin/env bash
# test_group_extend_rollback.sh - a group-wide `retention extend --group G --by DURATION` binds
# the objects that existed when it was made, as an object's own extension does: a writer of
# meta.db without keys (T1) who rolls the objects table back to a MAC-valid copy from before
# the extension must not get them shredded on their old date. Before each shred the row is
# held to the put's retain_until plus every later authenticated group extension (an --until
# raises it to that date, a --by adds its duration): a shorter row is exit 4 and stays.
# Objects put after the extension are not bound by it.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to edit rows"
sql() { sqlite3 "$STORE/meta.db" "$1"; }
state_of() { sql "SELECT state FROM objects WHERE id = '$1'"; }

rand_file "$T/f" 2000

note "prepare: two objects of one-second retention in group short"
fresh_store s "[group:short]
retention = 1s"
X=$(lethe put --group short "$T/f")
Z=$(lethe put --group short "$T/f")
sqlite3 "$STORE/meta.db" ".backup '$T/bak.db'"
before=$(sql "SELECT retain_until FROM objects WHERE id = '$X'")

note "the group is extended by ten years: its record names the duration"
ok lethe retention extend --group short --by 3650d
assert_contains "$OUT" 2
after=$(sql "SELECT retain_until FROM objects WHERE id = '$X'")
[ "$after" -gt "$before" ] || fail "the extension did not lengthen X ($before -> $after)"
sql "SELECT error FROM audit WHERE action = 'retention.extend'" >"$T/extend.txt"
assert_contains "$T/extend.txt" "lengthened 2 object(s) by 315360000s"

note "T1 rolls the objects table and its digest back to the copy from before the extension"
sql "ATTACH '$T/bak.db' AS b; DELETE FROM objects; INSERT INTO objects SELECT * FROM b.objects;
     UPDATE row_digests SET count = (SELECT count FROM b.row_digests WHERE tbl = 'objects'),
       xor = (SELECT xor FROM b.row_digests WHERE tbl = 'objects'),
       mac = (SELECT mac FROM b.row_digests WHERE tbl = 'objects') WHERE tbl = 'objects';"
[ "$(sql "SELECT retain_until FROM objects WHERE id = '$X'")" = "$before" ] ||
	fail "objects was not rolled back"
ok lethe stat "$X" # MAC-valid rows: only the log contradicts them

sleep 1.1
note "rm and sweep refuse both objects: the log says they are retained ten years longer"
expect_exit 4 lethe rm "$X" --reason "rolled back"
assert_contains "$ERR" "retain_until is earlier than audit record"
assert_contains "$ERR" "rolled back or rewritten"
expect_exit 4 lethe sweep
cat "$OUT" "$ERR" >"$T/sweep.txt"
for id in "$X" "$Z"; do
	[ "$(state_of "$id")" = 0 ] || fail "object $id was shredded before its extended date"
	assert_contains "$T/sweep.txt" "$id"
done
assert_contains "$T/sweep.txt" "retain_until is earlier than audit record"

note "an object put after the extension is not bound by it: its sweep shreds it"
Y=$(lethe put --group short "$T/f")
sleep 1.1
expect_exit 4 lethe sweep
[ "$(state_of "$Y")" = 1 ] || fail "Y, put after the extension, was not shredded"
[ "$(state_of "$X")" = 0 ] || fail "X was shredded"

note "an edited group extension record is exit 4, not a different answer"
sql "DROP TRIGGER audit_no_update; UPDATE audit SET error = 'lengthened 2 object(s) by 1s'
     WHERE action = 'retention.extend';"
expect_exit 4 lethe rm "$Z" --reason "edited record"
assert_contains "$ERR" "MAC does not verify"
[ "$(state_of "$Z")" = 0 ] || fail "Z was shredded"

note "ok"
