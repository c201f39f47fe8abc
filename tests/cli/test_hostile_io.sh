#!/usr/bin/env bash
# test_hostile_io.sh - hostile input and output around the data path:
#   - a full disk (RLIMIT_FSIZE: write() fails with EFBIG; lethe ignores SIGXFSZ): put exits 1
#     with one line, and leaves nothing (tmp/ empty, no object, doctor clean);
#   - stdin closed (`put - <&-`): exit 1, and never an object made of another file; a producer
#     killed mid-stream: the object holds exactly the bytes that arrived before end of file;
#   - stdout closed: exit 1, one line; a pipe closed early: silent, ended by SIGPIPE (141) once
#     the store is closed, as git does (test_pipes.sh has the listings);
#   - ids that are not UUIDs: exit 2 (one in upper case is taken: test_forgiving_input.sh);
#     paths with spaces and newlines work;
#   - --offset/--length: offset = size gives no bytes (exit 0), offset > size exits 2 (also
#     2^64-1), a length past the end is cut at the end, values above 2^64-1 are usage errors.
. "$(dirname "$0")/lib.sh"

# nocrash RC CMD: RC must be a plain exit status, not a signal (a crash) and not a timeout.
nocrash() {
	[ "$1" -lt 124 ] || fail "exit $1 (a signal or a hang): ${*:2}"
	if grep -qE 'Sanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report: ${*:2}"
	fi
}

fresh_store io
rand_file "$T/big" 300000
ID=$(lethe put "$T/big")
count() {
	lethe --json ls | json 'len(j)'
}

note "full disk (RLIMIT_FSIZE): put exits 1, nothing half-written"
before=$(count)
got=0
(ulimit -f 64 && exec "$LETHE" put "$T/big") >"$OUT" 2>"$ERR" || got=$?
nocrash "$got" put under ulimit -f
assert_eq "$got" 1 "exit status of a put that hits the file size limit"
assert_one_line "$ERR"
grep -qiE 'file too large|no space' "$ERR" || fail "no 'file too large' in: $(cat "$ERR")"
assert_eq "$(ls -A "$STORE/tmp")" "" "tmp/ after the failed put"
assert_eq "$(count)" "$before" "objects after the failed put"
ok lethe doctor
# the same from a pipe, and a limit hit only by the second segment
got=0
(ulimit -f 100 && head -c 400000 /dev/urandom | "$LETHE" put -) >"$OUT" 2>"$ERR" || got=$?
nocrash "$got" put from a pipe under ulimit -f
assert_eq "$got" 1 "exit status of a put from a pipe that hits the limit"
assert_eq "$(ls -A "$STORE/tmp")" "" "tmp/ after the failed put"
assert_eq "$(count)" "$before" "objects after the failed put"
ok lethe doctor

note "stdin closed, producer killed"
got=0
"$LETHE" put - <&- >"$OUT" 2>"$ERR" || got=$?
nocrash "$got" put with stdin closed
assert_eq "$got" 1 "exit status of put - <&-"
assert_one_line "$ERR"
assert_contains "$ERR" "stdin"
assert_eq "$(count)" "$before" "objects after put - <&-"
# a producer that dies: lethe sees end of file and stores what arrived (the caller must
# check its producer's status; a pipe cannot tell a crash from the end)
sent=$T/sent
(
	{
		head -c 150000 /dev/urandom | tee "$sent"
		kill -9 $BASHPID
	} | {
		got=0
		"$LETHE" put --name half - >"$OUT" 2>"$ERR" || got=$?
		echo "$got" >"$T/rc"
	}
) 2>/dev/null || true
got=$(cat "$T/rc")
nocrash "$got" put from a killed producer
assert_eq "$got" 0 "put from a killed producer"
half=$(cat "$OUT")
ok lethe get "$half" -o "$T/half.out"
assert_same "$T/half.out" "$sent"
before=$(count)

