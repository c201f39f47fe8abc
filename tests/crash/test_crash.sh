#!/usr/bin/env bash
# test_crash.sh - crash injection: every named fault point of put, get -o, rm, sweep, unlink,
# rotate, rewrap, retire and officer changes (LT_FAULT in lib/ and keys/) makes the process die
# there (exit 99); then the store must keep every invariant of check_store.py, and running the
# interrupted operation again must finish it exactly once. It runs $LETHE_FAULT_BIN, the
# lethe-fault command every test build makes (CTest sets it); run by hand with only a release
# $LETHE, it skips (exit 77) and says so.
LETHE=${LETHE_FAULT_BIN:-${LETHE:-}}
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/crash_lib.sh"

# ---- put ------------------------------------------------------------------------------------
crash_store put
put_obj keep-1
put_obj keep-2 default 200000
put_obj keep-3 default 0
snapshot

# Does this binary honour LETHE_FAULT? A release build puts the object and exits 0: that is
# a failure when CTest named the fault binary, a skip when someone ran the suite on a release
# lethe by hand.
f=$(plain probe)
got=0
LETHE_FAULT=put.after_tmp_write lethe put --name probe "$f" >"$OUT" 2>"$ERR" || got=$?
if [ "$got" = 0 ]; then
	[ -z "${LETHE_FAULT_BIN:-}" ] || fail "LETHE_FAULT_BIN=$LETHE_FAULT_BIN ignores LETHE_FAULT"
	note "this lethe ignores LETHE_FAULT (no fault points) and LETHE_FAULT_BIN is unset: skipped"
	exit 77
fi
[ "$got" = 99 ] || fail "fault probe: exit $got"
check_invariants "put.after_tmp_write"

for point in put.after_tmp_write put.after_link put.before_commit put.after_commit; do
	note "put: $point"
	f=$(plain "crashed-$point" 70000)
	crash "$point" lethe put --name "crashed-$point" "$f"
	check_invariants "$point"
	n=$(lethe --json ls | json "len([o for o in j if o['name'] == 'crashed-$point'])")
	case $point in
	put.after_commit) assert_eq "$n" 1 "objects committed before the crash" ;;
	*) assert_eq "$n" 0 "objects of a put that died before its commit" ;;
	esac
	put_obj "again-$point"
	check_invariants "the put after $point"
done

# ---- get -o ---------------------------------------------------------------------------------
# A get that dies once the whole range is written, before its file takes FILE's place, leaves
# FILE as it was and nothing beside it: until then the plaintext is in a file without a name
# (O_TMPFILE, which ext4, xfs, btrfs and tmpfs have).
note "get -o: get_file.before_commit"
id=$(awk '$2 == "keep-2" { print $1 }' "$STATE/acked")
mkdir "$T/get-out"
echo "as it was" >"$T/get-out/file"
crash get_file.before_commit lethe get "$id" -o "$T/get-out/file"
assert_eq "$(cat "$T/get-out/file")" "as it was" "FILE after a get that died"
assert_eq "$(ls -A "$T/get-out")" "file" "what a get that died left beside FILE"
ok lethe get "$id" -o "$T/get-out/file"
assert_same "$T/get-out/file" "$STATE/plain/keep-2"
assert_eq "$(ls -A "$T/get-out")" "file" "what a get left beside FILE"
check_invariants "get_file.before_commit"

# ---- rm -------------------------------------------------------------------------------------
crash_store rm "[group:short]
retention = 1s"
put_obj keep-1
put_obj keep-2
for point in rm.before_commit rm.after_commit shred.after_unlink; do
	put_obj "rm-$point" short
	echo "$ID" >"$T/rm-$point.id"
done
snapshot
sleep 1.1
for point in rm.before_commit rm.after_commit shred.after_unlink; do
	note "rm: $point"
	id=$(cat "$T/rm-$point.id")
	may_shred "$id"
	crash "$point" lethe rm "$id" --reason "crash test"
	check_invariants "$point"
	case $point in
	rm.before_commit)
		assert_eq "$(state_of "$id")" live "state after $point"
		ok lethe rm "$id" --reason "crash test, again"
		;;
	*)
		assert_eq "$(state_of "$id")" shredded "state after $point"
		expect_exit 3 lethe rm "$id" --reason "crash test, again"
		assert_contains "$ERR" "already crypto-shredded"
		;;
	esac
	removed "$id"
	check_invariants "the rm after $point"
