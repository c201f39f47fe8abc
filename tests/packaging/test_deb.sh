#!/usr/bin/env bash
# test_deb.sh - the Debian packages, as an administrator gets them: built twice in two
# directories (identical .debs: reproducible), lintian clean, hardened, nothing of the build
# tree inside; installed with `apt-get install ./*.deb` (the lethe account, its directories,
# units that systemd-analyze accepts, one version everywhere); a store in the packaged default
# /var/lib/lethe made and used as the lethe account (init, put, get, a sweep run the way the
# unit runs it); purged (the package's files go, the store and keyfile stay, byte for byte);
# installed again, and the store still reads.
#
# It installs and purges packages and creates the lethe account on this machine: run it as
# root on a Debian 12 (or later) machine that has no lethe package and no store in
# /var/lib/lethe (CI: .ci/run, after scripts/install-deb-deps). It removes what it created when
# it ends. Exit status 77 (skipped) if not root.
#
#   tests/packaging/test_deb.sh                      DEB_BUILD_OPTIONS is honoured (CI: nocheck)
set -euo pipefail

# grep for a match, reading all of its input: `cmd | grep -q` stops reading at the first match,
# and under pipefail the writer's SIGPIPE then fails the pipeline at random.
grep_q() { grep "$@" >/dev/null; }

src=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
unset LETHE_STORE
exec </dev/null

if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP: test_deb.sh installs packages and needs root"
	exit 77
fi
for tool in dpkg-buildpackage dpkg-source lintian hardening-check apt-get git systemd-analyze; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/install-deb-deps)" >&2; exit 1; }
done

packages=(lethe liblethe0 liblethe-dev lethe-dbgsym liblethe0-dbgsym)
store=/var/lib/lethe
keydir=/etc/lethe
# Refuse to touch an installation or a store that this test did not make.
for p in "${packages[@]}"; do
	if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep_q '^[a-z][^n]'; then
		echo "FAIL: package $p is installed: test_deb.sh would replace and purge it" >&2
		exit 1
	fi
done
for d in "$store" "$keydir"; do
	if [[ -e $d ]] && [[ -n $(ls -A "$d") ]]; then
		echo "FAIL: $d exists and is not empty: test_deb.sh would use it" >&2
		exit 1
	fi
done
had_account=0
getent passwd lethe >/dev/null && had_account=1

tmp=$(mktemp -d /var/tmp/lethe-deb.XXXXXX)
work=""
made_store=0
cleanup() {
	local status=$?
	set +e
	# Leave the machine as it was: the packages, the test's store and keyfile, the
	# directories, and the account if it did not exist before.
	apt-get purge -y -q "${packages[@]}" >/dev/null 2>&1
	if [[ $made_store -eq 1 ]]; then
		find "$store" -mindepth 1 -delete
		rm -f "$keydir/service.key"
	fi
	rmdir "$store" "$keydir" 2>/dev/null
	if [[ $had_account -eq 0 ]] && getent passwd lethe >/dev/null; then
		userdel lethe 2>/dev/null
		getent group lethe >/dev/null && groupdel lethe 2>/dev/null
	fi
	[[ -n $work ]] && rm -rf "$work"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT

failures=0
checks=0
notes=()
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "FAIL: $*" >&2
}
# Stop here: what follows depends on this.
fatal() {
	fail "$@"
	echo "$((checks - failures)) passed, $failures failed" >&2
	exit 1
}
step() { echo "== $*"; }

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${version%%-*}
epoch=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Timestamp)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -q DEB_HOST_MULTIARCH)

# ---- build twice, in two directories of different lengths -------------------------------------

