#!/usr/bin/env bash
# test_roundtrip.sh - objects of many sizes (around the 64 KiB segment edges) go in through
# files and pipes and come back byte for byte; byte ranges at the edges; get -o; stat and ls.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store rt "[group:sizes]"
SEG=65536
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# slice FILE OFFSET LENGTH: the expected bytes of a range (cut at the end).
slice() {
	python3 -c '
import sys
with open(sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2]))
    sys.stdout.buffer.write(f.read(int(sys.argv[3])))
' "$@"
}

for size in 0 1 $((SEG - 1)) $SEG $((SEG + 1)) $((3 * SEG)) $((5 * 1024 * 1024)); do
	note "size $size"
	rand_file "$T/in" "$size"

	# From a file: the id alone on stdout; the name defaults to the file's basename.
	ok lethe put --group sizes "$T/in"
	id=$(cat "$OUT")
	[[ $id =~ $UUID_RE ]] || fail "put printed '$id', not an id"
	ok lethe get "$id"
	assert_same "$T/in" "$OUT"
	ok lethe --json stat "$id"
	assert_eq "$(json '[j[k] for k in ("size", "id", "name", "group", "state", "hold")]' <"$OUT")" \
		"[$size, '$id', 'in', 'sizes', 'live', False]" "stat"

	# From a pipe with '-', back through get -o (a private file, renamed into place).
	# shellcheck disable=SC2002 # a pipe, not a seekable file, on purpose
	id2=$(cat "$T/in" | lethe put --name piped -)
	[[ $id2 =~ $UUID_RE ]] || fail "put - printed '$id2'"
	[ "$id2" != "$id" ] || fail "two puts gave the same id"
	ok lethe get "$id2" -o "$T/back"
	assert_same "$T/in" "$T/back"
	assert_eq "$(stat -c %a "$T/back")" "600" "mode of get -o output"
	[ ! -s "$OUT" ] || fail "get -o wrote to stdout"

	# From stdin without '-' (not a terminal).
	id3=$(lethe put <"$T/in")
	lethe get "$id3" >"$T/back3"
	assert_same "$T/in" "$T/back3"
done

note "byte ranges at segment edges"
size=$((3 * SEG + 100))
rand_file "$T/r" "$size"
id=$(lethe put "$T/r")
while read -r off len; do
	ok lethe get "$id" --offset "$off" --length "$len"
	slice "$T/r" "$off" "$len" >"$T/want"
	cmp -s "$T/want" "$OUT" || fail "range $off+$len differs"
done <<EOF
0 1
0 $SEG
$((SEG - 1)) 2
$((SEG - 1)) $((SEG + 2))
$SEG $SEG
$((2 * SEG)) 1
$((3 * SEG - 1)) 101
$((size - 1)) 1
$((size - 1)) 1000
0 $size
0 $((size + 12345))
5 0
EOF
# Without --length: to the end; --offset alone; -o with a range.
ok lethe get "$id" --offset $((2 * SEG + 7))
slice "$T/r" $((2 * SEG + 7)) "$size" >"$T/want"
assert_same "$T/want" "$OUT"
ok lethe get "$id" --length 10 -o "$T/range.out"
slice "$T/r" 0 10 >"$T/want"
assert_same "$T/want" "$T/range.out"
# A range starting at the end is empty; past the end is an error.
ok lethe get "$id" --offset "$size"
[ ! -s "$OUT" ] || fail "range at the end is not empty"
expect_exit 2 lethe get "$id" --offset $((size + 1))
assert_one_line "$ERR"

note "get -o replaces an existing file only on success"
echo "old contents" >"$T/existing"
ok lethe get "$id" -o "$T/existing"
assert_same "$T/r" "$T/existing"
# No temporary file is left beside the output.
[ -z "$(find "$T" -maxdepth 1 -name '.*lethe-*')" ] || fail "temporary file left behind"

note "ls and --json ls"
ok lethe ls
assert_contains "$OUT" "$id"
assert_contains "$OUT" "ID"
ok lethe --json ls --group sizes
assert_eq "$(json 'len(j)' <"$OUT")" "7" "objects in group sizes"
assert_eq "$(json 'set(j[0]) >= {"id","group","name","size","created_at","retain_until","hold","state"}' <"$OUT")" "true" "ls fields"
ok lethe --json ls --group nosuchgroup
assert_eq "$(json 'len(j)' <"$OUT")" "0" "empty group"
# Global options are accepted after the command too.
ok lethe ls --json --group sizes
assert_eq "$(json 'len(j)' <"$OUT")" "7" "ls --json after the command"
ok lethe --json put "$T/r"
[[ $(json 'j["id"]' <"$OUT") =~ $UUID_RE ]] || fail "--json put"

note "the store directory also comes from --store"
ok env -u LETHE_STORE "$LETHE" --store "$STORE" get "$id" -o "$T/via-store"
assert_same "$T/r" "$T/via-store"

note "-o refuses a FIFO (tests/cli/test_get_output.sh) and leaves it a FIFO"
mkfifo "$T/fifo"
expect_exit 2 lethe get "$id" -o "$T/fifo"
[ -p "$T/fifo" ] || fail "get -o replaced the FIFO"

ok lethe doctor
note "ok"
