#!/usr/bin/env bash
# test_rewrap.sh - key rotation at its limit: objects under every one of the most KEK versions
# a keystore holds, one rewrap, every old version retired, every object read back byte for
# byte. Then what stops data loss when a data key does not unwrap: rewrap aborts its batch and
# commits none of it, and retire refuses (exit 4) and destroys nothing while any live object's
# wrapped data key fails to unwrap, whatever KEK version that object records.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

# The keystore's limit on active KEK versions (LT_KEYSTORE_KEKS_MAX in keys/keystore.h).
KEKS_MAX=16

declare -A want
n=0
# put_one: store a new random file; its id in $ID, remembered in want[] for all_readable.
put_one() {
	local f
	n=$((n + 1))
	f=$T/obj.$n
	rand_file "$f" $((RANDOM % 5000 + n * 97))
	ID=$(lethe put "$f") || fail "put $f"
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
sql() {
	sqlite3 "$STORE/meta.db" "$1"
}
command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to tamper with rows"

fresh_store max

note "objects under each of $KEKS_MAX KEK versions"
for v in $(seq 1 "$KEKS_MAX"); do
	put_one
	put_one
	assert_eq "$(lethe --json stat "$ID" | json 'j["kek_version"]')" "$v" "KEK of a new object"
	if [ "$v" -lt "$KEKS_MAX" ]; then
		ok lethe key rotate --passphrase-file "$PASS"
	fi
done
# one more active version does not fit in the keystore: a refusal, and nothing changes
expect_exit 5 lethe key rotate --passphrase-file "$PASS"
assert_one_line "$ERR"
assert_eq "$(lethe --json key list | json 'len(j)')" "$KEKS_MAX" "KEK versions"
all_readable

note "rewrap every data key under the primary"
ok lethe --json key rewrap --passphrase-file "$PASS"
assert_eq "$(json 'j["rewrapped"]' <"$OUT")" "$((2 * (KEKS_MAX - 1)))" "rewrapped"
assert_eq "$(kek_json "$KEKS_MAX" '["objects"]')" "$((2 * KEKS_MAX))" "objects under the primary"
all_readable

note "retire every old version"
for v in $(seq 1 $((KEKS_MAX - 1))); do
	ok lethe key retire "$v" --passphrase-file "$PASS"
done
assert_eq "$(lethe --json key list | json '[k["state"] for k in j].count("retired")')" \
	"$((KEKS_MAX - 1))" "retired versions"
all_readable
ok lethe doctor
ok lethe audit verify

# dek_hex ID: the wrapped data key of object ID, in hex. dek_set ID HEX: replace it.
dek_hex() {
	sql "SELECT hex(wrapped_dek) FROM objects WHERE id = '$1'"
}
dek_set() {
	sql "UPDATE objects SET wrapped_dek = X'$2' WHERE id = '$1'"
}
# dek_flip ID: flip one bit of object ID's wrapped data key, as a writer of meta.db without
# keys can; the original hex goes to $SAVED.
dek_flip() {
	local last
	SAVED=$(dek_hex "$1")
	[ ${#SAVED} -eq 120 ] || fail "no wrapped data key for $1: '$SAVED'"
	last=${SAVED: -1}
	dek_set "$1" "${SAVED:0:119}$(printf '%X' $(((16#$last) ^ 1)))"
}

note "a wrapped data key that does not unwrap stops a rewrap batch"
fresh_store tamper
want=()
put_one
put_one
b=$ID
put_one
ok lethe key rotate --passphrase-file "$PASS"
dek_flip "$b"
b_dek=$SAVED
expect_exit 4 lethe key rewrap --passphrase-file "$PASS"
assert_one_line "$ERR"
assert_contains "$ERR" "$b"
# the batch held all three: none of it committed
assert_eq "$(kek_json 1 '["objects"]')" "3" "objects left under v1 after a failed rewrap"
assert_eq "$(sql "SELECT count(*) FROM objects WHERE kek_version = 1")" "3" "rows under v1"

note "retire refuses while a live data key does not unwrap, and destroys nothing"
dek_set "$b" "$b_dek"
ok lethe key rewrap --passphrase-file "$PASS"
ok lethe key rotate --passphrase-file "$PASS"
put_one
d=$ID
# v1 is unused now; b is under v2 and d under the primary v3
assert_eq "$(kek_json 1 '["objects"]')" "0" "objects under v1"
dek_flip "$b"
# every token but the audit anchor, which moves on with the record of the refusal
keystore_tokens() {
	cryptsetup luksDump "$STORE/keystore.luks" | sed -n 's/^ *\([0-9]*\): lethe-.*/\1/p' |
		while read -r t; do
			cryptsetup token export --token-id "$t" "$STORE/keystore.luks" |
				grep -v '"type":"lethe-anchor"' || true
			echo
		done
}
keystore_tokens >"$T/keystore.before"
grep_q '"type":"lethe-keks"' "$T/keystore.before" || fail "the KEK token was not read"
expect_exit 4 lethe key retire 1 --passphrase-file "$PASS"
assert_one_line "$ERR"
assert_contains "$ERR" "$b"
assert_eq "$(kek_json 1 '["state"]')" "active" "v1 after a refused retire"
keystore_tokens >"$T/keystore.after"
cmp -s "$T/keystore.after" "$T/keystore.before" || fail "a refused retire changed the keystore"
ok lethe --json audit export
last_retire=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["action"] == "key.retire"][-1]
print(r["outcome"], sys.argv[2] in r["error"])
' "$OUT" "$b")
assert_eq "$last_retire" "failed True" "audit record of the refused retire"
# a damaged row under the primary is found as well
dek_set "$b" "$SAVED"
dek_flip "$d"
expect_exit 4 lethe key retire 1 --passphrase-file "$PASS"
assert_contains "$ERR" "$d"
assert_eq "$(kek_json 1 '["state"]')" "active" "v1 after a second refused retire"
dek_set "$d" "$SAVED"

note "retire refuses when a row's KEK version was changed to hide that it still needs the KEK"
ok lethe key rotate --passphrase-file "$PASS"
put_one
e=$ID
ok lethe key rotate --passphrase-file "$PASS"
# e's data key is wrapped under v4; its row now says v3 (still active, so no trigger stops
# it), and v4 looks unused
sql "UPDATE objects SET kek_version = 3 WHERE id = '$e'"
assert_eq "$(kek_json 4 '["objects"]')" "0" "objects recorded under v4"
expect_exit 4 lethe key retire 4 --passphrase-file "$PASS"
assert_one_line "$ERR"
assert_contains "$ERR" "$e"
assert_eq "$(kek_json 4 '["state"]')" "active" "v4 after a refused retire"
sql "UPDATE objects SET kek_version = 4 WHERE id = '$e'"

note "with the rows put back, retire goes through and every object reads"
ok lethe key retire 1 --passphrase-file "$PASS"
assert_eq "$(kek_json 1 '["state"]')" "retired" "v1 after retire"
all_readable
ok lethe key rewrap --passphrase-file "$PASS"
for v in 2 3 4; do
	ok lethe key retire "$v" --passphrase-file "$PASS"
done
all_readable
ok lethe doctor
note "ok"
