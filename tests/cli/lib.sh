# lib.sh - shared helpers of the end-to-end suites: each suite sources it, gets a private
# temporary directory (removed on exit) and runs the real `lethe` binary named by $LETHE.
#
#   LETHE            path to the lethe binary (set by CTest)
#   LETHE_FAULT_BIN  the same command with the fault points of common/fault.h compiled in
#                    (build/lethe-fault; set by CTest): LETHE_FAULT=point makes it exit
#                    there (the release lethe ignores the variable)
#   LETHE_TESTS      the tests/ directory      LETHE_BUILD  the build directory
set -euo pipefail

# grep for a match, reading all of its input: `cmd | grep -q` stops reading at the first match,
# and under pipefail the writer's SIGPIPE then fails the pipeline at random.
grep_q() { grep "$@" >/dev/null; }

: "${LETHE:?LETHE must name the lethe binary}"
case $LETHE in /*) ;; *) LETHE=$PWD/$LETHE ;; esac
export LC_ALL=C
unset LETHE_STORE
umask 077
# Nothing may wait for a terminal: officer commands without --passphrase-file must fail.
exec </dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/lethe-cli.XXXXXX")
cleanup() {
	chmod -R u+rwX "$T" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

SUITE=$(basename "$0" .sh)
OUT=$T/out
ERR=$T/err

fail() {
	echo "FAIL [$SUITE]: $*" >&2
	if [ -s "$ERR" ]; then
		echo "--- stderr of the last command:" >&2
		head -c 4000 "$ERR" >&2
	fi
	exit 1
}

note() {
	echo "[$SUITE] $*"
}

# lethe ARGS...: the binary, on the current store ($LETHE_STORE).
lethe() {
	"$LETHE" "$@"
}

# expect_exit CODE CMD...: run CMD (stdout to $OUT, stderr to $ERR) and check its exit status.
expect_exit() {
	local want=$1 got=0
	shift
	"$@" >"$OUT" 2>"$ERR" || got=$?
	if [ "$got" != "$want" ]; then
		fail "expected exit $want, got $got: $*"
	fi
}

# ok CMD...: expect exit 0.
ok() {
	expect_exit 0 "$@"
}

assert_eq() {
	local got=$1 want=$2 what=${3:-value}
	[ "$got" = "$want" ] || fail "$what: expected '$want', got '$got'"
}

# assert_contains FILE TEXT: FILE contains TEXT (fixed string).
assert_contains() {
	grep -qF -- "$2" "$1" || fail "$(basename "$1") does not contain '$2': $(head -c 600 "$1")"
}

assert_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "$(basename "$1") contains '$2'"
	fi
}

# assert_one_line FILE: an error is exactly one line.
assert_one_line() {
	local n
	n=$(wc -l <"$1")
	[ "$n" -eq 1 ] || fail "expected one line in $(basename "$1"), got $n: $(cat "$1")"
}

assert_file_absent() {
	[ ! -e "$1" ] || fail "$1 exists but should not"
}

assert_same() {
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# json EXPR: evaluate a Python expression over the JSON on stdin, bound to `j`; prints the
# result (True/False as true/false, strings bare).
json() {
	python3 -c '
import json, sys
j = json.load(sys.stdin)
r = eval(sys.argv[1])
if isinstance(r, bool):
    print("true" if r else "false")
elif r is None:
    print("null")
else:
    print(r)
' "$1"
}

# rand_file PATH SIZE: SIZE random bytes.
rand_file() {
	head -c "$2" /dev/urandom >"$1"
}

# object_file ID: the ciphertext file of object ID in the current store.
object_file() {
	local f
	f=$(find "$LETHE_STORE/objects" -name "$1.lth" -type f | head -n 1)
	[ -n "$f" ] || fail "no object file for $1"
	echo "$f"
}

# flip_byte FILE OFFSET: invert one bit of the byte at OFFSET, in place.
flip_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0x01]))
PY
}

# fresh_store NAME [EXTRA-CONFIG]: create a store $T/NAME with a cheap officer KDF (Argon2id
# at its minimum cost: the tests unlock as an officer many times) and officer "alice", and
# make it the current one. Sets STORE, KEYFILE, PASS (alice's passphrase file) and exports
# LETHE_STORE.
fresh_store() {
	local name=$1 extra=${2:-}
	STORE=$T/$name
	KEYFILE=$T/$name.key
	PASS=$T/$name.alice.pass
	TEMPLATE=$T/$name.template.conf
	cat >"$TEMPLATE" <<EOF
[keys]
officer_kdf_memory = 32KiB
officer_kdf_time = 4
officer_kdf_parallel = 1
$extra
EOF
	printf 'correct horse battery staple %s\n' "$name" >"$PASS"
	"$LETHE" --store "$STORE" --config "$TEMPLATE" init --keyfile "$KEYFILE" \
		--officer alice --passphrase-file "$PASS" >"$OUT" 2>"$ERR" </dev/null ||
		fail "init of $STORE failed"
	export LETHE_STORE=$STORE
}

# wait_until TIMEOUT_SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le $((limit * 5)) ] || fail "timed out waiting for: $*"
		sleep 0.2
	done
}

# shim_preload: the LD_PRELOAD value that loads the test shim (tests/preload/testshim.c) into
# lethe; in an ASan build the ASan runtime must come first in the list, so it is named first.
# Exits 77 (skip) when the shim was not built.
shim_preload() {
	local asan
	[ -n "${LETHE_TEST_SHIM:-}" ] && [ -f "$LETHE_TEST_SHIM" ] || {
		echo "[$SUITE] skipped: the test shim (LETHE_TEST_SHIM) was not built"
		exit 77
	}
	asan=$(ldd "$LETHE" 2>/dev/null | awk '/libasan/ { print $3 }')
	echo "${asan:+$asan:}$LETHE_TEST_SHIM"
}

# shifted SECONDS CMD...: run CMD with the process clock shifted by SECONDS (an attacker's
# LD_PRELOAD library); with SHIM_FILES=1 the file times it reads through statx move too (what a
# system-wide clock change looks like).
shifted() {
	local s=$1 pre
	shift
	pre=$(shim_preload)
	if [ "${SHIM_FILES:-0}" = 1 ]; then
		LD_PRELOAD=$pre LETHE_TEST_CLOCK_SHIFT=$s LETHE_TEST_CLOCK_FILES=1 "$@"
	else
		LD_PRELOAD=$pre LETHE_TEST_CLOCK_SHIFT=$s "$@"
	fi
}

# with_syslog FILE CMD...: run CMD with its syslog lines (to /dev/log) sent to a socket of the
# suite instead, and written to FILE one per line; CMD's exit status is returned.
with_syslog() {
	local file=$1 pre
	shift
	pre=$(shim_preload)
	SHIM_PRELOAD=$pre python3 - "$T/syslog.sock" "$file" "$@" <<'PY'
import os, socket, subprocess, sys
path, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
env = dict(os.environ, LETHE_TEST_SYSLOG=path, LD_PRELOAD=os.environ["SHIM_PRELOAD"])
rc = subprocess.call(cmd, env=env)
s.setblocking(False)
with open(out, "w") as f:
    while True:
        try:
            f.write(s.recv(65536).decode("utf-8", "replace").rstrip("\n") + "\n")
        except BlockingIOError:
            break
sys.exit(rc)
PY
}
