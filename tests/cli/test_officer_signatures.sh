#!/usr/bin/env bash
# test_officer_signatures.sh - every officer action's audit record carries the officer
# authority's signature, and `audit verify` requires it. Tried as the holder of the service
# keyfile would (T2 of docs/THREATS.md): cryptsetup yields the master key, HKDF the audit-MAC
# key, and the sqlite3 shell appends a "hold.clear" by officer alice whose chain MAC is right;
# then the same with a signature copied from a real officer record. audit verify exits 4 and
# names the record. An officer's own actions verify, and audit export shows their signatures.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v cryptsetup >/dev/null || fail "cryptsetup CLI not found (apt-get install cryptsetup-bin)"
command -v sqlite3 >/dev/null || fail "sqlite3 CLI not found (apt-get install sqlite3)"
python3 -c "import cryptography" 2>/dev/null || fail "python3-cryptography not found"

fresh_store sigs "$(printf "[group:finance]\nretention = 30d")"
rand_file "$T/held.bin" 4000
ok lethe put --group finance "$T/held.bin"
ID=$(cat "$OUT")
ok lethe hold set "$ID" --reason "case 12"
ok lethe hold clear "$ID" --reason "case closed" --passphrase-file "$PASS"
ok lethe hold set "$ID" --reason "case 13"

note "an officer's actions verify, and export shows their signatures"
ok lethe audit verify
assert_contains "$OUT" "records verified, no problems found"
ok lethe audit export
cp "$OUT" "$T/audit.jsonl"
python3 - "$T/audit.jsonl" <<'PY' || fail "audit export does not show the officer signatures"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["action"]: r for r in recs}
for action in ("init", "hold.clear"):
    sig = by[action]["auth_sig"]
    assert by[action]["keyslot"] == "alice", action
    assert sig and re.fullmatch("[0-9a-f]{128}", sig), (action, sig)
for action in ("put", "hold.set"):
    assert by[action]["auth_sig"] is None, action
PY
# the signature as docs/KEYS.md section 3b states it, checked with the pinned public key alone
sqlite3 "$STORE/meta.db" "SELECT hex(value) FROM meta WHERE key = 'officer_pub'" >"$T/officer_pub" ||
	fail "sqlite3 could not read the pin"
python3 - "$T/audit.jsonl" "$T/officer_pub" "$(cryptsetup luksUUID "$STORE/keystore.luks")" <<'PY' ||
import json, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(open(sys.argv[2]).read().strip()))
for r in map(json.loads, open(sys.argv[1])):
    if r["auth_sig"]:
        msg = (b"lethe/v1/officer-act" + sys.argv[3].encode() + struct.pack(">Q", r["seq"])
               + bytes.fromhex(r["mac"]))
        assert len(msg) == 96
        pub.verify(bytes.fromhex(r["auth_sig"]), msg)
PY
	fail "an officer signature does not verify as docs/KEYS.md describes it"
ok lethe audit verify
assert_contains "$OUT" "officer authority fingerprint: "
cp -a "$STORE" "$T/pristine"

