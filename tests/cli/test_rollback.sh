#!/usr/bin/env bash
# test_rollback.sh - a metadata row rolled back to an earlier MAC-valid copy (T1: objects or
# holds with its row_digests row, from a backup of meta.db), or rewritten with recomputed
# row MACs (T2, who holds the row-MAC key), must not make lethe shred what the audit log says
# is protected: a hold set that no later record cleared (on the object or its group), a
# retention extension, the put's lock. Before each shred the row is held to the newest such
# records, their MACs checked: a contradiction, or an edited record, is exit 4 for that object
# and the object stays; the sweep shreds the others.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to edit rows"
python3 -c 'import cryptography' 2>/dev/null || fail "python3 cryptography is needed to compute row MACs"
sql() { sqlite3 "$STORE/meta.db" "$1"; }
officer() { lethe "$@" --passphrase-file "$PASS"; }
state_of() { sql "SELECT state FROM objects WHERE id = '$1'"; }

# roll TABLE: the table and its digest row back to what $T/bak.db holds (T1, no key).
roll() {
	sql "ATTACH '$T/bak.db' AS b; DELETE FROM $1; INSERT INTO $1 SELECT * FROM b.$1;
	     UPDATE row_digests SET count = (SELECT count FROM b.row_digests WHERE tbl = '$1'),
	       xor = (SELECT xor FROM b.row_digests WHERE tbl = '$1'),
	       mac = (SELECT mac FROM b.row_digests WHERE tbl = '$1') WHERE tbl = '$1';"
}

# t2_rewrite SQL: run SQL on meta.db, then recompute every row MAC and digest as the holder of
# the keyfile can (the row-MAC key derived from MK, docs/KEYS.md section 12).
t2_rewrite() {
	python3 - "$STORE" "$KEYFILE" "$T/mk" "$1" <<'EOF'
import hashlib, hmac, os, sqlite3, struct, subprocess, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
st, kf, mkf, sql = sys.argv[1:5]
subprocess.run(['cryptsetup', 'luksDump', '--batch-mode', '--dump-volume-key', '--key-slot', '0',
                '--key-file', kf, '--volume-key-file', mkf, st + '/keystore.luks'],
               check=True, capture_output=True)
mk = open(mkf, 'rb').read()
os.unlink(mkf)
sid = subprocess.run(['cryptsetup', 'luksUUID', st + '/keystore.luks'], check=True,
                     capture_output=True, text=True).stdout.strip().encode()
key = HKDF(hashes.SHA256(), 32, sid, b'lethe/v1/row-mac').derive(mk)
def val(v):
    if v is None: return b'\0'
    if isinstance(v, int): return b'\1' + struct.pack('>q', v)
    if isinstance(v, str): b = v.encode(); return b'\2' + struct.pack('>I', len(b)) + b
    return b'\3' + struct.pack('>I', len(v)) + bytes(v)
cols = ['id', 'grp', 'name', 'size', 'sha256', 'created_at', 'retain_until', 'hold',
        'hold_reason', 'kek_version', 'wrapped_dek', 'state', 'shredded_at', 'seg_log2', 'locked',
        'name_enc', 'name_commit']
db = sqlite3.connect(st + '/meta.db')
db.executescript(sql)
x = bytearray(32)
rows = db.execute('SELECT rowid, ' + ','.join(cols) + ' FROM objects').fetchall()
for r in rows:
    # name_enc and name_commit only in a row with a commitment (KEYS.md section 12)
    r = r if r[-1] is not None else r[:-2]
    m = hmac.new(key, val('lethe/v1/row') + val('objects') + b''.join(val(v) for v in r[1:]),
                 hashlib.sha256).digest()
    db.execute('UPDATE objects SET mac = ? WHERE rowid = ?', (m, r[0]))
    x = bytearray(a ^ b for a, b in zip(x, m))
dm = hmac.new(key, val('lethe/v1/row') + val('row_digests') + val('objects') + val(len(rows)) +
              val(bytes(x)), hashlib.sha256).digest()
db.execute("UPDATE row_digests SET count = ?, xor = ?, mac = ? WHERE tbl = 'objects'",
           (len(rows), bytes(x), dm))
db.commit()
EOF
}

