#!/usr/bin/env bash
# test_rotation_notice.sh - doctor warns before [keys] rotation runs out (a tenth of the
# period ahead, at most two weeks), and again once it has run out; not while the key is young.
# The clock is moved with the test shim, system-wide (file times too).
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store rotnotice "rotation = 100s"
export SHIM_FILES=1

keys_line() { grep -E '^(ok|warning) +keys' "$OUT"; }

note "a young key: no warning"
ok lethe doctor
assert_contains "$OUT" "primary KEK is 0 days old"
keys_line | grep -q '^ok' || fail "keys: $(keys_line)"

note "within the last tenth of the period: warned ahead"
ok shifted 95 "$LETHE" doctor
keys_line | grep -q '^warning .*rotation runs out in [0-9]* seconds' || fail "keys: $(keys_line)"

note "past the period: warned that it ran out"
ok shifted 150 "$LETHE" doctor
keys_line | grep -q '^warning .*older than \[keys\] rotation' || fail "keys: $(keys_line)"
note "ok"
