#!/usr/bin/env bash
# test_owner_fix.sh - the fix lethe gives for files of the wrong owner names the store's owner
# (the owner of the store directory) and every file at once. root running doctor on a store of
# the service's account is told to run lethe as that account, never to chown the store to root
# (which breaks the service); files of a store that another user owns are listed in one
# chown to the store's owner.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	# only root can run lethe as another account (setpriv) or give a file away (chown)
	note "skipped: needs root and a user nobody to make a store owned by another account"
	exit 77
fi
nobody_gid=$(id -g nobody)
as_nobody() {
	setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups "$@"
}

note "root runs doctor on a store of the service's account"
chmod 0755 "$T"
mkdir "$T/svc"
chown nobody "$T/svc"
printf 'correct horse battery staple svc\n' >"$T/svc.pass"
printf '[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\nofficer_kdf_parallel = 1\n' \
	>"$T/svc.template"
chmod 0644 "$T/svc.pass" "$T/svc.template"
as_nobody "$LETHE" --store "$T/svc/store" --config "$T/svc.template" init \
	--keyfile "$T/svc/service.key" --officer alice --passphrase-file "$T/svc.pass" \
	>"$OUT" 2>"$ERR" || fail "init as nobody"
export LETHE_STORE=$T/svc/store
expect_exit 6 lethe doctor
assert_one_line "$ERR"
assert_contains "$ERR" "$T/svc/store belongs to nobody (uid $(id -u nobody)), not to the running user root (uid 0)"
assert_contains "$ERR" "run lethe as nobody"
assert_not_contains "$ERR" "chown 0"
assert_not_contains "$ERR" "chown root"
# nothing was changed: the service's account still runs the store
[ "$(stat -c %U "$T/svc/store/keystore.luks")" = nobody ] || fail "keystore.luks changed owner"
expect_exit 0 as_nobody "$LETHE" doctor
assert_contains "$OUT" "no problems found"

note "files of root's store that another user owns: one chown, every file"
fresh_store mine
chown nobody "$STORE/keystore.luks" "$STORE/meta.db" "$KEYFILE"
expect_exit 6 lethe ls
assert_one_line "$ERR"
assert_contains "$ERR" "fix: chown root $STORE/keystore.luks $STORE/meta.db $KEYFILE"
expect_exit 6 lethe doctor
assert_contains "$ERR" "fix: chown root $STORE/keystore.luks $STORE/meta.db $KEYFILE"
chown root "$STORE/keystore.luks" "$STORE/meta.db" "$KEYFILE"
ok lethe doctor
note "ok"
