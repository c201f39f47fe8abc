#!/usr/bin/env bash
# test_luks_headers.sh - damage to the LUKS2 headers of keystore.luks and officers.luks, done
# as a disk fault or an intruder with write access to the files would (dd over a header):
# libcryptsetup falls back to the intact header and rewrites the damaged one without a word,
# so lethe checks both headers before it loads the file. doctor names the damaged header and
# how to repair it, exit 4; both headers failing their checksums, or a keystore of another
# store, is exit 4 for every command (it was 6, "permission", before); a file with no LUKS2
# header at all stays 6.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store headers
rand_file "$T/a" 1000
a=$(lethe put "$T/a")
KS=$STORE/keystore.luks
OF=$STORE/officers.luks
cp -p "$KS" "$T/keystore.backup"
cp -p "$OF" "$T/officers.backup"

# hdr_size FILE: the primary header's hdr_size (big-endian u64 at offset 8): where the backup
# header starts.
hdr_size() {
	local hex
	hex=$(od -An -tx1 -j8 -N8 "$1" | tr -d ' \n')
	echo $((16#$hex))
}
size=$(hdr_size "$KS")
[ "$size" -ge 16384 ] || fail "keystore hdr_size $size"

# zero FILE OFFSET: 4 KiB of zeros over FILE at OFFSET, in place.
zero() {
	dd if=/dev/zero of="$1" bs=4096 count=1 seek=$(($2 / 4096)) conv=notrunc status=none
}

note "the primary header of keystore.luks"
zero "$KS" 0
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     headers: $KS: the primary LUKS2 header is damaged"
assert_contains "$OUT" "restore the file from its backup"
# libcryptsetup rewrote it from the backup header: the store works, and doctor is clean again
ok lethe get "$a" -o "$T/a.out"
assert_same "$T/a" "$T/a.out"
ok lethe doctor

note "the backup header of keystore.luks"
zero "$KS" "$size"
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     headers: $KS: the backup LUKS2 header is damaged"
ok lethe doctor

note "the primary header of officers.luks"
size_of=$(hdr_size "$OF")
zero "$OF" 0
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     headers: $OF: the primary LUKS2 header is damaged"
# a service open does not load officers.luks: the damage was still there when doctor looked,
# and the line gives the repair command
assert_contains "$OUT" "repair it with \`cryptsetup repair $OF\`"
note "the backup header of officers.luks"
cp -p "$T/officers.backup" "$OF"
zero "$OF" "$size_of"
expect_exit 4 lethe doctor
assert_contains "$OUT" "error     headers: $OF: the backup LUKS2 header is damaged"
cp -p "$T/officers.backup" "$OF"
ok lethe doctor

note "both headers of keystore.luks fail their checksums: integrity, not permission"
# one byte of each header's JSON area: both still say LUKS2, neither checksum holds
flip_byte "$KS" 4200
flip_byte "$KS" $((size + 4200))
expect_exit 4 lethe doctor
assert_one_line "$ERR"
assert_contains "$ERR" "both LUKS2 headers are damaged"
assert_contains "$ERR" "restore the file from its backup"
expect_exit 4 lethe ls
expect_exit 4 lethe get "$a" -o "$T/a.out2"
cp -p "$T/keystore.backup" "$KS"
ok lethe doctor
ok lethe get "$a" -o "$T/a.out3"
assert_same "$T/a" "$T/a.out3"

note "a keystore.luks whose store id is not meta.db's"
cryptsetup -q luksUUID "$KS" --uuid 11111111-2222-4333-8444-555555555555 ||
	fail "cryptsetup luksUUID"
expect_exit 4 lethe ls
expect_exit 4 lethe doctor
cp -p "$T/keystore.backup" "$KS"
ok lethe doctor
note "ok"
