#!/usr/bin/env bash
# probe_includes.sh - what a module's object library can include (cmake/LetheModule.cmake):
# with the include path the build gives lt_MODULE, a header of each module it uses compiles
# and a header of every other module is not found.
#
#   probe_includes.sh CC MODULE USED_MODULES(comma-separated) -I... -I...
set -euo pipefail
cc=$1 module=$2 used=,$3,
shift 3
# one public header of each module of the library
declare -A header=([common]=common/err.h [crypt]=crypt/prim.h [store]=store/db.h
	[keys]=keys/wrap.h [audit]=audit/audit.h [retention]=retention/policy.h [lib]=lib/internal.h)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
for m in common crypt store keys audit retention lib; do
	h=${header[$m]}
	printf '#include "include/lethe.h"\n#include "%s"\n' "$h" >"$work/probe.c"
	rc=0
	"$cc" -std=c11 -D_GNU_SOURCE -fsyntax-only "$@" "$work/probe.c" >"$work/err" 2>&1 || rc=$?
	if [[ $used == *,$m,* ]]; then
		if [[ $rc -ne 0 ]]; then
			echo "FAIL: lt_$module cannot include \"$h\", a header of a module it uses:"
			cat "$work/err"
			fails=$((fails + 1))
		fi
	elif [[ $rc -eq 0 ]] || ! grep -q "$h: No such file or directory" "$work/err"; then
		echo "FAIL: lt_$module can include \"$h\" of $m/, a module it does not use (exit $rc)"
		cat "$work/err"
		fails=$((fails + 1))
	fi
done
[[ $fails -eq 0 ]] || exit 1
u=${used#,}
u=${u%,}
echo "probe_includes: lt_$module sees ${u//,/, } and no other module"
