#!/usr/bin/env bash
# test_row_edits.sh - edits of meta.db rows made with the sqlite3 shell, as someone who can write
# the store's files but holds no key would make them, must never make lethe destroy a key or a
# file that a live object needs, nor pass tampering off as an ordinary "shredded":
# - a KEK marked retired in the database is not removed from the keystore while rows use it;
# - `key retire` destroys nothing while any row holds a data key under that version, whatever
#   the row's state column or the database's indexes say;
# - a row marked shredded that still holds its data key is an integrity failure, not exit 3;
# - a forged pending unlink never unlinks a live object's file;
# - a scrub reports a live object's missing file and goes on to the others;
# - a malformed pending audit record does not keep every command out of the store;
# - after rm, no byte of the destroyed wrapped key stays in meta.db or its WAL even while
#   another connection keeps the database open.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to edit rows"
sql() { sqlite3 "$STORE/meta.db" "$1"; }
officer() { lethe "$@" --passphrase-file "$PASS"; }
keystore_versions() {
	cryptsetup token export --token-id "$(kek_token_id)" "$STORE/keystore.luks" |
		python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["keks"], key=int)))'
}
kek_token_id() {
	cryptsetup luksDump --dump-json-metadata "$STORE/keystore.luks" |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["tokens"]; print([i for i in t if t[i]["type"]=="lethe-keks"][0])'
}

rand_file "$T/a" 5000
rand_file "$T/b" 7000

note "a KEK marked retired by a database edit stays in the keystore while a row needs it"
fresh_store retired
A=$(lethe put "$T/a")
ok officer key rotate
B=$(lethe put "$T/b")
sql "UPDATE keks SET state = 1, retired_at = 1 WHERE version = 1"
lethe get "$B" -o "$T/out.b" >/dev/null 2>&1 || true # any command that loads a KEK
lethe ls >/dev/null 2>&1 || true
case " $(keystore_versions) " in *" 1 "*) ;; *) fail "KEK version 1 was removed from the keystore" ;; esac
sql "UPDATE keks SET state = 0, retired_at = 0 WHERE version = 1"
ok lethe get "$A" -o "$T/out.a"
assert_same "$T/a" "$T/out.a"

note "key retire refuses while a row marked shredded holds a data key under the version"
fresh_store flipped
A=$(lethe put "$T/a")
ok officer key rotate
lethe put "$T/b" >/dev/null
sql "PRAGMA ignore_check_constraints = 1; UPDATE objects SET state = 1 WHERE id = '$A'"
expect_exit 4 lethe get "$A"
assert_contains "$ERR" "objects row $A fails its MAC"
ok officer key rewrap
expect_exit 4 officer key retire 1
assert_contains "$ERR" "nothing retired"
case " $(keystore_versions) " in *" 1 "*) ;; *) fail "key retire removed KEK version 1" ;; esac
sql "PRAGMA ignore_check_constraints = 1; UPDATE objects SET state = 0 WHERE id = '$A'"
ok lethe get "$A" -o "$T/out.a"
assert_same "$T/a" "$T/out.a"

note "key retire refuses when an edited index hides the rows under the version"
fresh_store index
A=$(lethe put "$T/a")
ok officer key rotate
lethe put "$T/b" >/dev/null
sql "DROP INDEX objects_kek;
     CREATE INDEX objects_kek ON objects (kek_version) WHERE state = 0 AND kek_version <> 1;
     PRAGMA writable_schema = ON;
     UPDATE sqlite_master SET sql = 'CREATE INDEX objects_kek ON objects (kek_version) WHERE state = 0'
       WHERE name = 'objects_kek';"
got=0
officer key retire 1 >"$OUT" 2>"$ERR" || got=$?
[ "$got" = 4 ] || [ "$got" = 5 ] || fail "key retire over an edited index: expected exit 4 or 5, got $got"
case " $(keystore_versions) " in *" 1 "*) ;; *) fail "key retire removed KEK version 1" ;; esac

