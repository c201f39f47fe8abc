#!/usr/bin/env bash
# test_packaging.sh - the man pages, systemd units, sysusers/tmpfiles entries and bash
# completion pass their linters, and say the same as the lethe binary and lethe.conf parser.
#
# Env (set by CTest): LETHE = the built lethe, LETHE_TESTS = the tests directory.
set -euo pipefail

# grep for a match, reading all of its input: `cmd | grep -q` stops reading at the first match,
# and under pipefail the writer's SIGPIPE then fails the pipeline at random.
grep_q() { grep "$@" >/dev/null; }

: "${LETHE_TESTS:?LETHE_TESTS must name the tests directory}"
src=$(cd "$LETHE_TESTS/.." && pwd)
lethe=${LETHE:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lethe-packaging.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failures=0
checks=0
skipped=0
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}
skip() {
	skipped=$((skipped + 1))
	echo "SKIP: $*"
}

# ---- man pages ------------------------------------------------------------------------------

if command -v man >/dev/null 2>&1; then
	for page in "$src/docs/lethe.1" "$src/docs/lethe.conf.5"; do
		# Any line on stderr is a defect of the page: --warnings is man-db's default set
		# (macro misuse), --warnings=w every groff warning (bad escapes, lines that cannot
		# be broken at 80 columns, ...).
		for warnings in --warnings --warnings=w; do
			if ! MANWIDTH=80 man "$warnings" -l "$page" >"$tmp/page.txt" 2>"$tmp/page.err"; then
				fail "man $warnings -l $page failed: $(cat "$tmp/page.err")"
			elif [[ -s $tmp/page.err ]]; then
				fail "man $warnings -l $page: $(cat "$tmp/page.err")"
			elif [[ $(wc -l <"$tmp/page.txt") -lt 50 ]]; then
				fail "man -l $page rendered almost nothing"
			else
				pass
			fi
		done
	done
	# The sections a man page of a command is expected to have.
	MANWIDTH=100 man -l "$src/docs/lethe.1" 2>/dev/null >"$tmp/lethe.1.txt"
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES \
		EXAMPLES SECURITY "SEE ALSO"; do
		if grep -qx "$section" "$tmp/lethe.1.txt"; then pass; else fail "lethe(1) has no $section section"; fi
	done
	for code in 0 1 2 3 4 5 6; do
		if sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$tmp/lethe.1.txt" | grep_q -E "^ +$code +[A-Z]"; then
			pass
		else
			fail "lethe(1) EXIT STATUS does not describe exit status $code"
		fi
	done
else
	skip "man is not installed (apt-get install man-db groff-base): man pages not linted"
fi

# ---- lethe(1) covers every command and option of the binary -----------------------------------

