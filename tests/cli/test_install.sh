#!/usr/bin/env bash
# test_install.sh - `cmake --install` into a scratch prefix puts every file in its usual place
# and nowhere else; examples/file_service.c builds against the installed library through
# pkg-config and stores and serves a file in a store made by the installed `lethe init`.
#
# Env (set by CTest): LETHE_BUILD = the build directory, LETHE_TESTS = the tests directory.
set -euo pipefail

# grep for a match, reading all of its input: `cmd | grep -q` stops reading at the first match,
# and under pipefail the writer's SIGPIPE then fails the pipeline at random.
grep_q() { grep "$@" >/dev/null; }

: "${LETHE_BUILD:?LETHE_BUILD must name the build directory}"
: "${LETHE_TESTS:?LETHE_TESTS must name the tests directory}"
src=$(cd "$LETHE_TESTS/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lethe-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
umask 077
export LC_ALL=C
unset LETHE_STORE
exec </dev/null # nothing may wait for a terminal

failures=0
checks=0
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}
# The one installed file matching a name pattern under the prefix (fails if none or several).
find_one() {
	local found
	found=$(find "$prefix" -name "$1" \( -type f -o -type l \) | sort)
	if [[ -z $found ]]; then
		fail "nothing named $1 installed"
		return 1
	fi
	if [[ $(wc -l <<<"$found") -ne 1 ]]; then
		fail "several files named $1 installed: $found"
		return 1
	fi
	printf '%s\n' "$found"
}

# ---- install -----------------------------------------------------------------------------

# The manifest lands in the build directory; keep the build's own one (if any) intact.
manifest=$LETHE_BUILD/install_manifest.txt
[[ -e $manifest ]] && cp -p "$manifest" "$tmp/manifest.saved"
if ! cmake --install "$LETHE_BUILD" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	echo "FAIL: cmake --install" >&2
	exit 1
fi
cp "$manifest" "$tmp/manifest"
if [[ -e $tmp/manifest.saved ]]; then cp -p "$tmp/manifest.saved" "$manifest"; else rm -f "$manifest"; fi

# Everything under the prefix: a staged install must not write to the real system.
if outside=$(grep -v "^$prefix/" "$tmp/manifest"); then
	fail "installed outside the prefix: $outside"
else
	pass
fi

# ---- what is installed where ----------------------------------------------------------------

lethe=$prefix/bin/lethe
if [[ -x $lethe ]] && "$lethe" --version | grep_q '^lethe [0-9]'; then pass; else fail "bin/lethe missing or --version fails"; fi

pc=$(find_one lethe.pc) || exit 1
libdir=$(dirname "$(dirname "$pc")")
case ${libdir#"$prefix"/} in
	lib | lib64 | lib/*-linux-gnu*) pass ;;
	*) fail "lethe.pc in an unusual library directory: $libdir" ;;
esac
for lib in liblethe.a liblethe.so liblethe.so.0; do
	if [[ -e $libdir/$lib ]]; then pass; else fail "$libdir/$lib not installed"; fi
done
if [[ -L $libdir/liblethe.so && -L $libdir/liblethe.so.0 ]] &&
	ls "$libdir"/liblethe.so.0.* >/dev/null 2>&1; then
	pass
else
	fail "liblethe.so -> liblethe.so.0 -> liblethe.so.0.x.y symlink chain not installed"
fi
# The shared library exports the API and nothing else (the version script).
if command -v nm >/dev/null 2>&1; then
	if nm -D --defined-only "$libdir/liblethe.so.0" | awk '$2 ~ /^[TDBR]$/ {print $3}' |
		grep -v '^lethe_' | grep -v '^LETHE_' | grep_q .; then
		fail "liblethe.so exports symbols outside lethe_*: $(nm -D --defined-only "$libdir/liblethe.so.0" |
			awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^lethe_' | head -5 | tr '\n' ' ')"
	else
		pass
	fi
	if nm -D --defined-only "$libdir/liblethe.so.0" | grep_q ' T lethe_store_open'; then pass; else fail "liblethe.so does not export lethe_store_open"; fi
fi

if cmp -s "$prefix/include/lethe.h" "$src/include/lethe.h"; then pass; else fail "include/lethe.h not installed"; fi
for page in man1/lethe.1 man5/lethe.conf.5; do
	if cmp -s "$prefix/share/man/$page" "$src/docs/${page#*/}"; then pass; else fail "share/man/$page not installed"; fi
