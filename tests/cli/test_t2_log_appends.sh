#!/usr/bin/env bash
# test_t2_log_appends.sh - the holder of the service keyfile (T2) appends MAC-valid records to
# the audit log and rewrites an object's row with its MAC, so that the row and the newest
# record agree, and waits for the sweep:
#   - a second "put" record of a compliance-locked object stating a short, unlocked retention:
#     the shred check takes an object's terms from its first put, and a second is a problem;
#   - a "hold.clear" by officer alice without the officer authority's signature: the shred check
#     accepts a hold clear only when the officer authority signed it.
# Either way the sweep refuses that object (exit 4, naming the record) and it stays readable.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v cryptsetup >/dev/null || fail "cryptsetup CLI not found (apt-get install cryptsetup-bin)"
python3 -c 'import sqlite3' 2>/dev/null || fail "python3 sqlite3 module not found"
T2LIB=$(cd "$(dirname "$0")" && pwd)

# t2 SCRIPT ARGS...: run python SCRIPT (stdin) with t2lib importable; its stdout to $OUT
t2() {
	PYTHONPATH=$T2LIB python3 - "$STORE" "$KEYFILE" "$T" "$@" >"$OUT" 2>"$ERR" ||
		fail "the T2 forgery failed"
}

note "T2: a second put record unlocks and shortens a compliance-locked object"
fresh_store put "[group:locked]
retention = 3650d
lock = true"
rand_file "$T/locked.bin" 3000
ok lethe put --group locked "$T/locked.bin"
ID=$(cat "$OUT")
t2 "$ID" <<'PY'
import sys, time
from t2lib import Store
store, keyfile, work, oid = sys.argv[1:5]
s = Store(store, keyfile, work)
c, = s.db.execute("select created_at from objects where id=?", (oid,)).fetchone()
s.set_object(oid, retain_until=c + 1, locked=0)
t = lambda v: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v))
print(s.append(action="put", object=oid, grp="locked",
               error=f"created_at={t(c)} retain_until={t(c + 1)} lock=false"))
s.commit()
PY
N=$(cat "$OUT")
sleep 2
expect_exit 4 lethe sweep
assert_contains "$ERR" "audit record $N is a second put of it"
ok lethe get "$ID" -o "$T/locked.out"
assert_same "$T/locked.bin" "$T/locked.out"

note "T2: an unsigned hold.clear by \"alice\" releases a held object"
fresh_store hold "[group:g]
retention = 1s"
rand_file "$T/held.bin" 3000
ok lethe put --group g "$T/held.bin"
ID=$(cat "$OUT")
ok lethe hold set "$ID" --reason LITIGATION-3
t2 "$ID" <<'PY'
import sys
from t2lib import Store
store, keyfile, work, oid = sys.argv[1:5]
s = Store(store, keyfile, work)
s.set_object(oid, hold=0, hold_reason="")
print(s.append(action="hold.clear", object=oid, grp="g", keyslot="alice", error="case closed"))
s.commit()
PY
N=$(cat "$OUT")
sleep 2
expect_exit 4 lethe sweep
assert_contains "$ERR" "audit record $N (hold.clear) carries no valid officer signature"
ok lethe get "$ID" -o "$T/held.out"
assert_same "$T/held.bin" "$T/held.out"

note "an officer's own hold clear still lets the sweep shred"
fresh_store legit "[group:g]
retention = 1s"
rand_file "$T/legit.bin" 3000
ok lethe put --group g "$T/legit.bin"
ID=$(cat "$OUT")
ok lethe hold set "$ID" --reason CASE-1
ok lethe hold clear "$ID" --reason closed --passphrase-file "$PASS"
sleep 2
ok lethe sweep
expect_exit 3 lethe get "$ID" -o "$T/legit.out"
ok lethe audit verify