done
note "rm --force by an officer: rm.after_commit"
id=$(awk '$2 == "keep-2" { print $1 }' "$STATE/acked")
may_shred "$id"
crash rm.after_commit lethe rm "$id" --reason "early" --force --passphrase-file "$PASS"
removed "$id"
check_invariants "forced rm.after_commit"

# ---- sweep ----------------------------------------------------------------------------------
# Batches of 2: a sweep of 5 expired objects commits three times, so a crash after the first
# commit (or between its unlinks) interrupts it half way.
crash_store sweep "[retention]
sweep_batch = 2
[group:short]
retention = 1s"
put_obj keep-1
put_obj keep-2 default 100000
may_shred group:short
for point in sweep.before_commit sweep.after_commit shred.mid_unlink shred.after_unlink \
	sweep.before_checkpoint; do
	note "sweep: $point"
	for i in 1 2 3 4 5; do
		put_obj "$point-$i" short
	done
	snapshot
	sleep 1.1
	crash "$point" lethe sweep
	check_invariants "$point"
	ok lethe --json sweep
	done_now=$(json 'j["shredded"]' <"$OUT")
	left=$(lethe --json ls --group short | json 'len(j)')
	assert_eq "$left" 0 "live expired objects after the sweep that followed $point"
	case $point in
	sweep.before_commit) assert_eq "$done_now" 5 "shredded by the second sweep" ;;
	sweep.after_commit | shred.mid_unlink | shred.after_unlink)
		assert_eq "$done_now" 3 "shredded by the second sweep" ;;
	sweep.before_checkpoint) assert_eq "$done_now" 0 "shredded by the second sweep" ;;
	esac
	check_invariants "the sweep after $point"
done

# ---- keys: rotate, rewrap, retire -----------------------------------------------------------
# A KEK lives in two places: its wrapped bytes in keystore.luks, its row in meta.db. A rotate
# that dies between the two leaves an unused entry (doctor warns; the next rotate reuses it);
# a retire that dies after its commit leaves the retired key in the keystore: doctor names it
# as an error until `key retire V` is run again (which must finish it) or doctor --repair.
crash_store keys
put_obj k-1
put_obj k-2 default 150000
put_obj k-3
snapshot
officer() {
	lethe "$@" --passphrase-file "$PASS"
}
KEK_LAG='keys: retired KEK version [0-9]+ is still in the keystore'
for point in rotate.after_keystore rotate.before_commit; do
	note "keys: $point"
	crash "$point" officer key rotate
	snapshot
	check_invariants "$point"
	assert_eq "$(lethe --json key list | json 'len(j)')" 1 "KEK versions after a crashed rotate"
done
ok officer key rotate
assert_eq "$(lethe --json key list | json 'len(j)')" 2 "KEK versions after the rotate"
snapshot
check_invariants "the rotate after rotate.before_commit"

note "keys: rewrap.before_commit"
crash rewrap.before_commit officer key rewrap
check_invariants rewrap.before_commit
assert_eq "$(kek_objects 1)" 3 "data keys under KEK 1 after a crashed rewrap"
ok officer key rewrap
assert_eq "$(kek_objects 1)" 0 "data keys under KEK 1 after the rewrap resumed"
assert_eq "$(kek_objects 2)" 3 "data keys under KEK 2"
snapshot
check_invariants "the rewrap after rewrap.before_commit"

note "keys: rewrap.after_commit"
ok officer key rotate
put_obj k-4
snapshot
crash rewrap.after_commit officer key rewrap
check_invariants rewrap.after_commit
assert_eq "$(kek_objects 2)" 0 "data keys under KEK 2 after a rewrap that committed"
ok officer key rewrap
assert_eq "$(kek_objects 3)" 4 "data keys under KEK 3"
snapshot

note "keys: retire.before_commit"
crash retire.before_commit officer key retire 1
check_invariants retire.before_commit
assert_eq "$(kek_state 1)" active "KEK 1 after a crashed retire"
ok officer key retire 1
assert_eq "$(kek_state 1)" retired "KEK 1 after the retire"
check_invariants "the retire after retire.before_commit"