done
if MANPATH=$prefix/share/man man -w lethe.conf 2>/dev/null | grep_q "^$prefix/share/man/man5/lethe.conf.5"; then
	pass
else
	fail "man cannot find lethe.conf(5) in the installed man path"
fi

for unit in sweep:sweep rotate:"key auto"; do
	name=lethe-${unit%%:*} cmd=${unit#*:}
	cmd=${cmd//\"/}
	service=$(find_one "$name.service") || exit 1
	timer=$(find_one "$name.timer") || exit 1
	case $service in
		"$prefix/lib/systemd/system/$name.service") pass ;;
		*) fail "$name.service installed as $service, expected under lib/systemd/system" ;;
	esac
	if [[ $(dirname "$timer") == "$(dirname "$service")" ]]; then pass; else fail "$name: the timer and the service are in different directories"; fi
	# The service runs the binary this install put in place.
	if grep -qx "ExecStart=$prefix/bin/lethe --store /var/lib/lethe --quiet $cmd" "$service"; then
		pass
	else
		fail "installed ExecStart= of $name does not name $prefix/bin/lethe: $(grep ExecStart= "$service")"
	fi
done
if [[ -f $prefix/lib/sysusers.d/lethe.conf ]] && grep -q '^u lethe ' "$prefix/lib/sysusers.d/lethe.conf"; then pass; else fail "sysusers.d/lethe.conf not installed"; fi
if [[ -f $prefix/lib/tmpfiles.d/lethe.conf ]] && grep -q '^d /var/lib/lethe 0700 lethe lethe' "$prefix/lib/tmpfiles.d/lethe.conf"; then pass; else fail "tmpfiles.d/lethe.conf not installed"; fi
completion=$prefix/share/bash-completion/completions/lethe
if [[ -f $completion ]] && bash -n "$completion"; then pass; else fail "bash completion not installed as $completion"; fi
# The units as installed pass systemd's own checks, with the installed binary and man pages.
if command -v systemd-analyze >/dev/null 2>&1; then
	if MANPATH=$prefix/share/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$service" "$timer" \
		>"$tmp/verify.out" 2>&1 && [[ ! -s $tmp/verify.out ]]; then
		pass
	else
		fail "systemd-analyze verify (installed units): $(cat "$tmp/verify.out")"
	fi
fi
# Examples are for reading and building, not installed.
if find "$prefix" -name 'file_service*' | grep_q .; then fail "examples were installed"; else pass; fi

# ---- the example, built against the installed library ----------------------------------------

# lethe.pc names the prefix of this install (given to cmake --install), not the one the build
# was configured with, and nothing of the build tree.
if grep -qx "prefix=$prefix" "$pc"; then pass; else fail "lethe.pc does not say prefix=$prefix: $(grep '^prefix=' "$pc")"; fi
if grep_q -F "$LETHE_BUILD" "$pc" || grep_q -F "$src" "$pc"; then fail "lethe.pc names the build or source tree: $(cat "$pc")"; else pass; fi
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pkgconfig=(pkg-config)
if "${pkgconfig[@]}" --exists lethe &&
	[[ $("${pkgconfig[@]}" --modversion lethe) == $("$lethe" --version | awk '{print $2}') ]]; then
	pass
else
	fail "pkg-config lethe: missing, or its version differs from lethe --version"
fi
flags=$("${pkgconfig[@]}" --cflags --libs lethe)
case " $flags " in
	*" -I$prefix/include "*) pass ;;
	*) fail "pkg-config --cflags lethe does not point at $prefix/include: $flags" ;;
esac
# The build's compiler, and its sanitizers when the library was built with them (the CI's
# ASan+UBSan pass): an instrumented library needs an instrumented program.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$LETHE_BUILD/CMakeCache.txt")
cc=${CC:-${cc:-cc}}
sanitize=()
if grep -q '^LETHE_SANITIZE:BOOL=ON$' "$LETHE_BUILD/CMakeCache.txt"; then
	# shellcheck disable=SC2054 # one option with a comma in it
	sanitize=(-fsanitize=address,undefined -fno-omit-frame-pointer)
fi
example=$tmp/file_service
# shellcheck disable=SC2086 # the flags are words
if "$cc" -std=c11 -Wall -Wextra -Werror "${sanitize[@]}" -o "$example" "$src/examples/file_service.c" \
	$flags 2>"$tmp/cc.err"; then
	pass
else
	fail "examples/file_service.c does not build with pkg-config: $(cat "$tmp/cc.err")"
	echo "$((checks - failures)) passed, $failures failed"
	exit 1
