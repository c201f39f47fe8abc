#!/bin/bash
# test_config_trust.sh - security settings come only from the store's own lethe.conf, and
# nobody but the store's owner may write it or the store's directories (issue 14, item 5).
# Written as the attacker would act: `--config` with a file of their own, chmod on the store.
. "$(dirname "$0")/lib.sh"

fresh_store s "[group:locked]
retention = 3650d
lock = true"
CONF=$STORE/lethe.conf
rand_file "$T/f" 1000
id=$(lethe put --group locked "$T/f")

note "--config with syslog off: refused, and the syslog copy still comes"
sed 's/^syslog = true/syslog = false/' "$CONF" >"$T/quiet.conf"
grep_q '^syslog = false' "$T/quiet.conf" || fail "test config does not turn syslog off"
expect_exit 2 with_syslog "$T/log1" "$LETHE" --config "$T/quiet.conf" get "$id" -o "$T/out1"
assert_one_line "$ERR"
assert_contains "$ERR" "[audit] syslog differs from the store's own $CONF"
assert_contains "$ERR" "change it there"
assert_file_absent "$T/out1"
# what the attacker wanted hidden: the read of the object. A --config that gives only
# settings which are not security settings is fine, and the read still reaches syslog.
printf '[store]\nthreads = 1\n[keys]\nkeyfile = %s\n[retention]\nsweep_batch = 7\n' \
	"$KEYFILE" >"$T/tuning.conf"
ok with_syslog "$T/log2" "$LETHE" --config "$T/tuning.conf" get "$id" -o "$T/out2"
assert_same "$T/f" "$T/out2"
grep_q "action=\"\\?get\"\\?.*object=\"\\?$id" "$T/log2" ||
	fail "the get did not reach syslog: $(cat "$T/log2")"
# and a --config that repeats the store's own security settings is fine too
cp "$CONF" "$T/same.conf"
ok lethe --config "$T/same.conf" stat "$id"

note "--config cannot loosen retention, lock, or the officer KDF"
sed 's/^default = .*/default = 1s/' "$CONF" >"$T/short.conf"
expect_exit 2 lethe --config "$T/short.conf" ls
assert_contains "$ERR" "[retention] default differs"
printf '[keys]\nkeyfile = %s\n[group:locked]\nlock = false\n' "$KEYFILE" >"$T/unlock.conf"
expect_exit 2 lethe --config "$T/unlock.conf" rm "$id" --reason early --force \
	--passphrase-file "$PASS"
assert_contains "$ERR" "[group:locked] lock differs"
printf '[keys]\nkeyfile = %s\n[group:locked]\nretention = 1s\n' "$KEYFILE" >"$T/shorten.conf"
expect_exit 2 lethe --config "$T/shorten.conf" sweep
assert_contains "$ERR" "[group:locked] retention differs"
printf '[keys]\nkeyfile = %s\n[group:new]\nretention = 1s\n' "$KEYFILE" >"$T/newgroup.conf"
expect_exit 2 lethe --config "$T/newgroup.conf" put --group new "$T/f"
assert_contains "$ERR" "[group:new] retention differs"
printf '[keys]\nkeyfile = %s\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\nofficer_kdf_parallel = 4\n' \
	"$KEYFILE" >"$T/kdf.conf"
expect_exit 2 lethe --config "$T/kdf.conf" ls
assert_contains "$ERR" "[keys] officer_kdf_parallel differs"
printf '[keys]\nkeyfile = %s\nrotation = 10000d\n' "$KEYFILE" >"$T/rot.conf"
expect_exit 2 lethe --config "$T/rot.conf" doctor
assert_contains "$ERR" "[keys] rotation differs"
ok lethe get "$id" -o "$T/out3"

note "lethe.conf and the store's directories: the owner's, writable by nobody else (exit 6)"
for target in "$CONF" "$STORE" "$STORE/objects" "$STORE/tmp"; do
	mode=$(stat -c %a "$target")
	for bad in g+w o+w; do
		chmod "$bad" "$target"
		expect_exit 6 lethe ls
		assert_one_line "$ERR"
		assert_contains "$ERR" "$target has mode"
		assert_contains "$ERR" "fix: chmod go-w $target"
		chmod "$mode" "$target"
	done
	ok lethe ls
done
# a symbolic link in place of lethe.conf (pointing at a file someone else controls)
mv "$CONF" "$T/elsewhere.conf"
ln -s "$T/elsewhere.conf" "$CONF"
expect_exit 6 lethe ls
assert_contains "$ERR" "$CONF is a symbolic link"
rm "$CONF"
mv "$T/elsewhere.conf" "$CONF"
# a group-readable lethe.conf holds no secret: still fine
chmod 640 "$CONF"
ok lethe ls
chmod 600 "$CONF"

note "doctor reports them"
ok lethe doctor
assert_contains "$OUT" "$CONF is ours and writable by nobody else"
ok lethe --json doctor
chmod g+w "$STORE/tmp"
# the open refuses first; doctor sees it once the open is made and the mode changes after
expect_exit 6 lethe doctor
assert_contains "$ERR" "fix: chmod go-w $STORE/tmp"
chmod g-w "$STORE/tmp"

note "ok"
