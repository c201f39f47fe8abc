#!/usr/bin/env bash
# test_metrics.sh - `lethe metrics` writes the Prometheus text format node_exporter's textfile
# collector reads: objects, bytes, the last sweep, shreds, failures, key age, the audit chain's
# length; with --output, atomically (a new file renamed over the old one).
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store metrics "[group:short]
retention = 1s"

# value FILE SERIES: the sample of SERIES (name with labels, exactly as written)
value() { grep -F "$2 " "$1" | grep -v '^#' | cut -d' ' -f2; }

rand_file "$T/f" 1000
a=$(lethe put "$T/f")
lethe put "$T/f" >/dev/null
lethe put --group short "$T/f" >/dev/null
ok lethe rm "$a" --reason "test" --force --passphrase-file "$PASS"
expect_exit 3 lethe get 00000000-0000-4000-8000-000000000000

note "before a sweep"
ok lethe metrics
cp "$OUT" "$T/m1"
assert_eq "$(value "$T/m1" 'lethe_objects{state="live"}')" "2" "live objects"
assert_eq "$(value "$T/m1" 'lethe_objects{state="shredded"}')" "1" "shredded objects"
assert_eq "$(value "$T/m1" lethe_object_bytes)" "2000" "bytes"
assert_eq "$(value "$T/m1" lethe_shreds_total)" "1" "shreds"
assert_eq "$(value "$T/m1" lethe_last_sweep_timestamp_seconds)" "0" "no sweep yet"
grep -q '^lethe_key_age_seconds{version="1"} [0-9][0-9]*$' "$T/m1" || fail "no key age: $(cat "$T/m1")"
records=$(value "$T/m1" lethe_audit_records)
[ "$records" -ge 5 ] || fail "audit records: $records"
grep -q '^lethe_failures_total{outcome="failed"} [0-9][0-9]*$' "$T/m1" || fail "no failures metric"
# The text format: every sample's metric has HELP and TYPE lines before it.
python3 - "$T/m1" <<'PY' || fail "not the Prometheus text format"
import re, sys
typed = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE (\w+) (gauge|counter)$", line)
    if m:
        typed.add(m.group(1))
        continue
    if line.startswith("# HELP "):
        continue
    m = re.match(r"(\w+)(\{\w+=\"[^\"]*\"\})? (-?\d+)$", line)
    assert m and m.group(1) in typed, line
PY

note "after a sweep, into a file"
sleep 1.1
ok lethe sweep
mkdir "$T/textfile"
echo stale >"$T/textfile/lethe.prom"
ino=$(stat -c %i "$T/textfile/lethe.prom")
ok lethe metrics --output "$T/textfile/lethe.prom"
[ ! -s "$OUT" ] || fail "metrics --output printed something"
P=$T/textfile/lethe.prom
assert_eq "$(value "$P" 'lethe_objects{state="live"}')" "1" "live after the sweep"
assert_eq "$(value "$P" lethe_shreds_total)" "2" "shreds after the sweep"
swept=$(value "$P" lethe_last_sweep_timestamp_seconds)
now=$(date +%s)
[ $((now - swept)) -ge 0 ] && [ $((now - swept)) -lt 60 ] || fail "last sweep $swept, now $now"
[ "$(stat -c %i "$P")" != "$ino" ] || fail "the file was rewritten in place, not replaced"
assert_eq "$(stat -c %a "$P")" "644" "mode"
[ -z "$(ls "$T/textfile" | grep -v '^lethe.prom$')" ] || fail "a temporary file was left"

note "a directory that does not exist"
expect_exit 1 lethe metrics --output "$T/nowhere/lethe.prom"
assert_one_line "$ERR"
note "ok"