# The source tree as git knows it (tracked and new files, not ignored ones such as build/).
copy_tree() {
	mkdir -p "$1"
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -t "$1" 2>/dev/null) ||
		fatal "could not copy the source tree with git ls-files"
}
build_in() {
	local dir=$1/lethe-$upstream
	mkdir -p "$1"
	cp -a "$tmp/tree" "$dir"
	if ! (cd "$dir" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b) >"$1/build.log" 2>&1; then
		tail -n 40 "$1/build.log" >&2
		fatal "dpkg-buildpackage -us -uc -b failed in $dir (log above)"
	fi
	pass
}
step "build in $tmp/a and $tmp/second-build (DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-})"
# One snapshot of the tree for both builds and the source package: an edit made while the test
# runs must not pass for a difference between builds.
copy_tree "$tmp/tree"
build_in "$tmp/a"
build_in "$tmp/second-build"
A=$tmp/a
B=$tmp/second-build

debs=$(find "$A" -maxdepth 1 -name '*.deb' -printf '%f\n' | sort)
for p in lethe liblethe0 liblethe-dev; do
	if grep -qx "${p}_${version}_${arch}.deb" <<<"$debs"; then pass; else fail "no ${p}_${version}_${arch}.deb built: $debs"; fi
done

step "reproducible: the two builds' .debs are identical"
if [[ $debs == $(find "$B" -maxdepth 1 -name '*.deb' -printf '%f\n' | sort) ]]; then pass; else fail "the two builds made different sets of .debs"; fi
for deb in $debs; do
	a=$(sha256sum <"$A/$deb" | cut -d' ' -f1)
	b=$(sha256sum <"$B/$deb" 2>/dev/null | cut -d' ' -f1)
	if [[ $a == "$b" ]]; then
		pass
		continue
	fi
	fail "$deb differs between the two builds ($a, $b)"
	# Say where: the file lists, then the files whose contents differ.
	diff <(dpkg-deb -c "$A/$deb") <(dpkg-deb -c "$B/$deb") | head -n 20 >&2 || true
	mkdir -p "$tmp/diff/a" "$tmp/diff/b"
	dpkg-deb -R "$A/$deb" "$tmp/diff/a/$deb"
	dpkg-deb -R "$B/$deb" "$tmp/diff/b/$deb"
	diff -rq --no-dereference "$tmp/diff/a/$deb" "$tmp/diff/b/$deb" | head -n 20 >&2 || true
done

# ---- what is inside ---------------------------------------------------------------------------

step "contents: no build path, no build time, the packaged layout"
x=$tmp/extract
for deb in $debs; do
	dpkg-deb -x "$A/$deb" "$x"
	# Every file's time is the changelog's (SOURCE_DATE_EPOCH), none later.
	late=$(dpkg-deb --fsys-tarfile "$A/$deb" | tar -tv --full-time | awk '{print $4" "$5" "$6}' |
		while read -r d t name; do
			[[ $(date -u -d "$d $t" +%s) -le $epoch ]] || echo "$name"
		done)
	if [[ -z $late ]]; then pass; else fail "$deb has files newer than debian/changelog's date: $late"; fi
done
# Neither directory the packages were built in appears in any file, compressed or not.
for dir in "$A" "$B" "$src"; do
	if found=$(grep -rlaF "$dir" "$x"); then fail "build path $dir inside the packages: $found"; else pass; fi
	while read -r gz; do
		if zcat "$gz" | grep_q -aF "$dir"; then fail "build path $dir inside $gz"; fi
	done < <(find "$x" -name '*.gz')
done
# gzip headers carry no time or file name (gzip -n), so a rebuild gives the same bytes.
while read -r gz; do
	if [[ $(od -An -tx1 -j3 -N5 "$gz" | tr -d ' ') == 0000000000 ]]; then pass; else fail "$gz has a time or name in its gzip header"; fi
done < <(find "$x/usr/share" -name '*.gz')
# The static library: deterministic members (no time, uid 0), and each object file's debug info
# stripped (dh_strip), so no source path either.
if ar tv "$x/usr/lib/$multiarch/liblethe.a" | awk '{print $1, $2, $4, $5, $6, $7}' | sort -u |
	grep -vqx 'rw-r--r-- 0/0 Jan 1 00:00 1970'; then
	fail "liblethe.a members carry times or owners: $(ar tv "$x/usr/lib/$multiarch/liblethe.a" | head -n 3)"
