#!/usr/bin/env bash
# test_officer_only.sh - every officer-only command (key rotate, rewrap, retire, officer add and
# remove, hold clear of an object and of a group, rm --force before retain_until) run from the
# command line without an officer: with no passphrase and no terminal, with a wrong passphrase,
# and with the service keyfile itself as the passphrase file (the holder of the service key is
# not an officer). Each exits 6 with one line on stderr and changes nothing: same KEKs, same
# officers, holds still set, the object still live; the refusals that reach the store are
# audited.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store oo "[group:gov]
retention = 30d"
printf 'not the passphrase\n' >"$T/wrong.pass"
printf 'bob passphrase\n' >"$T/bob.pass"
rand_file "$T/f" 5000
id=$(lethe put --group gov "$T/f")
held=$(lethe put --group gov "$T/f")
ok lethe hold set "$held" --reason CASE-1
ok lethe hold set --group gov --reason CASE-2
ok lethe hold clear --group gov --passphrase-file "$PASS"
ok lethe hold set --group gov --reason CASE-3
ok lethe key rotate --passphrase-file "$PASS"

state() {
	{
		lethe --json key list | json '[(k["version"], k["state"], k["primary"], k["objects"]) for k in j]'
		lethe --json officer list | json 'sorted(o["name"] for o in j)'
		lethe --json stat "$id" | json '(j["state"], j["hold"])'
		lethe --json stat "$held" | json '(j["state"], j["hold"])'
	} 2>&1
}
before=$(state)
audit_count() {
	lethe audit export | wc -l
}

# refused ARGS...: the officer command ARGS, three ways without an officer.
refused() {
	local n
	expect_exit 6 timeout 20 "$LETHE" "$@"
	assert_one_line "$ERR"
	expect_exit 6 lethe "$@" --passphrase-file "$T/wrong.pass"
	assert_one_line "$ERR"
	assert_contains "$ERR" "passphrase"
	n=$(audit_count)
	expect_exit 6 lethe "$@" --passphrase-file "$KEYFILE"
	assert_one_line "$ERR"
	# refused at the unlock: a passphrase is tried on officer keyslots only, never on the
	# service keyslot (a later officer check would be the second line of defence, not the first)
	assert_contains "$ERR" "opens no officer keyslot"
	# a failed unlock is audited (the failure is folded into the chain at the next open)
	[ "$(audit_count)" -gt "$n" ] || fail "$*: the refused unlock left no audit record"
	assert_eq "$(state)" "$before" "the store after a refused $*"
	note "$*: refused without an officer"
}

refused key rotate
refused key rewrap
refused key retire 1
refused officer add bob --new-passphrase-file "$T/bob.pass"
refused officer remove alice
refused hold clear "$held"
refused hold clear --group gov
refused rm "$id" --reason early --force

# and each of them works for the officer (so the refusals above were about the officer alone)
ok lethe hold clear "$held" --passphrase-file "$PASS"
ok lethe hold clear --group gov --passphrase-file "$PASS"
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
ok lethe officer remove bob --passphrase-file "$PASS"
ok lethe key rewrap --passphrase-file "$PASS"
ok lethe key retire 1 --passphrase-file "$PASS"
ok lethe key rotate --passphrase-file "$PASS"
ok lethe rm "$id" --reason early --force --passphrase-file "$PASS"
expect_exit 3 lethe get "$id"
ok lethe doctor
ok lethe audit verify
note "ok"
