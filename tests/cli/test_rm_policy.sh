#!/usr/bin/env bash
# test_rm_policy.sh - rm's own policy checks, end to end: a locked group (compliance mode)
# refuses rm before retain_until, with and without --force, by its lock (exit 5, the lock named
# on stderr and in the audit record), not by any later safeguard; and the expiry boundary: an
# rm one second before retain_until is refused (exit 5), an rm in the second of retain_until
# itself shreds (an object may go at retain_until, retain_until <= now).
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store rp "[group:locked]
retention = 30d
lock = true
[group:edge]
retention = 3s"
rand_file "$T/f" 4000

# last_rm_record: outcome and error of the newest rm record in the audit log.
last_rm_record() {
	lethe audit export | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
r = [x for x in recs if x["action"] == "rm"][-1]
print(r["outcome"], "|", r.get("error") or "")'
}

note "compliance lock: rm refused by the lock itself"
l=$(lethe put --group locked "$T/f")
expect_exit 5 lethe rm "$l" --reason early
assert_one_line "$ERR"
assert_contains "$ERR" "locked (compliance mode)"
rec=$(last_rm_record)
case $rec in "refused | "*"locked (compliance mode)"*) ;; *) fail "audit record of the refused rm: $rec" ;; esac
expect_exit 5 lethe rm "$l" --reason early --force --passphrase-file "$PASS"
assert_one_line "$ERR"
assert_contains "$ERR" "locked (compliance mode)"
assert_not_contains "$ERR" "certificate"
rec=$(last_rm_record)
case $rec in "refused | "*"locked (compliance mode)"*) ;; *) fail "audit record of the refused forced rm: $rec" ;; esac
assert_eq "$(lethe --json stat "$l" | json 'j["state"]')" live "state of the locked object"
assert_eq "$(lethe --json evidence list | json 'len(j)')" 0 "certificates after refused rms"
ok lethe get "$l"

# epoch SECONDS of the RFC 3339 time on stdin
epoch() {
	python3 -c 'import sys, datetime; print(int(datetime.datetime.strptime(sys.stdin.read().strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))'
}
# wait_second S: sleep until the clock's second is S (returns at once if it is past).
wait_second() {
	python3 -c 'import sys, time
t = int(sys.argv[1])
while time.time() < t:
    time.sleep(min(0.05, t - time.time()) if t - time.time() > 0 else 0)' "$1"
}

# try_rm_at SECOND ID: run rm ID as soon as the clock reaches SECOND; sets GOT (exit status)
# and SAME (1 when the whole command ran within that second, so its "now" was SECOND).
try_rm_at() {
	local t0 t1
	wait_second "$1"
	t0=$(date +%s)
	GOT=0
	lethe rm "$2" --reason boundary >"$OUT" 2>"$ERR" || GOT=$?
	t1=$(date +%s)
	SAME=0
	[ "$t0" = "$1" ] && [ "$t1" = "$1" ] && SAME=1
	return 0
}

note "expiry boundary: refused at retain_until - 1 s, shredded at retain_until"
before_done=0 at_done=0
for attempt in 1 2 3 4 5; do
	e=$(lethe put --group edge "$T/f")
	until=$(lethe --json stat "$e" | json 'j["retain_until"]' | epoch)
	created=$(lethe --json stat "$e" | json 'j["created_at"]' | epoch)
	assert_eq "$((until - created))" 3 "retain_until - created_at of a 3 s group"
	if [ "$before_done" = 0 ]; then
		try_rm_at $((until - 1)) "$e"
		if [ "$SAME" = 1 ]; then
			[ "$GOT" = 5 ] || fail "rm one second before retain_until: exit $GOT, expected 5"
			assert_contains "$ERR" "retained until"
			before_done=1
		elif [ "$GOT" != 5 ]; then
			# it ran into retain_until's second and shredded: nothing left to try here
			note "attempt $attempt: the rm before the boundary ran late, again"
			continue
		fi
	fi
	try_rm_at "$until" "$e"
	if [ "$SAME" = 1 ]; then
		[ "$GOT" = 0 ] || fail "rm in the second of retain_until: exit $GOT, expected 0 (an object may go at retain_until)"
		expect_exit 3 lethe get "$e"
		at_done=1
	fi
	[ "$before_done" = 1 ] && [ "$at_done" = 1 ] && break
	note "attempt $attempt: a command crossed a second boundary, again"
done
if [ "$before_done" != 1 ] || [ "$at_done" != 1 ]; then
	fail "the machine is too slow for one rm within a second five times over"
fi
ok lethe doctor
ok lethe audit verify
ok lethe evidence verify
note "ok"
