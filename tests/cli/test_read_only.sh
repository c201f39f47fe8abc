#!/usr/bin/env bash
# test_read_only.sh - an auditor's commands on a store that cannot be written: a read-only bind
# mount of the store (what a snapshot looks like), a snapshot copy whose -wal holds commits,
# and a store on a full tmpfs. ls, stat, get, audit verify, evidence verify and export, scrub
# work and give what they give on the writable store; a read says on stderr that its audit
# record could not be written; every write fails with one line saying why (read-only, disk
# full); nothing is written to the store, and the audit chain is intact afterwards.
#
# The file systems are made in a private mount namespace (unshare -m as root, unshare -rm as
# another user) and vanish with it. Without one (no user namespaces) the test skips (77).
set -euo pipefail

if [ "${LETHE_RO_NAMESPACE:-}" != 1 ]; then
	if [ "$(id -u)" -eq 0 ]; then ns=(unshare -m); else ns=(unshare -rm); fi
	if ! why=$("${ns[@]}" true 2>&1); then
		echo "[test_read_only] SKIPPED: cannot make a mount namespace (${ns[*]}: $why)"
		exit 77
	fi
	LETHE_RO_NAMESPACE=1 exec "${ns[@]}" bash "$0" "$@"
fi
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
# mounts first: cleanup removes $T
unmount_all() {
	local m
	for m in "$T/ro" "$T/snap" "$T/full"; do umount "$m" 2>/dev/null || true; done
}
trap 'unmount_all; cleanup' EXIT
# keep whatever propagation the namespace was made with from reaching the outer one
mount --make-rprivate / 2>/dev/null || true

fresh_store w "[store]
segment_size = 4KiB"
declare -A plain
for size in 0 1 4096 9000; do
	rand_file "$T/p.$size" "$size"
	id=$(lethe put --name "file $size" "$T/p.$size") || fail "put failed"
	plain[$id]=$T/p.$size
done
gone=$(lethe put "$T/p.1")
ok lethe rm "$gone" --reason "test" --force --passphrase-file "$PASS"
ok lethe key rotate --passphrase-file "$PASS"
# the object of 9000 bytes: three segments of 4 KiB
for id in "${!plain[@]}"; do [ "${plain[$id]}" != "$T/p.9000" ] || one=$id; done

# What the writable store says, to compare with.
baseline() {
	ids=("${!plain[@]}")
	ok lethe --json ls
	cp "$OUT" "$T/ls.want"
	ok lethe --json stat "$one"
	cp "$OUT" "$T/stat.want"
	rm -rf "$T/ev.want"
	ok lethe evidence export "$T/ev.want"
	ok lethe audit verify
	records=$(sed -n 's/^\([0-9]*\) records verified.*/\1/p' "$OUT")
	[ -n "$records" ] || fail "no record count: $(cat "$OUT")"
}
baseline