note "keys: retire.after_commit"
crash retire.after_commit officer key retire 2
LETHE_DOCTOR_ALLOW=$KEK_LAG LETHE_RETIRED_KEK_LAG=1 check_invariants retire.after_commit
assert_eq "$(kek_state 2)" retired "KEK 2 after a retire that committed"
expect_exit 3 officer key retire 2
assert_contains "$ERR" "already retired"
check_invariants "the retire after retire.after_commit"

note "keys: retire.after_keystore"
ok officer key rotate
ok officer key rewrap
snapshot
crash retire.after_keystore officer key retire 3
check_invariants retire.after_keystore
assert_eq "$(kek_state 3)" retired "KEK 3 after a retire that committed"
expect_exit 3 officer key retire 3

# ---- officers -------------------------------------------------------------------------------
printf 'bob passphrase\n' >"$T/bob.pass"
printf 'carol passphrase\n' >"$T/carol.pass"
officer_names() {
	lethe --json officer list | json '" ".join(sorted(o["name"] for o in j))'
}

note "officers: officer.after_add"
crash officer.after_add officer officer add bob --new-passphrase-file "$T/bob.pass"
check_invariants officer.after_add
assert_eq "$(officer_names)" "alice bob service" "officers after a crashed add"
expect_exit 2 officer officer add bob --new-passphrase-file "$T/bob.pass"
assert_contains "$ERR" "already exists"
ok lethe key rotate --passphrase-file "$T/bob.pass"

note "officers: officer.before_name (a keyslot of officers.luks the signed roster does not name)"
crash officer.before_name officer officer add carol --new-passphrase-file "$T/carol.pass"
expect_exit 1 lethe doctor
assert_contains "$OUT" "outside the signed roster"
expect_exit 6 lethe key rotate --passphrase-file "$T/carol.pass"
ok lethe doctor --repair
assert_contains "$OUT" "keyslot(s) outside the roster destroyed"
check_invariants "doctor --repair after officer.before_name"
ok officer officer add carol --new-passphrase-file "$T/carol.pass"
ok lethe key rotate --passphrase-file "$T/carol.pass"
check_invariants "the officer add after officer.before_name"

note "officers: officer.after_remove"
crash officer.after_remove officer officer remove bob
check_invariants officer.after_remove
assert_eq "$(officer_names)" "alice carol service" "officers after a crashed remove"
expect_exit 6 lethe key rotate --passphrase-file "$T/bob.pass"
expect_exit 3 officer officer remove bob

# officer passwd: a new keyslot, the roster naming it instead of the old one, the old keyslot
# destroyed. Whichever step a crash stops at, exactly one of the two passphrases opens.
printf 'carol second passphrase\n' >"$T/carol2.pass"
printf 'carol third passphrase\n' >"$T/carol3.pass"
note "officers: officer.passwd_before_roster (the new keyslot not named yet)"
crash officer.passwd_before_roster lethe officer passwd --officer carol \
	--passphrase-file "$T/carol.pass" --new-passphrase-file "$T/carol2.pass"
ok lethe key rotate --passphrase-file "$T/carol.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/carol2.pass"
ok lethe doctor --repair
check_invariants "doctor --repair after officer.passwd_before_roster"
note "officers: officer.passwd_before_destroy (the roster names the new keyslot)"
crash officer.passwd_before_destroy lethe officer passwd --officer carol \
	--passphrase-file "$T/carol.pass" --new-passphrase-file "$T/carol2.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/carol.pass"
ok lethe key rotate --passphrase-file "$T/carol2.pass"
expect_exit 1 lethe doctor
assert_contains "$OUT" "outside the signed roster"
ok lethe doctor --repair
check_invariants "doctor --repair after officer.passwd_before_destroy"
note "officers: officer.after_passwd (done, its record not written)"
crash officer.after_passwd lethe officer passwd --officer carol \
	--passphrase-file "$T/carol2.pass" --new-passphrase-file "$T/carol3.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/carol2.pass"
ok lethe key rotate --passphrase-file "$T/carol3.pass"
check_invariants officer.after_passwd
ok officer key rewrap
check_invariants "the end"
note "ok"
