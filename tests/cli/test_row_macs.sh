#!/usr/bin/env bash
# test_row_macs.sh - every row lethe acts on carries a MAC under a key derived from the master
# key, and every table a digest of its rows. As someone who can write meta.db but holds no key
# would (the sqlite3 shell), this changes, deletes or inserts one row of each authenticated
# table in turn (objects, keks, holds, meta, certificates, checkpoints, pending_unlinks),
# each on a fresh copy of one prepared store, and requires:
# - doctor to fail with exit 4 (and evidence verify / audit verify for their tables);
# - every destructive operation to refuse (exit non-zero): sweep, rm, key rewrap, key retire;
#   nothing that was live, held or locked is shredded, and no KEK leaves the keystore.
# Then: one malformed objects row does not stop ls or sweep (they report it, do the rest and
# exit 4), and a store whose digests were all deleted is not sealed again.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to edit rows"
sql() { sqlite3 "$STORE/meta.db" "$1"; }
officer() { lethe "$@" --passphrase-file "$PASS"; }
keystore_versions() {
	local id
	id=$(cryptsetup luksDump --dump-json-metadata "$STORE/keystore.luks" |
		python3 -c 'import json,sys; t=json.load(sys.stdin)["tokens"]; print([i for i in t if t[i]["type"]=="lethe-keks"][0])')
	cryptsetup token export --token-id "$id" "$STORE/keystore.luks" |
		python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["keks"], key=int)))'
}
state_of() { sql "SELECT state FROM objects WHERE id = '$1'"; }

rand_file "$T/f" 3000

# ---- the prepared store --------------------------------------------------------------------
note "prepare: objects live, expired, locked and held, a group hold, two KEKs, certificates, checkpoints"
fresh_store base "[group:short]
retention = 1s
[group:vault]
retention = 1s
lock = true
[group:frozen]
retention = 1s"
BASE=$STORE
BASEPASS=$PASS
Y=$(lethe put "$T/f")                      # live for a year, KEK 1
L=$(lethe put --group vault "$T/f")        # compliance-locked, held below
G=$(lethe put --group frozen "$T/f")       # under a group hold
R=$(lethe put --group short "$T/f")        # removed now: a certificate
ok lethe hold set "$L" --reason CASE-1
ok lethe hold set --group frozen --reason CASE-2
ok officer key rotate                      # KEK 2 primary; KEK 1 still wraps Y, L, G
sleep 1.1
ok officer rm "$R" --reason "prepared" --force
ok lethe sweep                             # nothing shreddable: held, locked+held; a checkpoint
[ "$(state_of "$L")" = 0 ] && [ "$(state_of "$G")" = 0 ] || fail "the prepared store lost a held object"
ok lethe doctor
ok lethe evidence verify
ok lethe audit verify
[ "$(sql "SELECT count(*) FROM checkpoints")" -ge 1 ] || fail "no checkpoint in the prepared store"

# A copy of the prepared store to attack (same keyfile, same keystore contents).
copy_store() {
	STORE=$T/case.$1
	rm -rf "$STORE"
	cp -a "$BASE" "$STORE"
	export LETHE_STORE=$STORE
	PASS=$BASEPASS
}

# refuses CMD...: CMD exits non-zero.
refuses() {
	local got=0
	"$@" >"$OUT" 2>"$ERR" || got=$?
	[ "$got" != 0 ] || fail "$CASE: '$*' did not refuse"
}

# attacked NAME SQL [VERIFIER]: apply SQL to a fresh copy, then every check.
attacked() {
	local name=$1 edit=$2 verifier=${3:-}
	CASE=$name
	note "$name"
	copy_store "$name"
	sql "$edit"
	expect_exit 4 lethe doctor
	case $verifier in
	evidence) expect_exit 4 lethe evidence verify ;;
	audit) expect_exit 4 lethe audit verify ;;
	esac
	refuses lethe sweep
	refuses officer rm "${RM_TARGET:-$Y}" --reason attack --force
	refuses officer key rewrap
	refuses officer key retire 1
	[ "$(state_of "$L")" = 0 ] || fail "$name: the locked, held object was shredded"
	[ "$(state_of "$G")" = 0 ] || fail "$name: the object under a group hold was shredded"
	[ "$(state_of "$Y")" = 0 ] || [ "$(state_of "$Y")" = "" ] || fail "$name: a live object was shredded"
	case " $(keystore_versions) " in *" 1 "*) ;; *) fail "$name: KEK version 1 left the keystore" ;; esac
	[ -f "$(object_file "$L")" ] || fail "$name: the locked object's file is gone"
}

