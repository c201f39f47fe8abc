#!/usr/bin/env bash
# test_retention.sh - retention of a few seconds: nothing is shredded before expiry, a sweep
# shreds what expired (exit 3 after, files gone), holds keep objects through sweeps until an
# officer clears them, locked groups refuse early rm even by an officer, dry runs change
# nothing, retention extend never shortens, and --json sweep counts.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store ret "[group:short]
retention = 3s
[group:short2]
retention = 3s
[group:gov]
retention = 1h
[group:locked]
retention = 1h
lock = true"

# epoch TIME: seconds since the epoch of an RFC 3339 UTC time.
epoch() {
	date -u -d "$1" +%s
}
state() {
	lethe --json stat "$1" | json 'j["state"]'
}
sweep_json() {
	ok lethe --json sweep "$@"
	cp "$OUT" "$T/sweep.json"
}
count() {
	json "j[\"$1\"]" <"$T/sweep.json"
}

rand_file "$T/f" 5000
note "objects in a 3 s group, one held, one extended; a held group"
ok lethe hold set --group short2 --reason CASE-2
d=$(lethe put "$T/f")                  # default group: 365 days
a=$(lethe put --group short "$T/f")
b=$(lethe put --group short "$T/f")
c=$(lethe put --group short "$T/f")
x=$(lethe put --group short "$T/f")
e=$(lethe put --group short "$T/f")
h=$(lethe put --group short2 "$T/f")   # written after the group hold: covered by it
ok lethe hold set "$c" --reason CASE-1
ok lethe retention extend "$e" --by 1h
# Nothing above sweeps, so however slow this machine is, nothing can go before the sweeps
# below; the checks that need "before expiry" only run when the clock allows.
until_a=$(epoch "$(lethe --json stat "$a" | json 'j["retain_until"]')")
until_h=$(epoch "$(lethe --json stat "$h" | json 'j["retain_until"]')")
created_a=$(epoch "$(lethe --json stat "$a" | json 'j["created_at"]')")
assert_eq "$((until_a - created_a))" "3" "retain_until - created_at"
assert_eq "$(lethe --json stat "$c" | json 'j["hold"]')" "true" "hold of c"
assert_eq "$(lethe --json stat "$c" | json 'j["hold_reason"]')" "CASE-1" "hold reason of c"
assert_eq "$(lethe --json stat "$h" | json 'j["hold"]')" "true" "group hold covers h"

note "before expiry: a dry run finds nothing"
sweep_json --dry-run
lethe --json ls --expired >"$T/expired.json"
if [ "$(date +%s)" -lt "$until_a" ]; then
	assert_eq "$(count shredded)" "0" "would shred before expiry"
	assert_eq "$(count held)" "0" "would keep before expiry"
	assert_eq "$(json 'len(j)' <"$T/expired.json")" "0" "ls --expired before expiry"
else
	note "slow machine: the objects expired during setup; pre-expiry checks skipped"
fi

note "waiting for expiry"
expired() {
	[ "$(date +%s)" -ge "$until_h" ] &&
		[ "$(lethe --json ls --expired | json "len([o for o in j if o['id'] == '$h'])")" = 1 ]
}
wait_until 10 expired
ok lethe ls --expired
assert_contains "$OUT" "$a"
assert_not_contains "$OUT" "$e"
assert_not_contains "$OUT" "$d"
# A sweep never touches what has not expired (d: 365 days; e: extended by an hour).

