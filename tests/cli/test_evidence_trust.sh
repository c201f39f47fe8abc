#!/usr/bin/env bash
# test_evidence_trust.sh - disposal evidence trusts keys only (issue 14, item 3). Each attack is
# made as an attacker with write access to meta.db would make it (the sqlite3 shell, openssl),
# and each must make `lethe evidence verify` exit 4, in the store and on an exported directory
# checked against the pinned key (--fingerprint / --pubkey, and the README's verify.sh):
#   - meta.evidence_pub replaced with the attacker's key and the certificates re-signed;
#   - the newest certificate row deleted;
#   - `UPDATE objects SET retain_until=created_at, locked=0, hold=0` and a sweep.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 shell not installed: skipped"; exit 77; }

sql() { sqlite3 "$STORE/meta.db" "$1"; }

# A store with a chain of four certificates, exported once, its fingerprint noted.
setup() {
	fresh_store "$1" "[group:short]
retention = 1s
[group:vault]
retention = 30d
lock = true"
	rand_file "$T/f" 2000
	for _ in 1 2 3 4; do
		lethe put --group short "$T/f" >/dev/null
	done
	sleep 1.1
	ok lethe sweep
	ok lethe evidence export "$T/$1.good"
	FPR=$(sed -n 's/^evidence key fingerprint: //p' "$OUT")
	[ ${#FPR} = 64 ] || fail "export printed no fingerprint"
	openssl pkey -pubin -in "$T/$1.good/evidence.pub.pem" -out "$T/$1.real.pem"
}

# verify_dir_fails DIR: the export no longer verifies under the pinned key.
verify_dir_fails() {
	expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$1" --fingerprint "$FPR"
	expect_exit 4 env -u LETHE_STORE "$LETHE" evidence verify "$1" --pubkey "$T/$SUITE_STORE.real.pem"
	(cd "$1" && sed -n '/^#---- begin/,/^#---- end/p' README.txt >"$T/verify.sh" &&
		sh "$T/verify.sh" "$FPR") >"$T/verify.out" 2>&1 &&
		fail "verify.sh accepts $1 under the pinned fingerprint: $(cat "$T/verify.out")"
	true
}

note "the fingerprint: printed by export and both verifies, the same everywhere"
SUITE_STORE=pin
setup pin
ok lethe evidence verify
assert_contains "$OUT" "evidence key fingerprint: $FPR"
ok env -u LETHE_STORE "$LETHE" evidence verify "$T/pin.good" --fingerprint "$FPR"
assert_contains "$OUT" "evidence key fingerprint: $FPR"
ok env -u LETHE_STORE "$LETHE" --json evidence verify "$T/pin.good" --pubkey "$T/pin.real.pem"
assert_eq "$(json 'j["fingerprint"]' <"$OUT")" "$FPR" "--json fingerprint"
upper=$(printf '%s' "$FPR" | tr a-f A-F)
ok env -u LETHE_STORE "$LETHE" evidence verify "$T/pin.good" --fingerprint "$upper"
# openssl alone computes the same fingerprint
assert_eq "$(openssl pkey -pubin -in "$T/pin.good/evidence.pub.pem" -outform DER | tail -c 32 |
	sha256sum | cut -c1-64)" "$FPR" "openssl's fingerprint"
(cd "$T/pin.good" && sed -n '/^#---- begin/,/^#---- end/p' README.txt >"$T/verify.sh" &&
	sh "$T/verify.sh" "$FPR") >"$T/verify.out" 2>&1 || fail "verify.sh: $(cat "$T/verify.out")"
assert_contains "$T/verify.out" "OK: 4 certificates"
expect_exit 2 env -u LETHE_STORE "$LETHE" evidence verify "$T/pin.good" --fingerprint 1234
assert_one_line "$ERR"
expect_exit 2 lethe evidence verify --fingerprint "$FPR"
expect_exit 2 env -u LETHE_STORE "$LETHE" evidence verify "$T/pin.good" --fingerprint "$FPR" \
	--pubkey "$T/pin.real.pem"

note "attack: meta.evidence_pub replaced with the attacker's key, certificates altered and re-signed"
openssl genpkey -algorithm ed25519 -out "$T/mallory.key" 2>/dev/null
openssl pkey -in "$T/mallory.key" -pubout -out "$T/mallory.pem"
mallory_hex=$(openssl pkey -pubin -in "$T/mallory.pem" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
sql "DROP TRIGGER certificates_no_update;"
sql "UPDATE meta SET value = X'$mallory_hex' WHERE key = 'evidence_pub';"
# Every certificate re-signed (the newest one altered first), its stored hash kept right.
n=$(sql "SELECT count(*) FROM certificates;")
for seq in $(seq 1 "$n"); do
	sql "SELECT writefile('$T/c.json', json) FROM certificates WHERE seq = $seq;" >/dev/null
	if [ "$seq" = "$n" ]; then
		sed -i 's/"host":"[^"]*"/"host":"elsewhere"/' "$T/c.json"
	fi
	openssl pkeyutl -sign -inkey "$T/mallory.key" -rawin -in "$T/c.json" -out "$T/c.sig"
	sql "UPDATE certificates SET json = readfile('$T/c.json'), sig = readfile('$T/c.sig'),
	     sha256 = X'$(sha256sum "$T/c.json" | cut -c1-64)' WHERE seq = $seq;"
done
expect_exit 4 lethe evidence verify
assert_contains "$ERR" "evidence_pub"
expect_exit 4 lethe evidence export "$T/pin.bad"
assert_one_line "$ERR"
expect_exit 4 lethe --json evidence verify
assert_eq "$(json 'j["ok"]' <"$OUT")" "false" "--json verify"
# checkpoints are verified under the same key: audit verify must not take the attacker's
expect_exit 4 lethe audit verify
assert_contains "$ERR" "evidence_pub"
# nothing is signed with a key the database contradicts
expect_exit 4 lethe rm "$(lethe put "$T/f")" --reason "x" --force --passphrase-file "$PASS"
# What the attacker hands an auditor: a directory signed by their own key throughout.
rm -rf "$T/pin.forged"
cp -a "$T/pin.good" "$T/pin.forged"
cp "$T/mallory.pem" "$T/pin.forged/evidence.pub.pem"
rm -rf "$T/lines"
mkdir "$T/lines"
split -l 1 -a 5 -d "$T/pin.forged/certificates.jsonl" "$T/lines/c"
: >"$T/pin.forged/certificates.sig"
for f in "$T/lines"/c*; do
	openssl pkeyutl -sign -inkey "$T/mallory.key" -rawin -in "$f" >>"$T/pin.forged/certificates.sig"
done
for f in certificates.jsonl certificates.sig; do
	h=$(sha256sum <"$T/pin.forged/$f" | cut -c1-64)
	sed -i "s/^[0-9a-f]*  $f\$/$h  $f/" "$T/pin.forged/manifest.txt"
done
openssl pkeyutl -sign -inkey "$T/mallory.key" -rawin -in "$T/pin.forged/manifest.txt" \
	-out "$T/pin.forged/manifest.sig"
# Unpinned, a consistent set proves nothing about its signer: lethe says so.
ok env -u LETHE_STORE "$LETHE" evidence verify "$T/pin.forged"
assert_contains "$ERR" "not pinned"
verify_dir_fails "$T/pin.forged"
assert_contains "$ERR" "evidence.pub.pem"

note "attack: the newest certificate row deleted"
SUITE_STORE=del
setup del
last=$(sql "SELECT id FROM certificates ORDER BY seq DESC LIMIT 1;")
sql "DROP TRIGGER certificates_no_delete; DELETE FROM certificates WHERE id = '$last';"
expect_exit 4 lethe evidence verify
assert_contains "$ERR" "certificate is missing"
expect_exit 4 lethe evidence export "$T/del.bad"
# The export an auditor holds, cut the same way.
rm -rf "$T/del.cut"
cp -a "$T/del.good" "$T/del.cut"
head -n -1 "$T/del.good/certificates.jsonl" >"$T/del.cut/certificates.jsonl"
head -c -64 "$T/del.good/certificates.sig" >"$T/del.cut/certificates.sig"
verify_dir_fails "$T/del.cut"

note "attack: a locked, held object's row rewritten to expire now, then a sweep"
SUITE_STORE=row
setup row
victim=$(lethe put --group vault "$T/f")
ok lethe hold set "$victim" --reason "case 1"
sql "UPDATE objects SET retain_until = created_at, locked = 0, hold = 0 WHERE id = '$victim';"
# Without row MACs (another part of the issue) the sweep may shred it; either way, no
# certificate of it may pass for consistent evidence.
lethe sweep >/dev/null 2>&1 || true
if [ "$(sql "SELECT state FROM objects WHERE id = '$victim';")" = 1 ]; then
	expect_exit 4 lethe evidence verify
	assert_contains "$ERR" "retain_until is earlier than"
	expect_exit 4 lethe evidence export "$T/row.bad"
fi
note "ok (victim state $(sql "SELECT state FROM objects WHERE id = '$victim';"))"
