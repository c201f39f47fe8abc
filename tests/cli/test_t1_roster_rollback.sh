#!/usr/bin/env bash
# test_t1_roster_rollback.sh - a writer of store files without keys (T1) puts an older officer
# roster back, as the attacker would: a copy of officers.luks from before an officer's removal,
# or an older roster token (`cryptsetup token export` needs no key) imported into the current
# file with `cryptsetup token import --token-replace`. Each roster is validly signed, but the
# audit log says who is an officer now: the officer open refuses a roster older than the log's
# newest officer.add/remove (exit 4, "older than the audit log"), doctor reports it, and
# `doctor --repair` leaves the keyslots of officers the older roster leaves out alone; and a
# copy from before an `officer passwd` (made because the old passphrase leaked) is refused too.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v cryptsetup >/dev/null || fail "cryptsetup CLI not found (apt-get install cryptsetup-bin)"

fresh_store roster "[group:g]
retention = 30d"
O=$STORE/officers.luks
# tok: the id of officers.luks's roster token
tok() {
	cryptsetup luksDump --dump-json-metadata "$O" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print([k for k, v in j["tokens"].items() if v["type"] == "lethe-authority"][0])'
}
# keyslot_active N: keyslot N of officers.luks exists
keyslot_active() {
	cryptsetup luksDump "$O" | grep_q -E "^  $1: luks2"
}
for who in bob carol dave; do printf '%s passphrase\n' "$who" >"$T/$who.pass"; done

cryptsetup token export --token-id "$(tok)" "$O" >"$T/roster1" # alice (keyslot 0), serial 1
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
ok lethe audit export
assert_contains "$OUT" '"error":"bob keyslot=1 roster=2"'
cryptsetup token export --token-id "$(tok)" "$O" >"$T/roster2" # alice, bob; serial 2
cp "$O" "$T/officers.with-bob"
ok lethe officer add carol --new-passphrase-file "$T/carol.pass" --passphrase-file "$PASS"
rand_file "$T/f" 3000
ok lethe put --group g "$T/f"
ID=$(cat "$OUT")
ok lethe hold set "$ID" --reason CASE-9
cp "$O" "$T/officers.current"

note "T1: an older roster token (alice, bob) imported into the current officers.luks"
ok cryptsetup token import --token-id "$(tok)" --token-replace "$O" <"$T/roster2"
expect_exit 4 lethe hold clear "$ID" --reason x --passphrase-file "$PASS"
assert_contains "$ERR" "the officer roster (serial 2) is older than the audit log"
expect_exit 6 lethe hold clear "$ID" --reason x --passphrase-file "$T/carol.pass"
keyslot_active 2 || fail "carol's keyslot is missing before the repair"
expect_exit 1 lethe doctor --repair
assert_contains "$OUT" "older than the audit log"
assert_contains "$OUT" "not destroyed"
keyslot_active 2 || fail "doctor --repair destroyed carol's keyslot, a current officer's"
cat "$T/officers.current" >"$O"
ok lethe doctor

# bob leaves, removing himself: the record is his, written as he leaves
ok lethe officer remove bob --passphrase-file "$T/bob.pass"
ok lethe audit export
assert_contains "$OUT" '"error":"bob keyslot=1 roster=4"'
ok lethe audit verify
ok lethe doctor
expect_exit 6 lethe hold clear "$ID" --reason x --passphrase-file "$T/bob.pass"

note "T1: officers.luks rolled back to a copy from before bob's removal"
cp "$O" "$T/officers.current"
cat "$T/officers.with-bob" >"$O"
expect_exit 4 lethe hold clear "$ID" --reason "bob is back" --passphrase-file "$T/bob.pass"
assert_contains "$ERR" "the officer roster (serial 2) is older than the audit log"
expect_exit 1 lethe doctor
assert_contains "$OUT" "older than the audit log"
ok lethe get "$ID" -o "$T/f.out"
assert_same "$T/f" "$T/f.out"
cat "$T/officers.current" >"$O"

note "T1: the init-time roster replayed after keyslot 0 went from alice to dave"
ok lethe officer remove alice --passphrase-file "$T/carol.pass"
ok lethe officer add dave --new-passphrase-file "$T/dave.pass" --passphrase-file "$T/carol.pass"
ok lethe audit export
assert_contains "$OUT" '"error":"dave keyslot=0 roster=6"'
cp "$O" "$T/officers.newest"
ok cryptsetup token import --token-id "$(tok)" --token-replace "$O" <"$T/roster1"
expect_exit 4 lethe hold clear "$ID" --reason x --passphrase-file "$T/dave.pass"
assert_contains "$ERR" "the officer roster (serial 1) is older than the audit log"
expect_exit 1 lethe doctor
assert_contains "$OUT" "older than the audit log"

note "an older copy of the whole file is refused as well"
cat "$T/officers.current" >"$O" # alice on keyslot 0, removed since
expect_exit 4 lethe hold clear "$ID" --reason x --passphrase-file "$PASS"
assert_contains "$ERR" "older than the audit log"

note "the newest officers.luks: the officers act, and the log verifies"
cat "$T/officers.newest" >"$O"
ok lethe doctor
ok lethe hold clear "$ID" --reason closed --passphrase-file "$T/dave.pass"
ok lethe audit verify
ok lethe audit export
assert_contains "$OUT" '"keyslot":"dave"'

note "T1: officers.luks from before dave's passwd put back: the leaked old passphrase is refused"
ID2=$(lethe put --group g "$T/bob.pass")
ok lethe hold set "$ID2" --reason CASE-9
cp "$O" "$T/officers.before-passwd"
printf 'dave changed passphrase\n' >"$T/dave.new"
ok lethe officer passwd --officer dave --passphrase-file "$T/dave.pass" --new-passphrase-file "$T/dave.new"
expect_exit 6 lethe hold clear "$ID2" --reason x --officer dave --passphrase-file "$T/dave.pass"
cat "$T/officers.before-passwd" >"$O"
expect_exit 4 lethe hold clear "$ID2" --reason leaked --officer dave --passphrase-file "$T/dave.pass"
assert_contains "$ERR" "older than the audit log"
note "ok"
