#!/usr/bin/env bash
# test_holds_stack.sh - legal holds stack (issue 15 item 3): two cases hold one object, and
# clearing the second case's hold keeps it held (the sweep keeps it, rm refuses, exit 5) until
# the first case's is cleared too; each hold has its own reference, set twice is one hold, an
# unknown reference is exit 3, clearing without a reference where several are set is exit 2;
# `hold list` shows object and group holds with who set them and when; `hold set --group` on a
# group lethe.conf does not name is refused (exit 2). As T1 would: deleting a hold row with
# the sqlite3 shell, or rolling the holds table back to a backup together with its digest, does
# not release the object (exit 4, it stays).
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || fail "the sqlite3 shell is needed to edit rows"
sql() { sqlite3 "$STORE/meta.db" "$1"; }
officer() { lethe "$@" --passphrase-file "$PASS"; }
state_of() { sql "SELECT state FROM objects WHERE id = '$1'"; }

fresh_store hs "[group:short]
retention = 1s
[group:legal]
retention = 1s"
rand_file "$T/f" 3000

note "two cases hold one object; a third object is held by both cases of its group"
A=$(lethe put --group short "$T/f")
F=$(lethe put --group short "$T/f")   # not held: the sweep shreds it
G=$(lethe put --group legal "$T/f")
ok lethe hold set "$A" --reason CASE-1
ok lethe hold set "$A" --reason CASE-2
ok lethe hold set "$A" --ref CASE-2      # the same reference again (--ref: the same option): one hold
ok lethe hold set --group legal --reason GCASE-1
ok lethe hold set --group legal --reason GCASE-2

