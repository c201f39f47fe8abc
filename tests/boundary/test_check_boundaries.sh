#!/usr/bin/env bash
# test_check_boundaries.sh - scripts/check-boundaries finds each kind of stray it is meant to
# find: each case plants one line in a copy of the modules' sources and expects exit 1 with a
# line naming the file and the rule, and the untouched copy passes.
set -euo pipefail
src=${LETHE_SOURCE_DIR:?}
script=$src/scripts/check-boundaries
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

copy() {
	rm -rf "$work/tree" && mkdir "$work/tree"
	for m in common crypt store keys retention audit lib cli include; do
		cp -r "$src/$m" "$work/tree/"
	done
}

copy
"$script" "$work/tree" >"$work/out" || { cat "$work/out"; echo "FAIL: the clean copy is refused"; exit 1; }

fails=0 cases=0
# expect FILE LINE_TO_ADD PATTERN_OF_THE_REPORT
expect() {
	local file=$1 add=$2 pattern=$3 rc=0
	cases=$((cases + 1))
	printf '%s\n' "$add" >>"$work/tree/$file"
	"$script" "$work/tree" >"$work/out" 2>&1 || rc=$?
	cp "$src/$file" "$work/tree/$file"
	if [[ $rc -ne 1 ]] || ! grep -qE "^$file:[0-9]+: .*$pattern" "$work/out"; then
		echo "FAIL: '$add' in $file: exit $rc, expected a line matching '$pattern':"
		cat "$work/out"
		fails=$((fails + 1))
	fi
}

expect keys/wrap.c '#include <openssl/evp.h>' "OpenSSL is crypt/'s alone"
expect keys/wrap.c '#include <sqlite3.h>' "SQLite is store/'s alone"
expect lib/api.c '#include <libcryptsetup.h>' "libcryptsetup is keys/'s alone"
expect common/name.c '#include <ini.h>' "libinih is common/config.c's alone"
expect lib/object.c '#include <uuid/uuid.h>' "libuuid is common/uuid.c's alone"
expect retention/cert.c '#include <jansson.h>' "jansson is common/json.c's alone"
expect store/objfile.c '#include "keys/wrap.h"' "keys/ is not below store/"
expect crypt/prim.c '#include "store/db.h"' "store/ is not below crypt/"
expect common/str.c '#include "crypt/prim.h"' "crypt/ is not below common/"
expect retention/policy.c '#include "audit/audit.h"' "audit/ is not below retention/"
expect audit/record.c '#include "lib/internal.h"' "lib/ is not below audit/"
expect include/lethe.h '#include "common/err.h"' "common/ is not below include/"
expect cli/main.c '#include "common/err.h"' "cli/ calls include/lethe.h and nothing else"
expect cli/util.c '#include "../common/err.h"' "no include climbs"
expect keys/wrap.c '#include "crypt/prim_internal.h"' "a header private to crypt/"
expect lib/api.c '#include "store/sqlite/sqlite.h"' "a header private to store/"
expect lib/hold.c '	lt_strlcpy(saved, lt_err_detail(), sizeof(saved));' "copies the error detail"
expect keys/kekring.c '	snprintf(saved, sizeof(saved), "%s", lt_err_detail());' "copies the error detail"

# and what is allowed stays allowed
copy
printf '%s\n' '#include "store/db.h"' >>"$work/tree/keys/check.c"
printf '%s\n' '#include <jansson.h>' >>"$work/tree/cli/util.c"
printf '%s\n' '#include "include/lethe.h"' >>"$work/tree/crypt/lth.c"
"$script" "$work/tree" >"$work/out" 2>&1 || { cat "$work/out"; echo "FAIL: an allowed include is refused"; fails=$((fails + 1)); }

if [[ $fails -gt 0 ]]; then
	echo "test_check_boundaries: $fails of $cases cases failed"
	exit 1
fi
echo "test_check_boundaries: all $cases strays found, the clean and allowed trees pass"
