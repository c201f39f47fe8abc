#!/usr/bin/env bash
# test_officer_authority.sh - officer authority the service keyfile cannot reach, tried as the
# attackers would: the holder of the service keyfile adds a keyslot and a lethe-slot token for
# "mallory" to keystore.luks with the cryptsetup CLI; someone with write access renames an
# officer in officers.luks; officers.luks is swapped for another store's, and for one made
# around this store's own master key (which the service keyfile yields). Each is refused (an
# officer open exits 6 or 4) and reported by doctor; the audit log never names mallory.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v cryptsetup >/dev/null || fail "cryptsetup CLI not found (apt-get install cryptsetup-bin)"
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography not found"

fresh_store authority "[group:finance]"
printf 'bob passphrase\n' >"$T/bob.pass"
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
rand_file "$T/held.bin" 5000
ok lethe put --group finance "$T/held.bin"
ID=$(cat "$OUT")
ok lethe hold set "$ID" --reason "case 7"
ok lethe doctor
assert_contains "$OUT" "officer authority"
cp -a "$STORE" "$T/pristine"

# actor_of ACTION: the keyslot of the last successful record of ACTION in audit export's lines
actor_of() {
	python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
print([r["keyslot"] for r in recs if r["action"] == sys.argv[1] and r["outcome"] == "ok"][-1])' "$1"
}

# doctor_fails: doctor finds a problem (exit 1, or 4 for an integrity finding); report in $OUT
doctor_fails() {
	local got=0
	"$LETHE" doctor >"$OUT" 2>"$ERR" || got=$?
	[ "$got" = 1 ] || [ "$got" = 4 ] || fail "doctor: expected a problem (exit 1 or 4), got exit $got"
	grep_q '^error ' "$OUT" || fail "doctor reported no error"
}

# restore: the store as it was before the attack
restore() {
	rm -rf "$STORE"
	cp -a "$T/pristine" "$STORE"
}

note "the layout: keystore.luks holds the service keyslot alone, officers.luks the officers"
ok cryptsetup luksDump "$STORE/keystore.luks"
assert_eq "$(grep -cE '^  [0-9]+: luks2' "$OUT")" 1 "keyslots of keystore.luks"
ok cryptsetup luksDump "$STORE/officers.luks"
assert_eq "$(grep -cE '^  [0-9]+: luks2' "$OUT")" 2 "keyslots of officers.luks (alice, bob)"
# the service keyfile opens no keyslot of officers.luks
expect_exit 2 cryptsetup open --test-passphrase --key-file "$KEYFILE" "$STORE/officers.luks"

note "T2: the service keyfile's holder adds officer \"mallory\" to keystore.luks with cryptsetup"
printf 'mallory passphrase' >"$T/mallory.pass"
keyslots() { cryptsetup luksDump "$STORE/keystore.luks" | sed -n 's/^  \([0-9]*\): luks2$/\1/p'; }
keyslots >"$T/slots.before"
ok cryptsetup luksAddKey --batch-mode --key-file "$KEYFILE" --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$STORE/keystore.luks" "$T/mallory.pass"
slot=$(keyslots | grep -vxF -f "$T/slots.before")
[ -n "$slot" ] || fail "luksAddKey added no keyslot"
printf '{"type":"lethe-slot","keyslots":["%s"],"name":"mallory","role":"officer"}' "$slot" |
	cryptsetup token import "$STORE/keystore.luks" >"$OUT" 2>"$ERR" || fail "token import failed"
# mallory's passphrase does open the master key, as cryptsetup shows...
ok cryptsetup open --test-passphrase --key-file "$T/mallory.pass" "$STORE/keystore.luks"
# ...but lethe does not take it as an officer's, for anything officers do
expect_exit 6 lethe hold clear "$ID" --reason "mallory" --passphrase-file "$T/mallory.pass"
assert_one_line "$ERR"
assert_contains "$ERR" "opens no officer keyslot"
expect_exit 6 lethe rm "$ID" --reason "mallory" --force --passphrase-file "$T/mallory.pass"
expect_exit 6 lethe officer add eve --new-passphrase-file "$T/mallory.pass" \
	--passphrase-file "$T/mallory.pass"
ok lethe --json stat "$ID"
assert_eq "$(json 'bool(j["hold"])' <"$OUT")" true "the hold mallory tried to clear"
ok lethe --json officer list
assert_eq "$(json 'sorted(o["name"] for o in j)' <"$OUT")" "['alice', 'bob', 'service']" "officers"
# doctor reports the keyslot and the token, and --repair destroys them
doctor_fails
assert_contains "$OUT" "keyslot $slot of keystore.luks is not the service's"
assert_contains "$OUT" "the first names \"mallory\""
ok lethe audit export
assert_not_contains "$OUT" '"keyslot":"mallory"'
ok lethe doctor --repair
ok lethe doctor
expect_exit 2 cryptsetup open --test-passphrase --key-file "$T/mallory.pass" "$STORE/keystore.luks"
# the real officers were never disturbed
ok lethe hold clear "$ID" --reason "case closed" --passphrase-file "$T/bob.pass"
ok lethe audit export
assert_eq "$(actor_of hold.clear <"$OUT")" "bob" "who the audit log says cleared the hold"

