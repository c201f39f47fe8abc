#!/usr/bin/env bash
# test_completion.sh - bash completion that knows the store: object ids (live ones for get,
# rm, hold, retention; shredded ones too for stat), groups after --group, officers for
# officer remove, retirable KEK versions for key retire, ls's --state and --sort words; the
# store named by --store on the line is the one asked; no store completes to nothing.
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

completion=$LETHE_TESTS/../cli/lethe.bash-completion
fresh_store comp "[group:finance]
retention = 1h"
printf 'x\n' >"$T/f"
live=$(lethe put --group finance "$T/f")
gone=$(lethe put "$T/f")
ok lethe rm "$gone" --reason test --force --passphrase-file "$PASS"
printf 'bob passphrase\n' >"$T/bob.pass"
ok lethe officer add bob --new-passphrase-file "$T/bob.pass" --passphrase-file "$PASS"
ok lethe key rotate --passphrase-file "$PASS"
ok lethe key rotate --passphrase-file "$PASS"
ok lethe key rewrap --passphrase-file "$PASS"

# complete WORDS...: what _lethe offers for the last word, sorted, on one line.
cat >"$T/complete.sh" <<'SH'
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	source /usr/share/bash-completion/bash_completion
else
	# the two helpers of bash-completion that _lethe uses, reduced to what it needs
	_init_completion() {
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	}
	_filedir() { :; }
fi
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_lethe
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
SH
complete() {
	bash "$T/complete.sh" "$completion" "$@" 2>&1
}

note "object ids"
assert_eq "$(complete "$LETHE" get '')" "$live" "get: live ids"
assert_eq "$(complete "$LETHE" rm '')" "$live" "rm: live ids"
assert_eq "$(complete "$LETHE" stat '')" "$(printf '%s\n' "$live" "$gone" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"stat: shredded ids too"
assert_eq "$(complete "$LETHE" get "${live:0:4}")" "$live" "get: by prefix"
assert_eq "$(complete "$LETHE" hold set '')" "$live" "hold set: ids"
assert_eq "$(complete "$LETHE" rm --reason why '')" "$live" "rm after an option's argument"
assert_eq "$(complete "$LETHE" get "$live" '')" "" "get: one operand only"

note "groups"
assert_eq "$(complete "$LETHE" ls --group '')" "default finance" "ls --group"
assert_eq "$(complete "$LETHE" hold set --group f)" "finance" "hold set --group"

note "officers and KEK versions"
assert_eq "$(complete "$LETHE" officer remove '')" "alice bob" "officer remove"
assert_eq "$(complete "$LETHE" key retire '')" "1 2" "key retire: active, not primary"

note "ls words"
assert_eq "$(complete "$LETHE" ls --state s)" "shredded" "--state"
assert_eq "$(complete "$LETHE" ls --sort s)" "size" "--sort"
assert_eq "$(complete "$LETHE" ls --no)" "--no-pager" "ls options"

note "the store on the line, and no store"
store=$LETHE_STORE
unset LETHE_STORE
assert_eq "$(complete "$LETHE" --store "$store" get '')" "$live" "--store on the line"
assert_eq "$(complete "$LETHE" get '')" "" "no store: nothing"
assert_eq "$(complete "$LETHE" --store "$T/none" key retire '')" "" "a missing store: nothing"
note "ok"
