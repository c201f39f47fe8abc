#!/usr/bin/env python3
"""run.py - the mutation probe: apply each mutant of mutants.txt to a copy of the tree, build,
run the tests it names, and report which mutants the tests killed.

  python3 tests/mutation/run.py [--only ID,ID] [--full] [--work DIR] [--tests REGEX]

The tree is copied (tracked and untracked files, not ignored ones) to WORK/src (default
/tmp/lethe-mutation) and built once in WORK/build; each mutant changes its file there, is
rebuilt incrementally (only what depends on the file), runs the tests it names one
alternative of TESTS at a time (`ctest -R ALT -j2`), stopping at the first that fails (--full:
the whole suite; --tests: this regular expression instead of each mutant's own), and the file
is put back. A build that fails counts as "stillborn" and is left out of the score, as are
mutants marked `equivalent`. The unmutated tree must pass every named test first (baseline).
Results: one line per mutant on stdout and in WORK/results.txt, then the score. Not part of
CI: it takes about half an hour on two cores (README.md in this directory).
"""
import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def load(path):
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str
    with open(path) as f:
        cp.read_file(f)
    mutants = []
    for mid in cp.sections():
        s = cp[mid]
        pairs = [(s["find"], s.get("replace", ""))]
        if "find2" in s:
            pairs.append((s["find2"], s.get("replace2", "")))
        mutants.append({"id": mid, "file": s["file"], "pairs": pairs, "tests": s["tests"],
                        "equivalent": s.get("equivalent")})
    return mutants


def sh(cmd, cwd=None, log=None, timeout=None):
    with open(log or os.devnull, "ab") as out:
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return 124


def copy_tree(src):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=TOP,
                           check=True, stdout=subprocess.PIPE).stdout.split(b"\0")
    for f in filter(None, files):
        f = f.decode()
        s, d = os.path.join(TOP, f), os.path.join(src, f)
        if not os.path.isfile(s):
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if not os.path.exists(d) or open(s, "rb").read() != open(d, "rb").read():
            # a new modification time: the copy must be newer than what was built from a
            # mutant of it (copy2 would keep the older time and make would skip the file)
            shutil.copyfile(s, d)
            shutil.copymode(s, d)


def apply(src, m):
    path = os.path.join(src, m["file"])
    with open(path) as f:
        orig = f.read()
    text = orig
    for find, repl in m["pairs"]:
        n = text.count(find)
        if n != 1:
            raise SystemExit("mutant %s: %r occurs %d times in %s" % (m["id"], find, n, m["file"]))
        text = text.replace(find, repl)
    with open(path, "w") as f:
        f.write(text)
    return path, orig


def failed_tests(build):
    log = os.path.join(build, "Testing", "Temporary", "LastTestsFailed.log")
    try:
        with open(log) as f:
            return [l.strip().split(":", 1)[-1] for l in f if l.strip()]
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--tests", default="")
    ap.add_argument("--work", default="/tmp/lethe-mutation")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the baseline run (when it has just passed)")
    a = ap.parse_args()
    mutants = load(os.path.join(HERE, "mutants.txt"))
    if a.only:
        want = set(a.only.split(","))
        mutants = [m for m in mutants if m["id"] in want]
    src, build = os.path.join(a.work, "src"), os.path.join(a.work, "build")
    os.makedirs(src, exist_ok=True)
    log = os.path.join(a.work, "log")
    copy_tree(src)
    print("building %s" % build, flush=True)
    if sh(["cmake", "-S", src, "-B", build], log=log) or \
            sh(["cmake", "--build", build, "-j2"], log=log):
        raise SystemExit("the unmutated tree does not build (see %s)" % log)

    def regex(m):
        return None if a.full else (a.tests or m["tests"])

    def ctest(rx, each=False):
        """Run the tests RX names; with EACH, one alternative of RX at a time, in the order
        written, stopping at the first that fails (a mutant is killed as soon as one test
        notices it: cheap tests go first in mutants.txt)."""
        parts = rx.split("|") if (rx and each) else [rx]
        for part in parts:
            cmd = ["ctest", "--test-dir", build, "-j2", "--timeout", "900"]
            if part:
                cmd += ["-R", part]
            rc = sh(cmd, log=log)
            if rc != 0:
                return rc
        return 0

    union = None if a.full else \
        "|".join(sorted(set(t for m in mutants for t in regex(m).split("|"))))
    print("baseline: %s" % (union or "the whole suite"), flush=True)
    if not a.no_baseline and ctest(union) != 0:
        raise SystemExit("baseline fails: %s (see %s)" % (failed_tests(build), log))

    results = []
    for m in mutants:
        t0 = time.monotonic()
        path, orig = apply(src, m)
        try:
            if sh(["cmake", "--build", build, "-j2"], log=log) != 0:
                verdict, detail = "stillborn", "does not build"
            elif ctest(regex(m), each=True) != 0:
                verdict, detail = "killed", " ".join(failed_tests(build))
            else:
                verdict, detail = "survived", ""
        finally:
            with open(path, "w") as f:
                f.write(orig)
        if m["equivalent"] and verdict == "survived":
            verdict = "equivalent"
        line = "%-40s %-10s %4.0fs %s" % (m["id"], verdict, time.monotonic() - t0, detail)
        print(line, flush=True)
        results.append((m, verdict, line))
    sh(["cmake", "--build", build, "-j2"], log=log)  # leave the build unmutated

    counted = [r for r in results if r[1] in ("killed", "survived")]
    killed = sum(1 for r in counted if r[1] == "killed")
    score = "score: %d of %d killed (%.0f%%); %d equivalent, %d stillborn left out" % (
        killed, len(counted), 100.0 * killed / max(1, len(counted)),
        sum(1 for r in results if r[1] == "equivalent"),
        sum(1 for r in results if r[1] == "stillborn"))
    with open(os.path.join(a.work, "results.txt"), "w") as f:
        for r in results:
            f.write(r[2] + "\n")
        f.write(score + "\n")
    print(score)
    return 0


if __name__ == "__main__":
    sys.exit(main())
