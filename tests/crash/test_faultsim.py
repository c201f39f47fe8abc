#!/usr/bin/env python3
"""test_faultsim.py - fault simulation: fail every call of every operation, one at a time.

SQLite's test model: for each operation (put, get, rm, sweep, key rotate, rewrap and retire,
officer add and remove, hold set and clear, evidence export, audit verify, and opening the
store as the service and as an officer) and each kind of call (common/fault.h: alloc,
liballoc, openssl, sqlite, io), run the operation with LETHE_FAULT_SIM=KIND:N for N = 1, 2,
3, ... until it runs without reaching an Nth call. Every run starts from a fresh copy of the
same template store, as SQLite's tests restore the database before each fault. After every
injected failure:

  - the command exits 1 (a resource, I/O or internal failure) with one line on stderr (a sweep
    also names each object it could not shred), or 0 when it absorbed the failure and did all
    of its work (checked per operation); never 4 (tampering) for a failed call, never another
    code, a crash, a hang or a sanitizer report (leaks included: the suite also runs in the
    ASan build);
  - `lethe doctor` is clean (a retire that committed but could not rewrite the keystore may
    leave the retired key there, which doctor reports and running the retire again finishes,
    as after a crash at that point); nothing is left in tmp/; every acknowledged object is there
    and live, every acknowledged rm shredded; the operation's own effect is all there or not at
    all (a put's object, an rm, a hold, a KEK version, an officer and its passphrase, an
    exported directory that verifies, a get's output file);
  - an object a put committed, and every data key a rewrap committed, reads back byte for
    byte;
  - every 64th failure, and after the first complete run of each operation, every invariant of
    check_store.py (every live object reads back byte for byte, no wrapped DEK of a shredded
    object left in any file, one certificate per shredded object, audit and evidence chains
    verify).

Operations count from the end of lethe_store_open() (KIND:N@store.opened); the two "open"
series fail the open itself (with the service key: stat; as an officer: hold clear). A series
fails every N up to EXHAUSTIVE, and past that at a stride that keeps at most STRIDED more
points (allocations inside OpenSSL and SQLite: thousands per command, most of them OpenSSL's
first fetch of an algorithm; a sweep's or audit verify's calls per object or record). The
closing line says, per kind, how many calls were failed of how many made, and where a stride
was used: nothing is skipped silently.

  test_faultsim.py [KIND...]     (default: every kind)

Environment: LETHE_FAULT_BIN (the command with the hooks: lethe-fault), LETHE (the release
command, for the checks), LETHE_FAULTSIM_OPS (a comma-separated subset of the operations),
LETHE_FAULTSIM_VERBOSE=1 (one line per injected failure). A failure keeps its directory and
names it; LETHE_FAULT_SIM=KIND:N@store.opened LETHE_FAULT_SIM_LOG=FILE
LETHE_FAULT_SIM_TRACE=1 on a copy of its template store shows the failed call's stack.
"""
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_store  # noqa: E402

KINDS = ("alloc", "liballoc", "openssl", "sqlite", "io")
# Every N up to EXHAUSTIVE, then at most STRIDED more points per series, evenly spread.
EXHAUSTIVE = {"alloc": 24, "liballoc": 4, "openssl": 24, "sqlite": 24, "io": 24}
STRIDED = {"alloc": 8, "liballoc": 8, "openssl": 8, "sqlite": 8, "io": 8}
FULL_CHECK_EVERY = 64
TIMEOUT = 120

FAULT_BIN = os.environ.get("LETHE_FAULT_BIN") or os.environ.get("LETHE")
CHECK_BIN = os.environ.get("LETHE") or FAULT_BIN
VERBOSE = os.environ.get("LETHE_FAULTSIM_VERBOSE") == "1"
SANITIZER = re.compile(rb"Sanitizer|runtime error:|LeakSanitizer")


class Failure(Exception):
    pass


def note(msg):
    print("[test_faultsim] " + msg, flush=True)


