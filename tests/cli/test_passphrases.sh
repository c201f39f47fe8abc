#!/usr/bin/env bash
# test_passphrases.sh - officer passphrases as a person at a terminal types them (pty_run.py):
# README's `init --passphrase-file -` reads with echo off and asks twice; a mismatch or a weak
# new passphrase is refused (exit 2, nothing made); a wrong one typed at the terminal is asked
# again, three tries in all, while a wrong one from a file or a pipe fails at once (exit 6);
# ^C at the prompt leaves the terminal as it was; `officer passwd` changes one's own passphrase
# (audited, signed); --officer NAME tries that officer's keyslot only.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

pty() { python3 "$LETHE_TESTS/cli/pty_run.py" "$@"; }
# count TEXT FILE: how many times TEXT (fixed) occurs in FILE.
count() { grep -oF -- "$1" "$2" | wc -l; }

SECRET='Tr0ub4dor and 3 horses'
OTHER='another long passphrase'
cat >"$T/template.conf" <<EOF
[keys]
officer_kdf_memory = 32KiB
officer_kdf_time = 4
officer_kdf_parallel = 1
EOF
init_at() { # init_at DIR ARGS...: init DIR as README does, on a terminal
	local dir=$1
	shift
	pty "$@" -- "$LETHE" --store "$dir" --config "$T/template.conf" init \
		--keyfile "$dir.key" --officer alice --passphrase-file -
}

note "init --passphrase-file - at a terminal: echo off, asked twice"
got=0
init_at "$T/s" --expect "Enter passphrase" --send "$SECRET" \
	--expect "Repeat passphrase" --send "$SECRET" >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 0 "exit of init at a terminal"
assert_contains "$T/tty" "created store"
assert_not_contains "$T/tty" "$SECRET"
export LETHE_STORE=$T/s
printf '%s\n' "$SECRET" >"$T/alice.pass"
ok lethe key rotate --passphrase-file "$T/alice.pass"

note "the two entries differ: refused, no store made"
got=0
init_at "$T/typo" --expect "Enter passphrase" --send "$SECRET" \
	--expect "Repeat passphrase" --send "${SECRET}x" >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 2 "exit of init with a mistyped confirmation"
assert_contains "$T/tty" "the two entries of the passphrase for officer alice differ"
assert_file_absent "$T/typo"
assert_file_absent "$T/typo.key"

note "weak new passphrases are refused, from a terminal or a file"
got=0
init_at "$T/weak" --expect "Enter passphrase" --send "x" >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 2 "exit of init with a 1-character passphrase"
assert_contains "$T/tty" "too weak: it has 1 character, at least 12 are needed"
assert_not_contains "$T/tty" "Repeat"
assert_file_absent "$T/weak"
printf 'x\n' >"$T/x.pass"
expect_exit 2 "$LETHE" --store "$T/weak" --config "$T/template.conf" init --keyfile "$T/weak.key" \
	--officer alice --passphrase-file "$T/x.pass"
assert_one_line "$ERR"
assert_contains "$ERR" "too weak"
assert_file_absent "$T/weak"
printf 'abababababababab\n' >"$T/ab.pass"
expect_exit 2 lethe officer add bob --new-passphrase-file "$T/ab.pass" --passphrase-file "$T/alice.pass"
assert_one_line "$ERR"
assert_contains "$ERR" "only 2 different characters, at least 5 are needed"
ok lethe --json officer list
assert_eq "$(json '" ".join(o["name"] for o in j)' <"$OUT")" "service alice" "officers"
# the passphrase that opens needs no strength: an officer made before the rule still opens
expect_exit 6 lethe key rotate --passphrase-file "$T/x.pass"
assert_not_contains "$ERR" "weak"

note "a wrong passphrase at the terminal: asked again, three tries"
got=0
pty --expect "Enter officer passphrase" --send "wrong one" \
	--expect "Enter officer passphrase" --send "wrong two" \
	--expect "Enter officer passphrase" --send "wrong three" \
	-- "$LETHE" key rotate >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 6 "exit after three wrong passphrases"
assert_eq "$(count "Enter officer passphrase" "$T/tty")" 3 "prompts"
assert_eq "$(count "try again" "$T/tty")" 2 "notes between the tries"
assert_not_contains "$T/tty" "wrong two"
got=0
pty --expect "Enter officer passphrase" --send "wrong one" \
	--expect "Enter officer passphrase" --send "$SECRET" \
	-- "$LETHE" key rotate >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 0 "exit after a wrong passphrase, then the right one"
assert_contains "$T/tty" "new primary KEK"