# The page writes options with escaped hyphens (\-\-store); compare in rendered form.
man_text=$(sed 's/\\-/-/g' "$src/docs/lethe.1")
completion="$src/cli/lethe.bash-completion"
if [[ -n $lethe && -x $lethe ]]; then
	commands=$("$lethe" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" {print $1}')
	[[ -n $commands ]] || fail "could not read the command list from lethe --help"
	for cmd in $commands; do
		if grep -qE "^\.SS \"$cmd( |\")" <<<"$man_text"; then pass; else fail "lethe(1) has no section for '$cmd'"; fi
		if grep -qw -- "$cmd" "$completion"; then pass; else fail "bash completion lacks command '$cmd'"; fi
		usage=$("$lethe" help "$cmd")
		# Subcommands: the word after "lethe CMD" on each usage line.
		for sub in $(awk -v c="$cmd" '{for (i = 1; i < NF; i++) if ($i == "lethe" && $(i + 1) == c && $(i + 2) ~ /^[a-z]+$/) print $(i + 2)}' <<<"$usage" | sort -u); do
			if grep -qE "^\.SS \"$cmd $sub( |\")" <<<"$man_text"; then pass; else fail "lethe(1) has no section for '$cmd $sub'"; fi
			if grep -qw -- "$sub" "$completion"; then pass; else fail "bash completion lacks '$cmd $sub'"; fi
		done
		for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$usage" | sort -u); do
			if grep -qF -- "$opt" <<<"$man_text"; then pass; else fail "lethe(1) does not document $cmd $opt"; fi
			if grep -qF -- "$opt" "$completion"; then pass; else fail "bash completion lacks $cmd $opt"; fi
		done
	done
	for opt in $("$lethe" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		if grep -qF -- "$opt" <<<"$man_text"; then pass; else fail "lethe(1) does not document $opt"; fi
	done
else
	skip "LETHE is not an executable: lethe(1) not compared with the binary's commands"
fi

# ---- lethe.conf(5) covers every setting the parser knows ----------------------------------------

conf_man=$(sed 's/\\-/-/g' "$src/docs/lethe.conf.5")
settings=$(sed -n 's/^[[:space:]]*{SECTION_\([A-Z]*\), "\([a-z_]*\)",.*/\1 \2/p' "$src/common/config.c")
[[ -n $settings ]] || fail "could not read the settings table of common/config.c"
while read -r section key; do
	[[ -n $key ]] || continue
	section=$(tr '[:upper:]' '[:lower:]' <<<"$section")
	[[ $section == group ]] && section="group:NAME"
	if grep -qF "[$section]" <<<"$conf_man"; then pass; else fail "lethe.conf(5) has no [$section] section"; fi
	if grep -qE "^\.BR $key " <<<"$conf_man"; then pass; else fail "lethe.conf(5) does not document $key in [$section]"; fi
done <<<"$settings"
# The keys in the page's examples are keys the parser knows (a typo there would be copied).
for key in $(sed -n '/^\.EX$/,/^\.EE$/p' "$src/docs/lethe.conf.5" | sed -n 's/^\([a-z_]*\) *=.*/\1/p' | sort -u); do
	if grep -qw -- "$key" <<<"$settings"; then pass; else fail "lethe.conf(5) example uses unknown key $key"; fi
done

# ---- systemd units ---------------------------------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify checks that ExecStart= names an executable and that Documentation= man pages
	# exist: point it at a binary that exists and at the pages of this tree.
	mkdir -p "$tmp/units" "$tmp/man/man1" "$tmp/man/man5"
	cp "$src/docs/lethe.1" "$tmp/man/man1/"
	cp "$src/docs/lethe.conf.5" "$tmp/man/man5/"
	exe=$lethe
	[[ -n $exe && -x $exe ]] || exe=$(command -v true)
	for name in lethe-sweep lethe-rotate; do
		sed "s#/usr/bin/lethe #$exe #" "$src/packaging/$name.service" >"$tmp/units/$name.service"
		cp "$src/packaging/$name.timer" "$tmp/units/"
		if grep -q "^ExecStart=$exe " "$tmp/units/$name.service"; then pass; else fail "ExecStart= is not /usr/bin/lethe ..."; fi
		if MANPATH="$tmp/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
			"$tmp/units/$name.service" "$tmp/units/$name.timer" >"$tmp/verify.out" 2>&1 &&
			[[ ! -s $tmp/verify.out ]]; then
			pass
		else
			fail "systemd-analyze verify: $(cat "$tmp/verify.out")"
		fi
		# The files as shipped: only the placeholder binary may be missing.
		SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$src/packaging/$name.service" \
			"$src/packaging/$name.timer" >"$tmp/verify-src.out" 2>&1 || true
		if grep -v "Command /usr/bin/lethe is not executable" "$tmp/verify-src.out" | grep_q .; then
			fail "systemd-analyze verify (as shipped): $(cat "$tmp/verify-src.out")"
		else
			pass
		fi
		# The hardening is there and stays there.
		for setting in Type=oneshot User=lethe Group=lethe ProtectSystem=strict \
			ReadWritePaths=/var/lib/lethe PrivateTmp=yes NoNewPrivileges=yes PrivateDevices=yes \
			ProtectHome=read-only ProtectKernelTunables=yes ProtectKernelModules=yes \
			ProtectKernelLogs=yes ProtectControlGroups=yes RestrictAddressFamilies=AF_UNIX \
			LockPersonality=yes MemoryDenyWriteExecute=yes RestrictRealtime=yes \
			RestrictSUIDSGID=yes SystemCallArchitectures=native CapabilityBoundingSet= \
			LimitCORE=0 UMask=0077; do
			if grep -qx -- "$setting" "$src/packaging/$name.service"; then pass; else fail "$name.service lacks $setting"; fi
		done
		for setting in OnCalendar=daily Persistent=true RandomizedDelaySec=1h WantedBy=timers.target; do
			if grep -qx -- "$setting" "$src/packaging/$name.timer"; then pass; else fail "$name.timer lacks $setting"; fi
		done
		if systemd-analyze security --help 2>/dev/null | grep_q -- --offline; then
			score=$(systemd-analyze security --offline=yes --no-pager "$tmp/units/$name.service" 2>/dev/null |
				sed -n "s/.*Overall exposure level for $name.service: \([0-9.]*\).*/\1/p")
			if [[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
				pass
			else
				fail "systemd-analyze security: exposure ${score:-unknown}, expected at most 2.0"
			fi
		fi
	done
else
	skip "systemd-analyze is not installed: units not verified"
fi

# sysusers.d and tmpfiles.d entries, applied to a scratch root.
if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1 &&
	[[ $(id -u) -eq 0 ]]; then
	root=$tmp/root
	mkdir -p "$root/etc" "$root/var/lib"
	if systemd-sysusers --root="$root" "$src/packaging/lethe.sysusers" >"$tmp/sysusers.out" 2>&1 &&
		grep -q '^lethe:x:[0-9]*:[0-9]*:lethe retention engine:/var/lib/lethe:' "$root/etc/passwd"; then
		pass
	else
		fail "systemd-sysusers: $(cat "$tmp/sysusers.out")"
	fi
	if systemd-tmpfiles --root="$root" --create "$src/packaging/lethe.tmpfiles" >"$tmp/tmpfiles.out" 2>&1 &&
		[[ $(stat -c %a "$root/var/lib/lethe") == 700 && $(stat -c %a "$root/etc/lethe") == 700 ]]; then
		pass
	else
		fail "systemd-tmpfiles: $(cat "$tmp/tmpfiles.out")"
	fi
else
	skip "systemd-sysusers/systemd-tmpfiles absent or not root: sysusers.d/tmpfiles.d not applied"
fi

# ---- bash completion -----------------------------------------------------------------------------

if bash -n "$completion"; then pass; else fail "bash -n $completion"; fi
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	cat >"$tmp/complete.sh" <<'EOF'
source /usr/share/bash-completion/bash_completion
source "$1"
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_lethe
	echo "${COMPREPLY[*]}"
}
echo "1:$(complete_words lethe ke)"
echo "2:$(complete_words lethe key re)"
echo "3:$(complete_words lethe --store "$2" hold clear --)"
echo "4:$(complete_words lethe sweep --d)"
echo "5:$(complete_words lethe officer add bob --new)"
EOF
	mkdir -p "$tmp/cstore"
	bash "$tmp/complete.sh" "$completion" "$tmp/cstore" >"$tmp/complete.out" 2>&1 || true
	for want in "1:key" "2:rewrap retire" "3:--group --reason --officer --passphrase-file --store --config --json --quiet --help" "4:--dry-run" "5:--new-passphrase-file"; do
		if grep -qxF -- "$want" "$tmp/complete.out"; then pass; else fail "completion: expected '$want', got: $(cat "$tmp/complete.out")"; fi
	done
else
	skip "bash-completion is not installed: completion only syntax-checked"
fi

echo "$((checks - failures)) passed, $failures failed, $skipped skipped"
[[ $failures -eq 0 ]]
