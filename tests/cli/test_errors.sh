#!/usr/bin/env bash
# test_errors.sh - bad arguments exit 2 with a usage; a wrong keyfile or loose permissions on
# the keyfile, keystore or database exit 6 naming the file; init refuses a non-empty
# directory; a bad config line exits 2 naming FILE:LINE. Every error is one line.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

note "help and version"
ok "$LETHE" --help
assert_contains "$OUT" "usage: lethe"
assert_contains "$OUT" "sweep"
ok "$LETHE" --version
grep -Eq '^lethe [0-9]+\.[0-9]+\.[0-9]+$' "$OUT" || fail "--version printed: $(cat "$OUT")"
ok "$LETHE" help get
assert_contains "$OUT" "usage: lethe get ID"
ok "$LETHE" put --help
assert_contains "$OUT" "usage: lethe put"
ok "$LETHE" key --help
assert_contains "$OUT" "lethe key retire"

note "usage errors exit 2 and print the usage"
expect_exit 2 "$LETHE"
assert_contains "$ERR" "usage:"
expect_exit 2 "$LETHE" frobnicate
assert_contains "$ERR" "unknown command 'frobnicate'"
expect_exit 2 "$LETHE" --frob ls
expect_exit 2 "$LETHE" --store
# No store anywhere.
expect_exit 2 "$LETHE" ls
assert_contains "$ERR" "LETHE_STORE"

fresh_store errs
rand_file "$T/f" 1000
id=$(lethe put "$T/f")

for args in "get" "get $id extra" "get $id --frob" "get $id --offset" "get $id --offset -1" \
	"get $id --offset abc" "get $id --offset 1x" "get $id --length +5" \
	"get $id --offset 99999999999999999999999" "get $id --length 18446744073709551616" \
	"get $id -o" "stat" "stat $id $id" "ls extra" "ls --group" "rm $id" "rm $id --reason" \
	"rm" "hold" "hold frob $id" "hold set $id" "hold set" "hold set $id --group g --reason r" \
	"retention extend $id" "retention extend $id --by 1d --until 2030-01-01" \
	"retention extend $id --by soon" "retention extend $id --by -1d" \
	"retention extend $id --until tomorrow" "retention" "retention shorten $id" \
	"sweep now" "key" "key frob" "key retire" "key retire x" "key retire 0" "key retire -1" \
	"key retire 4294967296" "key list extra" "officer" "officer add" "officer remove" \
	"evidence" "evidence export" "evidence list extra" "audit" "audit export --since yesterday" \
	"audit export --since -5" "audit frob" "doctor --frob" "doctor extra" "put a b" \
	"init extra"; do
	# shellcheck disable=SC2086
	expect_exit 2 lethe $args
	assert_contains "$ERR" "usage: lethe"
	head -n 1 "$ERR" | grep_q '^lethe: ' || fail "first error line of '$args': $(head -n 1 "$ERR")"
done
# A numeric argument that is fine is not an error.
ok lethe get "$id" --offset 0 --length 0
[ ! -s "$OUT" ] || fail "--length 0 wrote bytes"

note "input file errors"
expect_exit 1 lethe put "$T/does-not-exist"
assert_one_line "$ERR"
assert_contains "$ERR" "$T/does-not-exist"
expect_exit 1 lethe put "$T"
assert_one_line "$ERR"

note "wrong keyfile: exit 6"
cp -p "$KEYFILE" "$T/key.orig"
head -c 32 /dev/urandom >"$KEYFILE"
expect_exit 6 lethe ls
assert_one_line "$ERR"
cp -p "$T/key.orig" "$KEYFILE"
ok lethe ls

note "loose permissions: exit 6 naming the file"
for f in "$KEYFILE" "$STORE/keystore.luks" "$STORE/meta.db"; do
	chmod 644 "$f"
	expect_exit 6 lethe get "$id"
	assert_one_line "$ERR"
	assert_contains "$ERR" "$f"
	chmod 600 "$f"
	ok lethe get "$id"
done
chmod 640 "$KEYFILE"
expect_exit 6 lethe ls
assert_contains "$ERR" "$KEYFILE"
chmod 600 "$KEYFILE"

