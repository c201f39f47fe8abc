#!/usr/bin/env bash
# test_progress.sh - progress of put and get -o on a terminal (tests/cli/on_tty.py gives lethe
# one): a bar with a percentage when the size is known (a file; get), a running byte count
# when it is not (put from a pipe); the line is cleared at the end; never when stderr is not a
# terminal, never with --quiet, never drawn into plaintext that goes to the terminal.
. "$(dirname "$0")/lib.sh"

TTY="python3 $(dirname "$0")/on_tty.py"
fresh_store s
rand_file "$T/data" $((6 * 1024 * 1024))

# on_tty OUTFILE CMD...: CMD with stderr on a terminal and stdout to OUTFILE; what the terminal
# showed, carriage returns as newlines, goes to $ERR.
on_tty() {
	local out=$1
	shift
	$TTY --stdout "$out" "$@" >"$T/tty.raw" || fail "on a terminal: $*"
	tr '\r' '\n' <"$T/tty.raw" >"$ERR"
}

note "put FILE on a terminal: a bar"
on_tty "$OUT" "$LETHE" put "$T/data"
ID=$(cat "$OUT")
assert_contains "$ERR" "put ["
assert_contains "$ERR" "100%  6 MiB / 6 MiB"
# the line is cleared at the end: the last thing on the terminal is blanks
python3 - "$T/tty.raw" <<'PY' || fail "the progress line was not cleared"
import re, sys
sys.exit(0 if re.search(rb"\r +\r$", open(sys.argv[1], "rb").read()) else 1)
PY

note "put from a pipe on a terminal: a byte count"
on_tty "$OUT" sh -c 'cat "$1" | "$2" put -' sh "$T/data" "$LETHE"
PIPED=$(cat "$OUT")
grep_q -E '^put: [0-9.]+ (KiB|MiB)' "$ERR" || fail "no byte count for a put of unknown size"
assert_not_contains "$ERR" "%"
ok lethe get "$PIPED" -o "$T/piped.back"
assert_same "$T/piped.back" "$T/data"

note "get -o on a terminal: a bar"
on_tty "$T/ignored" "$LETHE" get "$ID" -o "$T/back"
assert_same "$T/back" "$T/data"
assert_contains "$ERR" "get ["
assert_contains "$ERR" "100%  6 MiB / 6 MiB"
on_tty "$T/ignored" "$LETHE" get "$ID" --offset 1MiB --length 2MiB -o "$T/range"
assert_contains "$ERR" "100%  2 MiB / 2 MiB"

note "get into a file with stderr on a terminal: a bar on stderr only"
on_tty "$T/stdout.back" "$LETHE" get "$ID"
assert_same "$T/stdout.back" "$T/data"
assert_contains "$ERR" "get ["

note "plaintext on the terminal: no bar drawn into it"
echo "just some text" >"$T/small"
ok lethe put "$T/small"
SMALL=$(cat "$OUT")
$TTY "$LETHE" get "$SMALL" >"$T/tty.raw" || fail "get to the terminal"
assert_not_contains "$T/tty.raw" "get ["

note "--quiet, or stderr not a terminal: nothing"
on_tty "$OUT" "$LETHE" --quiet put "$T/data"
[ ! -s "$ERR" ] || fail "--quiet put drew: $(cat "$ERR")"
on_tty "$T/ignored" "$LETHE" get -q "$ID" -o "$T/back"
[ ! -s "$ERR" ] || fail "get -q drew: $(cat "$ERR")"
ok lethe put "$T/data"
[ ! -s "$ERR" ] || fail "put into a file drew: $(cat "$ERR")"
ok lethe get "$ID" -o "$T/back"
[ ! -s "$ERR" ] || fail "get -o into a file drew: $(cat "$ERR")"
cat "$T/data" | lethe put - >"$OUT" 2>"$ERR" || fail "put from a pipe"
[ ! -s "$ERR" ] || fail "put from a pipe into a file drew: $(cat "$ERR")"

note "ok"
