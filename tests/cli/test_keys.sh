#!/usr/bin/env bash
# test_keys.sh - KEK rotation, rewrap and retirement (refused while in use, allowed after a
# rewrap) with every object readable throughout; officers added, listed and removed; the last
# officer kept; wrong passphrases refused; the keystore is a valid LUKS2 header.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store keys

# put_one: store a new random file; its id in $ID, remembered in want[] for all_readable.
declare -A want
n=0
put_one() {
	local f
	n=$((n + 1))
	f=$T/obj.$n
	rand_file "$f" $((RANDOM * 7 + n))
	ID=$(lethe put "$f")
	want[$ID]=$f
}
all_readable() {
	local id
	for id in "${!want[@]}"; do
		ok lethe get "$id" -o "$T/check"
		assert_same "${want[$id]}" "$T/check"
	done
}
kek_json() { # kek_json VERSION EXPR
	lethe --json key list | json "[k for k in j if k['version'] == $1][0]$2"
}

for _ in 1 2 3; do put_one; done
put_one
first=$ID

note "key list"
ok lethe --json key list
assert_eq "$(json 'len(j)' <"$OUT")" "1" "KEKs after init"
assert_eq "$(json 'j[0]["version"]' <"$OUT")" "1" "first version"
assert_eq "$(json 'j[0]["primary"]' <"$OUT")" "true" "primary"
assert_eq "$(json 'j[0]["state"]' <"$OUT")" "active" "state"
assert_eq "$(json 'j[0]["objects"]' <"$OUT")" "4" "objects under v1"
ok lethe key list
assert_contains "$OUT" "VERSION"
assert_contains "$OUT" "active"

note "rotate needs an officer"
expect_exit 6 timeout 20 "$LETHE" key rotate
printf 'wrong passphrase\n' >"$T/wrong.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/wrong.pass"
assert_one_line "$ERR"
ok lethe --json key rotate --passphrase-file "$PASS"
assert_eq "$(json 'j["version"]' <"$OUT")" "2" "new version"
assert_eq "$(kek_json 2 '["primary"]')" "true" "v2 primary"
assert_eq "$(kek_json 1 '["primary"]')" "false" "v1 no longer primary"
put_one
new=$ID
assert_eq "$(lethe --json stat "$new" | json 'j["kek_version"]')" "2" "new object's KEK"
assert_eq "$(lethe --json stat "$first" | json 'j["kek_version"]')" "1" "old object's KEK"
all_readable

note "retire is refused while data keys use the KEK, and for the primary"
expect_exit 5 lethe key retire 1 --passphrase-file "$PASS"
assert_one_line "$ERR"
expect_exit 5 lethe key retire 2 --passphrase-file "$PASS"
expect_exit 3 lethe key retire 99 --passphrase-file "$PASS"
expect_exit 6 timeout 20 "$LETHE" key retire 1

note "rewrap, then retire"
expect_exit 6 timeout 20 "$LETHE" key rewrap
ok lethe --json key rewrap --passphrase-file "$PASS"
assert_eq "$(json 'j["rewrapped"]' <"$OUT")" "4" "rewrapped"
assert_eq "$(kek_json 1 '["objects"]')" "0" "objects under v1 after rewrap"
assert_eq "$(lethe --json stat "$first" | json 'j["kek_version"]')" "2" "old object's KEK after rewrap"
all_readable
ok lethe key rewrap --passphrase-file "$PASS"
assert_contains "$OUT" "rewrapped 0"
ok lethe key retire 1 --passphrase-file "$PASS"
assert_eq "$(kek_json 1 '["state"]')" "retired" "v1 after retire"
[ "$(kek_json 1 '["retired_at"]')" != "null" ] || fail "retired_at not set"
all_readable

note "a second rotation cycle"
ok lethe key rotate --passphrase-file "$PASS"
assert_contains "$OUT" "version 3"
put_one
ok lethe key rewrap --passphrase-file "$PASS"
ok lethe key retire 2 --passphrase-file "$PASS"
all_readable
assert_eq "$(lethe --json key list | json '[k["state"] for k in j]')" "['retired', 'retired', 'active']" "states"

