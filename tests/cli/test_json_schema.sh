#!/usr/bin/env bash
# test_json_schema.sh - one JSON schema across commands (lethe(1), "JSON OUTPUT"): doctor's
# problems is an array as the verifiers' is, key rotate and key retire answer alike, stat and
# ls show the lock and a shredded object's certificate, errors and warnings under --json are
# JSON on stderr, and a name that is not UTF-8 keeps its exact bytes (NAME_hex).
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store js "[group:locked]
retention = 1h
lock = true"
printf 'data\n' >"$T/f"

note "doctor: problems is an array of {where, what}, like the verifiers'"
ok lethe --json doctor
assert_eq "$(json 'type(j["problems"]).__name__' <"$OUT")" "list" "doctor problems type"
assert_eq "$(json 'j["ok"]' <"$OUT")" "true" "doctor ok"
ok lethe --json audit verify
assert_eq "$(json 'type(j["problems"]).__name__' <"$OUT")" "list" "audit verify problems type"
x=$(lethe put "$T/f")

note "key rotate and key retire: the shape of a key list element"
ok lethe --json key rotate --passphrase-file "$PASS"
assert_eq "$(json 'sorted(j.keys())' <"$OUT")" "['primary', 'state', 'version']" "rotate keys"
assert_eq "$(json '(j["version"], j["primary"], j["state"])' <"$OUT")" "(2, True, 'active')" \
	"rotate values"
ok lethe key rewrap --passphrase-file "$PASS"
ok lethe --json key retire 1 --passphrase-file "$PASS"
assert_eq "$(json 'sorted(j.keys())' <"$OUT")" "['primary', 'state', 'version']" "retire keys"
assert_eq "$(json '(j["version"], j["primary"], j["state"])' <"$OUT")" "(1, False, 'retired')" \
	"retire values"

note "stat and ls: lock, and the certificate of a shredded object"
l=$(lethe put --group locked "$T/f")
ok lethe --json stat "$l"
assert_eq "$(json '(j["locked"], j["certificate"])' <"$OUT")" "(True, None)" "locked object"
ok lethe stat "$l"
assert_contains "$OUT" "locked        yes"
y=$(lethe put --name shredme "$T/f")
ok lethe --json rm "$y" --reason test --force --passphrase-file "$PASS"
cert=$(json 'j["certificate"]' <"$OUT")
[ -n "$cert" ] || fail "rm printed no certificate id"
ok lethe --json stat "$y"
assert_eq "$(json '(j["locked"], j["certificate"])' <"$OUT")" "(False, '$cert')" "shredded object"
ok lethe stat "$y"
assert_contains "$OUT" "$cert"
ok lethe --json ls --all
assert_eq "$(json '[o["certificate"] for o in j if o["id"] == "'"$y"'"]' <"$OUT")" "['$cert']" \
	"ls certificate"
assert_eq "$(json '[o["locked"] for o in j if o["id"] == "'"$l"'"]' <"$OUT")" "[True]" "ls lock"
ok lethe ls --all
assert_contains "$OUT" "LOCK"
assert_eq "$(grep -c "$cert" "$OUT")" "1" "ls --all table shows the certificate"
assert_eq "$(grep "$l" "$OUT" | grep -c locked)" "1" "ls table shows the lock"

note "errors under --json: one JSON object on stderr"
expect_exit 3 lethe --json stat 00000000-0000-4000-8000-000000000000
assert_one_line "$ERR"
assert_eq "$(json '(j["command"], j["exit"], j["object"])' <"$ERR")" \
	"('stat', 3, '00000000-0000-4000-8000-000000000000')" "error object"
[ -n "$(json 'j["error"]' <"$ERR")" ] || fail "error has no message"
expect_exit 2 lethe --json stat
assert_one_line "$ERR"
assert_eq "$(json '(j["command"], j["exit"])' <"$ERR")" "('stat', 2)" "usage error"
expect_exit 3 lethe stat 00000000-0000-4000-8000-000000000000
assert_contains "$ERR" "lethe: stat"

note "names that are not UTF-8 keep their bytes"
n=$(lethe put --name "$(printf 'caf\xe9\x01')" "$T/f")
ok lethe --json stat "$n"
assert_eq "$(json 'j["name_hex"]' <"$OUT")" "636166e901" "name_hex"
assert_eq "$(json 'bytes.fromhex(j["name_hex"]) == b"caf\xe9\x01"' <"$OUT")" "true" "lossless"
ok lethe --json stat "$x"
assert_eq "$(json '"name_hex" in j' <"$OUT")" "false" "no name_hex for a UTF-8 name"
ok lethe --json ls
assert_eq "$(json '[o["name_hex"] for o in j if "name_hex" in o]' <"$OUT")" "['636166e901']" \
	"ls name_hex"

note "doctor with a problem"
rm -f "$(object_file "$x")"
expect_exit 1 lethe --json doctor
assert_eq "$(json 'j["ok"]' <"$OUT")" "false" "doctor not ok"
assert_eq "$(json 'sorted(j["problems"][0].keys())' <"$OUT")" "['what', 'where']" "problem keys"
assert_eq "$(json 'len(j["problems"]) == len([f for f in j["findings"] if f["level"] == "error"])' \
	<"$OUT")" "true" "problems are the errors"
note "ok"