note "a forged pending unlink does not remove a live object's file"
fresh_store unlink
A=$(lethe put "$T/a")
sql "INSERT INTO pending_unlinks (id) VALUES ('$A')"
ok lethe ls
ok lethe get "$A" -o "$T/out.a"
assert_same "$T/a" "$T/out.a"
expect_exit 4 lethe doctor --repair # the forged row is reported, and nothing is unlinked
assert_contains "$OUT" "pending_unlinks row $A has no MAC"
ok lethe get "$A" -o "$T/out.a"

note "a malformed pending audit record does not keep commands out of the store"
fresh_store pending
A=$(lethe put "$T/a")
sql "INSERT INTO audit_pending (time_us, uid, user, keyslot, pid, host, action, object, grp, outcome, error)
     VALUES (1, 0, printf('%.100c', 'u'), 'service', 1, 'h', 'unlock', '', '', 'failed', 'x')"
ok lethe get "$A" -o "$T/out.a"
ok lethe put "$T/b"
ok lethe sweep

note "scrub reports a live object's missing file and checks the others"
fresh_store scrub
for i in 1 2 3 4; do lethe put "$T/a" >/dev/null; done
A=$(sql "SELECT id FROM objects ORDER BY id LIMIT 1 OFFSET 1")
rm -f "$(object_file "$A")"
expect_exit 4 lethe scrub
assert_contains "$ERR" "$A"
expect_exit 4 lethe --json scrub
[ "$(json "j['objects']" <"$OUT")" = 4 ] || fail "scrub did not go on past the missing file: $(cat "$OUT")"

note "rm leaves no byte of the destroyed key while another connection holds the database"
fresh_store wal
for i in 1 2 3; do lethe put "$T/a" >/dev/null; done
A=$(lethe put "$T/b")
wrapped=$(sql "SELECT hex(wrapped_dek) FROM objects WHERE id = '$A'")
mkfifo "$T/hold"
sqlite3 "$STORE/meta.db" <"$T/hold" >/dev/null 2>&1 &
holder=$!
exec 7>"$T/hold"
echo "SELECT count(*) FROM objects;" >&7
ok officer rm "$A" --reason "done" --force
for f in "$STORE"/meta.db*; do
	python3 - "$f" "$wrapped" <<'EOF' || fail "the destroyed wrapped key is still in $(basename "$f")"
import sys
data = open(sys.argv[1], "rb").read()
sys.exit(1 if bytes.fromhex(sys.argv[2]) in data else 0)
EOF
done
exec 7>&-
wait "$holder" || true

note "a keks table rolled back behind the keystore: a rotation does not overwrite a live KEK"
fresh_store kekroll
sqlite3 "$STORE/meta.db" ".backup $T/kekroll.before.db"
ok officer key rotate
C=$(lethe put "$T/a")
sqlite3 "$STORE/meta.db" ".backup $T/kekroll.after.db"
# the attacker's rollback: the keks rows and their digest as they were before the rotation
sql "ATTACH '$T/kekroll.before.db' AS b;
     DELETE FROM keks; INSERT INTO keks SELECT * FROM b.keks;
     UPDATE row_digests SET count = (SELECT count FROM b.row_digests WHERE tbl = 'keks'),
                            xor = (SELECT xor FROM b.row_digests WHERE tbl = 'keks'),
                            mac = (SELECT mac FROM b.row_digests WHERE tbl = 'keks')
      WHERE tbl = 'keks'"
expect_exit 4 officer key rotate
assert_contains "$ERR" "KEK version 2 is in the keystore and wraps the data keys of 1 object"
case " $(keystore_versions) " in *" 2 "*) ;; *) fail "KEK version 2 left the keystore" ;; esac
# meta.db restored (the keks rows as lethe last wrote them): the object under version 2 reads
sql "ATTACH '$T/kekroll.after.db' AS a;
     DELETE FROM keks; INSERT INTO keks SELECT * FROM a.keks;
     UPDATE row_digests SET count = (SELECT count FROM a.row_digests WHERE tbl = 'keks'),
                            xor = (SELECT xor FROM a.row_digests WHERE tbl = 'keks'),
                            mac = (SELECT mac FROM a.row_digests WHERE tbl = 'keks')
      WHERE tbl = 'keks'"
ok lethe get "$C" -o "$T/kekroll.out"
assert_same "$T/a" "$T/kekroll.out"
note "ok"