else
	pass
fi
pc=$x/usr/lib/$multiarch/pkgconfig/lethe.pc
if [[ $(sed -n 's/^prefix=//p' "$pc") == /usr ]] &&
	grep -qx "libdir=\${prefix}/lib/$multiarch" "$pc" &&
	grep -qx "includedir=\${prefix}/include" "$pc" &&
	grep -qx "Version: $upstream" "$pc"; then
	pass
else
	fail "lethe.pc: $(cat "$pc")"
fi
for f in usr/bin/lethe lib/systemd/system/lethe-sweep.service lib/systemd/system/lethe-sweep.timer \
	lib/systemd/system/lethe-rotate.service lib/systemd/system/lethe-rotate.timer \
	usr/lib/sysusers.d/lethe.conf usr/lib/tmpfiles.d/lethe.conf \
	usr/share/bash-completion/completions/lethe usr/share/man/man1/lethe.1.gz \
	usr/share/man/man5/lethe.conf.5.gz usr/include/lethe.h "usr/lib/$multiarch/liblethe.a" \
	"usr/lib/$multiarch/liblethe.so.$upstream" usr/share/doc/lethe/NEWS.md.gz; do
	if [[ -e $x/$f ]]; then pass; else fail "$f is in no package"; fi
done
if [[ $(readlink "$x/usr/lib/$multiarch/liblethe.so.0") == "liblethe.so.$upstream" &&
	$(readlink "$x/usr/lib/$multiarch/liblethe.so") == liblethe.so.0 ]]; then
	pass
else
	fail "liblethe.so -> liblethe.so.0 -> liblethe.so.$upstream links are wrong"
fi
if dpkg-deb -c "$A/liblethe0_${version}_${arch}.deb" | grep_q -F "./usr/lib/$multiarch/liblethe.so.0 "; then pass; else fail "liblethe0 does not hold liblethe.so.0"; fi
# The symbols file (debian/liblethe0.symbols), with which dpkg-shlibdeps gives a program the
# lowest liblethe0 that has every function it uses.
if dpkg-deb -I "$A/liblethe0_${version}_${arch}.deb" symbols 2>/dev/null | grep_q '^ lethe_version@LETHE_0 '; then
	pass
else
	fail "liblethe0 has no symbols file listing lethe_version"
fi

step "hardening-check"
# Every check but control-flow protection: Debian 12's crt1.o lacks the IBT/SHSTK marking, so
# no program linked there has it (debian/rules).
cfprotection=()
if [[ $(sed -n 's/^VERSION_ID="\{0,1\}\([0-9]*\).*/\1/p' /etc/os-release) == 12 ]]; then cfprotection=(--nocfprotection); fi
if hardening-check "${cfprotection[@]}" "$x/usr/bin/lethe" "$x/usr/lib/$multiarch/liblethe.so.$upstream" >"$tmp/hardening.out" 2>&1; then
	pass
else
	fail "hardening-check: $(cat "$tmp/hardening.out")"
fi

step "lintian (binary packages, and the source package)"
mkdir -p "$tmp/source"
cp -a "$tmp/tree" "$tmp/source/lethe-$upstream"
(cd "$tmp/source" && dpkg-source -b "lethe-$upstream" >"$tmp/source.log" 2>&1) ||
	fatal "dpkg-source -b: $(cat "$tmp/source.log")"
# Lintian runs as root here (it says so on stderr); only its tags go to the output checked.
if lintian --fail-on error,warning "$A/lethe_${version}_${arch}.changes" "$tmp/source/lethe_${version}.dsc" \
	>"$tmp/lintian.out" 2>"$tmp/lintian.err" && ! grep_q '^[EW]: ' "$tmp/lintian.out"; then
	pass
else
	fail "lintian: $(cat "$tmp/lintian.out" "$tmp/lintian.err")"
fi

# ---- install --------------------------------------------------------------------------------

