#!/usr/bin/env bash
# test_kill.sh - real crashes: a stream of puts (small and 2 MiB), gets, sweeps, rotations,
# rewraps and retirements is cut by SIGKILL at a random moment, LETHE_KILLS times (default
# 20); every command that was not killed must succeed, and after every few kills, and at the
# end once the interrupted kinds of work have been run again, the store keeps every invariant
# of check_store.py. Needs no fault injection: it runs in any build.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/crash_lib.sh"

KILLS=${LETHE_KILLS:-20}
crash_store kill "[retention]
sweep_batch = 3
[group:short]
retention = 1s"
may_shred group:short
# A retire killed between its commit and its keystore update leaves the retired key in
# keystore.luks until it is run again: allowed in the checks between kills, not at the end.
KEK_LAG='keys: retired KEK version [0-9]+ is still in the keystore'

put_obj seed-1
put_obj seed-2 default 100000
snapshot
seq_no=0
now_ms() {
	date +%s%3N
}

# start_op: start one random command in the background; sets PID, OP, and NAME for a put.
start_op() {
	local r=$((RANDOM % 13)) f
	NAME=
	case $r in
	0 | 1 | 2 | 3 | 4)
		seq_no=$((seq_no + 1))
		NAME=k$seq_no
		f=$(plain "$NAME" $((RANDOM % 5000)))
		OP="put --group $([ $((r % 2)) = 0 ] && echo short || echo default)"
		# shellcheck disable=SC2086
		"$LETHE" $OP --name "$NAME" "$f" >"$T/op.out" 2>"$T/op.err" &
		;;
	5)
		seq_no=$((seq_no + 1))
		NAME=k$seq_no
		f=$(plain "$NAME" 2000000)
		OP="put --group short"
		"$LETHE" put --group short --name "$NAME" "$f" >"$T/op.out" 2>"$T/op.err" &
		;;
	6 | 7)
		OP=sweep
		"$LETHE" sweep >"$T/op.out" 2>"$T/op.err" &
		;;
	8)
		OP="key rotate"
		"$LETHE" key rotate --passphrase-file "$PASS" >"$T/op.out" 2>"$T/op.err" &
		;;
	9)
		OP="key rewrap"
		"$LETHE" key rewrap --passphrase-file "$PASS" >"$T/op.out" 2>"$T/op.err" &
		;;
	10)
		# the oldest version no data key uses any more
		V=$(lethe --json key list | json '([k["version"] for k in j if k["state"] == "active"
			and not k["primary"] and k["objects"] == 0] + [""])[0]')
		if [ -n "$V" ]; then
			OP="key retire"
			"$LETHE" key retire "$V" --passphrase-file "$PASS" >"$T/op.out" 2>"$T/op.err" &
		else
			OP=ls
			"$LETHE" ls >"$T/op.out" 2>"$T/op.err" &
		fi
		;;
	*)
		OP="get seed-2"
		"$LETHE" get "$(awk '$2 == "seed-2" { print $1 }' "$STATE/acked")" \
			-o "$T/got" >"$T/op.out" 2>"$T/op.err" &
		;;
	esac
	PID=$!
}

# finish_op RC: what a command that ran to its end must have done.
finish_op() {
	local rc=$1
	# refused, not failed: every version is in use (the retires have not caught up)
	if [ "$OP" = "key rotate" ] && [ "$rc" = 5 ] && grep -q "KEK versions" "$T/op.err"; then
		return 0
	fi
	if [ "$rc" != 0 ]; then
		ERR=$T/op.err fail "lethe $OP (not killed) exited $rc"
	fi
	case $OP in
	put*) echo "$(cat "$T/op.out") $NAME" >>"$STATE/acked" ;;
	get*) cmp -s "$T/got" "$STATE/plain/seed-2" || fail "get returned different bytes" ;;
	esac
}

killed=0
kinds=""
while [ "$killed" -lt "$KILLS" ]; do
	deadline=$(($(now_ms) + 30 + RANDOM % 700))
	while :; do
		start_op
		while kill -0 "$PID" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
			sleep 0.01
		done
		if kill -0 "$PID" 2>/dev/null; then
			kill -9 "$PID" 2>/dev/null || true
			rc=0
			wait "$PID" 2>/dev/null || rc=$?
			if [ "$rc" = 137 ]; then
				killed=$((killed + 1))
				kinds="$kinds ${OP%% *}"
				break
			fi
		else
			rc=0
			wait "$PID" 2>/dev/null || rc=$?
		fi
		# it ended on its own (perhaps just as the kill came)
		finish_op "$rc"
		[ "$(now_ms)" -lt "$deadline" ] || break
	done
	if [ $((killed % 5)) = 0 ] && [ "$killed" -gt 0 ]; then
		note "$killed kills (${kinds# }): checking"
		LETHE_ALLOW_YOUNG_TMP=1 LETHE_DOCTOR_ALLOW=$KEK_LAG LETHE_RETIRED_KEK_LAG=1 \
			check_invariants "$killed kills"
		snapshot
		kinds=""
	fi
done

note "running each interrupted kind of work again"
# a retire killed after its commit is finished by running it again (exit 3: already retired)
for v in $(lethe --json key list | json '" ".join(str(k["version"]) for k in j
	if k["state"] == "retired")'); do
	expect_exit 3 lethe key retire "$v" --passphrase-file "$PASS"
done
retire_old() {
	local v
	for v in $(lethe --json key list | json '" ".join(str(k["version"]) for k in j
		if k["state"] == "active" and not k["primary"])'); do
		ok lethe key retire "$v" --passphrase-file "$PASS"
	done
}
ok lethe key rewrap --passphrase-file "$PASS"
retire_old
ok lethe key rotate --passphrase-file "$PASS"
ok lethe key rewrap --passphrase-file "$PASS"
retire_old
sleep 1.1
ok lethe sweep
assert_eq "$(lethe --json ls --group short | json 'len(j)')" 0 "expired objects after the sweep"
LETHE_ALLOW_YOUNG_TMP=1 check_invariants "the end"
cat "$T/check.out"
note "ok"