note "dry run after expiry: lists exactly what would go, and why held ones stay"
sweep_json --dry-run
assert_eq "$(count shredded)" "3" "would shred"
assert_eq "$(count held)" "2" "would keep"
assert_eq "$(count failed)" "0" "failed"
assert_eq "$(json 'sorted(j["ids"])' <"$T/sweep.json")" "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "$a" "$b" "$x")" "dry-run ids"
assert_eq "$(json "'CASE-1' in {o['id']: o['reason'] for o in j['held_objects']}['$c']" <"$T/sweep.json")" "true" "held reason of c"
assert_eq "$(json "'CASE-2' in {o['id']: o['reason'] for o in j['held_objects']}['$h']" <"$T/sweep.json")" "true" "held reason of h"
ok lethe sweep --dry-run
assert_contains "$OUT" "would shred $a"
assert_contains "$OUT" "would keep $c"
assert_contains "$OUT" "CASE-1"
# ... and changed nothing.
assert_eq "$(state "$a")" "live" "state of a after a dry run"
ok lethe get "$a"
object_file "$a" >/dev/null

note "an expired object: the service may rm it without --force"
ok lethe rm "$x" --reason "closed ticket 17"
assert_contains "$OUT" "$x"
expect_exit 3 lethe get "$x"

note "sweep"
fa=$(object_file "$a")
fb=$(object_file "$b")
# the wrapped data keys about to be destroyed, to look for them on disk afterwards
dek_a=$(sqlite3 "$STORE/meta.db" "SELECT hex(wrapped_dek) FROM objects WHERE id = '$a'")
dek_b=$(sqlite3 "$STORE/meta.db" "SELECT hex(wrapped_dek) FROM objects WHERE id = '$b'")
[ ${#dek_a} -eq 120 ] && [ ${#dek_b} -eq 120 ] || fail "no wrapped DEK before the sweep"
sweep_json
assert_eq "$(count shredded)" "2" "shredded"
assert_eq "$(count held)" "2" "held"
assert_eq "$(count failed)" "0" "failed"
assert_eq "$(count dry_run)" "false" "dry_run"
note "no copy of a shredded object's wrapped DEK in meta.db or its WAL"
for f in "$STORE"/meta.db*; do
	hex=$(od -An -v -tx1 "$f" | tr -d ' \n' | tr 'a-f' 'A-F')
	case $hex in
	*"$dek_a"* | *"$dek_b"*) fail "a shredded object's wrapped DEK is still in $f" ;;
	esac
done
assert_eq "$(sqlite3 "$STORE/meta.db" "SELECT count(*) FROM objects WHERE id IN ('$a', '$b') AND wrapped_dek IS NULL")" "2" "DEKs nulled"
for id in "$a" "$b"; do
	expect_exit 3 lethe get "$id"
	assert_one_line "$ERR"
	assert_eq "$(state "$id")" "shredded" "state after sweep"
done
assert_file_absent "$fa"
assert_file_absent "$fb"
ok lethe get "$c"
ok lethe get "$h"
ok lethe get "$e"
ok lethe get "$d"
assert_eq "$(state "$e")" "live" "extended object"

note "sweeps are idempotent"
sweep_json
assert_eq "$(count shredded)" "0" "second sweep"
assert_eq "$(count held)" "2" "still held"
ok lethe sweep
assert_contains "$OUT" "shredded 0 objects"

note "clearing a hold needs an officer"
expect_exit 6 timeout 20 "$LETHE" hold clear "$c"
assert_one_line "$ERR"
assert_eq "$(lethe --json stat "$c" | json 'j["hold"]')" "true" "hold after a refused clear"
printf 'wrong\n' >"$T/wrong.pass"
expect_exit 6 lethe hold clear "$c" --passphrase-file "$T/wrong.pass"
ok lethe hold clear "$c" --passphrase-file "$PASS"
assert_eq "$(lethe --json stat "$c" | json 'j["hold"]')" "false" "hold after clear"
sweep_json
assert_eq "$(count shredded)" "1" "shredded after clearing the hold"
expect_exit 3 lethe get "$c"
ok lethe hold clear --group short2 --passphrase-file "$PASS"
sweep_json
assert_eq "$(count shredded)" "1" "shredded after clearing the group hold"
assert_eq "$(count held)" "0" "nothing held"
expect_exit 3 lethe get "$h"

note "locked group: no early rm, not even by an officer"
l=$(lethe put --group locked "$T/f")
expect_exit 5 lethe rm "$l" --reason early
assert_one_line "$ERR"
expect_exit 5 lethe rm "$l" --reason early --force --passphrase-file "$PASS"
assert_one_line "$ERR"
ok lethe get "$l"
# the lock is the object's, fixed when it was written: another config cannot lift it, and
# --config cannot even say so (security settings come from the store's own lethe.conf)
sed 's/^lock = true/lock = false/' "$STORE/lethe.conf" >"$T/unlocked.conf"
grep -q '^lock = false' "$T/unlocked.conf" || fail "test config did not unlock the group"
expect_exit 2 lethe --config "$T/unlocked.conf" rm "$l" --reason early --force \
	--passphrase-file "$PASS"
assert_contains "$ERR" "[group:locked] lock differs from the store's own"
cp -p "$STORE/lethe.conf" "$T/locked.conf"
cp "$T/unlocked.conf" "$STORE/lethe.conf"
expect_exit 5 lethe rm "$l" --reason early --force --passphrase-file "$PASS"
assert_contains "$ERR" "lock"
cp -p "$T/locked.conf" "$STORE/lethe.conf"
ok lethe get "$l"

note "governance group: an officer may force an early rm, unless held"
g=$(lethe put --group gov "$T/f")
expect_exit 5 lethe rm "$g" --reason early
expect_exit 6 timeout 20 "$LETHE" rm "$g" --reason early --force
ok lethe hold set "$g" --reason CASE-3
expect_exit 5 lethe rm "$g" --reason early --force --passphrase-file "$PASS"
ok lethe get "$g"
ok lethe hold clear "$g" --passphrase-file "$PASS"
ok lethe --json rm "$g" --reason "officer request 42" --force --passphrase-file "$PASS"
assert_eq "$(json 'j["id"]' <"$OUT")" "$g" "rm --json id"
cert=$(json 'j["certificate"]' <"$OUT")
expect_exit 3 lethe get "$g"
ok lethe --json evidence list
assert_eq "$(json "[c['object_id'] for c in j if c['id'] == '$cert'][0]" <"$OUT")" "$g" "certificate of g"

note "retention extend never shortens"
until_d=$(epoch "$(lethe --json stat "$d" | json 'j["retain_until"]')")
expect_exit 5 lethe retention extend "$d" --until 2000-01-01
assert_one_line "$ERR"
ok lethe --json retention extend "$d" --by 1d
assert_eq "$(json 'j["changed"]' <"$OUT")" "1" "changed"
assert_eq "$(epoch "$(lethe --json stat "$d" | json 'j["retain_until"]')")" "$((until_d + 86400))" "retain_until after --by 1d"
far=$(date -u -d "@$((until_d + 10 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
ok lethe retention extend "$d" --until "$far"
assert_eq "$(epoch "$(lethe --json stat "$d" | json 'j["retain_until"]')")" "$((until_d + 10 * 86400))" "retain_until after --until"
g2=$(lethe put --group gov "$T/f")
ok lethe --json retention extend --group gov --by 2h
assert_eq "$(json 'j["changed"]' <"$OUT")" "1" "live objects of gov extended"
expect_exit 3 lethe retention extend "$g" --by 1d

note "a shorter policy in lethe.conf does not shorten existing objects"
python3 - "$STORE/lethe.conf" <<'PY'
import re, sys
path = sys.argv[1]
out, section = [], None
for line in open(path):
    m = re.match(r"\s*\[([^\]]+)\]", line)
    if m:
        section = m.group(1).strip()
    if section == "group:gov" and re.match(r"\s*retention\s*=", line):
        line = "retention = 1s\n"
    out.append(line)
open(path, "w").write("".join(out))
PY
sleep 1.1
sweep_json
assert_eq "$(count shredded)" "0" "shredded after shortening the policy"
assert_eq "$(state "$g2")" "live" "object under the old, longer policy"

ok lethe doctor
note "ok"
