#!/usr/bin/env python3
"""on_tty.py - run a command with a terminal, for the end-to-end suites.

usage: on_tty.py [--stdout FILE] [--stdin FILE] [--cols N] CMD [ARGS...]

stderr (and stdout, unless --stdout redirects it to FILE) of CMD is a pseudo-terminal;
everything CMD wrote to it is copied to our stdout, and we exit with CMD's status (128 + the
signal number if a signal ended it). stdin is FILE, or /dev/null.
"""
import fcntl
import os
import struct
import subprocess
import sys
import termios


def main(argv):
    out_path = in_path = None
    cols = 100
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--stdout":
            out_path = argv.pop(0)
        elif opt == "--stdin":
            in_path = argv.pop(0)
        elif opt == "--cols":
            cols = int(argv.pop(0))
        else:
            sys.exit("on_tty.py: unknown option " + opt)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    stdout = open(out_path, "wb") if out_path else slave
    stdin = open(in_path, "rb") if in_path else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=slave)
    os.close(slave)
    captured = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal has closed it
            break
        if not chunk:
            break
        captured += chunk
    rc = proc.wait()
    sys.stdout.buffer.write(bytes(captured))
    sys.stdout.flush()
    sys.exit(128 - rc if rc < 0 else rc)


main(sys.argv[1:])
