#!/usr/bin/env python3
"""test_durability.py - durability at the system-call level, and crash states as power loss
leaves them.

Each operation that changes a store (put, rm, sweep, key rotate, rewrap, retire, officer add
and remove) runs under strace (sysrec.py records every call that writes, names, removes or
syncs a file, with its bytes). Two modes, one CTest test each:

  order    the order of calls each operation relies on (docs/ARCHITECTURE.md, "Invariants the
           order of steps keeps"), asserted on the trace: an object's bytes written, the file
           fsynced, linked, its directory fsynced, then the commit that inserts the row, then
           the acknowledgement; a shred's commit before the unlink of the file, the unlink's
           directory fsynced before the commit that dequeues it; every keystore write fsynced
           before the next commit and the acknowledgement; a retirement's commit before the
           keystore loses the KEK; the WAL checkpointed (truncated) after a shred's commit.
  states   from the same traces, every distinct store a power cut can leave (sysrec.py: names
           persist as a prefix in the order they were made, bytes of a file as a prefix of
           its unsynced writes, the last one possibly torn, fsync the only barrier), each
           bounded and deduplicated, opened with lethe and checked by check_store.py: every
           acknowledged operation survives, no shredded object can be read, doctor clean, the
           audit chain and the evidence verify. A cut after the acknowledgement also requires
           the operation's whole effect.

A failure names the operation, the invariant (or the crash state) and keeps its directory.
Environment: LETHE (the release command), LETHE_DURABILITY_MAX_POINTS (crash points per
operation, default 40), LETHE_DURABILITY_OPS (a comma list to run only some).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sysrec  # noqa: E402

LETHE = os.environ.get("LETHE", "")
MARKER = b"LETHE-PLAINTEXT-MARKER"
KEK_LAG = r"keys: retired KEK version [0-9]+ is still in the keystore"


class Failure(Exception):
    pass


def run(args, store, check=True, **kw):
    env = dict(os.environ, LETHE_STORE=store)
    r = subprocess.run([LETHE] + list(args), env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if check and r.returncode != 0:
        raise Failure("lethe %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                 r.stderr.decode(errors="replace").strip()))
    return r


class Scenario:
    """A store, the record of what lethe acknowledged (check_store.py's STATE layout), and the
    operations run on it."""

    def __init__(self, top):
        self.top = top
        self.store = os.path.join(top, "store")
        self.state = os.path.join(top, "state")
        self.keyfile = os.path.join(top, "service.key")
        self.pass_alice = os.path.join(top, "alice.pass")
        self.pass_bob = os.path.join(top, "bob.pass")
        os.makedirs(os.path.join(self.state, "plain"))
        for f in ("acked", "removed", "may_shred", "wraps"):
            open(os.path.join(self.state, f), "w").close()
        with open(self.pass_alice, "w") as f:
            f.write("alice durable passphrase\n")
        with open(self.pass_bob, "w") as f:
            f.write("bob durable passphrase\n")
        conf = os.path.join(top, "template.conf")
        with open(conf, "w") as f:
            f.write("[keys]\nofficer_kdf_memory = 32KiB\nofficer_kdf_time = 4\n"
                    "officer_kdf_parallel = 1\n[retention]\nsweep_batch = 2\n"
                    "[group:short]\nretention = 1s\n")
        run(["--store", self.store, "--config", conf, "init", "--keyfile", self.keyfile,
             "--officer", "alice", "--passphrase-file", self.pass_alice], self.store)
        self.n = 0

    def plain(self, name, size):
        path = os.path.join(self.state, "plain", name)
        with open(path, "wb") as f:
            f.write(MARKER + b" " + name.encode() + b"\n" + os.urandom(size) +
                    b"\n" + MARKER + b" end\n")
        return path

    def append(self, what, line):
        with open(os.path.join(self.state, what), "a") as f:
            f.write(line + "\n")

    def snapshot_wraps(self, store=None):
        env = dict(os.environ, LETHE_STORE=store or self.store, LETHE=LETHE)
        subprocess.run([sys.executable, os.path.join(HERE, "check_store.py"), "snapshot",
                        self.state], env=env, check=True)

    def check(self, store, state, doctor_allow=None, kek_lag=False):
        env = dict(os.environ, LETHE_STORE=store, LETHE=LETHE)
        # An empty staged file whose creation survived the cut is seconds old here (its
        # ctime is when this state was written), so recovery leaves it for 5 s as it would a
        # put just starting; after a real power loss it is older. check_store.py waits.
        env["LETHE_ALLOW_YOUNG_TMP"] = "1"
        env.pop("LETHE_DOCTOR_ALLOW", None)
        env.pop("LETHE_RETIRED_KEK_LAG", None)
        if doctor_allow:
            env["LETHE_DOCTOR_ALLOW"] = doctor_allow
        if kek_lag:
            env["LETHE_RETIRED_KEK_LAG"] = "1"
        r = subprocess.run([sys.executable, os.path.join(HERE, "check_store.py"), "check",
                            state], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise Failure((r.stderr or r.stdout).decode(errors="replace").strip())


# ---- the operations ------------------------------------------------------------------------

class Op:
    """One recorded operation: its command line, how its STATE changes before and after it
    is acknowledged, the order it must keep, and what its acknowledged effect is."""
    name = ""
    officer = False
    doctor_allow = None   # doctor errors a cut may leave that the next run or --repair ends
    kek_lag = False

    def args(self, sc):
        raise NotImplementedError

    def before(self, sc):
        """STATE lines true whatever the outcome (the test may shred, a name is known)."""

    def after_ack(self, sc, out):
        """STATE lines once acknowledged."""

    def effect(self, sc, store):
        """The acknowledged effect, checked on a store (raises Failure)."""

    def order(self, sc, tr, out):
        """The order of calls (raises Failure)."""


def ops_of(tr, kind, pred=lambda op: True):
    return [op for op in tr.ops if op["k"] == kind and pred(op)]


def first_after(tr, i, kind, pred=lambda op: True):
    for op in tr.ops[i + 1:]:
        if op["k"] == kind and pred(op):
            return op
    return None


def synced_after(tr, i, path):
    """The first fsync of PATH (or syncfs of the whole file system) after operation I."""
    for op in tr.ops[i + 1:]:
        if (op["k"] == "sync" and op["path"] == path) or op["k"] == "syncall":
            return op
    return None


def ack_index(tr):
    a = ops_of(tr, "ack")
    if not a:
        raise Failure("the command wrote nothing to stdout: no acknowledgement in the trace")
    return a[0]["i"]


def object_path(oid):
    return "objects/%s/%s/%s.lth" % (oid[0:2], oid[2:4], oid)


def require(cond, what):
    if not cond:
        raise Failure(what)


def check_put_order(tr, oid):
    """bytes written -> file fsynced -> linked -> directory fsynced -> commit -> ack."""
    path = object_path(oid)
    links = ops_of(tr, "link", lambda op: op["path"] == path) + \
        ops_of(tr, "rename", lambda op: op["path"] == path)
    require(links, "put %s: no link or rename names %s" % (oid, path))
    link = links[0]
    ino = link["ino"]
    writes = ops_of(tr, "write", lambda op: op["ino"] == ino)
    require(writes, "put %s: no write to the object's file" % oid)
    syncs = [op for op in tr.ops[writes[-1]["i"] + 1:link["i"]]
             if (op["k"] == "sync" and op["ino"] == ino) or op["k"] == "syncall"]
    require(syncs, "put %s: the object's bytes are not fsynced between its last write "
            "(op %d) and its link into objects/ (op %d)" % (oid, writes[-1]["i"], link["i"]))
    commit = first_after(tr, link["i"], "commit")
    require(commit, "put %s: no database commit after the link" % oid)
    d = os.path.dirname(path)
    dsync = synced_after(tr, link["i"], d)
    require(dsync and dsync["i"] < commit["i"],
            "put %s: %s/ is not fsynced between the link (op %d) and the commit that inserts "
            "the row (op %d)" % (oid, d, link["i"], commit["i"]))
    for mk in ops_of(tr, "mkdir", lambda op: op["path"].startswith("objects/")):
        parent = os.path.dirname(mk["path"])
        ps = synced_after(tr, mk["i"], parent)
        require(ps and ps["i"] < link["i"],
                "put %s: the new directory %s is not made durable (fsync of %s/) before the "
                "link" % (oid, mk["path"], parent))
    require(commit["i"] < ack_index(tr), "put %s: acknowledged before its commit" % oid)


def check_unlink_order(tr, oid):
    """shred commit -> unlink -> directory fsynced -> (dequeue commit) -> ack."""
    path = object_path(oid)
    unl = ops_of(tr, "unlink", lambda op: op["path"] == path)
    require(unl, "shred of %s: its file %s is never unlinked" % (oid, path))
    u = unl[0]
    before = [op for op in ops_of(tr, "commit") if op["i"] < u["i"]]
    require(before, "shred of %s: the file is unlinked (op %d) before any commit: the "
            "shred must be durable in the database first" % (oid, u["i"]))
    d = os.path.dirname(path)
    ds = synced_after(tr, u["i"], d)
    require(ds, "shred of %s: %s/ is never fsynced after the unlink" % (oid, d))
    nxt = first_after(tr, u["i"], "commit")
    if nxt is not None and nxt["i"] < ds["i"]:
        raise Failure("shred of %s: a commit (op %d, the dequeue) comes before %s/ is "
                      "fsynced (op %d) after the unlink" % (oid, nxt["i"], d, ds["i"]))
    require(ds["i"] < ack_index(tr), "shred of %s: acknowledged before the unlink is "
            "durable" % oid)


def check_wal_truncated(tr, what):
    """After the shred's commit, the WAL is checkpointed and truncated while the store is
    still open (lt_db_purge: SQLITE_CHECKPOINT_TRUNCATE): meta.db synced, then meta.db-wal
    cut to zero bytes, so no old page version holding a destroyed key stays in it. The
    removal of the WAL when the last connection closes does not count: a file service keeps
    its connection open."""
    commits = ops_of(tr, "commit")
    require(commits, "%s: no commit" % what)
    last = commits[0]["i"]  # the shred's commit
    gone = [op for op in tr.ops[last + 1:]
            if op.get("path") == "meta.db-wal" and op["k"] == "trunc" and op["size"] == 0]
    require(gone, "%s: meta.db-wal is never truncated after the shred's commit (op %d): "
            "the WAL keeps the old pages until the store is closed" % (what, last))
    dbw = [op for op in tr.ops[:gone[0]["i"]] if op["k"] == "write" and op["path"] == "meta.db"]
    if dbw:
        s = synced_after(tr, dbw[-1]["i"], "meta.db")
        require(s and s["i"] < gone[0]["i"], "%s: the WAL is emptied before meta.db is "
                "fsynced" % what)


def check_keystore_order(tr, what, path="keystore.luks"):
    """Every write of a LUKS2 header (keystore.luks, officers.luks) is fsynced before the next
    commit and the ack."""
    ack = ack_index(tr)
    for w in ops_of(tr, "write", lambda op: op["path"] == path):
        s = synced_after(tr, w["i"], path)
        require(s, "%s: %s written (op %d) and never fsynced" % (what, path, w["i"]))
        c = first_after(tr, w["i"], "commit")
        if c is not None and c["i"] < s["i"]:
            raise Failure("%s: %s written (op %d) but the database commits (op %d) "
                          "before it is fsynced (op %d)" % (what, path, w["i"], c["i"],
                                                            s["i"]))
        require(s["i"] < ack, "%s: acknowledged before %s is fsynced" % (what, path))


class Put(Op):
    name = "put"

    def __init__(self, label, group="default", size=3000):
        self.label, self.group, self.size = label, group, size

    def args(self, sc):
        self.file = sc.plain(self.label, self.size)
        return ["put", "--group", self.group, "--name", self.label, self.file]

    def after_ack(self, sc, out):
        self.id = out.decode().strip()
        sc.append("acked", "%s %s" % (self.id, self.label))

    def order(self, sc, tr, out):
        check_put_order(tr, out.decode().strip())


class Rm(Op):
    name = "rm"

    def __init__(self, put):
        self.put = put

    def args(self, sc):
        return ["rm", self.put.id, "--reason", "durability test"]

    def before(self, sc):
        sc.append("may_shred", self.put.id)

    def after_ack(self, sc, out):
        sc.append("removed", self.put.id)

    def order(self, sc, tr, out):
        check_unlink_order(tr, self.put.id)
        check_wal_truncated(tr, "rm")


class Sweep(Op):
    name = "sweep"

    def __init__(self, puts):
        self.puts = puts

    def args(self, sc):
        return ["sweep"]

    def before(self, sc):
        sc.append("may_shred", "group:short")

    def after_ack(self, sc, out):
        for p in self.puts:
            sc.append("removed", p.id)

    def order(self, sc, tr, out):
        for p in self.puts:
            check_unlink_order(tr, p.id)
        check_wal_truncated(tr, "sweep")


def key_list(store):
    return json.loads(run(["--json", "key", "list"], store).stdout)


def officers(store):
    return sorted(o["name"] for o in json.loads(run(["--json", "officer", "list"],
                                                    store).stdout))


class Rotate(Op):
    name = "rotate"
    officer = True

    def args(self, sc):
        self.versions = len(key_list(sc.store))
        return ["key", "rotate"]

    def effect(self, sc, store):
        keys = key_list(store)
        prim = [k["version"] for k in keys if k["primary"]]
        require(prim == [self.versions + 1], "acknowledged rotate: primary is %s, want %d" %
                (prim, self.versions + 1))

    def order(self, sc, tr, out):
        check_keystore_order(tr, "rotate")
        w = ops_of(tr, "write", lambda op: op["path"] == "keystore.luks")
        require(w, "rotate: keystore.luks is never written")
        c = first_after(tr, w[0]["i"], "commit")
        require(c, "rotate: no commit records the new KEK after the keystore write")


class Rewrap(Op):
    name = "rewrap"
    officer = True

    def args(self, sc):
        return ["key", "rewrap"]

    def effect(self, sc, store):
        keys = key_list(store)
        old = [k for k in keys if not k["primary"] and k["objects"]]
        require(not old, "acknowledged rewrap: data keys still under %s" %
                [k["version"] for k in old])

    def order(self, sc, tr, out):
        require(ops_of(tr, "commit") and ops_of(tr, "commit")[-1]["i"] < ack_index(tr),
                "rewrap: acknowledged before its last commit")


class Retire(Op):
    name = "retire"
    officer = True
    kek_lag = True
    doctor_allow = KEK_LAG

    def __init__(self, version):
        self.version = version

    def args(self, sc):
        return ["key", "retire", str(self.version)]

    def effect(self, sc, store):
        st = [k["state"] for k in key_list(store) if k["version"] == self.version]
        require(st == ["retired"], "acknowledged retire: KEK %d is %s" % (self.version, st))

    def order(self, sc, tr, out):
        check_keystore_order(tr, "retire")
        w = ops_of(tr, "write", lambda op: op["path"] == "keystore.luks")
        require(w, "retire: keystore.luks is never written")
        c = [op for op in ops_of(tr, "commit") if op["i"] < w[0]["i"]]
        require(c, "retire: the keystore loses the KEK (op %d) before the database commits "
                "its retirement" % w[0]["i"])
        check_wal_truncated(tr, "retire")


class OfficerAdd(Op):
    name = "officer-add"
    officer = True
    # a cut between the new keyslot and the signed roster that names it
    doctor_allow = r"outside the signed roster"

    def args(self, sc):
        return ["officer", "add", "bob", "--new-passphrase-file", sc.pass_bob]

    def effect(self, sc, store):
        require("bob" in officers(store), "acknowledged officer add: bob is not an officer")

    def order(self, sc, tr, out):
        check_keystore_order(tr, "officer add")
        check_keystore_order(tr, "officer add", "officers.luks")
        require(ops_of(tr, "write", lambda op: op["path"] == "officers.luks"),
                "officer add: officers.luks is never written")


class OfficerRemove(Op):
    name = "officer-remove"
    officer = True
    # a cut between the signed roster without the officer and the keyslot's destruction
    doctor_allow = r"outside the signed roster"

    def args(self, sc):
        return ["officer", "remove", "bob"]

    def effect(self, sc, store):
        require("bob" not in officers(store), "acknowledged officer remove: bob is still an "
                "officer")

    def order(self, sc, tr, out):
        check_keystore_order(tr, "officer remove")
        check_keystore_order(tr, "officer remove", "officers.luks")
        require(ops_of(tr, "write", lambda op: op["path"] == "officers.luks"),
                "officer remove: officers.luks is never written")


# ---- the run -------------------------------------------------------------------------------

def record_op(sc, op, workdir):
    argv = op.args(sc)
    if op.officer:
        argv = argv + ["--passphrase-file", sc.pass_alice]
    op.before(sc)
    start = os.path.join(workdir, "start")
    sysrec.snapshot(sc.store, start)
    # the state directory as it was before the operation (a cut before the ack uses it)
    state0 = os.path.join(workdir, "state-before")
    shutil.copytree(sc.state, state0)
    trace = os.path.join(workdir, "trace")
    env = dict(os.environ, LETHE_STORE=sc.store)
    rc, out, err = sysrec.record([LETHE] + argv, sc.store, trace, env=env)
    if rc != 0:
        raise Failure("%s: exit %d: %s" % (" ".join(argv), rc, err.decode(errors="replace")))
    op.after_ack(sc, out)
    tr = sysrec.Trace(trace, sc.store, start)
    return tr, out, state0


def explore(sc, op, tr, state0, workdir, max_points):
    n = bad = 0
    failures = []
    for label, acked, st in tr.states(max_points):
        n += 1
        d = os.path.join(workdir, "cut%03d" % n)
        tr.materialize(st, d)
        state = sc.state if acked else state0
        try:
            sc.check(d, state, doctor_allow=op.doctor_allow, kek_lag=op.kek_lag)
            if acked:
                op.effect(sc, d)
        except Failure as e:
            bad += 1
            failures.append("%s: %s: %s (kept in %s)" % (op.name, label, e, d))
            if bad >= 3:
                break
            continue
        shutil.rmtree(d)
    return n, failures


def teeth(sc, op, tr, state0, workdir):
    """The states model must have teeth: the put's trace with the object's fsync before its
    link taken out must lead to a state after the acknowledgement that loses the object.
    (Taking out the fsync of the directory after the link loses nothing on this model: the
    commit's fdatasync grows meta.db-wal, and ext4 commits its journal, the link included, in
    order. POSIX promises no such thing, nor does btrfs, whose fsync logs one inode: the order
    check holds the code to the directory fsync.)"""
    oid = op.id
    path = object_path(oid)
    link = ops_of(tr, "link", lambda o: o["path"] == path)[0]
    cases = {
        "the object's fsync before its link":
            lambda o: o["k"] == "sync" and o["ino"] == link["ino"] and o["i"] < link["i"],
    }
    for what, drop in cases.items():
        t = tr.without(drop)
        caught = False
        n = 0
        for label, acked, st in t.states():
            if not acked:
                continue
            n += 1
            d = os.path.join(workdir, "teeth%03d" % n)
            t.materialize(st, d)
            try:
                sc.check(d, sc.state)
            except Failure:
                caught = True
                break
            finally:
                shutil.rmtree(d, ignore_errors=True)
        require(caught, "the crash-state model finds no acknowledged state that loses the put "
                "when %s is taken out of its trace (%d states tried)" % (what, n))
        print("put: without %s, a power cut loses the acknowledged object (found in %d "
              "states)" % (what, n))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("order", "states"):
        print(__doc__, file=sys.stderr)
        return 2
    mode = sys.argv[1]
    if not LETHE:
        print("LETHE must name the lethe command", file=sys.stderr)
        return 2
    if shutil.which("strace") is None:
        print("strace is not installed (Debian package strace): skipped")
        return 77
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=fsync", "-o", os.devnull,
                            "true"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        print("strace cannot trace here (%s): skipped" %
              probe.stderr.decode(errors="replace").strip())
        return 77
    max_points = int(os.environ.get("LETHE_DURABILITY_MAX_POINTS", "40"))
    only = set(filter(None, os.environ.get("LETHE_DURABILITY_OPS", "").split(",")))
    top = tempfile.mkdtemp(prefix="lethe-durability.")
    keep = False
    started = time.monotonic()
    try:
        sc = Scenario(top)
        keep_obj = Put("keep-1", size=200000)
        short = [Put("short-%d" % i, "short") for i in range(1, 4)]
        # puts marked setup run unrecorded: one recorded put of each size is enough
        for p in [Put("keep-2")] + short:
            p.setup = True
        plan = [keep_obj, Put("keep-2")] + short + ["wait"]
        plan += [Rm(short[0]), Sweep(short[1:]), Rotate(), Rewrap(), Retire(1),
                 OfficerAdd(), OfficerRemove()]
        failures = []
        total = 0
        for i, op in enumerate(plan):
            if op == "wait":
                time.sleep(1.1)  # the objects of group "short" (1 s) expire
                continue
            if (only and op.name not in only) or getattr(op, "setup", False):
                # still run it (later operations need its effect), unrecorded
                argv = op.args(sc) + (["--passphrase-file", sc.pass_alice] if op.officer
                                      else [])
                op.before(sc)
                op.after_ack(sc, run(argv, sc.store).stdout)
                sc.snapshot_wraps()
                continue
            workdir = os.path.join(top, "%02d-%s" % (i, op.name))
            os.makedirs(workdir)
            try:
                tr, out, state0 = record_op(sc, op, workdir)
                if mode == "order":
                    op.order(sc, tr, out)
                    print("%s: order kept (%d calls on the store's files, %d commits)" %
                          (op.name, len(tr.ops), len(ops_of(tr, "commit"))))
                else:
                    n, fails = explore(sc, op, tr, state0, workdir, max_points)
                    if isinstance(op, Put) and not fails and not getattr(sc, "bitten", False):
                        teeth(sc, op, tr, state0, workdir)
                        sc.bitten = True
                    total += n
                    failures += fails
                    print("%s: %d crash states, %d failed" % (op.name, n, len(fails)))
            except Failure as e:
                failures.append("%s: %s" % (op.name, e))
            sc.snapshot_wraps()
        # the store the real runs left is whole too
        sc.check(sc.store, sc.state)
        if failures:
            keep = True
            for f in failures:
                print("FAIL: " + f, file=sys.stderr)
            print("kept %s" % top, file=sys.stderr)
            return 1
        what = "ordering of every operation" if mode == "order" else \
            "%d crash states" % total
        print("ok: %s checked in %.0f s" % (what, time.monotonic() - started))
        return 0
    except Failure as e:
        keep = True
        print("FAIL: %s (kept %s)" % (e, top), file=sys.stderr)
        return 1
    finally:
        if not keep:
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
