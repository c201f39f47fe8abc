#!/bin/bash
# test_clock.sh - T3, the clock (issue 14, item 6), tried as the attacker would: an LD_PRELOAD
# library that shifts the clock lethe reads (tests/preload/testshim.c), backwards and forwards.
#   - a process clock the kernel disagrees with: every command refuses (exit 5), so a locked
#     object is not shredded ten years early; also when the library lies only after lethe's
#     check at open (a put's created_at and a sweep's time are checked again);
#   - a clock earlier than the newest authenticated record (a system-wide change, modelled by
#     shifting the file times statx returns as well): sweep and rm refuse (exit 5) and say so;
#   - a system-wide forward jump cannot be told from real time while it lasts (THREATS.md):
#     once the clock is right again, sweeps refuse until it passes the records written then.
. "$(dirname "$0")/lib.sh"

YEAR=$((366 * 86400))
fresh_store s "[group:locked]
retention = 3650d
lock = true
[group:short]
retention = 1d"
rand_file "$T/f" 5000
locked=$(lethe put --group locked "$T/f")
short=$(lethe put --group short "$T/f")

note "an LD_PRELOAD clock ten years ahead: the sweep refuses, the locked object stays"
for cmd in sweep "sweep --dry-run" ls; do
	# shellcheck disable=SC2086
	expect_exit 5 shifted $((10 * YEAR)) "$LETHE" $cmd
	assert_one_line "$ERR"
	assert_contains "$ERR" "ahead of the kernel's"
	assert_contains "$ERR" "faked (LD_PRELOAD?)"
done
expect_exit 5 shifted $((10 * YEAR)) "$LETHE" rm "$short" --reason expired
ok lethe get "$locked" -o "$T/out"
assert_same "$T/f" "$T/out"
ok lethe get "$short" -o "$T/out"
# a shift within the tolerance (retention/policy.h) is accepted: file times are coarse
ok shifted 30 "$LETHE" ls

note "a library that answers the check at open truthfully and lies afterwards: refused where it lies"
# a put backdated ten years (its locked retention would run out now), and a sweep ten years
# ahead: each decision's own reading is checked against the kernel's
LETHE_TEST_CLOCK_AFTER=1 expect_exit 5 shifted $((-10 * YEAR)) "$LETHE" put --group locked "$T/f"
assert_one_line "$ERR"
assert_contains "$ERR" "behind the kernel's"
LETHE_TEST_CLOCK_AFTER=1 expect_exit 5 shifted $((10 * YEAR)) "$LETHE" sweep
assert_contains "$ERR" "ahead of the kernel's"
ok lethe --json ls --all
assert_eq "$(json 'len(j)' <"$OUT")" 2
assert_eq "$(json '[o["state"] for o in j]' <"$OUT")" "['live', 'live']"
ok lethe get "$locked" -o "$T/out"

note "an LD_PRELOAD clock a year back: refused the same way"
expect_exit 5 shifted $((-YEAR)) "$LETHE" sweep
assert_contains "$ERR" "behind the kernel's"

note "a clock earlier than the newest authenticated record: sweep and rm refuse, with both times"
export SHIM_FILES=1
expect_exit 5 shifted -86400 "$LETHE" sweep
assert_one_line "$ERR"
assert_contains "$ERR" "is earlier than the newest authenticated record (audit record"
newest=$(lethe audit export | tail -n 1 | json 'j["time"][:19]')
assert_contains "$ERR" "$newest"
expect_exit 5 shifted -86400 "$LETHE" rm "$short" --reason expired
assert_contains "$ERR" "is earlier than the newest authenticated record"
# the refusal did not write a record stamped by the refused clock: the check holds next time
expect_exit 5 shifted -86400 "$LETHE" sweep
assert_contains "$ERR" "is earlier than the newest authenticated record"
# a keyless edit of the newest record's time does not get past it either
db=$STORE/meta.db
if command -v sqlite3 >/dev/null; then
	sqlite3 "$db" "DROP TRIGGER audit_no_update;
		UPDATE audit SET time_us = 0 WHERE seq = (SELECT MAX(seq) FROM audit)"
	expect_exit 5 shifted -86400 "$LETHE" sweep
	assert_contains "$ERR" "is earlier than the newest authenticated record"
	sqlite3 "$db" "UPDATE audit SET time_us = 4102444800000000 WHERE seq = 2"
	expect_exit 4 shifted -86400 "$LETHE" sweep
	assert_contains "$ERR" "MAC does not verify"
	expect_exit 4 lethe sweep
	note "(the store is now tampered with by this test: a fresh one follows)"
else
	note "sqlite3 not installed: the edited-record case is skipped"
fi

note "a system-wide jump forward: lethe cannot tell it from real time, and flags it afterwards"
fresh_store s2 "[group:short]
retention = 1d"
short=$(lethe put --group short "$T/f")
# the whole system a week ahead: the object's day is over, as far as anything can tell
ok shifted $((7 * 86400)) "$LETHE" sweep
expect_exit 3 lethe get "$short"
# back to real time: the log holds records from the future, and sweeps refuse until then
expect_exit 5 lethe sweep
assert_contains "$ERR" "is earlier than the newest authenticated record"
# and doctor says that disposal has stopped until then
lethe doctor >"$OUT" 2>"$ERR" && fail "doctor passed a log dated a week ahead"
assert_contains "$OUT" "ahead of the clock: no sweep or rm shreds anything until then"
unset SHIM_FILES

note "ok"
