"""sysrec.py - lethe's file-system calls recorded with strace, replayed, and cut by a power loss.

Used by test_durability.py. Three parts:

  record(cmd, store, trace)  run CMD under strace -f, every call that reads or changes a file's
                             bytes, names or durability logged with its data (-xx: every byte
                             escaped, so the log parses without guessing); the store directory
                             is copied first (the state the trace starts from);
  Trace(path, store, start)  the calls on files under STORE as logical operations on inodes:
                             create, mkdir, link, rename, unlink, rmdir (names), write, trunc
                             (bytes), sync (fsync/fdatasync of one inode), and two markers:
                             `commit` (the sync of meta.db-wal that made a commit frame durable)
                             and `ack` (the command's first write to its stdout);
  Trace.states()             the store directories a power cut at each point of the trace can
                             leave, on a model of ext4 with data=ordered (below).

The model (the one ALICE and CrashMonkey use for ext4, made a little weaker where the kernel's
behaviour depends on timing):

  - names (create, link, rename, unlink, mkdir) reach the journal in the order they were made,
    so a crash keeps a prefix of them; the prefix is at least everything up to the last name
    change of an inode that was since fsynced (its fsync committed the journal's transaction);
  - a file's bytes persist in the order they were written, as a prefix of its unsynced writes,
    and the last of them may be torn at a 512-byte boundary; an fsync or fdatasync of the file
    makes every earlier write durable; bytes and names persist independently (delayed
    allocation: a name may be durable while its data is not yet, the zero-length file);
  - meta.db-shm is never part of a state (SQLite rebuilds it when the first connection opens).
"""
import copy
import hashlib
import os
import re
import shutil
import stat
import subprocess

CALLS = ("open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,lseek,ftruncate,truncate,"
         "fallocate,fsync,fdatasync,syncfs,sync,sync_file_range,rename,renameat,renameat2,link,"
         "linkat,unlink,unlinkat,mkdir,mkdirat,rmdir,close,dup,dup2,dup3")

AT_FDCWD = "AT_FDCWD"
WAL_HDR = 32
WAL_FRAME_HDR = 24


