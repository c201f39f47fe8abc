#!/usr/bin/env bash
# test_reseal.sh - trust on first use cannot be brought back by someone who can write the
# store's files but holds no key (T1), with the sqlite3 and cryptsetup CLIs:
# - re-sealing: the audit log, the row digests and the anchor token deleted, rows edited
#   (a lock lifted, a hold cleared, retention shortened): the next open does not seal the edits,
#   the sweep shreds nothing of them, doctor, audit verify and evidence verify exit 4; a second
#   round that also deletes certificates, checkpoints and shredded rows is detected too;
# - the whole log and the anchor token deleted: doctor and audit verify exit 4 before any
#   writer, and after one (put) no anchor has been made from nothing.
# - the store's account turns syslog off in DIR/lethe.conf (and lifts a group's lock): the next
#   open appends a config.change record naming what changed, and its syslog line goes out
#   although syslog is now off.
# Each replays an attack of the review of issue 14 as it was run.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || {
	note "no sqlite3 command (the attacker's tool): skipped"
	exit 77
}
command -v cryptsetup >/dev/null || {
	note "no cryptsetup command (the attacker's tool): skipped"
	exit 77
}

sql() { sqlite3 "$STORE/meta.db" "$1"; }
# The lethe-anchor token of keystore.luks removed, as T1 does with cryptsetup.
remove_anchor() {
	local id
	id=$(cryptsetup luksDump --dump-json-metadata "$STORE/keystore.luks" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print([k for k,v in d["tokens"].items() if v["type"]=="lethe-anchor"][0])')
	cryptsetup token remove --token-id "$id" "$STORE/keystore.luks"
}
has_anchor() {
	cryptsetup luksDump --dump-json-metadata "$STORE/keystore.luks" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(v["type"]=="lethe-anchor" for v in d["tokens"].values()) else 1)'
}
# The reviewer's store: a locked object in fin, short-lived objects in tmp, one of them held.
review_store() {
	fresh_store "$1" "[retention]
default = 1s
[group:fin]
retention = 3650d
lock = true
[group:tmp]
retention = 1s"
	printf 'secretfin\n' >"$T/f1"
	printf 'tmpdata\n' >"$T/f2"
	ok lethe put --group fin "$T/f1"
	FIN=$(cat "$OUT")
	ok lethe put --group tmp "$T/f2"
	ok lethe put --group tmp "$T/f2"
	ok lethe put --group tmp "$T/f2"
	HELD=$(cat "$OUT")
	ok lethe hold set "$HELD" --reason CASE1
}
# every verifier exits 4
all_detect() {
	expect_exit 4 lethe doctor
	cp "$OUT" "$T/doctor.out"
	expect_exit 4 lethe audit verify
	expect_exit 4 lethe evidence verify
}

note "re-sealing, round 1: log, digests and anchor deleted, a lock lifted and a hold cleared"
review_store s11
sleep 1.1 # the tmp objects expire
ok lethe audit verify
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit; DELETE FROM audit_pending;
 DELETE FROM row_digests;
 UPDATE objects SET created_at=created_at-315619200-86400, retain_until=retain_until-315619200-86400, locked=0 WHERE id='$FIN';
 UPDATE objects SET hold=0, hold_reason='' WHERE id='$HELD';"
sql "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
remove_anchor
expect_exit 4 lethe sweep
[ "$(sql "SELECT count(*) FROM row_digests")" = 0 ] || fail "the edited store was sealed again"
[ "$(sql "SELECT state FROM objects WHERE id='$FIN'")" = 0 ] || fail "the locked object was shredded"
[ "$(sql "SELECT state FROM objects WHERE id='$HELD'")" = 0 ] || fail "the held object was shredded"
! has_anchor || fail "an anchor was made from the deleted log"
expect_exit 4 lethe stat "$FIN"
all_detect
assert_contains "$T/doctor.out" "the log does not begin with the store's init record"

note "re-sealing, round 2: certificates, checkpoints and shredded rows deleted as well"
sql "DROP TRIGGER audit_no_delete; DROP TRIGGER certificates_no_delete; DROP TRIGGER checkpoints_no_delete;
 DELETE FROM audit; DELETE FROM audit_pending; DELETE FROM certificates; DELETE FROM checkpoints; DELETE FROM objects WHERE state=1; DELETE FROM pending_unlinks; DELETE FROM row_digests;"
sql "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END; CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates BEGIN SELECT RAISE(ABORT, 'disposal certificates are append-only'); END; CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;"
if has_anchor; then remove_anchor; fi
expect_exit 4 lethe ls
[ "$(sql "SELECT count(*) FROM row_digests")" = 0 ] || fail "the edited store was sealed again"
all_detect
assert_contains "$T/doctor.out" "the log does not begin with the store's init record"

note "the whole log and the anchor deleted: detected before any writer, and no anchor made by one"
review_store s5
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit; DELETE FROM audit_pending;"
sql "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
remove_anchor
expect_exit 4 lethe doctor
assert_contains "$OUT" "audit log is empty"
expect_exit 4 lethe audit verify
ok lethe ls
ok lethe put --group tmp "$T/f2"
! has_anchor || fail "an anchor was made from nothing after the log was deleted"
expect_exit 4 lethe audit verify
assert_contains "$ERR" "the log does not begin with the store's init record"
expect_exit 4 lethe doctor
assert_contains "$OUT" "the log does not begin with the store's init record"

note "a log cut back to its init record, anchor removed: no anchor is made from it either"
review_store cut
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > 1; DELETE FROM audit_pending;"
remove_anchor
expect_exit 4 lethe doctor
assert_contains "$OUT" "anchored when it was made"
ok lethe put --group tmp "$T/f2"
! has_anchor || fail "an anchor was made for a store anchored at init"
expect_exit 4 lethe audit verify

note "syslog turned off in lethe.conf: recorded in the log and sent to syslog once"
review_store conf
CONF=$STORE/lethe.conf
grep_q '^syslog = true' "$CONF" || fail "the store's lethe.conf does not forward to syslog"
sed -i 's/^syslog = true/syslog = false/; s/^lock = true/lock = false/' "$CONF"
ok with_syslog "$T/conflog" "$LETHE" ls
assert_contains "$T/conflog" "config.change"
assert_contains "$T/conflog" "[audit] syslog true -> false"
ok lethe audit export
assert_contains "$OUT" '"action":"config.change"'
assert_contains "$T/conflog" "[group:fin] retention 315360000,lock=true,max=3155760000 -> 315360000,lock=false,max=3155760000"
ok with_syslog "$T/conflog2" "$LETHE" ls
[ ! -s "$T/conflog2" ] || fail "syslog off, yet lines went out: $(cat "$T/conflog2")"
ok lethe audit export
assert_eq "$(grep -c '"action":"config.change"' "$OUT")" 1 "config.change records after two opens"
ok lethe doctor
ok lethe audit verify

note "ok"