class Run:
    """One command: its exit status, output, and what the simulation logged."""

    def __init__(self, args, rc, out, err, fired, calls):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.fired, self.calls = fired, calls

    def describe(self):
        return "lethe %s: exit %d, stderr %r" % (
            " ".join(self.args), self.rc, self.err.decode(errors="replace")[-1500:])


class Store:
    """A fresh store (as tests/cli/lib.sh's fresh_store) and its state directory for
    check_store.py."""

    def __init__(self, root, name, init=True):
        self.root = root
        self.dir = os.path.join(root, name)
        self.state = os.path.join(root, name + ".state")
        self.passfile = os.path.join(root, "alice.pass")
        self.bobpass = os.path.join(root, "bob.pass")
        self.carolpass = os.path.join(root, "carol.pass")
        self.env = dict(os.environ, LETHE_STORE=self.dir, LC_ALL="C")
        for v in ("LETHE_FAULT", "LETHE_FAULT_SIM", "LETHE_FAULT_SIM_LOG"):
            self.env.pop(v, None)
        self.log = os.path.join(root, name + ".simlog")
        self.seq = 0
        if not init:
            return
        os.makedirs(os.path.join(self.state, "plain"))
        for f in ("acked", "removed", "may_shred", "wraps"):
            open(os.path.join(self.state, f), "w").close()
        template = os.path.join(root, name + ".template.conf")
        with open(template, "w") as f:
            f.write("[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n"
                    "officer_kdf_parallel = 1\n[retention]\nsweep_batch = 2\n"
                    "[group:short]\nretention = 1s\n")
        with open(self.passfile, "w") as f:
            f.write("correct horse battery staple\n")
        for who, path in (("bob", self.bobpass), ("carol", self.carolpass)):
            with open(path, "w") as f:
                f.write("%s's passphrase\n" % who)
        self.must(["--store", self.dir, "--config", template, "init", "--keyfile",
                   os.path.join(root, name + ".key"), "--officer", "alice",
                   "--passphrase-file", self.passfile])

    # ---- running lethe ----------------------------------------------------------------------

    def run(self, args, sim=None, binary=None):
        env = dict(self.env)
        if sim:
            env["LETHE_FAULT_SIM"] = sim
            env["LETHE_FAULT_SIM_LOG"] = self.log
            if os.path.exists(self.log):
                os.unlink(self.log)
        try:
            r = subprocess.run([binary or CHECK_BIN, *args], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("lethe %s (LETHE_FAULT_SIM=%s): no exit after %d s (a hang)" %
                          (" ".join(args), sim, TIMEOUT))
        fired, calls = None, None
        if sim and os.path.exists(self.log):
            with open(self.log) as f:
                for line in f:
                    w = line.split()
                    if w[:1] == ["fired"]:
                        fired = " ".join(w[1:])
                    elif w[:1] == ["calls"]:
                        calls = {w[i]: int(w[i + 1]) for i in range(1, len(w) - 1, 2)}
        run = Run(args, r.returncode, r.stdout, r.stderr, fired, calls)
        if SANITIZER.search(r.stderr):
            raise Failure("sanitizer report (LETHE_FAULT_SIM=%s, %s): %s" % (
                sim, fired or "nothing failed", run.describe()))
        return run

    def must(self, args):
        r = self.run(args)
        if r.rc != 0:
            raise Failure("setup failed: " + r.describe())
        return r

    def officer(self, args, pass_file=None):
        return [*args, "--passphrase-file", pass_file or self.passfile]

    def json(self, args):
        return json.loads(self.must(["--json", *args]).out)

    # ---- what the test knows ----------------------------------------------------------------

    def plain(self, name, size=3000):
        path = os.path.join(self.state, "plain", name)
        with open(path, "wb") as f:
            f.write(check_store.MARKER + b" " + name.encode() + b"\n")
            f.write(os.urandom(size))
            f.write(b"\n" + check_store.MARKER + b" end\n")
        return path

    def record(self, what, line):
        with open(os.path.join(self.state, what), "a") as f:
            f.write(line + "\n")

    def put(self, group="default", size=3000):
        self.seq += 1
        name = "o%d" % self.seq
        r = self.must(["put", "--group", group, "--name", name, self.plain(name, size)])
        oid = r.out.decode().strip()
        self.record("acked", "%s %s" % (oid, name))
        return oid

    def snapshot(self):
        env_store = os.environ.get("LETHE_STORE")
        os.environ["LETHE_STORE"] = self.dir
        try:
            check_store.snapshot(self.state, self.dir)
        finally:
            if env_store is None:
                os.environ.pop("LETHE_STORE", None)
            else:
                os.environ["LETHE_STORE"] = env_store

    def rows(self, sql):
        return check_store.db_rows(self.dir, sql)

    def state_of(self, oid):
        r = self.rows("SELECT state FROM objects WHERE id = '%s'" % oid)
        return r[0][0] if r else None

    # ---- the checks -------------------------------------------------------------------------

    def reads_back(self, oid, name, what):
        """Object OID reads back as the plaintext of NAME, byte for byte."""
        out = os.path.join(self.root, "readback.out")
        if os.path.exists(out):
            os.unlink(out)
        r = self.run(["get", oid, "-o", out])
        if r.rc != 0:
            raise Failure("%s: object %s does not read back: %s" % (what, oid, r.describe()))
        with open(out, "rb") as a, open(os.path.join(self.state, "plain", name), "rb") as b:
            if a.read() != b.read():
                raise Failure("%s: object %s reads back different bytes" % (what, oid))

    def check_light(self, what):
        """After every injected failure: doctor clean, tmp/ empty, acknowledged work kept."""
        r = self.run(["doctor"])
        if r.rc != 0:
            raise Failure("%s: doctor: exit %d: %s" % (
                what, r.rc, r.out.decode(errors="replace").replace("\n", " | ")[-1200:]))
        left = os.listdir(os.path.join(self.dir, "tmp"))
        if left:
            raise Failure("%s: tmp/ not empty after doctor: %s" % (what, left))
        rows = {r[0]: r[1:] for r in self.rows("SELECT id, state, grp FROM objects")}
        states = {oid: r[0] for oid, r in rows.items()}
        may = set(l[0] for l in check_store.lines(os.path.join(self.state, "may_shred")))
        for oid, name in (l[:2] for l in
                          check_store.lines(os.path.join(self.state, "acked"))):
            if oid not in states:
                raise Failure("%s: acknowledged put %s (%s) is gone" % (what, oid, name))
            if states[oid] != 0 and oid not in may and "group:" + rows[oid][1] not in may:
                raise Failure("%s: acknowledged put %s (%s) was shredded" % (what, oid, name))
        for (oid,) in check_store.lines(os.path.join(self.state, "removed")):
            if states.get(oid) == 0:
                raise Failure("%s: acknowledged rm of %s is live again" % (what, oid))

    def check_full(self, what):
        saved = {k: os.environ.get(k) for k in ("LETHE", "LETHE_STORE")}
        os.environ["LETHE"] = CHECK_BIN
        os.environ["LETHE_STORE"] = self.dir
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                rc = check_store.check(self.state, self.dir)
        except SystemExit as e:
            rc = 1
            out.write(str(e))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if rc != 0:
            raise Failure("%s: store invariants broken: %s" % (what, out.getvalue()[-2000:]))


# ---- the store every run starts from -------------------------------------------------------
#
# One template store holds what every operation needs; each run gets a fresh copy of it (and
# of its state directory), as SQLite's tests restore the database before each fault: the runs
# of a series differ only in N, and an operation that completes uses up nothing.

def build_template(root):
    s = Store(root, "template")
    s.must(s.officer(["officer", "add", "bob", "--new-passphrase-file", s.bobpass]))
    # KEK 1 ends up unused (retire), KEK 2 wraps three data keys (rewrap), KEK 3 is primary.
    s.objects = {"k1": s.put()}
    s.must(s.officer(["key", "rotate"]))
    s.must(s.officer(["key", "rewrap"]))
    s.objects["k2"] = s.put()
    s.objects["get"] = s.put(size=200000)
    s.must(s.officer(["key", "rotate"]))
    s.objects["held"] = s.put()
    s.must(["hold", "set", s.objects["held"], "--reason", "case 1"])
    s.objects["hold"] = s.put()
    # Expired objects: three to sweep (in batches of 2), one of them the rm's; two shredded
    # now, so that there is evidence to export.
    short = [s.put("short") for _ in range(5)]
    s.record("may_shred", "group:short")
    s.snapshot()
    time.sleep(1.1)
    for oid in short[3:]:
        s.must(["rm", oid, "--reason", "evidence"])
        s.record("removed", oid)
    s.objects["rm"] = short[0]
    s.snapshot()
    s.check_full("the template store")
    return s


def restore(template, work):
    """A fresh copy of the template store as the store WORK, with its state."""
    for d in (work.dir, work.state):
        if os.path.lexists(d):
            shutil.rmtree(d)
    shutil.copytree(template.dir, work.dir, symlinks=True)
    shutil.copytree(template.state, work.state, symlinks=True)


# ---- the operations -------------------------------------------------------------------------
#
# Each one: args() the command, after(run) the checks of its own effect once it exited 0 or 1
# (the common checks are in series()).

class Op:
    name = None
    start = "@store.opened"

    def __init__(self, store, template):
        self.s = store
        self.o = template.objects
        self.template_dir = template.dir

    def args(self):
        raise NotImplementedError

    def after(self, run):
        pass


class Put(Op):
    name = "put"

    def args(self):
        self.s.seq += 1
        self.obj = "new%d" % self.s.seq
        return ["put", "--name", self.obj, self.s.plain(self.obj, 70000)]

    def after(self, run):
        known = set(l[0] for l in check_store.lines(os.path.join(self.s.state, "acked")))
        new = [r[0] for r in self.s.rows("SELECT id FROM objects") if r[0] not in known]
        if run.rc == 0:
            oid = run.out.decode().strip()
            if new != [oid]:
                raise Failure("put exited 0 with %s but the new objects are %s" % (oid, new))
            self.s.record("acked", "%s %s" % (oid, self.obj))
        if len(new) > 1:
            raise Failure("one put made %d objects" % len(new))
        # committed, acknowledged or not: the whole object
        for oid in new:
            self.s.reads_back(oid, self.obj, "put")


class Get(Op):
    name = "get"

    def args(self):
        self.out = os.path.join(self.s.root, "get.out")
        if os.path.exists(self.out):
            os.unlink(self.out)
        return ["get", self.o["get"], "-o", self.out]

    def after(self, run):
        name = [l[1] for l in check_store.lines(os.path.join(self.s.state, "acked"))
                if l[0] == self.o["get"]][0]
        if run.rc == 0:
            with open(self.out, "rb") as a, \
                    open(os.path.join(self.s.state, "plain", name), "rb") as b:
                if a.read() != b.read():
                    raise Failure("get exited 0 with different bytes")
        elif os.path.exists(self.out):
            raise Failure("a failed get left its output file")


class Rm(Op):
    name = "rm"

    def args(self):
        return ["rm", self.o["rm"], "--reason", "fault simulation"]

    def after(self, run):
        if run.rc == 0:
            if self.s.state_of(self.o["rm"]) != 1:
                raise Failure("rm exited 0 but the object is not shredded")
            self.s.record("removed", self.o["rm"])


class Sweep(Op):
    name = "sweep"

    def expired(self):
        return self.s.rows("SELECT count(*) FROM objects WHERE state = 0 AND grp = 'short'")[0][0]

    def args(self):
        return ["sweep"]

    def after(self, run):
        if run.rc == 0 and self.expired() != 0:
            raise Failure("sweep exited 0 with expired objects left")


def keks(s):
    """KEK versions as meta.db has them (read directly: a lethe run per check is too slow)."""
    live = dict(s.rows("SELECT kek_version, count(*) FROM objects WHERE state = 0 "
                       "GROUP BY kek_version"))
    return {v: {"state": "retired" if state == 1 else "active", "objects": live.get(v, 0)}
            for v, state in s.rows("SELECT version, state FROM keks")}


class Rotate(Op):
    name = "rotate"

    def args(self):
        return self.s.officer(["key", "rotate"])

    def after(self, run):
        n = len(keks(self.s))
        if n not in (3, 4) or (run.rc == 0 and n != 4):
            raise Failure("rotate exited %d and left %d KEK versions (3 before)" % (run.rc, n))


class Rewrap(Op):
    name = "rewrap"

    def args(self):
        return self.s.officer(["key", "rewrap"])

    def after(self, run):
        k = keks(self.s)
        if run.rc == 0 and k[2]["objects"] != 0:
            raise Failure("rewrap exited 0 with data keys left under KEK 2")
        live = self.s.rows("SELECT count(*) FROM objects WHERE state = 0")[0][0]
        if sum(v["objects"] for v in k.values()) != live:
            raise Failure("rewrap: %d live objects but data keys %r" % (live, k))
        self.s.snapshot()
        # every data key rewrapped (and committed) still opens its object
        sql = "SELECT id, kek_version, wrapped_dek FROM objects WHERE state = 0"
        before = {r[0]: r[1:] for r in check_store.db_rows(self.template_dir, sql)}
        names = dict(l[:2] for l in check_store.lines(os.path.join(self.s.state, "acked")))
        for oid, *wrap in self.s.rows(sql):
            if before.get(oid) != tuple(wrap):
                self.s.reads_back(oid, names[oid], "rewrap")


class Retire(Op):
    name = "retire"

    def args(self):
        return self.s.officer(["key", "retire", "1"])

    def after(self, run):
        retired = keks(self.s)[1]["state"] == "retired"
        if run.rc == 0 and not retired:
            raise Failure("retire exited 0 but KEK 1 is not retired")
        if run.rc != 0 and retired:
            # Committed, then the keystore could not be rewritten: the key is still there,
            # doctor says so (an error until it is gone), and running the retire again
            # finishes it, as after a crash at that point (docs/lethe.1, key retire).
            r = self.s.run(["doctor"])
            if r.rc == 0:
                return
            if b"retired KEK version 1 is still in the keystore" not in r.out:
                raise Failure("doctor: " + r.describe())
            r = self.s.run(self.s.officer(["key", "retire", "1"]))
            if r.rc != 3 or b"already retired" not in r.err:
                raise Failure("retiring KEK 1 again: " + r.describe())


def officers(s):
    return sorted(o["name"] for o in s.json(["officer", "list"]))


def unlocks(s, pass_file):
    """Does this passphrase open the store as an officer? (clearing a group hold nobody set:
    exit 0 once unlocked, 6 when the passphrase opens no keyslot)"""
    r = s.run(s.officer(["hold", "clear", "--group", "nohold", "--reason", "probe"], pass_file))
    if r.rc not in (0, 6):
        raise Failure("officer unlock probe: " + r.describe())
    return r.rc == 0


class OfficerAdd(Op):
    name = "officer-add"

    def args(self):
        return self.s.officer(["officer", "add", "carol", "--new-passphrase-file",
                               self.s.carolpass])

    def after(self, run):
        listed = "carol" in officers(self.s)
        if run.rc == 0 and not listed:
            raise Failure("officer add exited 0 but carol is not an officer")
        if listed != unlocks(self.s, self.s.carolpass):
            raise Failure("officer add: carol is%s listed but her passphrase %s" % (
                "" if listed else " not", "does not unlock" if listed else "unlocks"))


class OfficerRemove(Op):
    name = "officer-remove"

    def args(self):
        return self.s.officer(["officer", "remove", "bob"])

    def after(self, run):
        listed = "bob" in officers(self.s)
        if run.rc == 0 and listed:
            raise Failure("officer remove exited 0 but bob is still an officer")
        if listed != unlocks(self.s, self.s.bobpass):
            raise Failure("officer remove: bob is%s listed but his passphrase %s" % (
                "" if listed else " not", "does not unlock" if listed else "unlocks"))


def held(s, oid):
    return s.rows("SELECT hold FROM objects WHERE id = '%s'" % oid)[0][0] == 1


class HoldSet(Op):
    name = "hold-set"

    def args(self):
        return ["hold", "set", self.o["hold"], "--reason", "fault simulation"]

    def after(self, run):
        if run.rc == 0 and not held(self.s, self.o["hold"]):
            raise Failure("hold set exited 0 but the object is not held")


class HoldClear(Op):
    name = "hold-clear"

    def args(self):
        return self.s.officer(["hold", "clear", self.o["held"], "--reason", "fault simulation"])

    def after(self, run):
        if run.rc == 0 and held(self.s, self.o["held"]):
            raise Failure("hold clear exited 0 but the object is still held")


class EvidenceExport(Op):
    name = "evidence-export"

    def args(self):
        self.dir = os.path.join(self.s.root, "evidence")
        if os.path.lexists(self.dir):
            shutil.rmtree(self.dir)
        return ["evidence", "export", self.dir]

    def after(self, run):
        if run.rc == 0:
            r = self.s.run(["evidence", "verify", self.dir])
            if r.rc != 0:
                raise Failure("evidence export exited 0 but its export does not verify: " +
                              r.describe())


class AuditVerify(Op):
    name = "audit-verify"

    def args(self):
        return ["audit", "verify"]


class OpenService(Op):
    """Opening the store with the service key (and a stat): every call from the start."""
    name = "open"
    start = ""

    def args(self):
        return ["stat", self.o["get"]]


class OpenOfficer(HoldClear):
    """Opening the store as an officer (and a hold clear): every call from the start."""
    name = "open-officer"
    start = ""


OPS = [OpenService, OpenOfficer, Put, Get, Rm, Sweep, Rotate, Rewrap, Retire, OfficerAdd,
       OfficerRemove, HoldSet, HoldClear, EvidenceExport, AuditVerify]


# The operations whose complete run (no failure: the same in every series) was checked.
COMPLETED = set()


def series(template, work, op_class, kind):
    """Fail each call of KIND of one operation in turn; returns (points, calls, stride)."""
    op = op_class(work, template)
    sim = lambda n: "%s:%d%s" % (kind, n, op.start)  # noqa: E731
    # How many calls of KIND does it make?
    restore(template, work)
    probe = work.run(op.args(), sim=sim(0), binary=FAULT_BIN)
    if probe.rc != 0 or probe.calls is None:
        raise Failure("%s: the counting run failed: %s" % (op.name, probe.describe()))
    total = probe.calls[kind]
    exhaustive = EXHAUSTIVE[kind]
    stride = max(1, -(-(total - exhaustive) // STRIDED[kind])) if total > exhaustive else 1
    n, points = 1, 0
    while True:
        restore(template, work)
        run = work.run(op.args(), sim=sim(n), binary=FAULT_BIN)
        what = "%s, %s:%d (%s)" % (op.name, kind, n, run.fired or "nothing failed")
        if run.fired is None:
            # Past its last call: the operation must have run to completion.
            if run.rc != 0:
                raise Failure("%s: exit %d without a failure: %s" % (what, run.rc,
                                                                   run.describe()))
            op.after(run)
            if op.name not in COMPLETED:
                work.check_full(what)
                COMPLETED.add(op.name)
            break
        points += 1
        if VERBOSE:
            note("%s: exit %d: %s" % (what, run.rc, run.err.decode(errors="replace").strip()))
        lines = run.err.decode(errors="replace").splitlines()
        if run.rc not in (0, 1):
            raise Failure("%s: exit %d, expected 1 (or 0): %s" % (what, run.rc, run.describe()))
        # One line per error; a sweep also names each object it could not shred.
        if run.rc == 1 and (len(lines) != 1 or not lines[0].startswith("lethe: ")) and not (
                op.name == "sweep" and lines and
                all(l.startswith("lethe: sweep") for l in lines)):
            raise Failure("%s: expected one line on stderr: %s" % (what, run.describe()))
        if run.rc == 0 and len(lines) > 1:
            raise Failure("%s: exit 0 with %d lines on stderr: %s" % (what, len(lines),
                                                                      run.describe()))
        try:
            op.after(run)
        except Failure as e:
            raise Failure("%s: exit %d: %s (stderr %r)" % (what, run.rc, e, run.err[-600:]))
        work.check_light(what)
        if points % FULL_CHECK_EVERY == 0:
            work.check_full(what)
        n += 1 if n < exhaustive else stride
    return points, total, stride


def liballoc_lsan(root):
    """LSAN_OPTIONS for the liballoc runs: OpenSSL 3.0 leaks on some of its own allocation
    failures (a name-map entry when one fails inside EVP_*_fetch, and the command goes on to
    succeed), so the memory its allocator hook (wrap.c's ossl_malloc) handed out is not
    reported there. lethe's own handling of every failing OpenSSL call, leaks included, is what
    the openssl kind checks, without this."""
    opts = os.environ.get("LSAN_OPTIONS", "")
    m = re.search(r"(?:^|:)suppressions=([^:]*)", opts)
    path = os.path.join(root, "lsan-liballoc.supp")
    with open(path, "w") as f:
        if m:
            with open(m.group(1)) as g:
                f.write(g.read())
        f.write("\nleak:ossl_malloc\n")
    opts = re.sub(r"(?:^|:)(suppressions|print_suppressions)=[^:]*", "", opts)
    return (opts + ":" if opts else "") + "print_suppressions=0:suppressions=" + path


def main():
    kinds = sys.argv[1:] or list(KINDS)
    for k in kinds:
        if k not in KINDS:
            print("usage: test_faultsim.py [%s]..." % "|".join(KINDS), file=sys.stderr)
            return 2
    if not FAULT_BIN:
        print("test_faultsim.py: LETHE_FAULT_BIN must name lethe-fault", file=sys.stderr)
        return 2
    only = os.environ.get("LETHE_FAULTSIM_OPS")
    ops = [o for o in OPS if not only or o.name in only.split(",")]
    unknown = set(only.split(",")) - set(o.name for o in OPS) if only else set()
    if unknown or not ops:
        print("test_faultsim.py: LETHE_FAULTSIM_OPS: no operation %s (operations: %s)" % (
            ", ".join(sorted(unknown)), ", ".join(o.name for o in OPS)), file=sys.stderr)
        return 2
    root = tempfile.mkdtemp(prefix="lethe-faultsim.")
    started = time.monotonic()
    summary = []
    try:
        template = build_template(root)
        work = Store(root, "work", init=False)
        # Does this binary have the hooks? A release lethe ignores LETHE_FAULT_SIM.
        restore(template, work)
        r = work.run(["ls"], sim="io:0", binary=FAULT_BIN)
        if r.calls is None:
            print("FAIL [test_faultsim]: %s has no fault simulation (no calls line)" %
                  FAULT_BIN, file=sys.stderr)
            return 1
        for kind in kinds:
            work.env.pop("LSAN_OPTIONS", None)
            if "LSAN_OPTIONS" in os.environ:
                work.env["LSAN_OPTIONS"] = os.environ["LSAN_OPTIONS"]
            if kind == "liballoc":
                work.env["LSAN_OPTIONS"] = liballoc_lsan(root)
            points = calls = 0
            strided = []
            for op_class in ops:
                p, total, stride = series(template, work, op_class, kind)
                points += p
                calls += total
                if stride > 1:
                    strided.append("%s every %d past %d of %d" % (op_class.name, stride,
                                                                  EXHAUSTIVE[kind], total))
                note("%s %s: %d calls failed in turn (of %d)" % (kind, op_class.name, p, total))
            summary.append("%s %d of %d%s" % (kind, points, calls,
                                              " (%s)" % "; ".join(strided) if strided else ""))
    except Failure as e:
        print("FAIL [test_faultsim]: %s" % e, file=sys.stderr)
        print("(kept for inspection: %s)" % root, file=sys.stderr)
        return 1
    shutil.rmtree(root, ignore_errors=True)
    # The closing line: what was covered, and where a stride left calls out.
    note("ok: %d operations in %.0f s; calls failed in turn of the calls made: %s" % (
        len(ops), time.monotonic() - started, "; ".join(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
