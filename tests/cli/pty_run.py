#!/usr/bin/env python3
"""pty_run.py - run a command on a pseudo-terminal, as a user at a terminal would.

usage: pty_run.py [--expect TEXT --send LINE]... -- COMMAND [ARG...]

The command's stdin, stdout and stderr are the terminal (a shell's redirections inside
COMMAND can move any of them). Each --expect waits until TEXT has appeared in the terminal's
output since the previous one, then the following --send types LINE and a newline: waiting
matters, as lethe flushes pending input when it turns echo off. Everything the terminal showed
is printed on stdout; the exit status is the command's (128 + N when killed by signal N, 124
when it is still running after 30 s or an expected text never came).
"""
import os
import pty
import select
import signal
import sys
import time

TIMEOUT = 30.0


def main():
    argv = sys.argv[1:]
    steps = []
    while argv and argv[0] != "--":
        if len(argv) < 4 or argv[0] != "--expect" or argv[2] != "--send":
            sys.exit("usage: pty_run.py [--expect TEXT --send LINE]... -- COMMAND [ARG...]")
        steps.append((argv[1].encode(), argv[3].encode()))
        argv = argv[4:]
    if not argv or len(argv) < 2:
        sys.exit("pty_run.py: no command")
    command = argv[1:]

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    deadline = time.monotonic() + TIMEOUT
    seen = b""
    unmatched = 0  # where the next --expect starts looking
    status = None

    def read_some():
        nonlocal seen
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        seen += data
        return True

    for text, line in steps:
        while seen.find(text, unmatched) < 0:
            if not read_some():
                break
        at = seen.find(text, unmatched)
        if at < 0:
            break
        unmatched = at + len(text)
        os.write(fd, line + b"\n")
    while read_some():
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            # drain what is left
            while True:
                r, _, _ = select.select([fd], [], [], 0.1)
                if not r:
                    break
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                seen += data
            break
    if status is None:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(seen)
            sys.exit(124)
        _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(seen)
    sys.stdout.flush()
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
