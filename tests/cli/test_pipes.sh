#!/usr/bin/env bash
# test_pipes.sh - output into a pipe whose reader leaves early, and --quiet:
#   - `lethe ls | head -1`, `lethe audit export | head -1`, `lethe get ID | head -c 1`: nothing
#     on stderr, and the end git and sqlite3 have: SIGPIPE (status 141), with the store closed
#     properly (audit verify and doctor stay clean);
#   - a put whose id cannot be printed still names the id on stderr (exit 1);
#   - `-q`/`--quiet`, before or after the command: doctor prints nothing on a healthy store.
. "$(dirname "$0")/lib.sh"

fresh_store s
# enough rows that the listing and the export outgrow a pipe buffer
for i in $(seq 1 30); do
	printf 'object %s\n' "$i" | lethe put --name "file-$i-$(head -c 1000 /dev/zero | tr '\0' x)" - \
		>"$OUT" 2>"$ERR" || fail "put $i"
done
ID=$(cat "$OUT")
rand_file "$T/big" 3000000
ok lethe put "$T/big"
BIG=$(cat "$OUT")

# piped CMD...: run CMD into a pipe of one page (F_SETPIPE_SZ) whose reader takes one byte and
# leaves, so that every output longer than a page meets a reader that has gone, whatever the
# timing. Sets RC (128 + the signal when one ended CMD, as a shell says) and leaves stderr in $ERR.
piped() {
	RC=$(python3 - "$ERR" "$@" <<'PY'
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
with open(sys.argv[1], "wb") as err:
    p = subprocess.Popen(sys.argv[2:], stdout=w, stderr=err, stdin=subprocess.DEVNULL)
os.close(w)
os.read(r, 1)
os.close(r)
rc = p.wait(timeout=120)
print(128 - rc if rc < 0 else rc)
PY
	)
}

for args in "ls" "--json ls" "audit export" "get $BIG"; do
	note "lethe $args | head"
	# shellcheck disable=SC2086 # word splitting of $args is wanted
	piped "$LETHE" $args
	[ ! -s "$ERR" ] || fail "lethe $args | head printed on stderr: $(cat "$ERR")"
	assert_eq "$RC" 141 "exit status of lethe $args | head (SIGPIPE, as git)"
done
ok lethe audit verify
ok lethe doctor

note "a put into a closed pipe still names the id"
{
	got=0
	"$LETHE" put "$T/big" 2>"$ERR" || got=$?
	echo "$got" >"$T/rc"
} | true
assert_eq "$(cat "$T/rc")" 1 "exit status of put | true"
assert_contains "$ERR" "stored as "

note "-q and --quiet"
for q in "-q doctor" "--quiet doctor" "doctor -q" "doctor --quiet"; do
	# shellcheck disable=SC2086
	ok lethe $q
	[ ! -s "$OUT" ] || fail "lethe $q printed: $(cat "$OUT")"
	[ ! -s "$ERR" ] || fail "lethe $q printed on stderr: $(cat "$ERR")"
done
ok lethe doctor
assert_contains "$OUT" "no problems found"
# -q is no stand-in for a real problem: doctor still says what is wrong
f=$(object_file "$ID")
mv "$f" "$T/moved"
expect_exit 1 lethe -q doctor
assert_contains "$OUT" "1 problem remains"
mv "$T/moved" "$f"

note "ok"