# A listing of every file of the store with its size, mode, time and content hash.
fingerprint() {
	(cd "$1" && find . -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# The reads: each succeeds and gives what the writable store gave; a read whose audit record
# cannot be written says so on stderr with REASON.
reads_work() { # reads_work REASON
	local reason=$1 id
	ok lethe --json ls
	assert_same "$OUT" "$T/ls.want"
	ok lethe --json stat "$one"
	assert_same "$OUT" "$T/stat.want"
	for id in "${ids[@]}"; do
		ok lethe get "$id"
		assert_same "$OUT" "${plain[$id]}"
		assert_one_line "$ERR"
		assert_contains "$ERR" "lethe: get: warning: 1 audit record not written to meta.db ($reason); syslog has it"
	done
	ok lethe get "$one" -o "$T/got"
	assert_same "$T/got" "${plain[$one]}"
	rm -f "$T/got"
	ok lethe audit verify
	assert_contains "$OUT" "$records records verified, no problems found"
	ok lethe evidence verify
	assert_contains "$OUT" "1 certificate verified, no problems found"
	rm -rf "$T/ev.got"
	ok lethe evidence export "$T/ev.got"
	assert_contains "$ERR" "($reason)"
	diff -r "$T/ev.want" "$T/ev.got" >/dev/null || fail "evidence export differs from the writable store's"
	ok lethe --json scrub
	assert_eq "$(json 'j["objects"]' <"$OUT")" "${#ids[@]}" "objects scrubbed"
	assert_eq "$(json 'j["bad"]' <"$OUT")" "0" "bad objects"
	assert_contains "$ERR" "($reason)"
	ok lethe --quiet get "$one"
	[ ! -s "$ERR" ] || fail "--quiet printed: $(cat "$ERR")"
}

# The writes: each fails with exit 1 and one line that contains TEXT.
writes_fail() { # writes_fail TEXT
	local text=$1
	expect_exit 1 lethe put "$T/p.1"
	assert_one_line "$ERR"
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe rm "$one" --reason "test" --force --passphrase-file "$PASS"
	assert_one_line "$ERR"
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe hold set "$one" --reason "case 1"
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe key rotate --passphrase-file "$PASS"
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe sweep
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe officer add bob --new-passphrase-file "$PASS" --passphrase-file "$PASS"
	assert_one_line "$ERR"
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe audit checkpoint
	assert_contains "$ERR" "$text"
	expect_exit 1 lethe doctor --repair
	assert_one_line "$ERR"
	assert_contains "$ERR" "$text"
}

note "a read-only bind mount of the store: reads work, writes say the store is read-only"
mkdir "$T/ro"
mount --bind "$STORE" "$T/ro"
mount -o remount,bind,ro "$T/ro"
fingerprint "$STORE" >"$T/fp.before"
export LETHE_STORE=$T/ro
reads_work "read-only file system"
writes_fail "$T/ro is read-only (read-only file system): nothing can be written to it"
umount "$T/ro"
fingerprint "$STORE" >"$T/fp.after"
cmp -s "$T/fp.before" "$T/fp.after" || fail "the store changed: $(diff "$T/fp.before" "$T/fp.after")"
export LETHE_STORE=$STORE
ok lethe audit verify
assert_contains "$OUT" "$records records verified, no problems found"

note "a snapshot taken while a process held meta.db open: its -wal holds the last commits"
late=$(
	python3 - "$STORE" "$LETHE" "$T/p.9000" <<'PY'
import sqlite3, subprocess, sys
store, lethe, data = sys.argv[1:]
# an open connection keeps the last lethe process from checkpointing and removing the WAL
db = sqlite3.connect("file:%s/meta.db?mode=ro" % store, uri=True)
db.execute("SELECT count(*) FROM objects").fetchone()
oid = subprocess.run([lethe, "put", data], check=True, capture_output=True,
                     text=True).stdout.strip()
subprocess.run(["cp", "-a", store, store + ".snap"], check=True)
print(oid)
db.close()
PY
) || fail "making the snapshot failed"
snapdir=$STORE.snap
[ -s "$snapdir/meta.db-wal" ] || fail "the snapshot has no WAL with commits"
[ -e "$snapdir/meta.db-shm" ] || fail "the snapshot has no -shm"
mkdir "$T/snap"
mount --bind "$snapdir" "$T/snap"
mount -o remount,bind,ro "$T/snap"
export LETHE_STORE=$T/snap
ok lethe stat "$late"
ok lethe get "$late"
assert_same "$OUT" "$T/p.9000"
ok lethe scrub
assert_contains "$OUT" "scrubbed $((${#ids[@]} + 1)) objects"
ok lethe audit verify
umount "$T/snap"
# without the -shm SQLite cannot read the WAL on a read-only mount: refused, not stale
rm "$snapdir/meta.db-shm"
mount --bind "$snapdir" "$T/snap"
mount -o remount,bind,ro "$T/snap"
expect_exit 1 lethe ls
assert_one_line "$ERR"
assert_contains "$ERR" "meta.db-wal holds commits that cannot be read without a usable"
assert_contains "$ERR" "copy the store to a writable place"
umount "$T/snap"
export LETHE_STORE=$STORE
plain[$late]=$T/p.9000

note "scrub on a read-only snapshot finds a flipped byte"
rm -rf "$snapdir"
cp -a "$STORE" "$snapdir"
flip_byte "$(LETHE_STORE=$snapdir object_file "$one")" 200
mount --bind "$snapdir" "$T/snap"
mount -o remount,bind,ro "$T/snap"
expect_exit 4 env LETHE_STORE="$T/snap" "$LETHE" scrub
assert_contains "$ERR" "lethe: scrub $one: "
assert_contains "$OUT" ", 1 bad"
umount "$T/snap"

note "a full disk: reads work, writes say the disk is full"
mkdir "$T/full"
mount -t tmpfs -o size=16m,mode=0700 tmpfs "$T/full"
baseline # the store has changed since: the late put
cp -a "$STORE" "$T/full/s"
export LETHE_STORE=$T/full/s
dd if=/dev/zero of="$T/full/filler" bs=64k 2>/dev/null || true
[ "$(df --output=avail "$T/full" | tail -n 1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs is not full"
reads_work "the disk is full"
writes_fail "the disk is full"
rm "$T/full/filler"
note "once space is freed, writes work and the chain is intact"
id=$(lethe put "$T/p.1") || fail "put after freeing space failed: $(cat "$ERR")"
ok lethe get "$id"
assert_same "$OUT" "$T/p.1"
ok lethe audit verify
assert_contains "$OUT" "no problems found"

note "a full disk while another process keeps meta.db's -shm: writes fail with the disk full"
lethe rm "$id" --reason test --force --passphrase-file "$PASS" >/dev/null
python3 - "$T/full/s" "$LETHE" "$T/full/filler" "$T/p.9000" "$one" "${plain[$one]}" <<'PY' ||
import os, sqlite3, subprocess, sys
store, lethe, filler, data, one, want = sys.argv[1:]
db = sqlite3.connect("file:%s/meta.db?mode=ro" % store, uri=True)
db.execute("SELECT count(*) FROM objects").fetchone()
# unbuffered: a partial last write leaves nothing behind for close() to fail on
with open(filler, "wb", buffering=0) as f:
    try:
        while True:
            f.write(b"\0" * 65536)
    except OSError:
        pass
def run(*args):
    return subprocess.run([lethe, *args], capture_output=True)
r = run("get", one)
assert r.returncode == 0, r
assert r.stdout == open(want, "rb").read()
assert b"(the disk is full); syslog has it" in r.stderr, r.stderr
r = run("put", data)
assert r.returncode == 1, r
lines = r.stderr.decode().splitlines()
assert len(lines) == 1 and "the disk is full" in lines[0], lines
PY
	fail "full disk with a live -shm"
rm "$T/full/filler"
ok lethe audit verify
umount "$T/full"

note "passed"
