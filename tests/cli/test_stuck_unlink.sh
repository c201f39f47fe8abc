#!/usr/bin/env bash
# test_stuck_unlink.sh - one object file that cannot be unlinked does not take the store down.
# An object directory where nothing can be removed (chattr +i as root; a read-only directory
# for an unprivileged user, as which the suite runs itself when root cannot use chattr): the
# sweep still shreds the object (its key is what matters) and exits 0, naming the file left to
# unlink and why; put, get, ls, doctor and doctor --repair all run; doctor reports the file with
# its cause and the fix; once the directory is writable again the next open finishes the unlink
# and doctor is clean. Skips (exit 77) when no way to make an unlink fail works here.
. "$(dirname "$0")/lib.sh"

# How to make unlinks in a directory fail, checked on a probe directory: chattr +i (root with
# CAP_LINUX_IMMUTABLE on a filesystem that has it), or chmod 500 (anyone but root).
mkdir -p "$T/probe" && touch "$T/probe/file"
if [ "$(id -u)" = 0 ] && chattr +i "$T/probe" 2>/dev/null; then
	if rm -f "$T/probe/file" 2>/dev/null; then
		chattr -i "$T/probe"
		note "chattr +i does not stop an unlink here: skipped"
		exit 77
	fi
	chattr -i "$T/probe"
	freeze() { chattr +i "$1"; }
	thaw() { chattr -i "$1"; }
	note "unlinks made to fail with chattr +i"
elif [ "$(id -u)" = 0 ]; then
	# Root without chattr: run the suite again as an unprivileged user, whose unlinks a
	# read-only directory does stop.
	user=${LETHE_TEST_USER:-nobody}
	uid=$(id -u "$user" 2>/dev/null) || uid=
	if [ -z "$uid" ] || ! command -v setpriv >/dev/null ||
		! setpriv --reuid="$uid" --regid="$(id -g "$user")" --clear-groups \
			test -x "$LETHE" 2>/dev/null; then
		note "root without chattr +i, and no unprivileged user that can run $LETHE: skipped"
		exit 77
	fi
	note "root without chattr +i: running as $user"
	cleanup
	trap - EXIT
	exec setpriv --reuid="$uid" --regid="$(id -g "$user")" --clear-groups \
		env TMPDIR=/tmp HOME=/tmp bash "$0"
else
	chmod 500 "$T/probe"
	if rm -f "$T/probe/file" 2>/dev/null; then
		note "a read-only directory does not stop an unlink here: skipped"
		exit 77
	fi
	chmod 700 "$T/probe"
	freeze() { chmod 500 "$1"; }
	thaw() { chmod 700 "$1"; }
	note "unlinks made to fail with chmod 500"
fi
FROZEN=
cleanup_frozen() {
	[ -z "$FROZEN" ] || thaw "$FROZEN" 2>/dev/null || true
	cleanup
}
trap cleanup_frozen EXIT

fresh_store stuck "[group:short]
retention = 1s"
rand_file "$T/keep.plain" 70000
rand_file "$T/doomed.plain" 5000
ok lethe put --name keep "$T/keep.plain"
KEEP=$(cat "$OUT")
ok lethe put --group short --name stuck "$T/doomed.plain"
STUCK=$(cat "$OUT")
STUCK_FILE=$(object_file "$STUCK")
# a second expiring object, in another directory: its unlink must not wait for the first
while :; do
	ok lethe put --group short --name other "$T/doomed.plain"
	OTHER=$(cat "$OUT")
	[ "$(dirname "$(object_file "$OTHER")")" != "$(dirname "$STUCK_FILE")" ] && break
done
OTHER_FILE=$(object_file "$OTHER")
sleep 1.1

FROZEN=$(dirname "$STUCK_FILE")
freeze "$FROZEN"

note "the sweep shreds both, reports the file it cannot unlink, and succeeds"
ok lethe sweep
assert_contains "$OUT" "shredded 2 objects"
assert_contains "$ERR" "$STUCK"
assert_contains "$ERR" "could not be unlinked"
assert_contains "$ERR" "$STUCK.lth: unlink: "
assert_one_line "$ERR"
[ -e "$STUCK_FILE" ] || fail "the frozen file went: the directory did not stop the unlink"
assert_file_absent "$OTHER_FILE"
for id in "$STUCK" "$OTHER"; do
	assert_eq "$(lethe --json stat "$id" | json 'j["state"]')" shredded "state of $id"
	expect_exit 3 lethe get "$id"
done

note "every other operation still works"
rand_file "$T/new.plain" 3000
ok lethe put --name new "$T/new.plain"
NEW=$(cat "$OUT")
ok lethe get "$NEW" -o "$T/new.out"
assert_same "$T/new.out" "$T/new.plain"
ok lethe get "$KEEP" -o "$T/keep.out"
assert_same "$T/keep.out" "$T/keep.plain"
ok lethe ls
assert_contains "$OUT" "$KEEP"
ok lethe --json sweep
assert_eq "$(json 'j["unlink_pending"][0]["id"]' <"$OUT")" "$STUCK" "unlink_pending in sweep --json"
ok lethe audit verify
ok lethe evidence verify

note "doctor names the file, the cause and the fix (and nothing else)"
for repair in "" --repair; do
	expect_exit 1 lethe doctor $repair
	grep -E "^error +unlinks: shredded object $STUCK: its file could not be unlinked: " \
		"$OUT" >/dev/null || fail "doctor $repair: no unlinks error: $(cat "$OUT")"
	assert_contains "$OUT" "fix: "
	assert_contains "$OUT" "1 problem remains"
	assert_not_contains "$OUT" "file of a shredded object"
done

note "once the directory can change again, the next open finishes the unlink"
thaw "$FROZEN"
FROZEN=
ok lethe ls
assert_file_absent "$STUCK_FILE"
ok lethe doctor
assert_contains "$OUT" "no file of a shredded object left to unlink"
note "ok"