def record(cmd, store, trace, env=None, stdin=None, stdout=None):
    """Run CMD under strace; returns (exit status, stderr bytes). TRACE is strace's log."""
    # LeakSanitizer cannot run under ptrace: an ASan build checks leaks in the other suites
    env = dict(env if env is not None else os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    argv = ["strace", "-f", "-qq", "-y", "-xx", "-s", "16777216", "-e", "trace=" + CALLS,
            "-e", "signal=none", "-o", trace, "--"] + list(cmd)
    r = subprocess.run(argv, env=env, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                       stdout=stdout if stdout is not None else subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr


def unhex(s):
    """An strace -xx string ("\\x2f\\x74...") as bytes."""
    s = s.strip()
    if s.endswith("..."):
        raise ValueError("strace cut a string short: raise -s")
    assert s[0] == '"' and s[-1] == '"', s
    return bytes.fromhex(s[1:-1].replace("\\x", ""))


def split_args(s):
    """Top-level comma-separated arguments (strings never hold a comma or bracket: -xx)."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "{[(<":
            depth += 1
        elif ch in "}])>":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if cur and "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


FDPATH = re.compile(r"^(-?\d+|AT_FDCWD)(?:<(.*?)>)?(\(deleted\))?$")


def fd_of(arg):
    """(fd number or AT_FDCWD, its path as strace saw it or None) of an argument like 3<...>."""
    m = FDPATH.match(arg)
    if not m:
        raise ValueError("not a file descriptor: %r" % arg[:80])
    fd = m.group(1)
    path = None
    if m.group(2) is not None:
        path = bytes.fromhex(m.group(2).replace("\\x", "")).decode("utf-8", "surrogateescape")
    return (fd if fd == AT_FDCWD else int(fd)), path


LINE = re.compile(r"^(\d+)\s+(.*)$")


def parse(path):
    """The successful calls of an strace -f log, in the order they returned: (pid, name,
    args, ret), unfinished calls joined with their resumption."""
    calls, pending = [], {}
    with open(path, encoding="ascii", errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = LINE.match(raw)
            if not m:
                continue
            pid, rest = int(m.group(1)), m.group(2)
            if rest.endswith("<unfinished ...>"):
                pending[pid] = rest[:-len("<unfinished ...>")].rstrip()
                continue
            r = re.match(r"^<\.\.\. (\w+) resumed>(.*)$", rest)
            if r:
                # strace pads the resumed part ("<... unlink resumed>)             = 0")
                rest = pending.pop(pid, r.group(1) + "(") + re.sub(r"^\)\s+= ", ") = ",
                                                                    r.group(2))
            if rest.startswith("+++") or rest.startswith("---"):
                continue
            k = rest.rfind(") = ")
            if k < 0:
                continue  # a call that never returned (the process exited inside it)
            head, ret = rest[:k], rest[k + 4:].strip()
            name, _, argstr = head.partition("(")
            if ret.startswith("-1 ") or ret.startswith("?"):
                continue
            calls.append((pid, name, split_args(argstr), ret))
    return calls


def snapshot(store, dest):
    """Copy STORE to DEST keeping hard links (the trace starts from this state)."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    subprocess.run(["cp", "-a", store, dest], check=True)


def reachable(path, ns):
    d = os.path.dirname(path)
    while d:
        if d not in ns:
            return False
        d = os.path.dirname(d)
    return True


class Trace:
    """The calls of one command on files under its store, as logical operations."""

    def __init__(self, trace_path, store, start):
        self.store = os.path.realpath(store)
        self.ops = []
        self.ino_paths = {}
        self._next = 0
        self.init_ns = {}      # path relative to the store -> inode
        self.init_data = {}    # inode -> bytes (files) or None (directories)
        self.init_mode = {}
        seen = {}
        for root, dirs, files in os.walk(start):
            for name in dirs + files:
                full = os.path.join(root, name)
                rel = os.path.relpath(full, start)
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    continue
                key = (st.st_dev, st.st_ino)
                if key not in seen:
                    seen[key] = self._new()
                    if stat.S_ISDIR(st.st_mode):
                        self.init_data[seen[key]] = None
                    else:
                        with open(full, "rb") as f:
                            self.init_data[seen[key]] = f.read()
                    self.init_mode[seen[key]] = stat.S_IMODE(st.st_mode)
                self.init_ns[rel] = seen[key]
        self._replay(parse(trace_path))

    def _new(self):
        self._next += 1
        return self._next

    def rel(self, path):
        """PATH relative to the store, or None when it is outside it."""
        if path is None:
            return None
        p = os.path.normpath(path)
        if p == self.store:
            return "."
        if p.startswith(self.store + "/"):
            return p[len(self.store) + 1:]
        return None

    def _replay(self, calls):
        ns = dict(self.init_ns)
        ns["."] = 0
        self.init_data.setdefault(0, None)
        data = {i: (bytearray(d) if d is not None else None) for i, d in self.init_data.items()}
        fds = {}     # fd -> [inode, position, append]
        dirfd = {}   # fd -> absolute path (any directory, in the store or not)
        commit_frame = {}  # inode of a WAL -> a commit frame was written since its last sync
        acked = False
        ops = self.ops

        def resolve(dfd, p):
            if p.startswith("/"):
                return p
            if dfd == AT_FDCWD or dfd is None:
                base = os.getcwd()
            else:
                base = dirfd.get(dfd[0]) or dfd[1]
            return os.path.join(base, p)

        def emit(**op):
            op["i"] = len(ops)
            ops.append(op)

        def write(fd, off, buf):
            ent = fds.get(fd)
            if ent is None or ent[0] is None:
                return
            ino = ent[0]
            d = data[ino]
            size = len(d)
            if off is None:
                off = len(d) if ent[2] else ent[1]
                ent[1] = off + len(buf)
            if len(d) < off:
                d.extend(b"\0" * (off - len(d)))
            d[off:off + len(buf)] = buf
            path = self.ino_paths.get(ino, "")
            if path.endswith("-wal") and len(buf) == WAL_FRAME_HDR and \
                    off >= WAL_HDR and buf[4:8] != b"\0\0\0\0":
                commit_frame[ino] = True
            emit(k="write", ino=ino, off=off, data=bytes(buf), path=path,
                 extends=off + len(buf) > size)

        for pid, name, a, ret in calls:
            if name in ("open", "openat", "creat"):
                if name == "openat":
                    dfd, p, flags = fd_of(a[0]), unhex(a[1]).decode("utf-8", "surrogateescape"), a[2]
                else:
                    dfd, p = None, unhex(a[0]).decode("utf-8", "surrogateescape")
                    flags = a[1] if name == "open" else "O_CREAT|O_WRONLY|O_TRUNC"
                fd, shown = fd_of(ret)
                full = resolve(dfd, p)
                rel = self.rel(full)
                fds.pop(fd, None)
                dirfd[fd] = shown or full
                if rel is None:
                    fds[fd] = [None, 0, False]
                    continue
                if "O_TMPFILE" in flags:
                    # an unnamed file in the directory rel (which is in ns): never a path
                    ino = self._new()
                    data[ino] = bytearray()
                    self.ino_paths[ino] = rel + "/(tmpfile)"
                    fds[fd] = [ino, 0, False]
                    continue
                if rel not in ns:
                    if "O_CREAT" not in flags:
                        raise ValueError("open of %s, unknown to the trace" % rel)
                    ino = self._new()
                    data[ino] = bytearray()
                    ns[rel] = ino
                    self.ino_paths[ino] = rel
                    emit(k="create", path=rel, ino=ino)
                ino = ns[rel]
                self.ino_paths.setdefault(ino, rel)
                if data[ino] is not None and "O_TRUNC" in flags and len(data[ino]):
                    data[ino] = bytearray()
                    emit(k="trunc", ino=ino, size=0, path=rel, extends=True)
                fds[fd] = [ino, 0, "O_APPEND" in flags]
            elif name in ("dup", "dup2", "dup3"):
                old = fd_of(a[0])[0]
                new = fd_of(ret)[0]
                if old in fds:
                    fds[new] = fds[old]
                if old in dirfd:
                    dirfd[new] = dirfd[old]
            elif name == "close":
                fd = fd_of(a[0])[0]
                fds.pop(fd, None)
                dirfd.pop(fd, None)
            elif name == "write":
                fd = fd_of(a[0])[0]
                if fd == 1 and not acked:
                    acked = True
                    emit(k="ack")
                write(fd, None, unhex(a[1])[:int(ret.split()[0])])
            elif name == "pwrite64":
                fd = fd_of(a[0])[0]
                write(fd, int(a[3]), unhex(a[1])[:int(ret.split()[0])])
            elif name in ("writev", "pwritev", "pwritev2"):
                fd = fd_of(a[0])[0]
                buf = b"".join(unhex(s) for s in re.findall(r'iov_base=("[^"]*")', a[1]))
                buf = buf[:int(ret.split()[0])]
                if fd == 1 and not acked:
                    acked = True
                    emit(k="ack")
                write(fd, None if name == "writev" else int(a[3]), buf)
            elif name == "lseek":
                fd = fd_of(a[0])[0]
                if fd in fds:
                    fds[fd][1] = int(ret.split()[0])
            elif name in ("ftruncate", "truncate"):
                if name == "ftruncate":
                    ent = fds.get(fd_of(a[0])[0])
                    ino = ent[0] if ent else None
                else:
                    rel = self.rel(resolve(None, unhex(a[0]).decode()))
                    ino = ns.get(rel) if rel else None
                if ino is None:
                    continue
                size = int(a[1])
                d = data[ino]
                changed = size != len(d)
                if size < len(d):
                    del d[size:]
                else:
                    d.extend(b"\0" * (size - len(d)))
                emit(k="trunc", ino=ino, size=size, path=self.ino_paths.get(ino, ""),
                     extends=changed)
            elif name == "fallocate":
                ent = fds.get(fd_of(a[0])[0])
                if ent and ent[0] is not None and "KEEP_SIZE" not in a[1] and a[1] in ("0", ):
                    ino = ent[0]
                    end = int(a[2]) + int(a[3])
                    if end > len(data[ino]):
                        data[ino].extend(b"\0" * (end - len(data[ino])))
                        emit(k="trunc", ino=ino, size=end, path=self.ino_paths.get(ino, ""),
                             extends=True)
            elif name in ("fsync", "fdatasync", "sync_file_range"):
                fd, shown = fd_of(a[0])
                ent = fds.get(fd)
                if ent is None or ent[0] is None:
                    rel = self.rel(dirfd.get(fd) or shown)
                    ino = ns.get(rel) if rel else None
                else:
                    ino = ent[0]
                if ino is None or name == "sync_file_range":
                    continue
                emit(k="sync", ino=ino, path=self.ino_paths.get(ino, "."), call=name)
                if commit_frame.pop(ino, False):
                    emit(k="commit")
            elif name in ("syncfs", "sync"):
                emit(k="syncall")
            elif name in ("mkdir", "mkdirat"):
                if name == "mkdirat":
                    full = resolve(fd_of(a[0]), unhex(a[1]).decode())
                else:
                    full = resolve(None, unhex(a[0]).decode())
                rel = self.rel(full)
                if rel is None:
                    continue
                ino = self._new()
                data[ino] = None
                ns[rel] = ino
                self.ino_paths[ino] = rel
                emit(k="mkdir", path=rel, ino=ino)
            elif name in ("link", "linkat", "rename", "renameat", "renameat2"):
                if name in ("link", "rename"):
                    src = resolve(None, unhex(a[0]).decode())
                    dst = resolve(None, unhex(a[1]).decode())
                else:
                    src = resolve(fd_of(a[0]), unhex(a[1]).decode())
                    dst = resolve(fd_of(a[2]), unhex(a[3]).decode())
                rs, rd = self.rel(src), self.rel(dst)
                if rd is None:
                    continue
                if name == "linkat" and "AT_EMPTY_PATH" in a[-1]:
                    ino = fds[fd_of(a[0])[0]][0]
                else:
                    ino = ns.get(rs)
                if ino is None:
                    raise ValueError("%s of %s, unknown to the trace" % (name, rs))
                ns[rd] = ino
                if name.startswith("rename"):
                    del ns[rs]
                self.ino_paths[ino] = rd
                emit(k="link" if name.startswith("link") else "rename", src=rs, path=rd, ino=ino)
            elif name in ("unlink", "unlinkat", "rmdir"):
                if name == "unlinkat":
                    full = resolve(fd_of(a[0]), unhex(a[1]).decode())
                else:
                    full = resolve(None, unhex(a[0]).decode())
                rel = self.rel(full)
                if rel is None or rel not in ns:
                    continue
                ino = ns.pop(rel)
                emit(k="unlink", path=rel, ino=ino)

    # ---- power loss ---------------------------------------------------------------------

    NAME_OPS = ("create", "mkdir", "link", "rename", "unlink")

    def durable_at(self, k):
        """(names that must persist, {inode: data ops that must persist}) for a cut before
        operation K."""
        names = 0
        committed = 0
        touched = {}
        nwrites, synced = {}, {}
        for op in self.ops[:k]:
            kind = op["k"]
            if kind in self.NAME_OPS:
                names += 1
                touched[op["ino"]] = names
                parent = os.path.dirname(op["path"]) or "."
                touched[("dir", parent)] = names
                if kind == "rename":
                    touched[("dir", os.path.dirname(op["src"]) or ".")] = names
            elif kind in ("write", "trunc"):
                nwrites[op["ino"]] = nwrites.get(op["ino"], 0) + 1
                # the inode's times (and its size, when it changes) join the running
                # transaction: its fsync commits it, its fdatasync only for a size change
                touched[("any", op["ino"])] = names
                if op.get("extends"):
                    touched[("size", op["ino"])] = names
            elif kind == "sync":
                ino = op["ino"]
                synced[ino] = nwrites.get(ino, 0)
                data_only = op.get("call") == "fdatasync"
                committed = max(committed, touched.get(ino, 0),
                                touched.get(("size" if data_only else "any", ino), 0),
                                touched.get(("dir", op["path"]), 0))
            elif kind == "syncall":
                committed = names
                synced = dict(nwrites)
        return committed, names, synced, nwrites

    def state(self, k, names, data_mode, torn_ino=None):
        """The store as a cut before operation K leaves it, keeping NAMES name operations and,
        per file, its synced writes ("synced") or all of them ("all"); TORN_INO gets its last
        unsynced write cut in half. Returns {path: bytes or None (a directory)}."""
        _, _, synced, nwrites = self.durable_at(k)
        ns = dict(self.init_ns)
        data = {i: (bytearray(d) if d is not None else None) for i, d in self.init_data.items()}
        keep = {}
        for ino, n in nwrites.items():
            keep[ino] = n if data_mode == "all" else synced.get(ino, 0)
        torn = None
        if torn_ino is not None and keep.get(torn_ino, 0) < nwrites.get(torn_ino, 0):
            torn = (torn_ino, keep[torn_ino])  # the first unsynced write, torn
        seen_names, seen_writes = 0, {}
        for op in self.ops[:k]:
            kind = op["k"]
            if kind in self.NAME_OPS:
                seen_names += 1
                if seen_names > names:
                    continue
                if kind in ("create", "mkdir"):
                    ns[op["path"]] = op["ino"]
                    data.setdefault(op["ino"], bytearray() if kind == "create" else None)
                elif kind == "link":
                    ns[op["path"]] = op["ino"]
                elif kind == "rename":
                    ns.pop(op["src"], None)
                    ns[op["path"]] = op["ino"]
                else:
                    ns.pop(op["path"], None)
            elif kind in ("write", "trunc"):
                ino = op["ino"]
                n = seen_writes.get(ino, 0)
                seen_writes[ino] = n + 1
                d = data.setdefault(ino, bytearray())
                if n < keep.get(ino, 0):
                    buf = op.get("data")
                elif torn and torn == (ino, n) and kind == "write":
                    buf = op["data"][:(len(op["data"]) // 2) // 512 * 512 or
                                     len(op["data"]) // 2]
                else:
                    continue
                if kind == "trunc":
                    if op["size"] < len(d):
                        del d[op["size"]:]
                    else:
                        d.extend(b"\0" * (op["size"] - len(d)))
                else:
                    off = op["off"]
                    if len(d) < off:
                        d.extend(b"\0" * (off - len(d)))
                    d[off:off + len(buf)] = buf
        out = {}
        for path, ino in ns.items():
            if path == "." or path.endswith("meta.db-shm"):
                continue
            if not reachable(path, ns):
                continue  # a directory above it did not persist
            out[path] = (ino, None if data.get(ino) is None else bytes(data[ino]))
        return out

    def states(self, max_points=None):
        """Distinct crash states: (label, acked, {path: (inode, bytes)}), for a cut after each
        name operation, sync and the ack, each with names at their durable minimum and at
        everything issued, and bytes synced only, all written, or the last write torn."""
        points = [i + 1 for i, op in enumerate(self.ops)
                  if op["k"] in self.NAME_OPS + ("sync", "syncall", "ack", "commit")]
        points.append(len(self.ops))
        points = sorted(set(points))
        if max_points and len(points) > max_points:
            # the cuts right after a commit or the acknowledgement always, the rest evenly
            must = {i + 1 for i, op in enumerate(self.ops) if op["k"] in ("commit", "ack")}
            must.add(points[-1])
            rest = [p for p in points if p not in must]
            room = max(0, max_points - len(must))
            step = len(rest) / room if room else 0
            points = sorted(must | set(rest[int(i * step)] for i in range(room)))
        seen = set()
        ack_at = next((op["i"] for op in self.ops if op["k"] == "ack"), None)
        for k in points:
            committed, names, synced, nwrites = self.durable_at(k)
            # the command exited 0 at the end of its trace: that acknowledges it too
            acked = (ack_at is not None and k > ack_at) or k == len(self.ops)
            last_write = next((op["ino"] for op in reversed(self.ops[:k])
                               if op["k"] == "write"), None)
            for n, mode, torn in ((committed, "synced", None), (committed, "all", None),
                                  (names, "synced", None), (names, "all", None),
                                  (names, "synced", last_write), (committed, "synced",
                                                                  last_write)):
                st = self.state(k, n, mode, torn)
                h = hashlib.sha256()
                for p in sorted(st):
                    h.update(p.encode() + b"\0")
                    h.update(b"D" if st[p][1] is None else hashlib.sha256(st[p][1]).digest())
                    h.update(str(st[p][0]).encode())
                key = (h.hexdigest(), acked)
                if key in seen:
                    continue
                seen.add(key)
                label = "cut before op %d/%d (%s), names %d of %d, bytes %s%s" % (
                    k, len(self.ops), self.describe(k - 1), n, names, mode,
                    ", last write torn" if torn else "")
                yield label, acked, st

    def without(self, drop):
        """A copy of this trace without the operations DROP(op) selects (the model's own test:
        a trace that lost an fsync must lead to a state that fails)."""
        t = copy.copy(self)
        t.ops = []
        for op in self.ops:
            if not drop(op):
                op = dict(op, i=len(t.ops))
                t.ops.append(op)
        return t

    def describe(self, i):
        if i < 0:
            return "start"
        op = self.ops[i]
        return "%s %s" % (op["k"], op.get("path", ""))

    def materialize(self, st, dest):
        """Write state ST as directory DEST (hard links kept)."""
        os.makedirs(dest)
        first = {}
        for path in sorted(st, key=lambda p: (p.count("/"), p)):
            ino, data = st[path]
            full = os.path.join(dest, path)
            if data is None:
                os.makedirs(full, exist_ok=True)
                os.chmod(full, self.init_mode.get(ino, 0o700))
                continue
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if ino in first:
                os.link(first[ino], full)
                continue
            with open(full, "wb") as f:
                f.write(data)
            os.chmod(full, self.init_mode.get(ino, 0o600))
            first[ino] = full