# Install every .deb built (apt resolves their dependencies), as an administrator would.
install_debs() {
	if (cd "$A" && apt-get install -y -q ./*.deb) >"$tmp/install.log" 2>&1; then
		pass
	else
		cat "$tmp/install.log" >&2
		fatal "apt-get install ./*.deb failed"
	fi
}
purge_debs() {
	if apt-get purge -y -q "${packages[@]}" >"$tmp/purge.log" 2>&1; then
		pass
	else
		cat "$tmp/purge.log" >&2
		fatal "apt-get purge failed"
	fi
	for p in "${packages[@]}"; do
		if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep_q '^[a-z][^n]'; then
			fail "$p is still installed or has files left after purge"
		fi
	done
}

step "install, check what the packages set up, purge with no store"
install_debs
# The files (and links to files) the packages own; not directories such as /lib (a link on a
# merged /usr), which other packages share.
installed_files=$(dpkg -L "${packages[@]}" | while read -r f; do [[ -d $f ]] || echo "$f"; done)

# The account, from sysusers.d.
if [[ $had_account -eq 0 ]]; then
	if getent passwd lethe >/dev/null; then pass; else fail "installing lethe did not create the lethe account"; fi
else
	notes+=("the lethe account existed before the test: its creation was not checked")
fi
IFS=: read -r _ _ uid gid gecos home shell < <(getent passwd lethe) || fatal "no lethe account"
if [[ $uid -lt 1000 && $home == /var/lib/lethe && $shell == */nologin && $gecos == "lethe retention engine" ]]; then
	pass
else
	fail "lethe account: uid $uid, home $home, shell $shell, gecos $gecos"
fi
if [[ $(getent group lethe | cut -d: -f3) == "$gid" ]]; then pass; else fail "no group lethe with the account's gid $gid"; fi
# Its directories, from tmpfiles.d.
for d in "$store" "$keydir"; do
	if [[ $(stat -c '%a %U %G' "$d" 2>/dev/null) == "700 lethe lethe" ]]; then pass; else fail "$d: $(stat -c '%a %U %G' "$d" 2>&1)"; fi
done
# The units, where systemd and dh_installsystemd expect them, and valid with what is installed.
units="/lib/systemd/system/lethe-sweep.service /lib/systemd/system/lethe-sweep.timer
	/lib/systemd/system/lethe-rotate.service /lib/systemd/system/lethe-rotate.timer"
# shellcheck disable=SC2086 # four paths
if SYSTEMD_LOG_COLOR=0 systemd-analyze verify $units >"$tmp/verify.out" 2>&1 && [[ ! -s $tmp/verify.out ]]; then
	pass
else
	fail "systemd-analyze verify $units: $(cat "$tmp/verify.out")"
fi
# Not enabled by the package: the administrator enables the sweep and the rotation
# (docs/OPERATIONS.md).
for timer in lethe-sweep.timer lethe-rotate.timer; do
	if [[ $(systemctl is-enabled "$timer" 2>/dev/null) == disabled ]] &&
		[[ ! -e /etc/systemd/system/timers.target.wants/$timer ]]; then
		pass
	else
		fail "$timer: $(systemctl is-enabled "$timer" 2>&1), expected disabled"
	fi
done
if [[ $(man -w lethe 2>/dev/null) == /usr/share/man/man1/lethe.1.gz && $(man -w 5 lethe.conf 2>/dev/null) == /usr/share/man/man5/lethe.conf.5.gz ]]; then
	pass
else
	fail "man cannot find lethe(1) and lethe.conf(5)"
fi
# One version: the package, the command, the installed library (through the installed header
# and lethe.pc), shared and static.
if [[ $(dpkg-query -W -f='${Version}' lethe) == "$version" && $(lethe --version) == "lethe $upstream" ]]; then
	pass
else
	fail "lethe --version says '$(lethe --version)', the package is $(dpkg-query -W -f='${Version}' lethe)"
