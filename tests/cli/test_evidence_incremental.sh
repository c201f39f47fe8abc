#!/usr/bin/env bash
# test_evidence_incremental.sh - evidence export writes one signed manifest per export;
# --since last exports only what is new and chains to the export before it; --since SEQ and
# --since TIME choose where to start; a non-empty directory is refused and left alone; the
# README's script (OpenSSL, coreutils, sed) verifies each export, pinned by fingerprint.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store evinc "[group:gov]
retention = 30d"

rand_file "$T/f" 100
shred() {
	local id
	id=$(lethe put --group gov "$T/f")
	ok lethe rm "$id" --reason "erasure request" --force --passphrase-file "$PASS"
}
manifest() { sed -n "s/^$2 //p" "$1/manifest.txt"; }
script() { (cd "$1" && sed -n '/^#---- begin/,/^#---- end/p' README.txt >"$T/verify.sh" &&
	sh "$T/verify.sh" "$FPR"); }

shred
shred

note "the first export: everything, in six files"
ok lethe --json evidence export "$T/e1"
FPR=$(json 'j["fingerprint"]' <"$OUT")
assert_eq "$(json '[j["certificates"], j["first_seq"], j["last_seq"]]' <"$OUT")" "[2, 1, 2]" "first export"
assert_eq "$(ls "$T/e1" | tr '\n' ' ')" "README.txt certificates.jsonl certificates.sig evidence.pub.pem manifest.sig manifest.txt " "files"
assert_eq "$(script "$T/e1")" "OK: 2 certificates, seq 1 to 2" "README script"

note "a non-empty directory is refused, and left as it was"
mkdir "$T/busy"
echo keep >"$T/busy/checkpoint-7.json"
expect_exit 2 lethe evidence export "$T/busy"
assert_contains "$ERR" "not empty"
assert_one_line "$ERR"
assert_eq "$(ls "$T/busy")" "checkpoint-7.json" "nothing added"
expect_exit 2 lethe evidence export "$T/e1"

note "--since last: only what is new, chained to the previous export"
shred
shred
shred
ok lethe --json evidence export --since last "$T/e2"
assert_eq "$(json '[j["certificates"], j["first_seq"], j["last_seq"]]' <"$OUT")" "[3, 3, 5]" "incremental export"
assert_eq "$(manifest "$T/e2" prev_sha256)" "$(manifest "$T/e1" last_sha256)" "exports chain"
assert_eq "$(wc -l <"$T/e2/certificates.jsonl")" "3" "certificates in the second export"
ok env -u LETHE_STORE "$LETHE" evidence verify "$T/e2" --fingerprint "$FPR"
assert_contains "$OUT" "3 certificates verified"
assert_eq "$(script "$T/e2")" "OK: 3 certificates, seq 3 to 5" "README script on the increment"

note "--since last with nothing new: an empty export that says where the chain stands"
ok lethe evidence export --since last "$T/e3"
assert_contains "$OUT" "none after seq 5"
assert_eq "$(manifest "$T/e3" first_seq)" "6" "first_seq of an empty export"
assert_eq "$(manifest "$T/e3" prev_sha256)" "$(manifest "$T/e2" last_sha256)" "empty export chains"
ok env -u LETHE_STORE "$LETHE" evidence verify "$T/e3" --fingerprint "$FPR"

note "--since SEQ and --since TIME"
ok lethe --json evidence export --since 4 "$T/e4"
assert_eq "$(json '[j["certificates"], j["first_seq"]]' <"$OUT")" "[2, 4]" "--since 4"
ok lethe --json evidence export --since 2000-01-01 "$T/e5"
assert_eq "$(json '[j["certificates"], j["first_seq"]]' <"$OUT")" "[5, 1]" "--since a time before all"
ok lethe --json evidence export --since 2999-01-01 "$T/e6"
assert_eq "$(json 'j["certificates"]' <"$OUT")" "0" "--since a time after all"
expect_exit 2 lethe evidence export --since yesterday "$T/e7"
assert_contains "$ERR" "--since wants"

note "the README script fails on a changed export"
cp -a "$T/e2" "$T/bad"
sed -i 's/erasure request/erasure requesT/' "$T/bad/certificates.jsonl"
if script "$T/bad" >/dev/null 2>&1; then
	fail "the README script accepts an edited certificate"
fi
note "ok"
