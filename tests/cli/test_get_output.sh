#!/usr/bin/env bash
# test_get_output.sh - `get -o` writes plaintext only into a file it created itself: a FIFO,
# socket, device or symlink planted at the target is refused with exit 2 and gets nothing;
# a regular file or a free name gets a new 0600 file. On a terminal, binary plaintext is
# refused (exit 2) unless -o - asks for it; text is shown.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store go
printf 'secret report\n' >"$T/text"
head -c 3000 /dev/urandom >"$T/binary"
printf 'ab\0cd\n' >>"$T/binary"
text_id=$(lethe put "$T/text")
bin_id=$(lethe put "$T/binary")

note "a FIFO at the target, with a reader waiting, is refused and gets nothing"
mkfifo "$T/fifo"
timeout 60 cat "$T/fifo" >"$T/stolen" 2>/dev/null &
reader=$!
got=0
timeout 30 "$LETHE" get "$text_id" -o "$T/fifo" >"$OUT" 2>"$ERR" || got=$?
# let the reader go (whatever happened): opening the FIFO for writing and closing it gives it
# an end of file
: >"$T/fifo"
wait "$reader" || true
assert_eq 2 "$got"
assert_contains "$ERR" "is a FIFO"
assert_one_line "$ERR"
[ ! -s "$T/stolen" ] || fail "the FIFO's reader got the plaintext"

note "a symlink at the target is refused, not followed"
printf 'root-owned content\n' >"$T/victim"
ln -s "$T/victim" "$T/link"
expect_exit 2 lethe get "$text_id" -o "$T/link"
assert_contains "$ERR" "symbolic link"
assert_eq "root-owned content" "$(cat "$T/victim")"
[ -L "$T/link" ] || fail "the symlink was replaced"

note "a device is refused: stdout is the way to stream"
expect_exit 2 lethe get "$text_id" -o /dev/null
assert_contains "$ERR" "is a device"
ok lethe get "$text_id" >/dev/null

note "a regular file is replaced by a new private file; a free name gets one"
printf 'old\n' >"$T/regular"
chmod 644 "$T/regular"
ok lethe get "$text_id" -o "$T/regular"
assert_same "$T/text" "$T/regular"
assert_eq 600 "$(stat -c %a "$T/regular")"
ok lethe get "$bin_id" -o "$T/new"
assert_same "$T/binary" "$T/new"

note "a terminal gets text, not binary plaintext unless -o - asks for it"
pty() { python3 "$LETHE_TESTS/cli/pty_run.py" -- "$@"; }
got=0
pty "$LETHE" get "$bin_id" >"$T/tty" 2>&1 || got=$?
assert_eq 2 "$got"
assert_contains "$T/tty" "not writing binary plaintext to a terminal"
[ "$(wc -c <"$T/tty")" -lt 400 ] || fail "binary plaintext reached the terminal"
got=0
pty "$LETHE" get "$bin_id" -o - >"$T/tty" 2>&1 || got=$?
assert_eq 0 "$got"
[ "$(wc -c <"$T/tty")" -ge 3000 ] || fail "-o - did not write to the terminal"
got=0
pty "$LETHE" get "$text_id" >"$T/tty" 2>&1 || got=$?
assert_eq 0 "$got"
assert_contains "$T/tty" "secret report"
# a pipe is not a terminal: binary goes through as it is
assert_same "$T/binary" <(lethe get "$bin_id" | cat)

note "ok"