note "officers"
ok lethe --json officer list
assert_eq "$(json 'sorted(o["name"] for o in j)' <"$OUT")" "['alice', 'service']" "officers after init"
assert_eq "$(json '[o["role"] for o in j if o["name"] == "alice"][0]' <"$OUT")" "officer" "alice's role"
ok lethe officer list
assert_contains "$OUT" "alice"
printf 'bob has a long passphrase\n' >"$T/bob.pass"
expect_exit 6 timeout 20 "$LETHE" officer add bob --new-passphrase-file "$T/bob.pass"
expect_exit 6 lethe officer add bob --new-passphrase-file "$T/bob.pass" \
	--passphrase-file "$T/wrong.pass"
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
ok lethe --json officer list
assert_eq "$(json 'sorted(o["name"] for o in j)' <"$OUT")" "['alice', 'bob', 'service']" "officers"
expect_exit 2 lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
assert_one_line "$ERR"
expect_exit 2 lethe officer add 'no spaces' --new-passphrase-file "$T/bob.pass" \
	--passphrase-file "$PASS"
expect_exit 2 lethe officer add service --new-passphrase-file "$T/bob.pass" \
	--passphrase-file "$PASS"
# Bob can act as an officer.
ok lethe --json key rotate --passphrase-file "$T/bob.pass"
assert_eq "$(json 'j["version"]' <"$OUT")" "4" "rotation by bob"
# Bob removes alice; her passphrase no longer opens anything.
ok lethe officer remove alice --passphrase-file "$T/bob.pass"
expect_exit 6 lethe key rewrap --passphrase-file "$PASS"
expect_exit 3 lethe officer remove alice --passphrase-file "$T/bob.pass"
expect_exit 5 lethe officer remove bob --passphrase-file "$T/bob.pass"
assert_one_line "$ERR"
ok lethe --json officer list
assert_eq "$(json 'sorted(o["name"] for o in j)' <"$OUT")" "['bob', 'service']" "officers at the end"
all_readable

note "retiring a KEK closes the shredding horizon for database backups"
# A backup of meta.db holds the wrapped DEK of an object shredded later. The KEK that wrapped
# it lives in the keystore only, so once it is retired the backup unwraps nothing.
put_one
victim=$ID
sqlite3 "$STORE/meta.db" ".backup '$T/meta.backup'"
victim_file=objects/${victim:0:2}/${victim:2:2}/$victim.lth
cp "$STORE/$victim_file" "$T/victim.lth"
ok lethe rm "$victim" --reason "horizon test" --force --passphrase-file "$T/bob.pass"
unset "want[$victim]"
ok lethe key rotate --passphrase-file "$T/bob.pass"
ok lethe key rewrap --passphrase-file "$T/bob.pass"
victim_kek=$(sqlite3 "$T/meta.backup" "SELECT kek_version FROM objects WHERE id = '$victim'")
ok lethe key retire "$victim_kek" --passphrase-file "$T/bob.pass"
cp -a "$STORE" "$T/restored"
cp "$T/meta.backup" "$T/restored/meta.db"
rm -f "$T/restored/meta.db-wal" "$T/restored/meta.db-shm"
# the ciphertext survives in a backup too: put it back beside the restored database
mkdir -p "$(dirname "$T/restored/$victim_file")"
cp "$T/victim.lth" "$T/restored/$victim_file"
expect_exit 4 "$LETHE" --store "$T/restored" get "$victim" -o "$T/recovered"
assert_contains "$ERR" "not in the keystore"
assert_file_absent "$T/recovered"

note "the keystore is a LUKS2 header"
if command -v cryptsetup >/dev/null 2>&1; then
	ok cryptsetup luksDump "$STORE/keystore.luks"
	assert_contains "$OUT" "Version:"
	grep -Eq 'Version:[[:space:]]+2' "$OUT" || fail "not LUKS2: $(head -n 5 "$OUT")"
else
	note "cryptsetup not installed: luksDump skipped"
fi
assert_eq "$(stat -c %a "$STORE/keystore.luks")" "600" "keystore mode"
assert_eq "$(stat -c %a "$KEYFILE")" "600" "keyfile mode"

ok lethe audit verify
ok lethe doctor
note "ok"