fi
cat >"$tmp/version.c" <<'EOF'
#include <lethe.h>
#include <stdio.h>
int main(void) { puts(lethe_version()); return 0; }
EOF
# shellcheck disable=SC2046 # pkg-config prints words
if cc -o "$tmp/version" "$tmp/version.c" $(pkg-config --cflags --libs lethe) 2>"$tmp/cc.err" &&
	[[ $("$tmp/version") == "$upstream" ]] &&
	ldd "$tmp/version" | grep_q -E "liblethe\.so\.0 => (/usr)?/lib/$multiarch/liblethe\.so\.0 "; then
	pass
else
	fail "a program built with pkg-config lethe: $(cat "$tmp/cc.err") $("$tmp/version" 2>&1)"
fi
# shellcheck disable=SC2046 # pkg-config prints words
if cc -o "$tmp/version-static" "$tmp/version.c" $(pkg-config --cflags lethe) \
	$(pkg-config --static --libs lethe | sed "s#-llethe#/usr/lib/$multiarch/liblethe.a#") 2>"$tmp/cc.err" &&
	[[ $("$tmp/version-static") == "$upstream" ]]; then
	pass
else
	fail "a program linked with liblethe.a: $(cat "$tmp/cc.err")"
fi

purge_debs
for f in $installed_files; do
	if [[ -e $f || -L $f ]]; then fail "$f is left after purge"; fi
done
for d in "$store" "$keydir"; do
	if [[ -e $d ]]; then fail "$d (empty) is left after purge"; else pass; fi
done
if find /var/lib/systemd -path '*deb-systemd-helper*' -name '*lethe*' 2>/dev/null | grep_q .; then
	fail "systemd helper state of lethe is left after purge: $(find /var/lib/systemd -path '*deb-systemd-helper*' -name '*lethe*')"
else
	pass
fi
# The account stays: it may own data (Debian does not remove system accounts).
if getent passwd lethe >/dev/null; then pass; else fail "purge removed the lethe account"; fi

# ---- a store in the packaged default, used as the lethe account ---------------------------------

step "install again; a store in $store, used as the lethe account"
install_debs
work=$(mktemp -d /var/tmp/lethe-deb-work.XXXXXX)
chown lethe:lethe "$work"
as_lethe() { (cd / && runuser -u lethe -- "$@"); }
# A cheap officer KDF (tests only); a group whose objects expire after a second.
as_lethe sh -c "umask 077 && cat > '$work/template.conf'" <<'EOF'
[keys]
officer_kdf_memory = 32KiB
officer_kdf_time = 4
[retention]
default = 365d
[group:scratch]
retention = 1s
[group:uploads]
retention = 365d
EOF
as_lethe sh -c "umask 077 && printf 'package test officer passphrase\n' > '$work/officer.pass'"
head -c 300000 /dev/urandom >"$tmp/upload.bin"
made_store=1
if as_lethe lethe --config "$work/template.conf" init --store "$store" --keyfile "$keydir/service.key" \
	--officer alice --passphrase-file "$work/officer.pass" >"$tmp/init.out" 2>&1; then
	pass
else
	fatal "lethe init as lethe: $(cat "$tmp/init.out")"
fi
keep=$(as_lethe lethe --store "$store" put --group uploads --name upload.bin - <"$tmp/upload.bin") || fatal "put"
gone=$(printf 'expires in a second\n' | as_lethe lethe --store "$store" put --group scratch -) || fatal "put"
if as_lethe lethe --store "$store" get "$keep" | cmp -s - "$tmp/upload.bin"; then pass; else fail "get $keep differs from what was put"; fi
# The sweep, run as the installed unit runs it: its User= and its ExecStart= command line.
unit=/lib/systemd/system/lethe-sweep.service
unit_user=$(sed -n 's/^User=//p' "$unit")
read -r -a unit_cmd < <(sed -n 's/^ExecStart=//p' "$unit")
sleep 1.1
if (cd / && runuser -u "$unit_user" -- "${unit_cmd[@]}") >"$tmp/sweep.out" 2>&1; then pass; else fail "sweep (${unit_cmd[*]}): $(cat "$tmp/sweep.out")"; fi
status=0
as_lethe lethe --store "$store" get "$gone" >/dev/null 2>&1 || status=$?
if [[ $status -eq 3 ]]; then pass; else fail "get of a swept object: exit $status, expected 3"; fi
# The rotation unit, the same way, once lethe.conf allows it (a fresh key: not due, exit 0).
unit=/lib/systemd/system/lethe-rotate.service
read -r -a unit_cmd < <(sed -n 's/^ExecStart=//p' "$unit")
as_lethe sed -i "s/^auto_rotate = false\$/auto_rotate = true/" "$store/lethe.conf"
if (cd / && runuser -u "$(sed -n 's/^User=//p' "$unit")" -- "${unit_cmd[@]}") >"$tmp/rotate.out" 2>&1 &&
	grep_q "not due" "$tmp/rotate.out"; then
	pass
