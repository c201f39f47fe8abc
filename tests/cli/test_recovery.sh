#!/usr/bin/env bash
# test_recovery.sh - docs/RECOVERY.md, followed literally: its blocks marked `sh recover`,
# `sh recover-keyfile` / `sh recover-passphrase` and `python recover.py` are extracted from the
# document and run as written (cryptsetup, sqlite3, python3-cryptography; no lethe) on a store
# that lethe made: three segment sizes, sizes 0, 1 and around segment boundaries, two groups,
# several rotations, a rewrap and retired versions. Every recovered byte is compared. A shredded
# object is not recovered, nor is it from an old meta.db once its KEK version is retired; a
# modified object file is refused.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

DOC=$LETHE_TESTS/../docs/RECOVERY.md
[ -r "$DOC" ] || fail "no $DOC"
for tool in cryptsetup sqlite3 perl; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps installs it)"
done
python3 -c 'import cryptography' 2>/dev/null ||
	fail "python3 cannot import cryptography (Debian: python3-cryptography)"

# The document's working directories live in /dev/shm: remove those our runs left.
WDIRS=$T/wdirs
: >"$WDIRS"
remove_wdirs() {
	local w
	while read -r w; do
		case $w in /dev/shm/lethe-recovery.*) rm -rf "$w" ;; esac
	done <"$WDIRS"
}
trap 'remove_wdirs; cleanup' EXIT

# extract MODE: the shell blocks of the procedure for MODE (keyfile or passphrase), in order.
extract() {
	awk -v mode="$1" '
		/^```/ { if (inb) { inb = 0; next }
		         if ($0 == "```sh recover" || $0 == "```sh recover-" mode) { inb = 1; next } }
		inb' "$DOC"
}
extract_script() {
	awk '/^```/ { if (inb) { inb = 0; next } if ($0 == "```python recover.py") { inb = 1; next } }
		inb' "$DOC"
}
[ "$(grep -c '^```sh recover$' "$DOC")" -ge 4 ] || fail "RECOVERY.md lost its recover blocks"
grep_q '^```sh recover-keyfile$' "$DOC" || fail "RECOVERY.md has no recover-keyfile block"
grep_q '^```sh recover-passphrase$' "$DOC" || fail "RECOVERY.md has no recover-passphrase block"
[ "$(extract_script | wc -l)" -gt 50 ] || fail "RECOVERY.md has no recover.py block"

# run_doc MODE STORE_DIR: follow the document in a new directory; RUN_OUT is where the
# plaintext went. stdout and stderr of the whole procedure go to $OUT and $ERR; returns its
# exit status.
runs=0
run_doc() {
	local mode=$1 store=$2 dir
	runs=$((runs + 1))
	dir=$T/run.$runs
	RUN_OUT=$dir/out
	mkdir -p "$RUN_OUT"
	extract_script >"$dir/recover.py"
	{
		# the harness's only addition: note the working directory for removal
		printf '%s\n' 'trap '\''echo "${W:-}" >>"$WDIRS"'\'' EXIT'
		extract "$mode"
	} >"$dir/steps.sh"
	(cd "$dir" && STORE=$store KEYFILE=$KEYFILE PASSFILE=$PASS OUT=$RUN_OUT WDIRS=$WDIRS \
		bash -euo pipefail steps.sh) >"$OUT" 2>"$ERR"
}

fresh_store rec "[group:finance]"
set_segment() { sed -i "s/^segment_size = .*/segment_size = $1/" "$STORE/lethe.conf"; }
officer() { ok lethe "$@" --passphrase-file "$PASS"; }

declare -A want
n=0
put_obj() { # put_obj GROUP SIZE: a new object of SIZE random bytes; its id in $ID
	local f
	n=$((n + 1))
	f=$T/plain.$n
	rand_file "$f" "$2"
	ID=$(lethe put --group "$1" --name "file $n" "$f") || fail "put of $2 bytes failed"
	want[$ID]=$f
}
put_sizes() { # put_sizes GROUP S SIZES...: sizes as expressions of the segment size S
	local group=$1 s=$2 e
	shift 2
	for e in "$@"; do
		put_obj "$group" $(($e))
	done
}

note "KEK 1, 4 KiB segments"
set_segment 4KiB
put_sizes default 4096 0 1 's - 1' s
put_obj default $((4096 + 1))
shredded=$ID
put_sizes default 4096 '2 * s' '2 * s + 1'
officer key rotate