# ---- objects -------------------------------------------------------------------------------
RM_TARGET=$L attacked "objects: a locked, held object made expired and unlocked (the issue's attack)" \
	"UPDATE objects SET retain_until = created_at, locked = 0, hold = 0 WHERE id = '$L'"
expect_exit 4 lethe stat "$L"
assert_contains "$ERR" "objects row $L fails its MAC"
attacked "objects: a row deleted" "DELETE FROM objects WHERE id = '$Y'"
attacked "objects: a row inserted (a copy of another under a new id)" \
	"INSERT INTO objects SELECT '00000000-0000-4000-8000-00000000beef', grp, name, size, sha256,
	   created_at, retain_until, hold, hold_reason, kek_version, wrapped_dek, state, shredded_at,
	   seg_log2, locked, mac, name_enc, name_commit FROM objects WHERE id = '$Y'"

# ---- keks ----------------------------------------------------------------------------------
attacked "keks: KEK 1 marked retired (the issue's attack)" \
	"UPDATE keks SET state = 1, retired_at = 1 WHERE version = 1"
lethe put "$T/f" >/dev/null 2>&1 || true # a put loads KEKs: KEK 1 must not go with it
case " $(keystore_versions) " in *" 1 "*) ;; *) fail "a put removed KEK version 1" ;; esac
attacked "keks: a row deleted" "PRAGMA foreign_keys = OFF; DELETE FROM keks WHERE version = 1"
attacked "keks: a row inserted" \
	"INSERT INTO keks (version, is_primary, state, created_at, retired_at) VALUES (3, 0, 0, 1, 0)"

# ---- holds ---------------------------------------------------------------------------------
attacked "holds: the group hold's reference changed" "UPDATE holds SET ref = 'none' WHERE grp = 'frozen'"
attacked "holds: the group hold deleted" "DELETE FROM holds WHERE grp = 'frozen'"
attacked "holds: the object hold deleted" "DELETE FROM holds WHERE object = '$L'"
attacked "holds: a hold inserted" \
	"INSERT INTO holds (object, grp, ref, set_at, set_by) VALUES ('', 'short', 'x', 1, '')"

# ---- meta ----------------------------------------------------------------------------------
attacked "meta: the evidence public key replaced" \
	"UPDATE meta SET value = randomblob(32) WHERE key = 'evidence_pub'" evidence
attacked "meta: a row deleted" "DELETE FROM meta WHERE key = 'evidence_pub'" evidence
attacked "meta: a row inserted" "INSERT INTO meta (key, value) VALUES ('note', X'00')"

# ---- certificates --------------------------------------------------------------------------
UNGUARD_CERTS="DROP TRIGGER IF EXISTS certificates_no_update; DROP TRIGGER IF EXISTS certificates_no_delete;
	DROP TRIGGER IF EXISTS certificates_chain; DROP TRIGGER IF EXISTS certificates_shredded;"
attacked "certificates: the newest one's reason changed" \
	"$UNGUARD_CERTS UPDATE certificates SET reason = 'retention-expired'
	 WHERE seq = (SELECT max(seq) FROM certificates)" evidence
attacked "certificates: the newest one deleted" \
	"$UNGUARD_CERTS DELETE FROM certificates WHERE seq = (SELECT max(seq) FROM certificates)" evidence
attacked "certificates: one inserted" \
	"$UNGUARD_CERTS INSERT INTO certificates SELECT seq + 1, id || 'x', object_id || 'x', grp, reason,
	   shredded_at, json, sig, sha256, mac FROM certificates WHERE seq = (SELECT max(seq) FROM certificates)" evidence