note "a missing keyfile or keystore"
mv "$KEYFILE" "$T/key.moved"
expect_exit 6 lethe ls
assert_one_line "$ERR"
mv "$T/key.moved" "$KEYFILE"
mv "$STORE/keystore.luks" "$T/ks.moved"
expect_exit 6 lethe ls
assert_one_line "$ERR"
mv "$T/ks.moved" "$STORE/keystore.luks"
ok lethe ls

note "officer commands with no passphrase and no terminal: exit 6, no waiting"
expect_exit 6 timeout 20 "$LETHE" key rotate
assert_one_line "$ERR"
assert_contains "$ERR" "passphrase"
expect_exit 6 timeout 20 "$LETHE" rm "$id" --reason r --force
printf 'not the passphrase\n' >"$T/wrong.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/wrong.pass"
assert_one_line "$ERR"
expect_exit 1 lethe key rotate --passphrase-file "$T/no-such-file"
assert_contains "$ERR" "$T/no-such-file"
: >"$T/empty.pass"
expect_exit 2 lethe key rotate --passphrase-file "$T/empty.pass"

note "init refuses a non-empty directory, and an existing store"
mkdir "$T/nonempty"
echo x >"$T/nonempty/file"
printf 'a long enough passphrase\n' >"$T/pw"
expect_exit 2 "$LETHE" --store "$T/nonempty" init --keyfile "$T/ne.key" --officer bob \
	--passphrase-file "$T/pw"
assert_one_line "$ERR"
assert_contains "$ERR" "$T/nonempty"
[ "$(ls "$T/nonempty")" = "file" ] || fail "init touched a non-empty directory"
expect_exit 2 "$LETHE" --store "$STORE" init --keyfile "$T/again.key" --officer bob \
	--passphrase-file "$T/pw"
expect_exit 2 "$LETHE" --store "$T/s2" init --passphrase-file "$T/pw"
assert_contains "$ERR" "--officer"
expect_exit 2 "$LETHE" --store "$T/s3" init --keyfile "$T/s3/inside.key" --officer bob \
	--passphrase-file "$T/pw"
expect_exit 2 "$LETHE" --store "$T/s4" init --officer 'bad name!' --passphrase-file "$T/pw"
assert_one_line "$ERR"

note "a bad line in lethe.conf: exit 2 naming FILE:LINE"
conf=$STORE/lethe.conf
cp -p "$conf" "$T/conf.orig"
echo "bogus_setting = 1" >>"$conf"
line=$(wc -l <"$conf")
expect_exit 2 lethe ls
assert_one_line "$ERR"
assert_contains "$ERR" "$conf:$line"
cp -p "$T/conf.orig" "$conf"
printf '[group:archive]\nretention = forever\n' >>"$conf"
line=$(wc -l <"$conf")
expect_exit 2 lethe ls
assert_contains "$ERR" "$conf:$line"
cp -p "$T/conf.orig" "$conf"
printf '[nosuchsection]\n' >>"$conf"
expect_exit 2 lethe ls
assert_contains "$ERR" "$conf:"
cp -p "$T/conf.orig" "$conf"
# a group name retention does not accept is refused at open, naming its section's line
printf '[group:ok]\nlock = false\n[group:a b]\nretention = 1d\n' >>"$conf"
line=$(($(wc -l <"$conf") - 1))
expect_exit 2 lethe ls
assert_one_line "$ERR"
assert_contains "$ERR" "$conf:$line: [group:a b]: a group name is"
cp -p "$T/conf.orig" "$conf"
ok lethe ls

note "--config replaces DIR/lethe.conf"
cp "$conf" "$T/other.conf"
echo "what is this" >>"$T/other.conf"
line=$(wc -l <"$T/other.conf")
expect_exit 2 lethe --config "$T/other.conf" ls
assert_contains "$ERR" "$T/other.conf:$line"
expect_exit 2 lethe --config "$T/no-such.conf" ls
assert_contains "$ERR" "$T/no-such.conf"
echo "[group:bad name]" >"$T/bad-template.conf"
expect_exit 2 "$LETHE" --store "$T/s5" --config "$T/bad-template.conf" init \
	--keyfile "$T/s5.key" --officer bob --passphrase-file "$T/pw"
assert_contains "$ERR" "$T/bad-template.conf:1"

note "a store that does not exist"
expect_exit 2 "$LETHE" --store "$T/nowhere" ls
assert_one_line "$ERR"

ok lethe doctor
note "ok"
