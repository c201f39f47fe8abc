#!/usr/bin/env bash
# test_init_layout.sh - init where stores really live:
#   - a fresh file system mounted at DIR holds lost+found: init takes it as empty, doctor
#     accepts it (and warns when fsck left files in it); anything else in DIR is still refused;
#   - the packaged layout (/var/lib root's, /var/lib/lethe and /etc/lethe the lethe account's,
#     packaging/lethe.tmpfiles): init without --keyfile puts the keyfile in the keyfile
#     directory compiled in (/etc/lethe in the package) instead of failing on DIR.key. That
#     part runs as root only (a private mount namespace stands in for /etc, an unprivileged
#     account for lethe), and says so when it skips.
. "$(dirname "$0")/lib.sh"

printf 'correct horse battery staple\n' >"$T/pass"
cat >"$T/template.conf" <<EOF2
[keys]
officer_kdf_memory = 32KiB
officer_kdf_time = 4
officer_kdf_parallel = 1
EOF2
init() {
	"$LETHE" --config "$T/template.conf" init --officer alice --passphrase-file "$T/pass" "$@"
}

note "a mount point holding only lost+found"
mkdir -p "$T/mnt/lost+found"
expect_exit 0 init --store "$T/mnt" --keyfile "$T/mnt.key"
export LETHE_STORE=$T/mnt
ok lethe doctor
assert_not_contains "$OUT" "not a lethe file"
assert_not_contains "$OUT" "warning"
echo "recovered" >"$T/mnt/lost+found/#1234"
ok lethe doctor
assert_contains "$OUT" "lost+found holds 1 file(s)"
ok lethe put "$T/pass"

note "lost+found is no pass for anything else"
mkdir -p "$T/mnt2/lost+found"
touch "$T/mnt2/notes.txt"
expect_exit 2 init --store "$T/mnt2" --keyfile "$T/mnt2.key"
assert_contains "$ERR" "not empty"
mkdir -p "$T/mnt3"
touch "$T/mnt3/lost+found"
expect_exit 2 init --store "$T/mnt3" --keyfile "$T/mnt3.key"
assert_contains "$ERR" "not empty"
mkdir -p "$T/mnt4"
ln -s / "$T/mnt4/lost+found"
expect_exit 2 init --store "$T/mnt4" --keyfile "$T/mnt4.key"
assert_contains "$ERR" "not empty"

note "DIR.key is still the default where DIR's parent is writable"
expect_exit 0 init --store "$T/plain"
assert_contains "$OUT" "keyfile  $T/plain.key"
[ -f "$T/plain.key" ] || fail "no $T/plain.key"

note "the packaged layout: no --keyfile"
keyfile=$("$LETHE" init --help | grep -o '/[^ ]*/service\.key' | head -n 1)
[ -n "$keyfile" ] || fail "init --help names no keyfile directory"
keydir=$(dirname "$keyfile")
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null || ! id nobody >/dev/null 2>&1; then
	note "ok (the packaged-layout part skipped: needs root and unshare -m)"
	exit 0
fi
etc=$(dirname "$keydir")
[ -d "$etc" ] || fail "$etc does not exist to stand in for"
chmod 0755 "$T"
chmod 0644 "$T/pass" "$T/template.conf"
mkdir -p "$T/root/var/lib/lethe" "$T/etc.view/$(basename "$keydir")"
chown nobody "$T/root/var/lib/lethe" "$T/etc.view/$(basename "$keydir")"
chmod 0700 "$T/root/var/lib/lethe" "$T/etc.view/$(basename "$keydir")"
chmod 0755 "$T/root" "$T/root/var" "$T/root/var/lib" "$T/etc.view"
rc=0
unshare -m --propagation private sh -c '
	mount --bind "$1" "$2" || exit 99
	cd /
	exec setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$3" --config "$4" init --store "$5" --officer alice --passphrase-file "$6"
' sh "$T/etc.view" "$etc" "$LETHE" "$T/template.conf" "$T/root/var/lib/lethe" "$T/pass" \
	>"$OUT" 2>"$ERR" || rc=$?
[ "$rc" != 99 ] || fail "could not bind-mount over $etc"
assert_eq "$rc" 0 "init in the packaged layout without --keyfile"
assert_contains "$OUT" "keyfile  $keyfile"
[ -f "$T/etc.view/$(basename "$keydir")/service.key" ] || fail "no keyfile in $keydir"
assert_eq "$(stat -c '%a %U' "$T/etc.view/$(basename "$keydir")/service.key")" "600 nobody" \
	"mode and owner of the keyfile"
assert_file_absent "$T/root/var/lib/lethe.key"
assert_contains "$T/root/var/lib/lethe/lethe.conf" "$keyfile"

note "a second store there does not share the keyfile"
mkdir -p "$T/root/var/lib/other"
chown nobody "$T/root/var/lib/other"
rc=0
unshare -m --propagation private sh -c '
	mount --bind "$1" "$2" || exit 99
	cd /
	exec setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$3" --config "$4" init --store "$5" --officer alice --passphrase-file "$6"
' sh "$T/etc.view" "$etc" "$LETHE" "$T/template.conf" "$T/root/var/lib/other" "$T/pass" \
	>"$OUT" 2>"$ERR" || rc=$?
assert_eq "$rc" 2 "init of a second store with the fallback keyfile taken"
assert_contains "$ERR" "give --keyfile FILE"

note "ok"
