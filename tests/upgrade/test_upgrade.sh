#!/usr/bin/env bash
# test_upgrade.sh - a store made by the previous release opens, migrates and verifies under
# this build's lethe, and keeps working.
#
# The previous release is named in tests/upgrade/PREVIOUS (version and commit). Its tree is
# taken from git history (git archive) and only its lethe command is built, once per build
# directory (cached in $LETHE_BUILD/upgrade-previous). With that lethe: a store with puts
# (several segments, an empty file), a key rotation, a put under the new KEK, legal holds (a
# second replacing the first, as 0.1.x did, and a group's) and a sweep. With this build's
# lethe: every live object reads back byte for byte, the swept one is gone (exit 3), the schema
# is at this build's version, the holds moved into the holds table, audit verify, evidence
# verify and doctor pass; then a put, a hold cleared, a sweep, a rotation and a rewrap, and everything
# verifies again. Exit 77 (skipped) when the commit is not in the checkout (a shallow clone).
#
# Env (set by CTest): LETHE = the built lethe, LETHE_TESTS = the tests directory, LETHE_BUILD =
# the build directory.
# shellcheck source=../cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"
: "${LETHE_BUILD:?LETHE_BUILD must name the build directory}"
src=$(cd "$LETHE_TESTS/.." && pwd)

read -r prev_version prev_commit < <(grep -v '^#' "$src/tests/upgrade/PREVIOUS")
[ -n "$prev_commit" ] || fail "tests/upgrade/PREVIOUS names no commit"
if ! git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	echo "SKIP [$SUITE]: $src is not a git checkout: lethe $prev_version cannot be built from history"
	exit 77
fi
if ! git -C "$src" cat-file -e "$prev_commit^{commit}" 2>/dev/null; then
	echo "SKIP [$SUITE]: commit $prev_commit (lethe $prev_version) is not in this checkout (shallow clone? git fetch --unshallow)"
	exit 77
fi

# ---- the previous release's lethe ------------------------------------------------------------

