#!/usr/bin/env bash
# test_typos.sh - typos that cannot be undone are refused: an extension past the group's max
# retention (default 100y), a group retention longer than its max (even locked), an empty
# --group, a put into a group lethe.conf does not name (unless unknown_groups = allow). The
# year unit is 365.25 days exactly; an extension's audit record holds the new date.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store ty "[group:finance]
retention = 7y
lock = true
[group:short]
retention = 1d
max = 30d"
printf 'x\n' >"$T/f"

note "the year unit is 365.25 days"
id=$(lethe put --group finance "$T/f")
created=$(lethe stat --json "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["created_at"])')
until=$(lethe stat --json "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["retain_until"])')
python3 - "$created" "$until" <<'PY' || fail "7y is not 7 x 365.25 days"
import sys, datetime
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
assert (p(sys.argv[2]) - p(sys.argv[1])).total_seconds() == 7 * 365.25 * 86400, sys.argv
PY

note "an extension past max is refused and changes nothing"
expect_exit 2 lethe retention extend "$id" --by 99999999999999d
assert_contains "$ERR" "max retention of 100y"
assert_eq "$until" "$(lethe stat --json "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["retain_until"])')"
expect_exit 2 lethe retention extend "$id" --until 9999-12-31
short=$(lethe put --group short "$T/f")
expect_exit 2 lethe retention extend "$short" --by 31d
expect_exit 2 lethe retention extend --group short --by 31d
ok lethe retention extend "$short" --by 20d

note "the audit record of an extension names the new date"
ok lethe retention extend "$id" --until 2040-01-01
lethe audit export >"$T/audit.jsonl"
grep '"retention.extend"' "$T/audit.jsonl" | grep_q "2040-01-01T00:00:00Z" ||
	fail "no new date in the extension's audit record: $(grep extend "$T/audit.jsonl")"

note "put --group '' and an unknown group are refused; unknown_groups = allow accepts it"
expect_exit 2 lethe put --group '' "$T/f"
assert_contains "$ERR" "empty group name"
expect_exit 2 lethe put --group finanse "$T/f"
assert_contains "$ERR" "no [group:finanse] section"
ok lethe put "$T/f"
ok lethe put --group default "$T/f"

note "a group retention longer than its max is refused, locked or not"
for conf in "[retention]
default = 101y" "[group:x]
retention = 9999999999d
lock = true" "[group:x]
retention = 40d
max = 30d"; do
	rm -rf "$T/bad" "$T/bad.key"
	printf '%s\n' "$conf" >"$T/bad.conf"
	expect_exit 2 "$LETHE" --store "$T/bad" --config "$T/bad.conf" init --keyfile "$T/bad.key" \
		--officer alice --passphrase-file "$PASS"
	assert_contains "$ERR" "is longer than"
done

note "unknown_groups = allow"
fresh_store ty2 "[retention]
unknown_groups = allow"
ok lethe put --group anything "$T/f"
note "ok"
