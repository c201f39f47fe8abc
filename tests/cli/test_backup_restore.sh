#!/usr/bin/env bash
# test_backup_restore.sh - the backup and restore procedure of docs/OPERATIONS.md section 11,
# step by step as written there (systemd steps aside), then the restored store at work: it
# takes new objects (tmp/ is not backed up: opening the store makes it again, 0700 whatever
# the umask), reads the old ones back, re-shreds what had been shredded since the backup, and
# doctor checks the directories the store owns.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || {
	note "no sqlite3 command (the documented online backup uses it): skipped"
	exit 77
}

fresh_store live "[group:short]
retention = 1s"
BACKUP=$T/backup
KEYS_BACKUP=$T/keyfile-backup
mkdir -m 0700 "$BACKUP" "$KEYS_BACKUP"

rand_file "$T/a.plain" 200000
rand_file "$T/b.plain" 3000
rand_file "$T/c.plain" 3000
ok lethe put --name a "$T/a.plain"
A=$(cat "$OUT")
ok lethe put --group short --name b "$T/b.plain"
B=$(cat "$OUT")

note "backup, in the documented order"
# meta.db first, online ("sqlite3 .backup while running")
sh -c "umask 077 && sqlite3 '$STORE/meta.db' '.timeout 10000' '.backup $BACKUP/meta.db'" ||
	fail "sqlite3 .backup failed"
# an object stored between the database copy and the objects/ copy: an orphan on restore
ok lethe put --name c "$T/c.plain"
C=$(cat "$OUT")
# objects/ right after, a file copy; keystore.luks, officers.luks and lethe.conf, file copies;
# the keyfile separately
cp -a "$STORE/objects" "$BACKUP/objects"
cp -a "$STORE/keystore.luks" "$STORE/officers.luks" "$STORE/lethe.conf" "$BACKUP/"
cp -a "$KEYFILE" "$KEYS_BACKUP/service.key"
[ ! -e "$BACKUP/tmp" ] || fail "the backup holds tmp/, which is not backed up"

# after the backup: b expires and is shredded
sleep 1.1
ok lethe sweep
assert_contains "$OUT" "shredded 1 object"

note "the store and its keyfile are lost"
rm -rf "$STORE" "$KEYFILE"

note "restore step 2: files back into an empty store directory, owned, go-rwx"
mkdir -m 0700 "$STORE"
cp -a "$BACKUP/lethe.conf" "$BACKUP/keystore.luks" "$BACKUP/officers.luks" "$BACKUP/meta.db" "$STORE/"
rm -f "$STORE/meta.db-wal" "$STORE/meta.db-shm"
cp -a "$BACKUP/objects" "$STORE/objects"
chown -R "$(id -u):$(id -g)" "$STORE" && chmod -R go-rwx "$STORE"
cp -a "$KEYS_BACKUP/service.key" "$KEYFILE" && chmod 600 "$KEYFILE"
assert_file_absent "$STORE/tmp"

note "restore step 3: doctor (run under a umask that would leave tmp/ unwritable), then doctor --repair"
got=0
(umask 0277 && exec "$LETHE" doctor) >"$OUT" 2>"$ERR" || got=$?
[ -d "$STORE/tmp" ] || fail "opening the restored store did not make tmp/ again"
assert_eq "$(stat -c %a "$STORE/tmp")" 700 "mode of the re-made tmp/"
grep -E "^ok +directories: .*/tmp is 0700 and ours" "$OUT" >/dev/null ||
	fail "doctor does not check tmp/: $(cat "$OUT")"
grep -E "^ok +directories: .*/objects is 0700 and ours" "$OUT" >/dev/null ||
	fail "doctor does not check objects/: $(cat "$OUT")"
# c's file came back without its row: an orphan that --repair removes; and the keystore's
# anchor names records the restored log lacks (exit 4 until an officer reanchors, step 4)
assert_eq "$got" 4 "exit status of doctor on the restored store"
assert_contains "$OUT" "$C.lth: orphan file"
assert_contains "$OUT" "audit anchor: names record"
assert_contains "$OUT" "2 problems remain"
expect_exit 4 lethe doctor --repair
assert_contains "$OUT" "$C.lth: orphan file whose key never committed, removed"
assert_contains "$OUT" "1 problem remains"

note "restore step 4: audit verify, evidence verify"
# the keystore's anchor names records the restored log lacks (written after the meta.db copy):
# verify says so, and an officer acknowledges the loss by moving the anchor back
expect_exit 4 lethe audit verify
assert_contains "$ERR" "audit anchor"
ok lethe audit reanchor --passphrase-file "$PASS"
assert_contains "$OUT" "audit anchor moved to record"
ok lethe audit export
grep_q '"action":"audit.reanchor"' "$OUT" || fail "no audit.reanchor record"
ok lethe audit verify
ok lethe evidence verify
ok lethe doctor
assert_contains "$OUT" "no problems found"

note "restore step 5: the objects shredded since the backup are shredded again"
assert_eq "$(lethe --json stat "$B" | json 'j["state"]')" live "b after the restore"
ok lethe sweep --dry-run
assert_contains "$OUT" "would shred $B"
ok lethe sweep
assert_contains "$OUT" "shredded $B"
expect_exit 3 lethe get "$B"

note "restore step 6: officers"
ok lethe officer list
assert_contains "$OUT" alice

note "the restored store works: put, get, doctor"
rand_file "$T/d.plain" 100000
ok lethe put --name d "$T/d.plain"
D=$(cat "$OUT")
ok lethe get "$D" -o "$T/d.out"
assert_same "$T/d.out" "$T/d.plain"
ok lethe get "$A" -o "$T/a.out"
assert_same "$T/a.out" "$T/a.plain"
expect_exit 3 lethe get "$C"
ok lethe doctor
assert_contains "$OUT" "no problems found"

note "doctor reports a store directory with the wrong mode, and --repair sets it"
chmod 0750 "$STORE/tmp"
expect_exit 1 lethe doctor
grep -E "^error +directories: .*/tmp has mode 0750, not 0700; fix: chmod 700 " "$OUT" \
	>/dev/null || fail "doctor missed tmp/ at 0750: $(cat "$OUT")"
ok lethe doctor --repair
assert_contains "$OUT" "/tmp: mode 0750 set to 0700"
assert_eq "$(stat -c %a "$STORE/tmp")" 700 "mode of tmp/ after doctor --repair"
note "ok"