note "stdout closed, pipe closed early"
got=0
"$LETHE" get "$ID" >&- 2>"$ERR" || got=$?
nocrash "$got" get with stdout closed
assert_eq "$got" 1 "exit status of get >&-"
assert_one_line "$ERR"
{
	got=0
	"$LETHE" get "$ID" 2>"$ERR" || got=$?
	echo "$got" >"$T/rc"
} | head -c 10 >/dev/null || true
got=$(cat "$T/rc")
assert_eq "$got" 141 "exit status of get | head -c 10"
[ ! -s "$ERR" ] || fail "get | head -c 10 printed on stderr: $(cat "$ERR")"
got=0
"$LETHE" --json ls >&- 2>"$ERR" || got=$?
nocrash "$got" ls with stdout closed
assert_eq "$got" 1 "exit status of ls >&-"
ok lethe audit verify
ok lethe doctor

note "ids that are not UUIDs: exit 2"
for bad in nope "" ../../etc/passwd "$ID/" "${ID:0:35}" "${ID}0" "$(printf '%s\n' "$ID")x" \
	"$(head -c 36 /dev/zero | tr '\0' 'z')"; do
	for cmd in get stat; do
		expect_exit 2 lethe "$cmd" "$bad"
	done
	expect_exit 2 lethe rm "$bad" --reason x
	expect_exit 2 lethe hold set "$bad" --reason x
done
assert_one_line "$ERR"
expect_exit 3 lethe get 00000000-0000-4000-8000-000000000000

note "paths with spaces and newlines"
weird="$T/dir with space/new
line"
mkdir -p "$weird"
printf 'weird content\n' >"$weird/in put
file"
ok lethe put "$weird/in put
file"
wid=$(cat "$OUT")
before=$((before + 1))
ok lethe get "$wid" -o "$weird/out
 file"
assert_same "$weird/out
 file" "$weird/in put
file"
assert_eq "$(lethe --json stat "$wid" | json 'j["name"]')" "in put
file" "name of the object"
ok lethe ls
# the one-line error rule holds for a file name with a newline
expect_exit 1 lethe put "$weird/missing
file"
assert_one_line "$ERR"

note "--offset and --length at the edges"
size=300000
max=18446744073709551615
ok lethe get "$ID" --offset "$size"
assert_eq "$(wc -c <"$OUT")" 0 "bytes at offset = size"
expect_exit 2 lethe get "$ID" --offset $((size + 1))
assert_one_line "$ERR"
assert_contains "$ERR" "beyond the end"
expect_exit 2 lethe get "$ID" --offset "$max"
assert_contains "$ERR" "beyond the end"
expect_exit 2 lethe get "$ID" --offset "$max" --length "$max"
ok lethe get "$ID" --offset $((size - 10)) --length "$max"
assert_eq "$(wc -c <"$OUT")" 10 "bytes of a length past the end"
cmp -s "$OUT" <(tail -c 10 "$T/big") || fail "the last 10 bytes differ"
ok lethe get "$ID" --offset 65530 --length 20
cmp -s "$OUT" <(tail -c +65531 "$T/big" | head -c 20) || fail "a range across segments differs"
ok lethe get "$ID" --length 0
assert_eq "$(wc -c <"$OUT")" 0 "bytes of --length 0"
for bad in 18446744073709551616 99999999999999999999999 -1 " 5" 5x 0x10 ""; do
	expect_exit 2 lethe get "$ID" --offset "$bad"
	expect_exit 2 lethe get "$ID" --length "$bad"
done
ok lethe get "$half" --offset 150000 -o "$T/empty.out"
assert_eq "$(wc -c <"$T/empty.out")" 0 "bytes of -o at offset = size"
expect_exit 2 lethe get "$half" --offset 150001 -o "$T/never.out"
assert_file_absent "$T/never.out"
assert_eq "$(count)" "$before" "objects at the end"
ok lethe doctor
note "ok"