else
	fail "rotation (${unit_cmd[*]}): $(cat "$tmp/rotate.out")"
fi
for cmd in "doctor" "audit verify" "evidence verify"; do
	# shellcheck disable=SC2086 # the command's words
	if as_lethe lethe --store "$store" $cmd >"$tmp/cmd.out" 2>&1; then pass; else fail "lethe $cmd: $(cat "$tmp/cmd.out")"; fi
done
if [[ $(as_lethe lethe --store "$store" evidence list | grep -c "$gone") -eq 1 ]]; then pass; else fail "no certificate for the swept object"; fi
if owners=$(find "$store" "$keydir" ! -user lethe) && [[ -z $owners ]]; then pass; else fail "files in the store not owned by lethe: $owners"; fi

# An administrator's choice survives an upgrade (here a reinstall, which runs the same
# maintainer scripts): the timer, once enabled, stays enabled.
systemctl enable lethe-sweep.timer >/dev/null 2>&1 || fail "systemctl enable lethe-sweep.timer"
if (cd "$A" && apt-get install -y -q --reinstall "./lethe_${version}_${arch}.deb") >"$tmp/install.log" 2>&1; then pass; else fail "reinstall: $(cat "$tmp/install.log")"; fi
if [[ $(systemctl is-enabled lethe-sweep.timer 2>&1) == enabled ]]; then pass; else fail "lethe-sweep.timer after a reinstall: $(systemctl is-enabled lethe-sweep.timer 2>&1)"; fi

step "purge: the store and the keyfile stay, byte for byte"
snapshot() { (cd / && find "${store#/}" "${keydir#/}" -printf '%p %m %u %g %s\n' -type f -exec sha256sum {} + | sort); }
before=$(snapshot)
purge_debs
after=$(snapshot)
if [[ $before == "$after" ]]; then pass; else fail "purge changed the store: $(diff <(echo "$before") <(echo "$after") | head -n 10)"; fi
for f in $installed_files; do
	if [[ -e $f || -L $f ]]; then fail "$f is left after purge"; fi
done
if [[ ! -e /usr/bin/lethe && ! -e /lib/systemd/system/lethe-sweep.service ]]; then pass; else fail "the command or the unit survived purge"; fi
# Purge forgets the administrator's enabling too (the unit is gone).
if [[ -e /etc/systemd/system/timers.target.wants/lethe-sweep.timer || -L /etc/systemd/system/timers.target.wants/lethe-sweep.timer ]]; then
	fail "the timer's enablement link survived purge"
else
	pass
fi

step "install again: the store reads as before"
install_debs
if as_lethe lethe --store "$store" get "$keep" | cmp -s - "$tmp/upload.bin"; then pass; else fail "after purge and reinstall, get $keep differs"; fi
if as_lethe lethe --store "$store" audit verify >"$tmp/cmd.out" 2>&1; then pass; else fail "audit verify after reinstall: $(cat "$tmp/cmd.out")"; fi

echo "test_deb: $((checks - failures)) passed, $failures failed${notes[*]:+; note: ${notes[*]}}"
[[ $failures -eq 0 ]]
