#!/usr/bin/env bash
# test_tamper.sh - a modified object file (bit flip, truncation, extension, another object's
# file copied over it) is refused with exit 4, one error line, and no output file; unknown ids
# exit 3, malformed ids exit 2.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store tamper
SEG=65536
size=$((3 * SEG + 100))
rand_file "$T/a" "$size"
rand_file "$T/b" "$size"
a=$(lethe put "$T/a")
b=$(lethe put "$T/b")
fa=$(object_file "$a")
fb=$(object_file "$b")
cp -p "$fa" "$T/a.orig"
fsize=$(stat -c %s "$fa")

restore() {
	chmod u+w "$fa" 2>/dev/null || true
	cp "$T/a.orig" "$fa"
	ok lethe get "$a" -o "$T/check"
	assert_same "$T/a" "$T/check"
}

# refused WHAT: every way of reading the tampered object fails the same way.
refused() {
	local what=$1
	note "$what"
	expect_exit 4 lethe get "$a"
	assert_one_line "$ERR"
	assert_contains "$ERR" "lethe: get $a: "
	rm -f "$T/got"
	expect_exit 4 lethe get "$a" -o "$T/got"
	assert_file_absent "$T/got"
	echo "keep me" >"$T/keep"
	expect_exit 4 lethe get "$a" -o "$T/keep"
	assert_eq "$(cat "$T/keep")" "keep me" "-o target after a failed get"
	[ -z "$(find "$T" -maxdepth 1 -name '.*lethe-*')" ] || fail "temporary file left behind"
	restore
}

chmod u+w "$fa"
flip_byte "$fa" 0
refused "bit flip in the header's magic"

flip_byte "$fa" 40
refused "bit flip inside the header"

flip_byte "$fa" $((fsize / 2))
refused "bit flip in a middle segment"

flip_byte "$fa" $((fsize - 1))
refused "bit flip in the final segment's tag"

truncate -s $((fsize - 1)) "$fa"
refused "truncated by one byte"

# Drop the whole final segment (100 bytes of plaintext + a 16-byte tag): what is left ends
# on a segment boundary, with a regular segment where the final one should be.
truncate -s $((fsize - 116)) "$fa"
refused "truncated at a segment boundary"

truncate -s $((fsize / 3)) "$fa"
refused "truncated to a third"

printf 'x' >>"$fa"
refused "extended by one byte"

head -c $((SEG + 16)) /dev/urandom >>"$fa"
refused "extended by a whole segment"

cp "$fb" "$fa"
refused "another object's file copied over it"

# Both files swapped: each is refused as the other's.
chmod u+w "$fb"
cp "$fb" "$T/b.orig"
cp "$T/b.orig" "$fa"
cp "$T/a.orig" "$fb"
expect_exit 4 lethe get "$b"
assert_one_line "$ERR"
cp "$T/b.orig" "$fb"
refused "two objects' files swapped"

note "the object file removed"
mv "$fa" "$T/moved"
expect_exit 4 lethe get "$a" -o "$T/got"
assert_file_absent "$T/got"
mv "$T/moved" "$fa"
restore

note "ids"
expect_exit 3 lethe get 0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d
assert_one_line "$ERR"
assert_contains "$ERR" "0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d"
expect_exit 3 lethe stat 0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d
expect_exit 3 lethe get 0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d -o "$T/got"
assert_file_absent "$T/got"
for bad in not-an-id "" "$a-" "${a:0:35}" "../../etc/passwd" "$(printf 'x\033[2Jy')"; do
	expect_exit 2 lethe get "$bad"
	assert_one_line "$ERR"
	expect_exit 2 lethe stat "$bad"
done
# Control characters in an operand never reach the terminal raw.
expect_exit 2 lethe get "$(printf 'x\033[2Jy')"
if grep -q $'\033' "$ERR"; then fail "an escape character was echoed to stderr"; fi

note "a shredded object"
ok lethe rm "$b" --reason "tamper test" --force --passphrase-file "$PASS"
expect_exit 3 lethe get "$b"
assert_one_line "$ERR"
ok lethe --json stat "$b"
assert_eq "$(json 'j["state"]' <"$OUT")" "shredded" "state after rm"
expect_exit 3 lethe rm "$b" --reason again --force --passphrase-file "$PASS"

ok lethe doctor
note "ok"