# ---- checkpoints ---------------------------------------------------------------------------
UNGUARD_CPS="DROP TRIGGER IF EXISTS checkpoints_no_update; DROP TRIGGER IF EXISTS checkpoints_no_delete;
	DROP TRIGGER IF EXISTS checkpoints_chain;"
attacked "checkpoints: the newest one's audit_seq lowered" \
	"$UNGUARD_CPS UPDATE checkpoints SET audit_seq = 1 WHERE seq = (SELECT max(seq) FROM checkpoints)" audit
attacked "checkpoints: the newest one deleted" \
	"$UNGUARD_CPS DELETE FROM checkpoints WHERE seq = (SELECT max(seq) FROM checkpoints)" audit
attacked "checkpoints: one inserted" \
	"$UNGUARD_CPS INSERT INTO checkpoints SELECT seq + 1, audit_seq, audit_mac, time, json, sig, mac
	 FROM checkpoints WHERE seq = (SELECT max(seq) FROM checkpoints)" audit

# ---- pending_unlinks -----------------------------------------------------------------------
attacked "pending_unlinks: a live object's file queued for unlinking (the issue's attack)" \
	"INSERT INTO pending_unlinks (id) VALUES ('$Y')"
[ -f "$(object_file "$Y")" ] || fail "a forged pending unlink removed a live object's file"
attacked "pending_unlinks: a queued id changed to a live object's" \
	"INSERT INTO pending_unlinks (id, mac) SELECT '$Y', mac FROM objects WHERE id = '$R'"
# A queued row that lethe wrote: a shred whose process dies after its commit, before the
# unlink ($LETHE_FAULT_BIN exits at the fault point), leaves the id queued.
note "pending_unlinks: a row lethe queued, deleted"
copy_store unlinkdel
V=$(lethe put "$T/f")
got=0
LETHE_FAULT=rm.after_commit "${LETHE_FAULT_BIN:?}" rm "$V" --reason stuck --force \
	--passphrase-file "$PASS" >"$OUT" 2>"$ERR" || got=$?
[ "$got" = 99 ] || fail "rm did not stop at rm.after_commit (exit $got)"
[ "$(sql "SELECT count(*) FROM pending_unlinks WHERE id = '$V'")" = 1 ] || fail "the unlink was not left queued"
sql "DELETE FROM pending_unlinks WHERE id = '$V'"
expect_exit 4 lethe doctor
assert_contains "$OUT" "pending_unlinks"
CASE="pending_unlinks delete"
refuses lethe sweep
refuses officer rm "$Y" --reason attack --force
refuses officer key rewrap
[ "$(state_of "$Y")" = 0 ] || fail "rm went ahead after a pending unlink was deleted"

# ---- F11: one malformed row does not stop listings and sweeps --------------------------------
note "a malformed objects row: ls lists the others, sweep shreds the others, both exit 4"
copy_store malformed
X1=$(lethe put --group short "$T/f")
X2=$(lethe put --group short "$T/f")
sleep 1.1
sql "PRAGMA ignore_check_constraints = 1; UPDATE objects SET name = printf('%.3000c', 'n') WHERE id = '$X1'"
expect_exit 4 lethe ls
assert_contains "$OUT" "$X2"
assert_contains "$OUT" "$Y"
assert_not_contains "$OUT" "$X1"
assert_contains "$ERR" "$X1"
expect_exit 4 lethe --json ls
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" || fail "ls --json is not JSON"
expect_exit 4 lethe stat "$X1"
expect_exit 4 lethe sweep
assert_contains "$ERR" "$X1"
[ "$(state_of "$X2")" = 1 ] || fail "the sweep stopped at the malformed row: $X2 is not shredded"
[ "$(state_of "$X1")" = 0 ] || fail "the malformed row was shredded"
expect_exit 4 lethe doctor

note "a store whose every digest was deleted is not sealed again"
copy_store unsealed
sql "DELETE FROM row_digests"
lethe ls >/dev/null 2>&1 || true
[ "$(sql "SELECT count(*) FROM row_digests")" = 0 ] || fail "the store was sealed again"
expect_exit 4 lethe doctor
refuses lethe sweep
refuses officer rm "$Y" --reason attack --force

note "ok"