note "T1: an officer renamed in officers.luks (the roster token edited with cryptsetup)"
restore
token=$(cryptsetup luksDump "$STORE/officers.luks" | sed -n 's/^  \([0-9]*\): lethe-authority$/\1/p')
[ -n "$token" ] || fail "officers.luks has no lethe-authority token"
cryptsetup token export --token-id "$token" "$STORE/officers.luks" >"$T/roster.json"
python3 - "$T/roster.json" <<'PY'
import json, sys
path = sys.argv[1]
roster = json.load(open(path))
for o in roster["officers"]:
    if o["name"] == "bob":
        o["name"] = "carol"
json.dump(roster, open(path, "w"))
PY
cryptsetup token import --token-id "$token" --token-replace --json-file "$T/roster.json" \
	"$STORE/officers.luks" || fail "token import --token-replace failed"
expect_exit 4 lethe hold clear "$ID" --reason "renamed" --passphrase-file "$T/bob.pass"
assert_one_line "$ERR"
assert_contains "$ERR" "roster's signature does not verify"
expect_exit 4 lethe key rotate --passphrase-file "$PASS"
doctor_fails
assert_contains "$OUT" "roster's signature does not verify"
expect_exit 4 lethe officer list
ok lethe audit export
assert_not_contains "$OUT" '"keyslot":"carol"'
ok lethe --json stat "$ID"
assert_eq "$(json 'bool(j["hold"])' <"$OUT")" true "the hold after the refused clear"

note "T1: officers.luks swapped for another store's"
restore
STORE_B=$T/other
"$LETHE" --store "$STORE_B" --config "$TEMPLATE" init --keyfile "$T/other.key" \
	--officer alice --passphrase-file "$PASS" >"$OUT" 2>"$ERR" || fail "init of $STORE_B failed"
cp "$STORE_B/officers.luks" "$STORE/officers.luks"
expect_exit 4 lethe hold clear "$ID" --reason "swapped" --passphrase-file "$PASS"
assert_contains "$ERR" "belongs to another store"
doctor_fails
assert_contains "$OUT" "belongs to another store"

note "T2: officers.luks replaced by one made around this store's master key"
restore
W=$T/forge
mkdir -m 700 "$W"
# the service keyfile yields MK; a new authority secret, keyslot and roster are the attacker's
ok cryptsetup luksDump --batch-mode --dump-volume-key --key-slot 0 --key-file "$KEYFILE" \
	--volume-key-file "$W/mk" "$STORE/keystore.luks"
head -c 32 /dev/urandom >"$W/oas"
rm "$STORE/officers.luks"
truncate -s 16M "$STORE/officers.luks"
chmod 600 "$STORE/officers.luks"
ok cryptsetup luksFormat --batch-mode --type luks2 --volume-key-file "$W/oas" --key-size 256 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$STORE/officers.luks" "$T/mallory.pass"
python3 - "$W" "$(cryptsetup luksUUID "$STORE/keystore.luks")" <<'PY'
import json, os, struct, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
w, store_id = sys.argv[1], sys.argv[2]
sid = store_id.encode()
mk, oas = open(w + "/mk", "rb").read(), open(w + "/oas", "rb").read()
hk = lambda info: HKDF(algorithm=hashes.SHA256(), length=32, salt=sid, info=info).derive(oas)
field = lambda b: struct.pack(">H", len(b)) + b
nonce = os.urandom(12)
wrapped = nonce + AESGCM(hk(b"lethe/v1/mk-wrap")).encrypt(nonce, mk, field(b"lethe/v1/mk") + field(sid))
oak = Ed25519PrivateKey.from_private_bytes(hk(b"lethe/v1/officer-sign"))
pub = oak.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
msg = (field(b"lethe/v1/officer-roster") + field(sid) + struct.pack(">II", 1, 1)
       + struct.pack(">I", 0) + field(b"mallory"))
token = {"type": "lethe-authority", "keyslots": [], "store_id": store_id, "serial": 1,
         "officers": [{"keyslot": 0, "name": "mallory"}], "pub": pub.hex(), "mk": wrapped.hex(),
         "sig": oak.sign(msg).hex()}
json.dump(token, open(w + "/token.json", "w"))
PY
cryptsetup token import --json-file "$W/token.json" "$STORE/officers.luks" ||
	fail "token import into the forged officers.luks failed"
expect_exit 4 lethe hold clear "$ID" --reason "forged" --passphrase-file "$T/mallory.pass"
assert_one_line "$ERR"
assert_contains "$ERR" "officers.luks was replaced"
expect_exit 4 lethe rm "$ID" --reason "forged" --force --passphrase-file "$T/mallory.pass"
doctor_fails
assert_contains "$OUT" "officers.luks was replaced"
ok lethe --json stat "$ID"
assert_eq "$(json 'bool(j["hold"])' <"$OUT")" true "the hold after the forged authority"

note "T1: officers.luks deleted: no officer, and no way back to officer keyslots in keystore.luks"
restore
rm "$STORE/officers.luks"
expect_exit 4 lethe key rotate --passphrase-file "$PASS"
assert_contains "$ERR" "officers.luks is missing"
doctor_fails
assert_contains "$OUT" "officers.luks is missing"
ok lethe get "$ID" -o "$T/held.out" # the service is not affected
assert_same "$T/held.out" "$T/held.bin"

note "officer authority: refused as attacked, reported by doctor"