rand_file "$T/f" 2000

note "prepare: objects of one-second retention, one of them locked at put"
fresh_store s "[group:short]
retention = 1s
[group:gheld]
retention = 1s
[group:vault]
retention = 1s
lock = true"
A=$(lethe put --group short "$T/f")   # hold set, objects rolled back
B=$(lethe put --group gheld "$T/f")   # group hold set, holds rolled back
C=$(lethe put --group short "$T/f")   # retention extended, objects rolled back
D=$(lethe put --group short "$T/f")   # held; T2 rewrites hold = 0 with row MACs recomputed
E=$(lethe put --group short "$T/f")   # its put record edited
F=$(lethe put --group short "$T/f")   # untouched: shredded
V=$(lethe put --group vault "$T/f")   # put locked; T2 rewrites locked = 0
ok lethe hold set "$D" --reason CASE-D
sqlite3 "$STORE/meta.db" ".backup '$T/bak.db'"
ok lethe hold set "$A" --reason CASE-A
ok lethe hold set --group gheld --reason CASE-B
ok lethe retention extend "$C" --until 2030-01-01
sql "SELECT error FROM audit WHERE action = 'retention.extend'" >"$T/extend.txt"
assert_contains "$T/extend.txt" "to retain_until=2030-01-01T00:00:00Z"

note "T1 rolls objects and holds back to the backup: MAC-valid rows, consistent digests"
roll objects
roll holds
[ "$(sql "SELECT hold FROM objects WHERE id = '$A'")" = 0 ] || fail "objects was not rolled back"
[ "$(sql "SELECT count(*) FROM holds WHERE grp = 'gheld'")" = 0 ] || fail "holds was not rolled back"
note "T2 rewrites D (hold = 0) and V (locked = 0) with recomputed row MACs"
t2_rewrite "UPDATE objects SET hold = 0, hold_reason = '' WHERE id = '$D';
            UPDATE objects SET locked = 0 WHERE id = '$V';"
ok lethe stat "$D"   # the rewrite is MAC-valid: nothing but the log contradicts it
note "T1 edits E's put record (lock and retain_until are in it): its MAC no longer verifies"
sql "DROP TRIGGER audit_no_update; UPDATE audit SET host = 'elsewhere' WHERE action = 'put' AND object = '$E';"

sleep 1.1
note "an officer's forced rm of A is refused: the log says A is held"
expect_exit 4 officer rm "$A" --reason "rollback" --force
assert_contains "$ERR" "audit record"
assert_contains "$ERR" "rolled back or rewritten"

note "sweep: each contradicted object is refused and stays; F is shredded"
expect_exit 4 lethe sweep
cat "$OUT" "$ERR" >"$T/sweep.txt"
for id in "$A" "$B" "$C" "$D" "$E" "$V"; do
	[ "$(state_of "$id")" = 0 ] || fail "object $id was shredded although the log protects it"
	assert_contains "$T/sweep.txt" "$id"
done
[ "$(state_of "$F")" = 1 ] || fail "the untouched expired object was not shredded"
assert_contains "$T/sweep.txt" "its row says not held but audit record"
assert_contains "$T/sweep.txt" "group gheld says not held"
assert_contains "$T/sweep.txt" "retain_until is earlier than audit record"
assert_contains "$T/sweep.txt" "says not locked but its put"
assert_contains "$T/sweep.txt" "MAC does not verify"

note "a hold cleared by an officer after it was set lets the object go"
ok lethe hold set "$A" --reason CASE-A2
ok officer hold clear "$A" --reason "case closed"
# CASE-A, lost from the table by the rollback, is still in force in the log
expect_exit 4 lethe rm "$A" --reason "after the clear"
assert_contains "$ERR" "rolled back or rewritten"
ok lethe hold set "$A" --reason CASE-A
ok officer hold clear "$A" --ref CASE-A --reason "case closed"
ok lethe rm "$A" --reason "after the clear"
[ "$(state_of "$A")" = 1 ] || fail "A was not shredded after its hold was cleared"

note "ok"
