#!/usr/bin/env bash
# test_evidence.sh - every shred leaves a signed certificate; an exported evidence directory
# verifies with stock openssl and sha256sum (as an auditor would, without lethe) and with
# `lethe evidence verify DIR`; editing one byte of a certificate, or deleting one, fails
# verification naming the certificate.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store ev "[group:short]
retention = 1s
[group:gov]
retention = 30d"

rand_file "$T/f" 3000
ids=()
for _ in 1 2 3; do
	ids+=("$(lethe put --group short "$T/f")")
done
g=$(lethe put --group gov --name "confidential-merger-plan.pdf" "$T/f")
keep=$(lethe put --group gov "$T/f")

note "no certificates yet"
ok lethe --json evidence list
assert_eq "$(json 'len(j)' <"$OUT")" "0" "certificates before any shred"
ok lethe evidence list
[ ! -s "$OUT" ] || fail "evidence list printed something for no certificates"

note "shred: a forced rm and a sweep"
ok lethe rm "$g" --reason "customer asked" --force --passphrase-file "$PASS"
sleep 1.1
wait_until 5 sh -c "\"$LETHE\" --json sweep --dry-run | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"shredded\"] == 3 else 1)'"
ok lethe --json sweep
assert_eq "$(json 'j["shredded"]' <"$OUT")" "3" "swept"

ok lethe --json evidence list
cp "$OUT" "$T/list.json"
assert_eq "$(json 'len(j)' <"$T/list.json")" "4" "certificates"
assert_eq "$(json '[c["seq"] for c in j]' <"$T/list.json")" "[1, 2, 3, 4]" "chain order"
assert_eq "$(json 'j[0]["object_id"]' <"$T/list.json")" "$g" "first certificate's object"
assert_eq "$(json 'j[0]["reason"]' <"$T/list.json")" "manual" "reason of a forced rm"
assert_eq "$(json 'sorted(c["object_id"] for c in j[1:])' <"$T/list.json")" "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "${ids[@]}")" "swept objects"
assert_eq "$(json 'set(c["reason"] for c in j[1:]) == {"retention-expired"}' <"$T/list.json")" "true" "reason of a sweep"
certs=$(json '" ".join(c["id"] for c in j)' <"$T/list.json")
ok lethe evidence list
assert_contains "$OUT" "CERTIFICATE"
assert_contains "$OUT" "$g"
ok lethe evidence verify
assert_contains "$OUT" "4 certificates verified"

note "export"
ok lethe evidence export "$T/evidence"
assert_contains "$OUT" "4 certificates"
ok lethe --json evidence export "$T/evidence.json"
assert_eq "$(json 'j["certificates"]' <"$OUT")" "4" "exported"
diff -r "$T/evidence" "$T/evidence.json" >/dev/null || fail "two exports of one chain differ"
E=$T/evidence
[ -s "$E/evidence.pub.pem" ] || fail "no evidence.pub.pem"

note "the auditor's check: openssl for the manifest and each signature, sha256sum for the chain"
openssl pkeyutl -verify -pubin -inkey "$E/evidence.pub.pem" -rawin \
	-in "$E/manifest.txt" -sigfile "$E/manifest.sig" >"$T/openssl.out" 2>&1 ||
	fail "openssl rejects the manifest: $(cat "$T/openssl.out")"
(cd "$E" && tail -n 2 manifest.txt | sha256sum --check --strict --quiet) ||
	fail "sha256sum -c of the manifest's files"
prev=0000000000000000000000000000000000000000000000000000000000000000
k=0
for cert in $certs; do
	k=$((k + 1))
	sed -n "${k}p" "$E/certificates.jsonl" >"$T/$cert.json"
	tail -c +$(((k - 1) * 64 + 1)) "$E/certificates.sig" | head -c 64 >"$T/$cert.sig"
	assert_eq "$(stat -c %s "$T/$cert.sig")" "64" "size of $cert's signature"
	openssl pkeyutl -verify -pubin -inkey "$E/evidence.pub.pem" -rawin \
		-in "$T/$cert.json" -sigfile "$T/$cert.sig" >"$T/openssl.out" 2>&1 ||
		fail "openssl rejects $cert: $(cat "$T/openssl.out")"
	assert_eq "$(json 'j["prev_sha256"]' <"$T/$cert.json")" "$prev" "prev_sha256 of $cert"
	assert_eq "$(json 'j["certificate_id"]' <"$T/$cert.json")" "$cert" "certificate_id"
	prev=$(sha256sum "$T/$cert.json" | cut -d ' ' -f 1)
done
assert_contains "$E/manifest.txt" "last_sha256 $prev"
first=$T/$(echo "$certs" | cut -d ' ' -f 1).json
assert_eq "$(json 'j["object"]["id"]' <"$first")" "$g" "object in the first certificate"
assert_eq "$(json 'j["sanitization"]["method"]' <"$first")" "cryptographic erase" "method"
# A name is confidential: the certificate holds its digest, never the name.
assert_not_contains "$E/certificates.jsonl" "confidential-merger-plan"

note "lethe evidence verify DIR: no store needed"
ok env -u LETHE_STORE "$LETHE" evidence verify "$E"
assert_contains "$OUT" "4 certificates verified"
ok env -u LETHE_STORE "$LETHE" --json evidence verify "$E"
assert_eq "$(json 'j["ok"]' <"$OUT")" "true" "verify ok"
assert_eq "$(json 'j["certificates"]' <"$OUT")" "4" "verify count"

# tampered NAME: a fresh copy of the export to break.
tampered() {
	rm -rf "$T/bad"
	cp -a "$E" "$T/bad"
	chmod -R u+w "$T/bad"
}
second=$(echo "$certs" | cut -d ' ' -f 2)

note "one byte of a certificate edited"
tampered
python3 - "$T/bad/certificates.jsonl" "$second" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
i = data.index(sys.argv[2].encode())
i = data.index(b'"size":', i) + len(b'"size":')
data[i] = ord("9") if data[i] != ord("9") else ord("8")
open(p, "wb").write(bytes(data))
PY
expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$T/bad"
assert_contains "$ERR" "$second"
expect_exit 4 env -u LETHE_STORE "$LETHE" --json evidence verify "$T/bad"
assert_eq "$(json 'j["ok"]' <"$OUT")" "false" "--json verify of an edited certificate"
assert_eq "$(json "any('$second' in p['where'] for p in j['problems'])" <"$OUT")" "true" "problem names the certificate"

note "a byte of a signature edited"
tampered
flip_byte "$T/bad/certificates.sig" 74
expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$T/bad"
assert_contains "$ERR" "$second"

note "a certificate deleted"
tampered
sed -i 2d "$T/bad/certificates.jsonl"
expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$T/bad"

note "the newest certificate deleted, with its signature"
tampered
head -n -1 "$E/certificates.jsonl" >"$T/bad/certificates.jsonl"
head -c -64 "$E/certificates.sig" >"$T/bad/certificates.sig"
expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$T/bad"

note "two certificates swapped"
tampered
for k in 1 3 2 4; do sed -n "${k}p" "$E/certificates.jsonl"; done >"$T/bad/certificates.jsonl"
expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$T/bad"

note "not an evidence directory"
mkdir "$T/empty"
expect_exit 2 env -u LETHE_STORE "$LETHE" evidence verify "$T/empty"
assert_one_line "$ERR"

# The original export is still good, and the store's own chain too.
ok env -u LETHE_STORE "$LETHE" evidence verify "$E"
ok lethe evidence verify
ok lethe get "$keep"
ok lethe doctor
note "ok"