# forge [SIG-FROM-SEQ]: append to the log, as the service keyfile's holder, a hold.clear of
# $ID by officer alice, chained with the right MAC; with SIG-FROM-SEQ, carrying the officer
# signature of that record.
forge() {
	local w=$T/forge
	rm -rf "$w"
	mkdir -m 700 "$w"
	ok cryptsetup luksDump --batch-mode --dump-volume-key --key-slot 0 --key-file "$KEYFILE" \
		--volume-key-file "$w/mk" "$STORE/keystore.luks"
	sqlite3 "$STORE/meta.db" "SELECT seq, hex(mac) FROM audit ORDER BY seq DESC LIMIT 1" \
		>"$w/last" || fail "sqlite3 could not read the audit log"
	python3 - "$w" "$(cryptsetup luksUUID "$STORE/keystore.luks")" "$ID" "$@" <<'PY' ||
import hashlib, hmac, struct, sys, time
w, store_id, obj = sys.argv[1:4]
mk = open(w + "/mk", "rb").read()
# HKDF-SHA256 (RFC 5869): salt = store id, IKM = MK, info = label (docs/KEYS.md section 5)
prk = hmac.new(store_id.encode(), mk, hashlib.sha256).digest()
key = hmac.new(prk, b"lethe/v1/audit-mac" + b"\x01", hashlib.sha256).digest()
seq, mac = open(w + "/last").read().strip().split("|")
seq, prev = int(seq) + 1, bytes.fromhex(mac)
s = lambda t: struct.pack(">I", len(t.encode())) + t.encode()
rec = dict(time_us=int(time.time() * 1e6), uid=0, user="alice", keyslot="alice", pid=4242,
           host="db1", action="hold.clear", object=obj, grp="finance", outcome="ok",
           error="case closed")
m = (b"lethe-audit-v1" + struct.pack(">QqI", seq, rec["time_us"], rec["uid"])
     + s(rec["user"]) + s(rec["keyslot"]) + struct.pack(">i", rec["pid"]) + s(rec["host"])
     + s(rec["action"]) + s(rec["object"]) + s(rec["grp"]) + s(rec["outcome"])
     + s(rec["error"]) + prev)
mac = hmac.new(key, m, hashlib.sha256).hexdigest()
sig = ("(SELECT auth_sig FROM audit WHERE seq = %d)" % int(sys.argv[4])
       if len(sys.argv) > 4 else "NULL")
q = lambda v: "'" + str(v).replace("'", "''") + "'"
sql = ("INSERT INTO audit (seq, time_us, uid, user, keyslot, pid, host, action, object, grp, "
       "outcome, error, mac, unauth, auth_sig) VALUES (%d, %d, %d, %s, %s, %d, %s, %s, %s, %s, "
       "%s, %s, X'%s', 0, %s);" % (seq, rec["time_us"], rec["uid"], q(rec["user"]),
       q(rec["keyslot"]), rec["pid"], q(rec["host"]), q(rec["action"]), q(obj), q(rec["grp"]),
       q(rec["outcome"]), q(rec["error"]), mac, sig))
open(w + "/forge.sql", "w").write(sql)
print(seq)
PY
		fail "could not forge the record"
	sqlite3 "$STORE/meta.db" <"$w/forge.sql" || fail "sqlite3 refused the forged record"
	# the hold goes with it, as the forged record says
	sqlite3 "$STORE/meta.db" "UPDATE objects SET hold = 0, hold_reason = '' WHERE id = '$ID'" ||
		fail "sqlite3 refused to clear the hold"
}

note "T2: a hold.clear by officer alice appended with a recomputed chain MAC"
forge >"$T/seq"
N=$(cat "$T/seq")
expect_exit 4 lethe audit verify
assert_contains "$ERR" "audit record $N: officer action without a valid officer signature"
ok lethe audit export --since "$N"
assert_contains "$OUT" '"action":"hold.clear"'
assert_contains "$OUT" '"auth_sig":null'

note "T2: the same, carrying the signature of alice's real hold.clear"
rm -rf "$STORE"
cp -a "$T/pristine" "$STORE"
REAL=$(python3 -c '
import json, sys
print([r["seq"] for r in map(json.loads, open(sys.argv[1])) if r["action"] == "hold.clear"][-1])
' "$T/audit.jsonl")
forge "$REAL" >"$T/seq"
N=$(cat "$T/seq")
expect_exit 4 lethe audit verify
assert_contains "$ERR" "audit record $N: officer action without a valid officer signature"

note "T2 (or T1): the signature of alice's real hold.clear removed"
rm -rf "$STORE"
cp -a "$T/pristine" "$STORE"
sqlite3 "$STORE/meta.db" "DROP TRIGGER audit_no_update; UPDATE audit SET auth_sig = NULL WHERE seq = $REAL" ||
	fail "sqlite3 refused to remove the signature"
expect_exit 4 lethe audit verify
assert_contains "$ERR" "audit record $REAL: officer action without a valid officer signature"

note "T1: the pinned officer authority deleted from meta.db"
rm -rf "$STORE"
cp -a "$T/pristine" "$STORE"
sqlite3 "$STORE/meta.db" "DELETE FROM meta WHERE key = 'officer_pub'" ||
	fail "sqlite3 refused to delete the pin"
expect_exit 4 lethe audit verify
# the meta table's digest catches the deleted row first (row MACs); the verifier's own check
# of the pin (meta.officer_pub: missing) stands behind it
assert_contains "$ERR" "rows were deleted or inserted outside lethe"

note "the pristine store verifies, and keeps verifying after more officer actions"
rm -rf "$STORE"
cp -a "$T/pristine" "$STORE"
ok lethe key rotate --passphrase-file "$PASS"
ok lethe hold clear "$ID" --reason "case 13 closed" --passphrase-file "$PASS"
ok lethe rm "$ID" --reason "early" --force --passphrase-file "$PASS"
ok lethe audit verify
ok lethe audit export
python3 - "$OUT" <<'PY' || fail "an officer action without its signature"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    if r["action"] in ("key.rotate", "rm"):
        assert r["keyslot"] == "alice" and r["auth_sig"], r
PY

note "officer actions are signed and verified"
