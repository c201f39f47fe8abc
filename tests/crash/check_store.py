#!/usr/bin/env python3
"""check_store.py - the invariants a lethe store must keep after any crash, kill or race.

Used by tests/crash/*.sh and tests/cli/test_concurrency.sh. The test keeps a state directory
STATE that records what lethe acknowledged:

  STATE/plain/NAME   the plaintext of the object put with --name NAME (names are unique)
  STATE/acked        "ID NAME" per put that exited 0 (acknowledged: must never be lost)
  STATE/removed      "ID" per rm that exited 0 (acknowledged shred: must stay shredded)
  STATE/may_shred    "ID" or "group:G": objects the test may have shredded (rm, sweep)
  STATE/wraps        written by `snapshot`: "dek ID HEX" and "kek VERSION HEX", every wrapped
                     key the database ever held, so that their bytes can be looked for later

  check_store.py snapshot STATE    record the wrapped keys now in meta.db
  check_store.py check STATE       check every invariant; exit 1 with one line per problem

The environment names the binary (LETHE) and the store (LETHE_STORE). `check` runs the next
open itself (`lethe --json ls --all`), so tmp/ and interrupted unlinks are checked after it.

Invariants:
  1. every acknowledged put is present; it is live and reads back byte-identical, unless the
     test may have shredded it;
  2. every live object reads back byte-identical to the plaintext of its name (an
     unacknowledged put that committed is a whole object, never a broken one), and its file is
     a regular file;
  3. an acknowledged rm stays shredded; no shredded object can be read (exit 3), its file is
     gone, its row holds no wrapped DEK and no KEK version, and no byte sequence of any
     wrapped DEK it ever had is left in any file under the store (meta.db and its WAL);
  4. every shredded object has exactly one certificate, no object has two, and no live
     object has any;
  5. a retired KEK's wrapped bytes (kept in keystore.luks as hex) are in no file under the
     store, as bytes or as hex;
  6. no plaintext marker anywhere under the store;
  7. tmp/ is empty after the open and no unlink is pending;
  8. `lethe doctor` is clean (exit 0), `lethe audit verify` and `lethe evidence verify` pass.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

MARKER = b"LETHE-PLAINTEXT-MARKER"


def lethe(*args, check=True):
    r = subprocess.run([os.environ["LETHE"], *args], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and r.returncode != 0:
        raise SystemExit("FAIL: lethe %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                          r.stderr.decode(errors="replace")))
    return r


def lines(path):
    try:
        with open(path) as f:
            return [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def db_rows(store, sql):
    con = sqlite3.connect(os.path.join(store, "meta.db"), timeout=60)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def snapshot(state, store):
    rows = db_rows(store, "SELECT id, hex(wrapped_dek) FROM objects WHERE wrapped_dek IS NOT NULL")
    # The wrapped KEKs live in the keystore's LUKS2 JSON ("keks":{"1":"<hex>",...}).
    with open(os.path.join(store, "keystore.luks"), "rb") as f:
        header = f.read()
    keks = set(re.findall(rb'"([0-9]+)":"([0-9a-fA-F]{64,})"', header))
    with open(os.path.join(state, "wraps"), "a") as f:
        for oid, h in rows:
            f.write("dek %s %s\n" % (oid, h))
        for v, h in keks:
            f.write("kek %s %s\n" % (v.decode(), h.decode()))


def store_files(store):
    for root, dirs, files in os.walk(store):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                yield path, f.read()


def check(state, store):
    problems = []
    bad = problems.append

    # The next open: recovery of tmp/ and of interrupted unlinks runs here.
    objs = json.loads(lethe("--json", "ls", "--all").stdout)
    tmp = os.path.join(store, "tmp")
    left = os.listdir(tmp)
    if left and os.environ.get("LETHE_ALLOW_YOUNG_TMP"):
        # A process killed between creating its staged file and locking it leaves an empty
        # file that recovery leaves alone for 5 s (it cannot tell it from a put starting).
        if all(os.path.getsize(os.path.join(tmp, n)) == 0 for n in left):
            time.sleep(5.5)
            objs = json.loads(lethe("--json", "ls", "--all").stdout)
            left = os.listdir(tmp)
    if left:
        bad("tmp/ not empty after an open: %s" % left)
    pending = db_rows(store, "SELECT count(*) FROM pending_unlinks")[0][0]
    if pending:
        bad("%d unlink(s) still pending after an open" % pending)

    by_id = {o["id"]: o for o in objs}
    may = set(l[0] for l in lines(os.path.join(state, "may_shred")))
    removed = set(l[0] for l in lines(os.path.join(state, "removed")))

    for oid, name in (l[:2] for l in lines(os.path.join(state, "acked"))):
        o = by_id.get(oid)
        if o is None:
            bad("acknowledged put %s (%s) is gone" % (oid, name))
        elif o["state"] != "live" and oid not in may and "group:" + o["group"] not in may:
            bad("acknowledged put %s (%s) was shredded by nobody" % (oid, name))
    for oid in removed:
        if oid not in by_id or by_id[oid]["state"] != "shredded":
            bad("acknowledged rm of %s is not shredded" % oid)

    rows = {r[0]: r for r in db_rows(store, "SELECT id, wrapped_dek, kek_version FROM objects")}
    certs = json.loads(lethe("--json", "evidence", "list").stdout)
    per_object = {}
    for c in certs:
        per_object[c["object_id"]] = per_object.get(c["object_id"], 0) + 1

    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "out")
        for o in objs:
            oid = o["id"]
            path = os.path.join(store, "objects", oid[0:2], oid[2:4], oid + ".lth")
            if o["state"] == "live":
                plain = os.path.join(state, "plain", o["name"])
                if not os.path.isfile(plain):
                    bad("live object %s has a name no put used: %r" % (oid, o["name"]))
                    continue
                r = lethe("get", oid, "-o", out, check=False)
                if r.returncode != 0:
                    bad("live object %s does not read: exit %d: %s" %
                        (oid, r.returncode, r.stderr.decode(errors="replace").strip()))
                else:
                    with open(out, "rb") as a, open(plain, "rb") as b:
                        if a.read() != b.read():
                            bad("live object %s reads back different bytes" % oid)
                    os.unlink(out)
                if not os.path.isfile(path) or os.path.islink(path):
                    bad("live object %s: %s is not a regular file" % (oid, path))
                if per_object.get(oid, 0):
                    bad("live object %s has a certificate" % oid)
            else:
                r = lethe("get", oid, check=False)
                if r.returncode != 3 or r.stdout:
                    bad("shredded object %s: get exit %d (want 3), %d bytes out" %
                        (oid, r.returncode, len(r.stdout)))
                if os.path.lexists(path):
                    bad("shredded object %s: its file %s still exists" % (oid, path))
                row = rows.get(oid)
                if row is None or row[1] is not None or row[2] is not None:
                    bad("shredded object %s: row still holds a wrapped DEK or KEK" % oid)
                if per_object.get(oid, 0) != 1:
                    bad("shredded object %s has %d certificates" % (oid, per_object.get(oid, 0)))
    for oid, n in per_object.items():
        if oid not in by_id:
            bad("certificate for unknown object %s" % oid)
        elif n > 1:
            bad("object %s has %d certificates" % (oid, n))
    shredded = sum(1 for o in objs if o["state"] == "shredded")
    if len(certs) != shredded:
        bad("%d certificates for %d shredded objects" % (len(certs), shredded))

    # Bytes that must be nowhere under the store.
    gone = {}
    kek_state = {r[0]: r[1] for r in db_rows(store, "SELECT version, state FROM keks")}
    for kind, key, h in lines(os.path.join(state, "wraps")):
        if kind == "dek" and key in by_id and by_id[key]["state"] == "shredded":
            gone[bytes.fromhex(h)] = "a wrapped DEK of shredded object %s" % key
        if kind == "kek" and kek_state.get(int(key)) == 1 and \
                not os.environ.get("LETHE_RETIRED_KEK_LAG"):
            gone[bytes.fromhex(h)] = "the wrapped bytes of retired KEK %s" % key
            gone[h.encode()] = "the wrapped KEK %s (as hex)" % key
    for path, data in store_files(store):
        if MARKER in data:
            bad("plaintext marker found in %s" % path)
        for needle, what in gone.items():
            if needle in data:
                bad("%s is still in %s" % (what, path))

    r = lethe("doctor", check=False)
    allowed = os.environ.get("LETHE_DOCTOR_ALLOW")
    if r.returncode != 0 and allowed:
        # The caller knows the crash left something only the re-run (or --repair) finishes:
        # every error line must match it.
        errors = [l for l in r.stdout.decode(errors="replace").splitlines()
                  if l.startswith("error")]
        if errors and all(re.search(allowed, l) for l in errors):
            r.returncode = 0
    if r.returncode != 0:
        bad("doctor: exit %d: %s" % (r.returncode, r.stdout.decode(errors="replace")
                                     .replace("\n", " | ")[-800:]))
    for args in (("audit", "verify"), ("evidence", "verify")):
        r = lethe(*args, check=False)
        if r.returncode != 0:
            bad("%s: exit %d: %s%s" % (" ".join(args), r.returncode,
                                       r.stdout.decode(errors="replace")[-600:],
                                       r.stderr.decode(errors="replace")[-600:]))
    if problems:
        for p in problems:
            print("FAIL: " + p, file=sys.stderr)
        return 1
    live = len(objs) - shredded
    print("invariants hold: %d live, %d shredded, %d certificates" % (live, shredded, len(certs)))
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("snapshot", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    store = os.environ["LETHE_STORE"]
    if sys.argv[1] == "snapshot":
        snapshot(sys.argv[2], store)
        return 0
    return check(sys.argv[2], store)


if __name__ == "__main__":
    sys.exit(main())