cache=$LETHE_BUILD/upgrade-previous/$prev_version-${prev_commit:0:12}
OLD=$cache/build/lethe
if [ ! -e "$cache/built" ] || [ ! -x "$OLD" ]; then
	note "building lethe $prev_version from $prev_commit in $cache"
	rm -rf "$cache"
	mkdir -p "$cache/src"
	git -C "$src" archive "$prev_commit" | tar -x -C "$cache/src"
	# Its own defaults (a release build, no tests): only the command is needed.
	if ! (cmake -S "$cache/src" -B "$cache/build" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$cache/build" --target lethe_cli -j2) >"$cache/build.log" 2>&1; then
		tail -n 30 "$cache/build.log" >&2
		fail "building lethe $prev_version failed (log above)"
	fi
	touch "$cache/built"
fi
assert_eq "$("$OLD" --version)" "lethe $prev_version" "the previous release's lethe --version"
[ "$("$LETHE" --version)" != "lethe $prev_version" ] || fail "this build is still lethe $prev_version: move tests/upgrade/PREVIOUS"
old() {
	"$OLD" "$@"
}
schema() {
	sqlite3 -readonly "$STORE/meta.db" 'PRAGMA user_version'
}

# ---- a store made by the previous release -------------------------------------------------------

STORE=$T/store
PASS=$T/alice.pass
export LETHE_STORE=$STORE
cat >"$T/template.conf" <<'EOF'
[keys]
officer_kdf_memory = 32KiB
officer_kdf_time = 4
[retention]
default = 365d
[group:scratch]
retention = 1s
EOF
printf 'upgrade test officer passphrase\n' >"$PASS"
ok old --config "$T/template.conf" init --keyfile "$T/service.key" --officer alice --passphrase-file "$PASS"
rand_file "$T/large.bin" 300000 # several 64 KiB segments and a partial one
: >"$T/empty.bin"
rand_file "$T/held.bin" 5000
rand_file "$T/gone.bin" 3000
rand_file "$T/rotated.bin" 70000
ok old put --group uploads --name large.bin "$T/large.bin"
large=$(cat "$OUT")
ok old put --group uploads --name empty.bin "$T/empty.bin"
empty=$(cat "$OUT")
ok old put --group scratch --name held.bin "$T/held.bin"
held=$(cat "$OUT")
ok old put --group scratch --name gone.bin "$T/gone.bin"
gone=$(cat "$OUT")
ok old key rotate --passphrase-file "$PASS"
ok old put --group uploads --name rotated.bin "$T/rotated.bin"
rotated=$(cat "$OUT")
ok old hold set "$held" --reason "case 2026-6" # replaced by the next: one hold in 0.1.x
ok old hold set "$held" --reason "case 2026-7"
ok old hold set --group legal --reason "case 2026-8"
sleep 1.1 # the scratch group's objects expire after a second
ok old --json sweep
assert_eq "$(json 'j["shredded"]' <"$OUT")" 1 "objects the previous release's sweep shredded"
for cmd in "audit verify" "evidence verify" "doctor"; do
	# shellcheck disable=SC2086 # the command's words
	ok old $cmd
done
old_schema=$(schema)
note "lethe $prev_version made a store at schema $old_schema"

# ---- opened by this build ------------------------------------------------------------------------

new_schema=$(sed -n 's/^#define LT_DB_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$src/store/db.h")
[ -n "$new_schema" ] || fail "no LT_DB_SCHEMA_VERSION in store/db.h"
ok lethe get "$large" -o "$T/large.out"
assert_same "$T/large.out" "$T/large.bin"
assert_eq "$(schema)" "$new_schema" "meta.db schema after the first open by $("$LETHE" --version)"
for pair in "$empty:empty" "$held:held" "$rotated:rotated"; do
	ok lethe get "${pair%%:*}" -o "$T/${pair#*:}.out"
	assert_same "$T/${pair#*:}.out" "$T/${pair#*:}.bin"
done
ok lethe get "$large" --offset 65530 --length 20
cmp -s "$OUT" <(tail -c +65531 "$T/large.bin" | head -c 20) || fail "byte range of $large differs"
expect_exit 3 lethe get "$gone"
ok lethe --json stat "$held"
assert_eq "$(json 'bool(j["hold"])' <"$OUT")" true "the hold set by lethe $prev_version"
# its holds moved into the holds table, with who set them
ok lethe --json hold list "$held"
assert_eq "$(json '[h["ref"] for h in j]' <"$OUT")" "['case 2026-7']" "holds of the held object"
assert_eq "$(json 'all("(" in h["set_by"] for h in j)' <"$OUT")" true "who set the moved hold"
ok lethe --json hold list --group legal
assert_eq "$(json '[h["ref"] for h in j]' <"$OUT")" "['case 2026-8']" "the moved group hold"
ok lethe --json ls
assert_eq "$(json 'sorted(o["id"] for o in j)' <"$OUT")" \
	"$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "$large" "$empty" "$held" "$rotated")" "live objects"
# the names lethe $prev_version kept in clear were encrypted at the first open, in one
# recorded step; ls still shows them, and the shredded object's is gone
assert_eq "$(json '" ".join(sorted(o["name"] for o in j))' <"$OUT")" \
	"empty.bin held.bin large.bin rotated.bin" "names of the live objects after the upgrade"
assert_eq "$(sqlite3 -readonly "$STORE/meta.db" "SELECT count(*) FROM objects WHERE name != ''
	OR name_commit IS NULL OR (state = 0) != (name_enc IS NOT NULL)")" 0 \
	"rows with a clear name, no commitment, or a live one without its encrypted name"
for f in "$STORE"/meta.db*; do
	if grep -a -q -e 'gone\.bin' -e 'large\.bin' "$f"; then fail "$f still holds a clear name"; fi
done
ok lethe audit export
assert_contains "$OUT" '"action":"store.names"'
ok lethe --json ls --prefix large
assert_eq "$(json '[o["id"] for o in j]' <"$OUT")" "['$large']" "ls --prefix after the upgrade"
# the certificate of lethe $prev_version states the unsalted hash: nothing to open
expect_exit 2 lethe evidence prove-name "$gone"
assert_contains "$ERR" "version 1"
for cmd in "audit verify" "evidence verify" "doctor"; do
	# shellcheck disable=SC2086 # the command's words
	ok lethe $cmd
done

# ---- and keeps working: the audit chain and the certificate chain continue --------------------

rand_file "$T/new.bin" 10000
# 0.2.0 refuses a put into a group lethe.conf has no section for (NEWS.md, "Upgrading")
expect_exit 2 lethe put --group uploads --name new.bin "$T/new.bin"
printf '[group:uploads]\n' >>"$STORE/lethe.conf"
ok lethe put --group uploads --name new.bin "$T/new.bin"
new=$(cat "$OUT")
[ ! -e "$STORE/officers.luks" ] || fail "officers.luks before any officer opened the store"
ok lethe hold clear "$held" --reason "case closed" --passphrase-file "$PASS"
ok lethe hold clear --group legal --ref "case 2026-8" --passphrase-file "$PASS"
# the first officer open moved the officer authority out of keystore.luks
[ -f "$STORE/officers.luks" ] || fail "no officers.luks after the first officer open"
keyslots=$(cryptsetup luksDump "$STORE/keystore.luks" | grep -cE '^  [0-9]+: luks2')
assert_eq "$keyslots" 1 "keyslots left in keystore.luks after the migration"
ok lethe audit export
assert_contains "$OUT" '"action":"officer.migrate"'
ok lethe --json officer list
assert_eq "$(json 'sorted(o["name"] for o in j)' <"$OUT")" "['alice', 'service']" "officers after the migration"
ok lethe --json sweep
assert_eq "$(json 'j["shredded"]' <"$OUT")" 1 "objects this build's sweep shredded (the hold cleared)"
expect_exit 3 lethe get "$held"
ok lethe key rotate --passphrase-file "$PASS"
ok lethe key rewrap --passphrase-file "$PASS"
for id in "$large" "$empty" "$rotated" "$new"; do
	ok lethe get "$id" -o "$T/check.out"
done
assert_same "$T/check.out" "$T/new.bin"
for cmd in "audit verify" "evidence verify" "doctor"; do
	# shellcheck disable=SC2086 # the command's words
	ok lethe $cmd
done
ok lethe --json evidence list
assert_eq "$(json 'len(j)' <"$OUT")" 2 "certificates (one from each release)"
# an export holds both versions; the auditor's script and lethe verify it
ok lethe evidence export "$T/ev"
sed -n '/^#---- begin/,/^#---- end/p' "$T/ev/README.txt" >"$T/verify.sh"
(cd "$T/ev" && sh "$T/verify.sh") >"$OUT" 2>"$ERR" || fail "verify.sh on an export of versions 1 and 2"
ok lethe evidence verify "$T/ev"
assert_eq "$(cut -d, -f2 "$T/ev/certificates.jsonl" | tr '\n' ' ')" '"version":1 "version":2 ' \
	"certificate versions in the chain"
ok lethe evidence prove-name "$held" held.bin
assert_contains "$OUT" "name         matches"
# officer actions are signed from the migration on; what came before is exempt, and said so
ok lethe audit verify
assert_contains "$OUT" "predate the officer authority"
ok lethe audit export
python3 - "$OUT" <<'PY' || fail "officer records after the migration are not all signed"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
m = [r["seq"] for r in recs if r["action"] == "officer.migrate"][0]
for r in recs:
    if r["seq"] >= m and r["keyslot"] not in ("", "service"):
        assert r["auth_sig"], r
    if r["seq"] < m:
        assert r["auth_sig"] is None, r
PY

# An older lethe refuses a store whose schema a newer one moved on, rather than misread it.
if [ "$new_schema" -gt "$old_schema" ]; then
	expect_exit 4 old ls
	assert_contains "$ERR" "newer lethe"
else
	note "schema unchanged ($old_schema): no migration to check"
fi

note "a store made by lethe $prev_version opens, migrates and verifies under $("$LETHE" --version)"
