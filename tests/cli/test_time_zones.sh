#!/usr/bin/env bash
# test_time_zones.sh - times for people and times typed by people:
#   - on a terminal, ls, stat, key list and retention extend show local time (TZ honoured)
#     with its zone; into a pipe or a file, UTC marked "UTC"; JSON is RFC 3339 UTC either way;
#   - --since (audit export) and --until (retention extend) take +02:00 offsets and a space
#     between date and time; a time of day without a zone is refused (exit 2).
. "$(dirname "$0")/lib.sh"

TTY="python3 $(dirname "$0")/on_tty.py"
# Central European time as a POSIX rule: needs no tzdata, so the test runs anywhere.
CET='CET-1CEST,M3.5.0,M10.5.0/3'

fresh_store s
echo hello >"$T/f"
ok lethe put "$T/f"
ID=$(cat "$OUT")
ok lethe --json stat "$ID"
created=$(json 'j["created_at"]' <"$OUT")
until=$(json 'j["retain_until"]' <"$OUT")
case $created in *Z) ;; *) fail "JSON created_at is not UTC: $created" ;; esac

# local TZ SPEC RFC3339 [SECONDS]: what a time reads as in zone TZ ("2026-11-23 12:34 CET").
local_time() {
	TZ=$1 python3 - "$2" "${3:-}" <<'PY'
import calendar, sys, time
t = calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ"))
fmt = "%Y-%m-%d %H:%M:%S %Z" if sys.argv[2] else "%Y-%m-%d %H:%M %Z"
print(time.strftime(fmt, time.localtime(t)))
PY
}
want=$(local_time "$CET" "$created")
case $want in *" CET" | *" CEST") ;; *) fail "python did not take the TZ rule: $want" ;; esac
utc=$(local_time UTC0 "$created")
utc=${utc% *}

note "ls on a terminal: local time with its zone"
TZ=$CET $TTY "$LETHE" ls >"$OUT" 2>"$ERR" || fail "ls on a terminal"
assert_contains "$OUT" "$want"
assert_contains "$OUT" "$(local_time "$CET" "$until")"
assert_not_contains "$OUT" "UTC"
TZ=IST-5:30 $TTY "$LETHE" ls >"$OUT" 2>"$ERR" || fail "ls on a terminal"
assert_contains "$OUT" "$(local_time IST-5:30 "$created") "

note "ls into a pipe: UTC, marked"
TZ=$CET lethe ls >"$OUT" 2>"$ERR" || fail "ls into a file"
assert_contains "$OUT" "$utc UTC"
assert_not_contains "$OUT" "CET"

note "stat, key list on a terminal"
TZ=$CET $TTY "$LETHE" stat "$ID" >"$OUT" 2>"$ERR" || fail "stat on a terminal"
assert_contains "$OUT" "$(local_time "$CET" "$created" s)"
TZ=$CET lethe stat "$ID" >"$OUT" 2>"$ERR" || fail "stat into a file"
assert_contains "$OUT" "$(local_time UTC0 "$created" s | sed 's/ [A-Z]*$//') UTC"
TZ=$CET $TTY "$LETHE" key list >"$OUT" 2>"$ERR" || fail "key list on a terminal"
grep_q -E ' C(E|ES)T ' "$OUT" || fail "key list shows no local zone: $(cat "$OUT")"
TZ=$CET $TTY "$LETHE" --json stat "$ID" >"$OUT" 2>"$ERR" || fail "--json stat on a terminal"
assert_contains "$OUT" "\"created_at\": \"$created\""

note "--until with an offset and a space"
TZ=$CET ok lethe retention extend "$ID" --until "2031-06-01 14:00+02:00"
assert_contains "$OUT" "2031-06-01 12:00:00 UTC"
ok lethe --json stat "$ID"
assert_eq "$(json 'j["retain_until"]' <"$OUT")" "2031-06-01T12:00:00Z" "retain_until from +02:00"
ok lethe retention extend "$ID" --until "2031-06-01T08:30:00-05:00"
ok lethe --json stat "$ID"
assert_eq "$(json 'j["retain_until"]' <"$OUT")" "2031-06-01T13:30:00Z" "retain_until from -05:00"
TZ=$CET $TTY "$LETHE" retention extend "$ID" --until "2031-06-02 00:30+02:00" >"$OUT" 2>&1 ||
	fail "retention extend on a terminal"
assert_contains "$OUT" "2031-06-02 00:30:00 CEST"
expect_exit 2 lethe retention extend "$ID" --until "2031-06-03 12:00"
assert_contains "$ERR" "offset"

note "--since with an offset and a space"
ok lethe audit export
total=$(wc -l <"$OUT")
first=$(head -n 1 "$OUT" | json 'j["time"]')
last=$(tail -n 1 "$OUT" | json 'j["time"]')
# one second past the last record, written in +02:00: nothing is that new
since=$(python3 - "$last" <<'PY'
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1][:19], "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(seconds=1)
print((t + datetime.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S+02:00"))
PY
)
ok lethe audit export --since "$since"
assert_eq "$(wc -l <"$OUT")" 0 "records since $since"
since=$(python3 - "$first" <<'PY'
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1][:19], "%Y-%m-%dT%H:%M:%S")
print((t - datetime.timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S-05:00"))
PY
)
ok lethe audit export --since "$since"
assert_eq "$(wc -l <"$OUT")" "$total" "records since $since"
ok lethe audit export --since "$first"
assert_eq "$(wc -l <"$OUT")" "$total" "records since the first record's own time"
expect_exit 2 lethe audit export --since "2026-01-01 10:00:00"
expect_exit 2 lethe audit export --since "2026-01-01 10:00:00+25:00"

note "ok"
