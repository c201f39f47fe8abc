# t2lib.py - what the holder of the service keyfile (T2, docs/THREATS.md) can compute: the
# master key (cryptsetup luksDump --dump-volume-key), the row-MAC and audit-chain keys derived
# from it (docs/KEYS.md section 5), rows rewritten with their MACs and the table digest, and
# records appended to the audit chain with a valid MAC (audit/record.c). It cannot compute the
# officer authority's signature. Used by the end-to-end suites that play T2.
import hashlib
import hmac
import os
import sqlite3
import struct
import subprocess
import time


def mk_of(store, keyfile, workdir):
    path = os.path.join(workdir, "t2mk")
    subprocess.run(["cryptsetup", "luksDump", "--batch-mode", "--dump-volume-key",
                    "--key-slot", "0", "--key-file", keyfile, "--volume-key-file", path,
                    store + "/keystore.luks"], check=True, stdout=subprocess.DEVNULL)
    with open(path, "rb") as f:
        mk = f.read()
    os.unlink(path)
    return mk


def derive(mk, sid, label):
    # HKDF-SHA256 (RFC 5869), one block: salt = store id, IKM = MK, info = label
    prk = hmac.new(sid.encode(), mk, hashlib.sha256).digest()
    return hmac.new(prk, label.encode() + b"\x01", hashlib.sha256).digest()


def val(v):
    if v is None:
        return b"\0"
    if isinstance(v, int):
        return b"\1" + struct.pack(">q", v)
    if isinstance(v, str):
        v = v.encode()
        return b"\2" + struct.pack(">I", len(v)) + v
    return b"\3" + struct.pack(">I", len(v)) + bytes(v)


OBJ = ["id", "grp", "name", "size", "sha256", "created_at", "retain_until", "hold",
       "hold_reason", "kek_version", "wrapped_dek", "state", "shredded_at", "seg_log2", "locked",
       "name_enc", "name_commit"]


def obj_vals(row):
    """The values an objects row's MAC covers: name_enc and name_commit only in a row with a
    name commitment (store/rowmac.c)."""
    vals = [row[c] for c in OBJ]
    return vals if row["name_commit"] is not None else vals[:-2]


def rowmac(k, table, vals):
    return hmac.new(k, val("lethe/v1/row") + val(table) + b"".join(val(v) for v in vals),
                    hashlib.sha256).digest()


def digest_mac(k, table, count, x):
    return hmac.new(k, val("lethe/v1/row") + val("row_digests") + val(table) + val(count)
                    + val(x), hashlib.sha256).digest()


def s32(s):
    s = s.encode()
    return struct.pack(">I", len(s)) + s


def audit_mac(k, r, prev):
    m = (b"lethe-audit-v1" + struct.pack(">QQI", r["seq"], r["time_us"], r["uid"])
         + s32(r["user"]) + s32(r["keyslot"]) + struct.pack(">I", r["pid"]))
    for f in ["host", "action", "object", "grp", "outcome", "error"]:
        m += s32(r[f])
    return hmac.new(k, m + prev, hashlib.sha256).digest()


class Store:
    def __init__(s, store, keyfile, workdir):
        s.db = sqlite3.connect(store + "/meta.db")
        sid = s.db.execute("select value from meta where key='store_id'").fetchone()[0]
        s.sid = bytes(sid).decode()
        mk = mk_of(store, keyfile, workdir)
        s.rk = derive(mk, s.sid, "lethe/v1/row-mac")
        s.ak = derive(mk, s.sid, "lethe/v1/audit-mac")

    def set_object(s, oid, **chg):
        cur = s.db.execute("select " + ",".join(OBJ) + ",mac from objects where id=?",
                           (oid,)).fetchone()
        old = dict(zip(OBJ + ["mac"], cur))
        new = dict(old)
        new.update(chg)
        assert rowmac(s.rk, "objects", obj_vals(old)) == bytes(old["mac"]), "row MAC"
        nm = rowmac(s.rk, "objects", obj_vals(new))
        s.db.execute("update objects set " + ",".join(f"{c}=?" for c in chg) + ",mac=? where id=?",
                     list(chg.values()) + [nm, oid])
        cnt, x = s.db.execute("select count,xor from row_digests where tbl='objects'").fetchone()
        x = bytes(a ^ b ^ c for a, b, c in zip(x, bytes(old["mac"]), nm))
        s.db.execute("update row_digests set xor=?,mac=? where tbl='objects'",
                     (x, digest_mac(s.rk, "objects", cnt, x)))

    def append(s, **f):
        """Append a record with a valid chain MAC and no officer signature; returns its seq."""
        seq, prev = s.db.execute("select seq,mac from audit order by seq desc limit 1").fetchone()
        last = s.db.execute("select uid,user,pid,host from audit order by seq desc limit 1"
                            ).fetchone()
        r = dict(seq=seq + 1, time_us=int(time.time() * 1e6), uid=last[0], user=last[1],
                 keyslot="service", pid=os.getpid(), host=last[3], object="", grp="",
                 outcome="ok", error="")
        r.update(f)
        r["mac"] = audit_mac(s.ak, r, bytes(prev))
        cols = ["seq", "time_us", "uid", "user", "keyslot", "pid", "host", "action", "object",
                "grp", "outcome", "error", "mac"]
        s.db.execute("insert into audit(" + ",".join(cols) + ",unauth) values(" +
                     ",".join("?" * len(cols)) + ",0)", [r[c] for c in cols])
        return r["seq"]

    def commit(s):
        s.db.commit()
