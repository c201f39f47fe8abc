#!/usr/bin/env bash
# test_hostile.sh - broken and hostile files: a corrupt lethe.conf (bad duration, unknown key,
# duplicate section, binary junk, NUL bytes, a 100 KB line) exits 2 naming FILE:LINE; a corrupt,
# truncated or replaced meta.db exits 4; a missing, corrupt or replaced keystore.luks exits 6;
# an object file replaced by a directory, a symlink, a FIFO or removed exits 4 (and never
# hangs). Every failure is one line on stderr, and nothing crashes (exit >= 128, sanitizer
# reports).
. "$(dirname "$0")/lib.sh"

# hostile CODE TEXT CMD...: CMD exits CODE with one line on stderr containing TEXT, within
# 60 s, without a sanitizer report.
hostile() {
	local want=$1 text=$2 got=0
	shift 2
	[ "$1" != lethe ] || set -- "$LETHE" "${@:2}"
	timeout 60 "$@" >"$OUT" 2>"$ERR" || got=$?
	if grep -qE 'Sanitizer|runtime error:' "$ERR"; then
		fail "sanitizer report: $*"
	fi
	[ "$got" -lt 124 ] || fail "exit $got (a crash, a signal or a hang): $*"
	[ "$got" = "$want" ] || fail "expected exit $want, got $got: $*"
	[ "$want" = 0 ] && return 0
	assert_one_line "$ERR"
	assert_contains "$ERR" "$text"
}

# copy_store NAME: a copy of the pristine store ($BASE) as the current store.
copy_store() {
	rm -rf "${T:?}/$1"
	cp -a "$BASE" "$T/$1"
	export LETHE_STORE=$T/$1
}

fresh_store base
BASE=$STORE
rand_file "$T/f1" 200000
rand_file "$T/f2" 1000
ID1=$(lethe put "$T/f1")
ID2=$(lethe put "$T/f2")
CONF=$STORE/lethe.conf

# ---- lethe.conf -----------------------------------------------------------------------------
note "corrupt lethe.conf: exit 2 naming FILE:LINE"
bad=$T/bad.conf
line_of() {
	grep -n -- "$1" "$CONF" | head -n 1 | cut -d: -f1
}
n=$(line_of '^default = ')
sed 's/^default = .*/default = 12parsecs/' "$CONF" >"$bad"
hostile 2 "$bad:$n:" lethe --config "$bad" ls
n=$(line_of '^\[retention\]')
sed 's/^\[retention\]$/[retention]\nfrobnicate = 1/' "$CONF" >"$bad"
hostile 2 "$bad:$((n + 1)):" lethe --config "$bad" ls
assert_contains "$ERR" frobnicate
n=$(wc -l <"$CONF")
{ cat "$CONF"; echo "[store]"; } >"$bad"
hostile 2 "$bad:$((n + 1)):" lethe --config "$bad" ls
assert_contains "$ERR" "duplicate section"
{ cat "$CONF"; echo "[group:x]"; echo "retention = 1d"; echo "[group:x]"; } >"$bad"
hostile 2 "$bad:$((n + 3)):" lethe --config "$bad" ls
{ cat "$CONF"; head -c 4000 /dev/urandom; } >"$bad"
hostile 2 "$bad:" lethe --config "$bad" ls
{ cat "$CONF"; printf 'a\0b = c\n'; } >"$bad"
hostile 2 "$bad:$((n + 1)):" lethe --config "$bad" ls
{ cat "$CONF"; printf '; %0100000d\n' 0; } >"$bad"
hostile 2 "$bad:$((n + 1)):" lethe --config "$bad" ls
assert_contains "$ERR" "too long"
{ cat "$CONF"; printf '[group:x]\nretention = %0100000d\n' 1; } >"$bad"
hostile 2 "$bad:$((n + 2)):" lethe --config "$bad" ls
{ cat "$CONF"; printf '[group:x]\nretention = 99999999999999999999d\n'; } >"$bad"
hostile 2 "$bad:$((n + 2)):" lethe --config "$bad" ls
: >"$bad"
hostile 2 "keyfile" lethe --config "$bad" ls
hostile 2 "$T/nonexistent.conf" lethe --config "$T/nonexistent.conf" ls
hostile 2 "$T" lethe --config "$T" ls
# the same through the store's own lethe.conf
copy_store conf
sed -i 's/^default = .*/default = -5d/' "$LETHE_STORE/lethe.conf"
hostile 2 "$LETHE_STORE/lethe.conf:" lethe ls

# ---- meta.db --------------------------------------------------------------------------------
note "corrupt meta.db: exit 4"
copy_store db-trunc
truncate -s 8192 "$LETHE_STORE/meta.db"
hostile 4 "corrupt" lethe ls
hostile 4 "corrupt" lethe get "$ID1"
copy_store db-header
printf 'this is not a database at all, not at all....' |
	dd of="$LETHE_STORE/meta.db" conv=notrunc status=none