fi
# Linked to the shared library, and resolved to the installed one.
if LD_LIBRARY_PATH=$libdir ldd "$example" | grep_q "liblethe.so.0 => $libdir/liblethe.so.0"; then
	pass
else
	fail "file_service is not linked to the installed liblethe.so.0: $(LD_LIBRARY_PATH=$libdir ldd "$example")"
fi
# And statically, for services that ship one binary: liblethe.a must hold all of lethe (the
# modules too), and Libs.private the libraries it needs.
static_libs=$("${pkgconfig[@]}" --static --libs lethe)
static_libs=${static_libs//-llethe/}
# shellcheck disable=SC2086 # the flags are words
if "$cc" -std=c11 "${sanitize[@]}" -o "$tmp/file_service_static" "$src/examples/file_service.c" \
	-I"$prefix/include" "$libdir/liblethe.a" $static_libs 2>"$tmp/cc-static.err"; then
	pass
else
	fail "examples/file_service.c does not link against liblethe.a with pkg-config --static: $(head -c 2000 "$tmp/cc-static.err")"
fi

# A fresh store, made by the installed lethe, with a cheap officer KDF (tests only).
printf '[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n[group:uploads]\n' \
	>"$tmp/template.conf"
printf 'install test officer passphrase\n' >"$tmp/officer.pass"
store=$tmp/store
if "$lethe" --config "$tmp/template.conf" init --store "$store" --keyfile "$tmp/service.key" \
	--officer alice --passphrase-file "$tmp/officer.pass" >"$tmp/init.out" 2>"$tmp/init.err"; then
	pass
else
	fail "lethe init: $(cat "$tmp/init.err")"
	echo "$((checks - failures)) passed, $failures failed"
	exit 1
fi

# An upload of several segments and a bit (64 KiB segments).
head -c 200000 /dev/urandom >"$tmp/report.pdf"
if LD_LIBRARY_PATH=$libdir "$example" "$store" "$tmp/report.pdf" uploads >"$tmp/example.out" 2>"$tmp/example.err"; then
	pass
else
	fail "file_service exited with $?: $(cat "$tmp/example.err")"
fi
id=$(tail -n 1 "$tmp/example.out")
if [[ $id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
	pass
else
	fail "file_service did not print an object id last: $(cat "$tmp/example.out")"
fi
for want in "opened store $store as service" "stored $id as uploads/report.pdf: 200000 bytes" \
	"served 200000 bytes: identical to the upload" "served bytes 195904-199999: identical to the upload" \
	"1 object in group uploads"; do
	if grep -qF -- "$want" "$tmp/example.out"; then pass; else fail "file_service output lacks '$want': $(cat "$tmp/example.out")"; fi
done
# What the example stored is what the command line sees.
if "$lethe" --store "$store" get "$id" | cmp -s - "$tmp/report.pdf"; then pass; else fail "lethe get $id differs from the upload"; fi
if "$lethe" --store "$store" --json stat "$id" | grep_q '"group": *"uploads"'; then pass; else fail "lethe stat $id: not in group uploads"; fi
if [[ $("$lethe" --store "$store" ls --group uploads | grep -c "$id") -eq 1 ]]; then pass; else fail "lethe ls --group uploads does not list $id"; fi
# Failures come back as one line with lethe's reason.
status=0
LD_LIBRARY_PATH=$libdir "$example" "$tmp/no-such-store" "$tmp/report.pdf" uploads >/dev/null 2>"$tmp/example.err" || status=$?
if [[ $status -eq 1 ]] && grep -q '^file_service: open store ' "$tmp/example.err"; then
	pass
else
	fail "file_service on a missing store: exit $status, $(cat "$tmp/example.err")"
fi
# A tampered object file is refused, not served.
objfile=$(find "$store/objects" -name "$id.lth")
chmod u+w "$objfile"
# flip one bit of the byte at 70000 (writing a fixed byte would leave it unchanged 1 time in 256)
byte=$(od -An -tu1 -j 70000 -N 1 "$objfile" | tr -d ' ')
printf "\\$(printf '%03o' $(( (${byte:-0} ^ 1) & 255 )))" |
	dd of="$objfile" bs=1 seek=70000 conv=notrunc status=none
status=0
"$lethe" --store "$store" get "$id" >/dev/null 2>"$tmp/get.err" || status=$?
if [[ $status -eq 4 ]]; then pass; else fail "get of a tampered object: exit $status, expected 4: $(cat "$tmp/get.err")"; fi

echo "$((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