note "KEK 2, 64 KiB segments"
set_segment 64KiB
put_sizes finance 65536 0 1 's - 1' s 's + 1' '2 * s' '2 * s + 1'
cp -a "$STORE" "$T/backup" # meta.db and the object file of $shredded, before the shred
ok lethe rm "$shredded" --reason "recovery test" --force --passphrase-file "$PASS"
shredded_plain=${want[$shredded]}
unset "want[$shredded]"

note "rotate, rewrap, retire 1 and 2; KEK 3 and 4, 1 MiB segments"
officer key rotate
officer key rewrap
officer key retire 1
officer key retire 2
set_segment 1MiB
put_sizes default 1048576 0 1 's - 1' s
officer key rotate
put_sizes finance 1048576 's + 1' '2 * s' '2 * s + 1'
ok lethe --json key list
assert_eq "$(json '[k["state"] for k in j]' <"$OUT")" "['retired', 'retired', 'active', 'active']" \
	"KEK states"
assert_eq "$(json 'sum(k["objects"] for k in j)' <"$OUT")" "${#want[@]}" "live objects"
assert_eq "$(json '[k["objects"] > 0 for k in j]' <"$OUT")" "[False, False, True, True]" \
	"objects under KEK 3 and 4"

# check_all: every live object recovered, byte for byte, and nothing else.
check_all() {
	local id got
	for id in "${!want[@]}"; do
		[ -f "$RUN_OUT/$id" ] || fail "object $id was not recovered"
		cmp -s "${want[$id]}" "$RUN_OUT/$id" || fail "object $id: recovered bytes differ"
	done
	got=$(find "$RUN_OUT" -type f ! -name index.json | wc -l)
	assert_eq "$got" "${#want[@]}" "files recovered"
	assert_eq "$(json 'len(j)' <"$RUN_OUT/index.json")" "${#want[@]}" "index.json entries"
}

note "the procedure with the service keyfile"
run_doc keyfile "$STORE" || fail "recovery with the keyfile failed"
assert_contains "$OUT" "${#want[@]} object(s) recovered into $RUN_OUT, 0 failed"
check_all
[ ! -e "$(tail -n 1 "$WDIRS")" ] || fail "the working directory holding the master key remains"

note "the procedure with an officer's passphrase (its file ends in a newline)"
[ "$(tail -c 1 "$PASS" | od -An -c | tr -d ' ')" = '\n' ] || fail "passphrase file has no newline"
run_doc passphrase "$STORE" || fail "recovery with the passphrase failed"
check_all

note "a shredded object is not recovered"
assert_file_absent "$RUN_OUT/$shredded"
assert_not_contains "$RUN_OUT/index.json" "$shredded"
assert_eq "$(sqlite3 -readonly "$STORE/meta.db" \
	"SELECT state, wrapped_dek IS NULL FROM objects WHERE id = '$shredded'")" "1|1" "shredded row"
[ -z "$(find "$STORE/objects" -name "$shredded.lth")" ] || fail "the shredded object's file remains"

note "nor from a meta.db copy taken before the shred, once its KEK version is retired"
cp -a "$T/backup" "$T/old-db"
cp "$STORE/keystore.luks" "$T/old-db/keystore.luks"
expect_exit 1 run_doc keyfile "$T/old-db"
assert_contains "$ERR" "$shredded: not recovered: KEK version 1 is not in the keystore"
assert_file_absent "$RUN_OUT/$shredded"
[ -z "$(find "$RUN_OUT" -type f ! -name index.json)" ] || fail "recovered an object under a retired KEK"

note "the old meta.db with the old keystore (a matching backup pair) still opens it"
run_doc keyfile "$T/backup" || fail "recovery from the backup failed"
cmp -s "$shredded_plain" "$RUN_OUT/$shredded" || fail "the backup pair did not give the object back"

note "a modified object file is refused, the others recovered"
cp -a "$STORE" "$T/damaged"
victim=$(sqlite3 -readonly "$STORE/meta.db" \
	"SELECT id FROM objects WHERE state = 0 AND size > 100000 ORDER BY id LIMIT 1")
flip_byte "$(find "$T/damaged/objects" -name "$victim.lth")" 70000
expect_exit 1 run_doc keyfile "$T/damaged"
assert_contains "$ERR" "$victim: not recovered: authentication failed"
assert_contains "$OUT" "$((${#want[@]} - 1)) object(s) recovered into $RUN_OUT, 1 failed"
assert_file_absent "$RUN_OUT/$victim"
[ -z "$(find "$RUN_OUT" -name '*.part')" ] || fail "a partial plaintext was left behind"

note "ok: ${#want[@]} objects recovered from the document alone, twice; shredded and modified ones refused"