hostile 4 "meta.db" lethe ls
copy_store db-empty
: >"$LETHE_STORE/meta.db"
hostile 4 "meta.db" lethe put "$T/f2"
copy_store db-zero
truncate -s 0 "$LETHE_STORE/meta.db"
truncate -s 65536 "$LETHE_STORE/meta.db"
hostile 4 "meta.db" lethe ls
copy_store db-pages
# garbage over every page after the first: each command fails cleanly (4) or does not need
# the pages it touches (0); doctor names the damage
size=$(stat -c %s "$LETHE_STORE/meta.db")
head -c $((size - 4096)) /dev/urandom |
	dd of="$LETHE_STORE/meta.db" bs=4096 seek=1 conv=notrunc status=none
for cmd in "ls" "get $ID1" "stat $ID2" "put $T/f2" "sweep" "evidence list" "audit verify"; do
	got=0
	# shellcheck disable=SC2086
	timeout 60 "$LETHE" $cmd >"$OUT" 2>"$ERR" || got=$?
	grep -qE 'Sanitizer|runtime error:' "$ERR" && fail "sanitizer report: $cmd"
	case $got in
	0 | 4) ;;
	*) fail "lethe $cmd on a corrupt meta.db: exit $got (want 0 or 4)" ;;
	esac
	[ "$got" = 0 ] || assert_one_line "$ERR"
done
got=0
timeout 60 "$LETHE" doctor >"$OUT" 2>"$ERR" || got=$?
[ "$got" = 1 ] || [ "$got" = 4 ] || fail "doctor on a corrupt meta.db: exit $got"
copy_store db-dir
rm "$LETHE_STORE/meta.db"
mkdir "$LETHE_STORE/meta.db"
hostile 6 "not a regular file" lethe ls
copy_store db-wal
# a WAL of garbage fails its checksums: SQLite ignores it, nothing committed is lost
head -c 50000 /dev/urandom >"$LETHE_STORE/meta.db-wal"
hostile 0 "" lethe get "$ID2" -o "$T/got2"
assert_same "$T/got2" "$T/f2"

# ---- keystore.luks --------------------------------------------------------------------------
note "missing or corrupt keystore.luks: exit 6"
copy_store ks-missing
rm "$LETHE_STORE/keystore.luks"
hostile 6 "keystore.luks" lethe ls
hostile 6 "keystore.luks" lethe key rotate --passphrase-file "$PASS"
copy_store ks-headers
# both LUKS2 header copies (one alone is repaired from the other)
head -c 65536 /dev/urandom | dd of="$LETHE_STORE/keystore.luks" conv=notrunc status=none
hostile 6 "keystore.luks" lethe ls
copy_store ks-one-header
head -c 4096 /dev/urandom | dd of="$LETHE_STORE/keystore.luks" conv=notrunc status=none
hostile 0 "" lethe get "$ID2" -o "$T/got2"
copy_store ks-trunc
truncate -s 1000 "$LETHE_STORE/keystore.luks"
hostile 6 "keystore.luks" lethe ls
copy_store ks-slots
# the keyslot areas after the JSON: no keyslot opens any more
head -c 1048576 /dev/urandom |
	dd of="$LETHE_STORE/keystore.luks" bs=32768 seek=1 conv=notrunc status=none
hostile 6 "keystore.luks" lethe ls
# an officer's master key comes from officers.luks, and the KEK token is intact: officers can
# still act (and could give the service a new keyslot)
hostile 0 "" lethe key rotate --passphrase-file "$PASS"
copy_store ks-dir
rm "$LETHE_STORE/keystore.luks"
mkdir "$LETHE_STORE/keystore.luks"
hostile 6 "keystore.luks" lethe ls
copy_store ks-link
mv "$LETHE_STORE/keystore.luks" "$T/ks-moved.luks"
ln -s "$T/ks-moved.luks" "$LETHE_STORE/keystore.luks"
hostile 6 "symbolic link" lethe ls

# ---- object files ---------------------------------------------------------------------------
note "object file replaced by a directory, symlinks, a FIFO, or gone: exit 4"
copy_store obj
f1=$(object_file "$ID1")
f2=$(object_file "$ID2")
rm "$f1"
mkdir "$f1"
hostile 4 "directory" lethe get "$ID1"
expect_exit 1 lethe doctor
assert_contains "$OUT" "$ID1"
rmdir "$f1"
ln -s "$f2" "$f1"
hostile 4 "$ID1" lethe get "$ID1"
rm "$f1"
ln -s /etc/passwd "$f1"
hostile 4 "$ID1" lethe get "$ID1" -o "$T/never"
assert_file_absent "$T/never"
rm "$f1"
mkfifo "$f1"
hostile 4 "$ID1" lethe get "$ID1"
rm "$f1"
hostile 4 "missing" lethe get "$ID1"
# the other object is untouched by all of it
ok lethe get "$ID2" -o "$T/got2"
assert_same "$T/got2" "$T/f2"
note "ok"