note "a wrong passphrase from a file or a pipe fails at once"
printf 'wrong passphrase\n' >"$T/wrong.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/wrong.pass"
assert_one_line "$ERR"
got=0
printf 'wrong passphrase\n' | "$LETHE" key rotate --passphrase-file - >"$OUT" 2>"$ERR" || got=$?
assert_eq "$got" 6 "exit of a wrong passphrase from a pipe"
assert_one_line "$ERR"

note "^C at the prompt: the process dies of SIGINT and the terminal has echo on again"
got=0
pty --expect "Enter officer passphrase" --send $'\003' \
	-- sh -c 'trap "" INT; "$1" key rotate; echo "lethe exit $?"; stty -a' sh "$LETHE" \
	>"$T/tty" 2>&1 || got=$?
assert_contains "$T/tty" "lethe exit 130"
grep_q -E '(^|[ ;])echo( |;|$)' "$T/tty" || fail "echo is off after ^C: $(cat "$T/tty")"

note "--officer NAME opens that officer's keyslot only"
printf 'bob has a passphrase\n' >"$T/bob.pass"
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --officer alice \
	--passphrase-file "$T/alice.pass"
ok lethe key rotate --officer bob --passphrase-file "$T/bob.pass"
expect_exit 6 lethe key rotate --officer bob --passphrase-file "$T/alice.pass"
assert_one_line "$ERR"
expect_exit 6 lethe key rotate --officer carol --passphrase-file "$T/alice.pass"
assert_contains "$ERR" 'no officer "carol"'
ok lethe hold set --group default --reason "case 1"
ok lethe hold clear --group default --officer bob --passphrase-file "$T/bob.pass"
expect_exit 2 lethe rm 00000000-0000-4000-8000-000000000000 --reason x --officer bob
assert_contains "$ERR" "--officer goes with --force"
got=0
pty --expect "Enter passphrase of officer bob" --send "bob has a passphrase" \
	-- "$LETHE" key rotate --officer bob >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 0 "exit of key rotate --officer bob at a terminal"

note "officer passwd: the old passphrase stops working, the new one works, audited and signed"
printf 'bob changed his passphrase\n' >"$T/bob2.pass"
ok lethe officer passwd --officer bob --passphrase-file "$T/bob.pass" \
	--new-passphrase-file "$T/bob2.pass"
assert_contains "$OUT" "passphrase of officer bob changed"
expect_exit 6 lethe key rotate --passphrase-file "$T/bob.pass"
ok lethe key rotate --passphrase-file "$T/bob2.pass"
ok lethe key rotate --passphrase-file "$T/alice.pass"
ok lethe --json officer list
assert_eq "$(json '" ".join(o["name"] for o in j)' <"$OUT")" "service alice bob" "officers"
expect_exit 2 lethe officer passwd --passphrase-file "$T/bob2.pass" --new-passphrase-file "$T/x.pass"
assert_contains "$ERR" "too weak"
ok lethe key rotate --passphrase-file "$T/bob2.pass"
# typed: the old one, then the new one twice; a mismatch changes nothing
got=0
pty --expect "Enter officer passphrase" --send "bob changed his passphrase" \
	--expect "Enter new passphrase for officer bob" --send "bob's third passphrase" \
	--expect "Repeat new passphrase" --send "bob's third passphrasf" \
	-- "$LETHE" officer passwd >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 2 "exit of passwd with a mistyped confirmation"
ok lethe key rotate --passphrase-file "$T/bob2.pass"
got=0
pty --expect "Enter officer passphrase" --send "bob changed his passphrase" \
	--expect "Enter new passphrase for officer bob" --send "bob's third passphrase" \
	--expect "Repeat new passphrase" --send "bob's third passphrase" \
	-- "$LETHE" officer passwd >"$T/tty" 2>&1 || got=$?
assert_eq "$got" 0 "exit of passwd at a terminal"
assert_not_contains "$T/tty" "third"
printf "bob's third passphrase\n" >"$T/bob3.pass"
expect_exit 6 lethe key rotate --passphrase-file "$T/bob2.pass"
ok lethe key rotate --passphrase-file "$T/bob3.pass"
ok lethe audit verify
ok lethe audit export
python3 - "$OUT" <<'PY' || fail "audit export: no signed officer.passwd records by bob"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
done = [r for r in recs if r["action"] == "officer.passwd" and r["outcome"] == "ok"]
assert len(done) == 2, done
for r in done:
    assert r["keyslot"] == "bob", r
    assert r["auth_sig"] and re.fullmatch("[0-9a-f]{128}", r["auth_sig"]), r
PY
note "ok"
