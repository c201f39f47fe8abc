#!/usr/bin/env bash
# test_release.sh - one version everywhere, and an ABI that changes only on purpose.
#
# The version of CMakeLists.txt's project() is the one that `lethe --version`, lethe_version()
# of the built liblethe.so, the library's file name, the man pages, debian/changelog and NEWS.md
# say; the soname matches the Debian package that ships it (liblethe0) and the first line of
# debian/liblethe0.symbols; and that symbols file lists exactly what liblethe.so exports
# (scripts/update-symbols --check).
#
# Env (set by CTest): LETHE = the built lethe, LETHE_BUILD = the build directory, LETHE_TESTS =
# the tests directory.
set -euo pipefail

: "${LETHE:?LETHE must name the lethe binary}"
: "${LETHE_BUILD:?LETHE_BUILD must name the build directory}"
: "${LETHE_TESTS:?LETHE_TESTS must name the tests directory}"
src=$(cd "$LETHE_TESTS/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lethe-release.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

failures=0
checks=0
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}

version=$(sed -n 's/^project(lethe VERSION \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p' "$src/CMakeLists.txt")
[[ -n $version ]] || { echo "FAIL: no project(lethe VERSION X.Y.Z) in CMakeLists.txt" >&2; exit 1; }

# ---- debian/changelog and NEWS.md -------------------------------------------------------------

# The first line: "lethe (VERSION[-REVISION]) DISTRIBUTION; urgency=..."
read -r _ deb_version distribution _ < <(head -n 1 "$src/debian/changelog")
deb_version=${deb_version#(}
deb_version=${deb_version%)}
distribution=${distribution%;}
upstream=${deb_version%-*}
if [[ $upstream == "$version" ]]; then pass; else fail "debian/changelog is at $deb_version, CMakeLists.txt at $version"; fi
# NEWS.md has a section for this version; it says "(unreleased)" exactly while the changelog
# entry is UNRELEASED (dch -r releases both at once).
news=$(grep -m 1 -E "^## $version( |\$)" "$src/NEWS.md" || true)
if [[ -z $news ]]; then
	fail "NEWS.md has no section '## $version'"
elif [[ $distribution == UNRELEASED && $news != *"(unreleased)"* ]]; then
	fail "debian/changelog says UNRELEASED but NEWS.md's '$news' does not say (unreleased)"
elif [[ $distribution != UNRELEASED && $news == *"(unreleased)"* ]]; then
	fail "NEWS.md's '$news' says unreleased but debian/changelog releases $deb_version to $distribution"
else
	pass
fi
# The previous release of the upgrade test has its section too.
if [[ -r $src/tests/upgrade/PREVIOUS ]]; then
	read -r previous _ < <(grep -v '^#' "$src/tests/upgrade/PREVIOUS")
	if grep -qE "^## $previous( |\$)" "$src/NEWS.md"; then pass; else fail "NEWS.md has no section for the previous release $previous"; fi
	if grep -qE "^lethe \($previous(-[^)]*)?\) " "$src/debian/changelog"; then pass; else fail "debian/changelog has no entry for $previous"; fi
fi

# ---- the command, the library, the man pages -------------------------------------------------

if [[ $("$LETHE" --version) == "lethe $version" ]]; then pass; else fail "lethe --version says '$("$LETHE" --version)', expected 'lethe $version'"; fi

lib=$(find "$LETHE_BUILD" -maxdepth 2 -name "liblethe.so.$version" -type f | head -n 1)
if [[ -n $lib ]]; then
	pass
	soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	major=${soname#liblethe.so.}
	if [[ $soname =~ ^liblethe\.so\.[0-9]+$ ]]; then pass; else fail "$lib has soname '$soname'"; fi
	if grep -qx "Package: liblethe$major" "$src/debian/control"; then pass; else fail "debian/control has no package liblethe$major for soname $soname"; fi
	if [[ $(head -n 1 "$src/debian/liblethe0.symbols") == "$soname liblethe$major #MINVER#" ]]; then
		pass
	else
		fail "debian/liblethe0.symbols starts '$(head -n 1 "$src/debian/liblethe0.symbols")', soname is $soname"
	fi
	# lethe_version() of the shared library, through a program built like any user's, with the
	# build's compiler (and its sanitizers in the ASan build: an instrumented library needs an
	# instrumented program).
	cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$LETHE_BUILD/CMakeCache.txt")
	sanitize=()
	if grep -q '^LETHE_SANITIZE:BOOL=ON$' "$LETHE_BUILD/CMakeCache.txt"; then
		# shellcheck disable=SC2054 # one option with a comma in it
		sanitize=(-fsanitize=address,undefined)
	fi
	printf '#include <lethe.h>\n#include <stdio.h>\nint main(void) { puts(lethe_version()); return 0; }\n' >"$tmp/v.c"
	if "${cc:-cc}" "${sanitize[@]}" -I"$src/include" -o "$tmp/v" "$tmp/v.c" -L"$(dirname "$lib")" -llethe 2>"$tmp/cc.err" &&
		got=$(LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/v") && [[ $got == "$version" ]]; then
		pass
	else
		fail "lethe_version() of $lib: '${got:-}' $(cat "$tmp/cc.err")"
	fi
	if "$src/scripts/update-symbols" --check "$LETHE_BUILD" 2>"$tmp/symbols.err"; then
		pass
	else
		fail "$(cat "$tmp/symbols.err")"
	fi
else
	fail "no liblethe.so.$version under $LETHE_BUILD: the library's version is not $version"
fi

for page in docs/lethe.1 docs/lethe.conf.5; do
	if grep -qE "^\.TH .* \"lethe $version\" " "$src/$page"; then pass; else fail "$page: .TH does not say \"lethe $version\": $(grep '^\.TH' "$src/$page")"; fi
done

echo "$((checks - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
