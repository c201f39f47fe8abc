#!/usr/bin/env bash
# test_scrub.sh - `lethe scrub`: a clean store passes (exit 0); a flipped bit in the header, the
# first segment, a middle segment, the final segment's tag or the last byte, a truncation, an
# appended byte, a missing file, another object's file and a changed hash in meta.db are each
# found (exit 4, the object named) where doctor sees nothing; --max-bytes stops and --resume
# goes on, also after a run was killed; the rate limit holds; progress on a terminal; audit.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store scrub "[store]
segment_size = 4KiB"

declare -A want
n=0
put_obj() { # put_obj SIZE: a new object; its id in $ID
	local f=$T/plain.$((n += 1))
	rand_file "$f" "$1"
	ID=$(lethe put "$f") || fail "put failed"
	want[$ID]=$f
}
for size in 0 1 4095 4096 9000; do put_obj "$size"; done
# five segments of 4 KiB: header, 0, 1, 2, 3, final segment 4 of 100 bytes
put_obj $((4 * 4096 + 100))
victim=$ID
vfile=$(object_file "$victim")
vsize=$(stat -c %s "$vfile")
assert_eq "$vsize" $((104 + 4 * (4096 + 16) + 100 + 16)) "victim file size"
cp -p "$vfile" "$T/victim.good"
other=$(lethe ls --json | json '[o["id"] for o in j if o["size"] == 9000][0]')
total=${#want[@]}

note "a clean store passes"
ok lethe scrub
assert_contains "$OUT" "scrubbed $total objects"
assert_contains "$OUT" ", 0 bad"
ok lethe --json scrub
assert_eq "$(json 'j["objects"]' <"$OUT")" "$total" "objects scrubbed"
assert_eq "$(json 'j["bad"]' <"$OUT")" "0" "bad objects"
assert_eq "$(json 'j["complete"]' <"$OUT")" "true" "complete"
assert_eq "$(json 'j["resumed_after"]' <"$OUT")" "null" "resumed_after"
assert_eq "$(json 'j["failures"]' <"$OUT")" "[]" "failures"
sum=0
for id in "${!want[@]}"; do sum=$((sum + $(stat -c %s "$(object_file "$id")"))); done
assert_eq "$(json 'j["bytes"]' <"$OUT")" "$sum" "bytes read: every byte of every file"

# expect_bad WHAT DETAIL: the scrub finds the victim alone, says why, exits 4; doctor, which
# does not read the files, reports nothing.
expect_bad() {
	expect_exit 4 lethe scrub
	assert_one_line "$ERR"
	assert_contains "$ERR" "lethe: scrub $victim: $2"
	assert_contains "$OUT" "scrubbed $total objects"
	assert_contains "$OUT" ", 1 bad"
	expect_exit 4 lethe --json scrub
	assert_eq "$(json '[f["id"] for f in j["failures"]]' <"$OUT")" "['$victim']" "$1: failures"
	assert_eq "$(json 'j["bad"]' <"$OUT")" "1" "$1: bad count"
}
restore() { cp -p "$T/victim.good" "$vfile"; }

ok lethe doctor
seg() { echo $((104 + $1 * (4096 + 16))); }
for case in "header (object id):10:header failed authentication" \
	"header (salt):40:key commitment mismatch" \
	"header tag:95:header failed authentication" \
	"first segment:$(($(seg 0) + 5)):segment 0 failed authentication" \
	"a middle segment:$(($(seg 2) + 2000)):segment 2 failed authentication" \
	"the final segment's tag:$((vsize - 8)):final segment 4 failed authentication" \
	"the last byte:$((vsize - 1)):final segment 4 failed authentication"; do
	IFS=: read -r what offset detail <<<"$case"
	note "a flipped bit in $what (byte $offset)"
	flip_byte "$vfile" "$offset"
	ok lethe doctor # the byte goes unnoticed until the file is read
	expect_bad "$what" "$detail"
	restore
done

note "truncated by one byte, cut at a segment boundary, one byte appended"
truncate -s $((vsize - 1)) "$vfile"
expect_bad "truncated" "final segment 4 failed authentication"
restore
truncate -s "$(seg 3)" "$vfile"
expect_bad "cut at a boundary" "file truncated after segment 2"
restore
printf 'x' >>"$vfile"
expect_bad "extended" "final segment 4 failed authentication"
restore

note "a missing file, another object's file, a hash changed in meta.db"
mv "$vfile" "$T/moved"
expect_bad "missing" "object file missing"
mv "$T/moved" "$vfile"
cp "$(object_file "$other")" "$vfile"
expect_bad "replaced" "key commitment mismatch (wrong key or object id): the header names another object id"
restore
sqlite3 "$STORE/meta.db" "UPDATE objects SET sha256 = zeroblob(32) WHERE id = '$victim'"
# the row's MAC no longer holds: the edit is caught before the file is read
expect_bad "hash" "$STORE/meta.db: objects row $victim fails its MAC: it was modified outside lethe"
sqlite3 "$STORE/meta.db" "UPDATE objects SET sha256 = X'$(sha256sum "$vfile" | cut -c1-64)' \
	WHERE id = '$victim'"
ok lethe scrub

note "each bad object and each run is in the audit log, and the chain holds"
ok lethe audit export
[ "$(grep -c "\"action\":\"scrub\",\"object\":\"$victim\"" "$OUT")" -ge 13 ] ||
	fail "bad objects not audited"
assert_contains "$OUT" "\"action\":\"scrub\",\"object\":\"\",\"group\":\"\",\"outcome\":\"ok\""
assert_contains "$OUT" "\"error\":\"$total object(s), $sum bytes read, 0 bad\""
ok lethe audit verify

note "--max-bytes stops, --resume goes on where it stopped, then starts over"
ok lethe --json scrub --max-bytes 1
assert_eq "$(json 'j["objects"]' <"$OUT")" "1" "objects before the limit"
assert_eq "$(json 'j["complete"]' <"$OUT")" "false" "complete after --max-bytes"
first=$(sqlite3 -readonly "$STORE/meta.db" "SELECT id FROM objects WHERE state = 0 ORDER BY id LIMIT 1")
assert_eq "$(sqlite3 -readonly "$STORE/meta.db" \
	"SELECT CAST(value AS TEXT) FROM meta WHERE key = 'scrub_position'")" "$first" "saved position"
ok lethe scrub --max-bytes 1
assert_contains "$OUT" "stopped at --max-bytes"
ok lethe --json scrub --resume
assert_eq "$(json 'j["resumed_after"]' <"$OUT")" "$first" "resumed after"
assert_eq "$(json 'j["objects"]' <"$OUT")" "$((total - 1))" "objects after the resume"
assert_eq "$(json 'j["complete"]' <"$OUT")" "true" "complete after the resume"
ok lethe --json scrub --resume # nothing unfinished: from the start
assert_eq "$(json 'j["resumed_after"]' <"$OUT")" "null" "resume after a complete run"
assert_eq "$(json 'j["objects"]' <"$OUT")" "$total" "objects of a new run"
ok lethe scrub --max-bytes $((sum - 1)) # stops at the last object: nothing left, complete
assert_not_contains "$OUT" "stopped at --max-bytes"

note "a scrub killed midway resumes after the last position it saved"
for _ in 1 2 3 4 5 6 7 8 9 10; do put_obj 65536; done
total=${#want[@]}
"$LETHE" scrub --limit-rate 128KiB >"$T/killed.out" 2>&1 &
pid=$!
position() {
	sqlite3 -readonly "$STORE/meta.db" \
		"SELECT CAST(value AS TEXT) FROM meta WHERE key = 'scrub_position'" 2>/dev/null
}
has_position() { [ -n "$(position)" ]; }
wait_until 30 has_position
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null && fail "the scrub was not interrupted"
pos=$(position)
done_before=$(sqlite3 -readonly "$STORE/meta.db" \
	"SELECT count(*) FROM objects WHERE state = 0 AND id <= '$pos'")
[ "$done_before" -ge 1 ] && [ "$done_before" -lt "$total" ] ||
	fail "killed after $done_before of $total objects"
ok lethe --json scrub --resume
assert_eq "$(json 'j["resumed_after"]' <"$OUT")" "$pos" "resumed after the kill"
assert_eq "$(json 'j["objects"]' <"$OUT")" "$((total - done_before))" "objects after the kill"
assert_eq "$(json 'j["bad"]' <"$OUT")" "0" "bad after the kill"

note "--limit-rate holds the reads to the rate"
bytes=$(lethe --json scrub | json 'j["bytes"]')
start=$(date +%s%N)
ok lethe scrub --limit-rate 2MiB
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
min_ms=$((bytes * 1000 / (2 * 1048576)))
[ "$elapsed_ms" -ge $((min_ms - 50)) ] ||
	fail "read $bytes bytes in $elapsed_ms ms at 2 MiB/s (at least $min_ms ms)"

note "usage errors"
expect_exit 2 lethe scrub --limit-rate fast
assert_contains "$ERR" "--limit-rate fast"
expect_exit 2 lethe scrub --max-bytes 0
expect_exit 2 lethe scrub extra

note "progress on a terminal"
script -qec "'$LETHE' --store '$STORE' scrub --limit-rate 8MiB" /dev/null >"$T/tty" ||
	fail "scrub on a terminal failed"
grep_q -a 'scrub \[' "$T/tty" || fail "no progress line on the terminal: $(head -c 300 "$T/tty")"
ok lethe scrub
assert_not_contains "$ERR" "scrub ["

note "ok: $total objects; every damage found and named, doctor saw none; resume works"
