#!/usr/bin/env bash
# test_ls_filters.sh - ls for real stores: filters by name prefix, created and retain-until
# ranges and state; sort, reverse and limit; a repeatable order for objects created in the
# same second; a pager only when stdout is a terminal; 10,000 objects listed.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store lsf "[group:short]
retention = 1h
[group:long]
retention = 30d"
printf 'a\n' >"$T/small"
head -c 5000 /dev/zero >"$T/big"

# the names listed, sorted (objects of the same second are in id order: see the end)
names() { json '" ".join(sorted(o["name"] for o in j))'; }
# the names listed, in the order listed
ordered() { json '" ".join(o["name"] for o in j)'; }

a=$(lethe put --group short --name report-a "$T/small")
b=$(lethe put --group long --name report-b "$T/big")
c=$(lethe put --group long --name invoice-c "$T/small")
# a later second for the created ranges
t0=$(date +%s)
while [ "$(date +%s)" = "$t0" ]; do sleep 0.1; done
split=$(date -u +%Y-%m-%dT%H:%M:%SZ)
d=$(lethe put --group short --name report-d "$T/small")

note "name prefix"
ok lethe --json ls --prefix report-
assert_eq "$(names <"$OUT")" "report-a report-b report-d" "--prefix"
ok lethe --json ls --prefix nothing
assert_eq "$(names <"$OUT")" "" "--prefix that matches nothing"

note "created range"
ok lethe --json ls --created-after "$split"
assert_eq "$(names <"$OUT")" "report-d" "--created-after"
ok lethe --json ls --created-before "$split"
assert_eq "$(names <"$OUT")" "invoice-c report-a report-b" "--created-before"
ok lethe --json ls --created-before 2000-01-01
assert_eq "$(names <"$OUT")" "" "--created-before long ago"

note "retain-until range"
week=$(date -u -d '+7 days' +%Y-%m-%d)
ok lethe --json ls --until-before "$week"
assert_eq "$(names <"$OUT")" "report-a report-d" "--until-before"
ok lethe --json ls --until-after "$week"
assert_eq "$(names <"$OUT")" "invoice-c report-b" "--until-after"
ok lethe --json ls --until-after "$week" --prefix report-
assert_eq "$(names <"$OUT")" "report-b" "filters combine"

note "state"
ok lethe hold set "$b" --reason "case 7"
ok lethe rm "$c" --reason test --force --passphrase-file "$PASS"
ok lethe --json ls --state held
assert_eq "$(names <"$OUT")" "report-b" "--state held"
# a shredded object's name went with its key: it is listed by its id, nameless
ok lethe --json ls --state shredded
assert_eq "$(json '" ".join(o["id"] + "=" + o["name"] for o in j)' <"$OUT")" "$c=" \
	"--state shredded"
ok lethe --json ls --state all
assert_eq "$(names <"$OUT")" " report-a report-b report-d" "--state all"
ok lethe --json ls --state live
assert_eq "$(names <"$OUT")" "report-a report-b report-d" "--state live"
expect_exit 2 lethe ls --state gone
assert_contains "$ERR" "--state"

note "sort, reverse, limit"
ok lethe --json ls
default=$(ordered <"$OUT")
assert_eq "${default##* }" "report-d" "oldest first: the last put is last"
ok lethe --json ls --sort name
assert_eq "$(ordered <"$OUT")" "report-a report-b report-d" "--sort name"
ok lethe --json ls --sort size -r
assert_eq "$(json 'j[0]["name"]' <"$OUT")" "report-b" "--sort size -r"
ok lethe --json ls -r
assert_eq "$(ordered <"$OUT")" "$(echo "$default" | tr ' ' '\n' | tac | tr '\n' ' ' | sed 's/ $//')" \
	"--reverse"
ok lethe --json ls --limit 2
assert_eq "$(ordered <"$OUT")" "$(echo "$default" | cut -d' ' -f1-2)" "--limit"
ok lethe --json ls --sort name -r -n 1
assert_eq "$(ordered <"$OUT")" "report-d" "--sort name -r -n 1"
ok lethe ls -n 1
assert_eq "$(wc -l <"$OUT")" "2" "table with --limit 1: header and one row"
expect_exit 2 lethe ls --limit 0
expect_exit 2 lethe ls --sort colour
expect_exit 2 lethe ls --created-after yesterday-ish

note "objects created in the same second: one order, whatever the sort"
for i in 1 2 3 4 5 6; do lethe put --name same "$T/small" >/dev/null; done
ok lethe --json ls --prefix same
first=$(json '" ".join(o["id"] for o in j)' <"$OUT")
assert_eq "$(json '[o["created_at"] for o in j] == sorted(o["created_at"] for o in j)' <"$OUT")" \
	"true" "oldest first"
assert_eq "$(json 'all(a["id"] < b["id"] for a, b in zip(j, j[1:]) if a["created_at"] == b["created_at"])' \
	<"$OUT")" "true" "id order within a second"
ok lethe --json ls --prefix same --sort name
assert_eq "$(json '" ".join(o["id"] for o in j)' <"$OUT")" "$first" "ties keep the store's order"

note "pager: on a terminal only"
export LETHE_PAGER='sed "s/^/PAGED:/"'
script -qec "'$LETHE' ls" /dev/null >"$T/tty.out" </dev/null || fail "ls on a terminal failed"
grep_q '^PAGED:ID' "$T/tty.out" || fail "no pager on a terminal: $(head -3 "$T/tty.out")"
script -qec "'$LETHE' ls --no-pager" /dev/null >"$T/tty.out" </dev/null || fail "ls --no-pager"
! grep_q 'PAGED:' "$T/tty.out" || fail "--no-pager paged"
script -qec "'$LETHE' ls --sort name" /dev/null >"$T/tty.out" </dev/null || fail "ls --sort"
grep_q '^PAGED:ID' "$T/tty.out" || fail "no pager for a sorted listing on a terminal"
ok lethe ls
! grep_q 'PAGED:' "$OUT" || fail "paged into a pipe"
assert_contains "$OUT" "ID"
LETHE_PAGER=false script -qec "'$LETHE' ls" /dev/null >"$T/tty.out" </dev/null ||
	fail "a pager that exits at once made ls fail"
unset LETHE_PAGER

note "10,000 objects"
populate=${LETHE_BUILD:-}/bench/bench_populate
if [ ! -x "$populate" ]; then
	note "ok (10,000 objects skipped: bench_populate was not built)"
	exit 0
fi
"$populate" "$STORE" 10000 0 >/dev/null || fail "populate failed"
ok lethe --json ls --prefix bench- --limit 3
assert_eq "$(json 'len(j)' <"$OUT")" "3" "limit on a large store"
# the speed of a large listing is bench/run's to measure (figure "ls, per 10,000 objects")
"$LETHE" ls >"$T/big.out" 2>/dev/null || fail "ls of 10,000 objects failed"
assert_eq "$(wc -l <"$T/big.out")" "10010" "rows of the large listing"
note "ok"
