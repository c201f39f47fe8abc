#!/usr/bin/env bash
# test_names.sh - names do not outlive their file: kept encrypted under the object's data key,
# shown by ls and stat while it lives, gone from ls --all, stat and meta.db once shredded; the
# certificate commits to the name under a salt, so a guessed name is not confirmed from the
# exported evidence without it, and `evidence prove-name` reveals that one salt and checks.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "SKIP: no sqlite3"; exit 77; }
fresh_store names "[group:short]
retention = 1h"
name='HIV-test-result-John-Doe-1970-01-01.pdf'
printf 'result\n' >"$T/data"

id=$(lethe put --group short --name "$name" "$T/data")
keep=$(lethe put --group short --name "kept-report.pdf" "$T/data")

note "the name is stored encrypted, and read back"
sqlite3 "$STORE/meta.db" "SELECT name, hex(name_enc) FROM objects" >"$T/raw"
assert_not_contains "$T/raw" "John-Doe"
ok lethe --json stat "$id"
assert_eq "$(json 'j["name"]' <"$OUT")" "$name" "stat of a live object"
ok lethe --json ls --prefix HIV-
assert_eq "$(json '" ".join(o["id"] for o in j)' <"$OUT")" "$id" "ls --prefix by a name"

note "after the shred, the name is gone everywhere"
ok lethe rm "$id" --reason "request of the subject" --force --passphrase-file "$PASS"
ok lethe --json ls --all
assert_not_contains "$OUT" "John-Doe"
assert_contains "$OUT" "kept-report.pdf"
ok lethe --json stat "$id"
assert_eq "$(json 'j["name"]' <"$OUT")" "" "stat of a shredded object"
ok lethe stat "$id"
assert_not_contains "$OUT" "John-Doe"
sqlite3 "$STORE/meta.db" "SELECT * FROM objects WHERE id = '$id'" >"$T/raw"
assert_not_contains "$T/raw" "John-Doe"
assert_eq "$(sqlite3 "$STORE/meta.db" "SELECT name = '' AND name_enc IS NULL FROM objects
	WHERE id = '$id'")" "1" "the row keeps no name"
# nor any page of the file: secure_delete, and the WAL is checkpointed after a shred
for f in "$STORE"/meta.db*; do
	if grep -a -q 'John-Doe' "$f"; then fail "$f still holds the name"; fi
done

note "the certificate does not confirm a guessed name"
ok lethe evidence export "$T/ev"
grep -F "\"id\":\"$id\"" "$T/ev/certificates.jsonl" >"$T/cert.json"
line=$(cat "$T/cert.json")
assert_contains "$T/cert.json" '"version":2,'
assert_not_contains "$T/cert.json" "name_sha256"
commit=$(printf '%s' "$line" | sed 's/.*"name_commit":"\([0-9a-f]*\)".*/\1/')
assert_eq "${#commit}" "64" "name_commit is a SHA-256 HMAC"
sha=$(printf '%s' "$name" | sha256sum | cut -c1-64)
[ "$sha" != "$commit" ] || fail "name_commit is the unsalted hash of the name"
assert_not_contains "$T/cert.json" "$sha"
sed -n '/^#---- begin/,/^#---- end/p' "$T/ev/README.txt" >"$T/verify.sh"
(cd "$T/ev" && sh "$T/verify.sh") >"$OUT" 2>"$ERR" || fail "verify.sh on a version 2 export"
assert_contains "$OUT" "OK: 1 certificates"
ok lethe evidence verify "$T/ev"

note "the owner opens the commitment for one certificate"
cert=$(lethe --json evidence list | json '[c["id"] for c in j if c["object_id"] == "'"$id"'"][0]')
ok lethe evidence prove-name "$cert" "$name"
assert_contains "$OUT" "name         matches"
salt=$(sed -n 's/^salt *\([0-9a-f]*\)$/\1/p' "$OUT")
assert_eq "${#salt}" "64" "the salt is printed"
# the auditor's check, with openssl alone
got=$(printf '%s' "$name" | openssl mac -digest SHA256 -macopt "hexkey:$salt" HMAC |
	tr 'A-F' 'a-f')
assert_eq "$got" "$commit" "openssl mac with the salt gives the certificate's name_commit"
got=$(printf '%s' "HIV-test-result-Jane-Doe-1970-01-01.pdf" |
	openssl mac -digest SHA256 -macopt "hexkey:$salt" HMAC | tr 'A-F' 'a-f')
[ "$got" != "$commit" ] || fail "another name matches the commitment"
# by the object id too, and a wrong name is exit 4
ok lethe evidence prove-name "$id" "$name"
expect_exit 4 lethe evidence prove-name "$id" "HIV-test-result-Jane-Doe-1970-01-01.pdf"
assert_contains "$ERR" "not the one"
# a live object's commitment opens too, and the salt of one object is not another's
ok lethe evidence prove-name "$keep"
assert_contains "$OUT" "(none: the object is live)"
other=$(sed -n 's/^salt *\([0-9a-f]*\)$/\1/p' "$OUT")
[ "$other" != "$salt" ] || fail "two objects share a salt"
expect_exit 3 lethe evidence prove-name 00000000-0000-4000-8000-000000000000
ok lethe --json audit export
assert_contains "$OUT" "evidence.name_proof"