note "hold list: each hold with its reference, who set it and when"
ok lethe --json hold list "$A"
assert_eq "$(json '[h["ref"] for h in j]' <"$OUT")" "['CASE-1', 'CASE-2']" "holds of A"
assert_eq "$(json 'all(h["id"] == "'"$A"'" and h["group"] is None for h in j)' <"$OUT")" true "object holds name A"
assert_eq "$(json 'all(h["set_at"].endswith("Z") and "(" in h["set_by"] for h in j)' <"$OUT")" true "set_at and set_by"
ok lethe --json hold list "$G"     # an object's holds include its group's
assert_eq "$(json '[(h["group"], h["ref"]) for h in j]' <"$OUT")" "[('legal', 'GCASE-1'), ('legal', 'GCASE-2')]" "holds of G"
ok lethe hold list --group legal
assert_contains "$OUT" "GCASE-1"
assert_contains "$OUT" "GCASE-2"
assert_contains "$OUT" "REFERENCE"
ok lethe hold list
for ref in CASE-1 CASE-2 GCASE-1 GCASE-2; do assert_contains "$OUT" "$ref"; done
assert_eq "$(grep -c 'CASE-2' "$OUT")" 2 "CASE-2 and GCASE-2 listed once each"

note "hold set --group on a group lethe.conf does not name is refused"
expect_exit 2 lethe hold set --group legl --reason CASE-9
assert_one_line "$ERR"
assert_contains "$ERR" "no [group:legl] section"
ok lethe --json hold list --group legl
assert_eq "$(json 'len(j)' <"$OUT")" 0 "holds on the mistyped group"

note "clearing: an unknown reference is exit 3, no reference with two set is exit 2"
expect_exit 3 officer hold clear "$A" --ref CASE-3
assert_one_line "$ERR"
assert_contains "$ERR" 'no hold with reference "CASE-3"'
expect_exit 2 officer hold clear "$A"
assert_contains "$ERR" "has 2 holds"
expect_exit 6 lethe hold clear "$A" --ref CASE-2 </dev/null   # not an officer

note "the second case's hold cleared: A stays held"
ok officer hold clear "$A" --ref CASE-2 --reason "case 2 closed"
ok officer hold clear --group legal --ref GCASE-2
assert_eq "$(lethe --json stat "$A" | json 'j["hold"]')" true "A held after CASE-2 cleared"
assert_eq "$(lethe --json stat "$A" | json 'j["hold_reason"]')" CASE-1 "A's remaining hold"
assert_eq "$(lethe --json stat "$G" | json 'j["hold"]')" true "G held after GCASE-2 cleared"
sleep 1.1
ok lethe --json sweep
assert_eq "$(json 'j["shredded"]' <"$OUT")" 1 "shredded by the sweep (F alone)"
assert_eq "$(json 'j["held"]' <"$OUT")" 2 "kept on hold by the sweep (A and G)"
[ "$(state_of "$A")" = 0 ] || fail "the sweep shredded A, which CASE-1 still holds"
[ "$(state_of "$G")" = 0 ] || fail "the sweep shredded G, which GCASE-1 still holds"
[ "$(state_of "$F")" = 1 ] || fail "the sweep kept F, which nothing holds"
expect_exit 5 lethe rm "$A" --reason "too early"
assert_contains "$ERR" "legal hold"
expect_exit 5 officer rm "$G" --reason "too early" --force
assert_contains "$ERR" "legal hold"
lethe audit export >"$T/audit.jsonl"
grep '"hold.clear"' "$T/audit.jsonl" | grep_q 'CASE-2' || fail "the clear's record does not name CASE-2"

# on_copy NAME: attack a copy of the store (same keyfile and officer), not the store itself
BASE=$STORE
on_copy() {
	STORE=$T/$1
	cp -a "$BASE" "$STORE"
	export LETHE_STORE=$STORE
}

note "T1 deletes A's remaining hold row with the sqlite3 shell: detected, A stays"
on_copy deleted
sql "DELETE FROM holds WHERE object = '$A'; UPDATE objects SET hold = 0 WHERE id = '$A';"
expect_exit 4 lethe rm "$A" --reason "row deleted"
expect_exit 4 lethe sweep
[ "$(state_of "$A")" = 0 ] || fail "A was shredded after its hold row was deleted"

note "T1 rolls holds and objects back to a backup taken before CASE-1 (MAC-valid rows, digests)"
on_copy rolled
B=$(lethe put --group short "$T/f")
sqlite3 "$STORE/meta.db" ".backup '$T/bak.db'"
ok lethe hold set "$B" --reason CASE-1
ok lethe hold set "$B" --reason CASE-2
ok officer hold clear "$B" --ref CASE-1   # the newest clear is later than the newest set
for t in holds objects; do
	sql "ATTACH '$T/bak.db' AS b; DELETE FROM $t; INSERT INTO $t SELECT * FROM b.$t;
	     UPDATE row_digests SET count = (SELECT count FROM b.row_digests WHERE tbl = '$t'),
	       xor = (SELECT xor FROM b.row_digests WHERE tbl = '$t'),
	       mac = (SELECT mac FROM b.row_digests WHERE tbl = '$t') WHERE tbl = '$t';"
done
[ "$(sql "SELECT count(*) FROM holds WHERE object = '$B'")" = 0 ] || fail "holds was not rolled back"
sleep 1.1
expect_exit 4 lethe rm "$B" --reason "rolled back"
assert_contains "$ERR" "rolled back or rewritten"
expect_exit 4 lethe sweep
[ "$(state_of "$B")" = 0 ] || fail "B was shredded: CASE-2 still holds it in the log"
STORE=$BASE
export LETHE_STORE=$STORE

note "the first case's hold cleared too: A is released, and the sweep shreds it"
ok officer hold clear "$A" --reason "case 1 closed"   # the one hold left: no --ref needed
assert_eq "$(lethe --json stat "$A" | json 'j["hold"]')" false "A after both cleared"
ok lethe --json hold list "$A"
assert_eq "$(json 'len(j)' <"$OUT")" 0 "holds of A after both cleared"
ok lethe --json sweep
[ "$(state_of "$A")" = 1 ] || fail "A was not shredded once both holds were cleared"
[ "$(state_of "$G")" = 0 ] || fail "G was shredded while GCASE-1 holds it"
ok officer hold clear --group legal --ref GCASE-1
ok lethe sweep
[ "$(state_of "$G")" = 1 ] || fail "G was not shredded once its group's holds were cleared"
ok lethe audit verify
ok lethe doctor

note "a store that allows unknown groups takes a hold on one"
fresh_store open "[retention]
unknown_groups = allow"
ok lethe hold set --group anything --reason CASE-1
ok lethe --json hold list --group anything
assert_eq "$(json '[h["ref"] for h in j]' <"$OUT")" "['CASE-1']" "hold on an unnamed group"

note "ok"
