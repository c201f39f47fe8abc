#!/usr/bin/env bash
# test_forgiving_input.sh - input typed as people type it:
#   - an object id in upper case (as some tools print UUIDs) names the same object for get,
#     stat, hold, retention and rm; a mixed-up non-UUID is still refused (exit 2);
#   - --offset and --length take sizes ("1MiB", "64KiB") as well as byte counts;
#   - a passphrase file that is missing names the option it was given for.
. "$(dirname "$0")/lib.sh"

fresh_store s
rand_file "$T/data" 3000000
ok lethe put "$T/data"
ID=$(cat "$OUT")
UP=${ID^^}
[ "$UP" != "$ID" ] || fail "the id has no letter to fold"

note "upper-case ids"
ok lethe get "$UP" -o "$T/back"
assert_same "$T/back" "$T/data"
ok lethe --json stat "$UP"
assert_eq "$(json 'j["id"]' <"$OUT")" "$ID" "stat of the upper-case id"
ok lethe hold set "$UP" --reason "case 1"
ok lethe hold clear "$UP" --passphrase-file "$PASS"
ok lethe retention extend "$UP" --by 1d
ok lethe audit export
assert_not_contains "$OUT" "$UP"
expect_exit 2 lethe get "${UP:0:35}"
expect_exit 2 lethe get "${UP}G"

note "sizes for --offset and --length"
ok lethe get "$ID" --offset 1MiB --length 64KiB -o "$T/range"
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[1048576:1048576 + 65536])' \
	"$T/data" >"$T/want"
assert_same "$T/range" "$T/want"
ok lethe get "$ID" --offset 2MiB
assert_eq "$(wc -c <"$OUT")" $((3000000 - 2097152)) "bytes from --offset 2MiB"
ok lethe get "$ID" --offset 4096 --length 1KiB
assert_eq "$(wc -c <"$OUT")" 1024 "bytes of --length 1KiB"
for bad in 1MB 1.5MiB -1MiB " 1MiB" MiB 1Mi; do
	expect_exit 2 lethe get "$ID" --offset "$bad"
	expect_exit 2 lethe get "$ID" --length "$bad"
done

note "a missing passphrase file names its option"
expect_exit 1 lethe key rotate --passphrase-file "$T/nope"
assert_contains "$ERR" "--passphrase-file $T/nope: No such file or directory"
assert_one_line "$ERR"
expect_exit 1 lethe officer add bob --passphrase-file "$PASS" --new-passphrase-file "$T/bob.nope"
assert_contains "$ERR" "--new-passphrase-file $T/bob.nope: No such file or directory"
assert_one_line "$ERR"
expect_exit 1 lethe officer add bob --passphrase-file "$T/alice.nope" --new-passphrase-file "$PASS"
assert_contains "$ERR" "--passphrase-file $T/alice.nope: No such file or directory"
assert_not_contains "$ERR" "--new-passphrase-file"

note "upper case for rm as well"
ok lethe rm "$UP" --reason "gone" --force --passphrase-file "$PASS"
expect_exit 3 lethe get "$ID"

note "ok"
