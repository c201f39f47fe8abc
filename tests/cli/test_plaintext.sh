#!/usr/bin/env bash
# test_plaintext.sh - no byte of any plaintext is found anywhere under the store directory:
# not in object files, the database, its WAL or tmp/, after puts from files and pipes, gets,
# range gets, shreds, rotation and rewrap; and doctor finds the store clean.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store pt "[group:short]
retention = 1s"

# A distinctive marker, repeated through every file between runs of random bytes, so that
# plaintext leaking from any part of any file would carry it.
marker=LETHE-PLAINTEXT-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
make_file() { # make_file PATH REPEATS
	python3 -c '
import os, sys
marker = sys.argv[2].encode() + b"\n"
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[3])):
        f.write(marker + os.urandom(97))
' "$1" "$marker" "$2"
}
make_file "$T/small" 1
make_file "$T/medium" 600     # ~80 KiB: two segments
make_file "$T/large" 4000     # ~500 KiB: eight segments
{ printf '%s' "$marker"; } >"$T/exact"

ids=()
for f in small medium large exact; do
	ids+=("$(lethe put --name "doc-$f" "$T/$f")")
done
# shellcheck disable=SC2002 # a pipe, not a seekable file, on purpose
ids+=("$(cat "$T/large" | lethe put --name piped -)")
ids+=("$(lethe put --group short --name expiring "$T/medium")")
for id in "${ids[@]}"; do
	ok lethe get "$id" -o "$T/back"
	ok lethe get "$id" --offset 3 --length 70000
done
assert_same "$T/large" <(lethe get "${ids[4]}")

ok lethe rm "${ids[1]}" --reason "done" --force --passphrase-file "$PASS"
sleep 1.1
ok lethe sweep
ok lethe key rotate --passphrase-file "$PASS"
ok lethe key rewrap --passphrase-file "$PASS"
ok lethe --json stat "${ids[0]}"

note "searching $STORE for the marker"
if grep -r -a -F -l -- "$marker" "$STORE"; then
	fail "plaintext found under the store"
fi
# Nor any 16-byte piece of it (e.g. a marker split across a buffer boundary).
piece=${marker:10:16}
if grep -r -a -F -l -- "$piece" "$STORE"; then
	fail "a piece of the plaintext found under the store"
fi
# The object names are metadata and live in the database; the contents never do.
[ -z "$(find "$STORE/tmp" -type f)" ] || fail "leftovers in tmp/: $(ls -la "$STORE/tmp")"

note "modes"
assert_eq "$(stat -c %a "$STORE/keystore.luks")" "600" "keystore mode"
assert_eq "$(stat -c %a "$STORE/meta.db")" "600" "database mode"
assert_eq "$(stat -c %a "$KEYFILE")" "600" "keyfile mode"
bad=$(find "$STORE" -perm /077 -print)
[ -z "$bad" ] || fail "group or world access under the store: $bad"

note "doctor"
ok lethe doctor
assert_contains "$OUT" "no problems found"
ok lethe --json doctor
assert_eq "$(json 'len(j["problems"])' <"$OUT")" "0" "doctor problems"
ok lethe doctor --repair
note "ok"
