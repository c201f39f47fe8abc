#!/usr/bin/env bash
# test_key_auto.sh - routine rotation: `lethe key auto` rotates once [keys] rotation has run
# out, rewraps every data key and retires the old version; as the service only when the
# store's lethe.conf sets [keys] auto_rotate = true (refused otherwise, and that setting cannot
# come from --config); not before it is due; it finishes a rotation an officer left half-done;
# every step is audited as key.auto_* and the log verifies. The clock is moved with the test
# shim, system-wide (file times too), as a timer running weeks later would see it.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

fresh_store keyauto "rotation = 100s"
export SHIM_FILES=1
for i in 1 2 3; do
	rand_file "$T/f$i" 1000
	ok lethe put --name "f$i" "$T/f$i"
	printf '%s\n' "$(head -n1 "$OUT")" >"$T/id$i"
done

note "auto_rotate off: the service is refused, and --config cannot turn it on"
expect_exit 6 lethe key auto
assert_contains "$ERR" "auto_rotate = true"
printf '[keys]\nauto_rotate = true\n' >"$T/other.conf"
expect_exit 2 lethe --config "$T/other.conf" key auto
assert_contains "$ERR" "auto_rotate"

note "auto_rotate on, not due yet: nothing changes"
grep_q '^auto_rotate = false$' "$STORE/lethe.conf" || fail "init did not write auto_rotate = false"
sed -i 's/^auto_rotate = false$/auto_rotate = true/' "$STORE/lethe.conf"
ok lethe --json key auto
assert_eq "$(json 'j["due"]' <"$OUT")" false
assert_eq "$(json 'j["rotated_to"]' <"$OUT")" null
ok lethe --json key list
assert_eq "$(json 'len(j)' <"$OUT")" 1

note "due: rotated, rewrapped and retired as the service"
ok shifted 150 "$LETHE" --json key auto
assert_eq "$(json 'j["due"]' <"$OUT")" true
assert_eq "$(json 'j["rotated_to"]' <"$OUT")" 2
assert_eq "$(json 'j["rewrapped"]' <"$OUT")" 3
assert_eq "$(json 'j["retired"]' <"$OUT")" 1
ok shifted 150 "$LETHE" --json key list
assert_eq "$(json '[(k["version"], k["state"], k["primary"]) for k in j]' <"$OUT")" \
	"[(1, 'retired', False), (2, 'active', True)]"
for i in 1 2 3; do
	ok shifted 150 "$LETHE" get "$(cat "$T/id$i")" -o "$T/back$i"
	cmp -s "$T/f$i" "$T/back$i" || fail "object $i changed by the rotation"
done

note "audited as the service's key.auto_* records, and the log verifies"
ok shifted 150 "$LETHE" audit export
for a in key.auto_rotate key.auto_rewrap key.auto_retire; do
	grep "\"action\":\"$a\"" "$OUT" | grep_q '"outcome":"ok"' || fail "no ok $a record"
done
ok shifted 150 "$LETHE" audit verify
ok shifted 150 "$LETHE" doctor

note "a rotation an officer left half-done is finished, though the new key is not due"
ok shifted 150 "$LETHE" key rotate --passphrase-file "$PASS"
ok shifted 150 "$LETHE" --json key auto
assert_eq "$(json 'j["due"]' <"$OUT")" false
assert_eq "$(json 'j["rewrapped"]' <"$OUT")" 3
assert_eq "$(json 'j["retired"]' <"$OUT")" 1
ok shifted 150 "$LETHE" --json key list
assert_eq "$(json '[k["state"] for k in j]' <"$OUT")" "['retired', 'retired', 'active']"

note "an officer may run it whatever lethe.conf says"
sed -i 's/^auto_rotate = true/auto_rotate = false/' "$STORE/lethe.conf"
expect_exit 6 shifted 300 "$LETHE" key auto
ok shifted 300 "$LETHE" --json key auto --passphrase-file "$PASS"
assert_eq "$(json 'j["rotated_to"]' <"$OUT")" 4
ok shifted 300 "$LETHE" audit verify
note "ok"
