#!/usr/bin/env python3
"""Times a command on a pseudo-terminal: ms from fork until its output (ANSI codes removed)
matches a pattern; then Ctrl-C, and the run is waited for (bounded; killed by its pid otherwise).

Used by bench/startup.mjs. Usage: pty_first_output.py RUNS SPECS-JSON, where SPECS-JSON is a list
of [PATTERN, ARGV]; the commands take turns, round by round. Prints one JSON list per spec of
milliseconds, one per run. The terminal is 120x50.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-B]")
LIMIT_S = 15.0


def once(argv, pattern):
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        os.execv(argv[0], argv)
    screen = b""
    ms = None
    deadline = t0 + LIMIT_S
    try:
        while ms is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break  # the command ended
            if not chunk:
                break
            screen += chunk
            if pattern.search(ANSI.sub("", screen.decode("utf-8", "replace"))):
                ms = (time.perf_counter() - t0) * 1000
        if ms is not None:
            os.write(fd, b"\x03")
        # Drain until the command ends (bounded), then reap it; kill it by its pid if it lingers.
        stop = time.perf_counter() + 5.0
        while time.perf_counter() < stop:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    if not os.read(fd, 65536):
                        break
                except OSError:
                    break
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                break
        if pid:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if not done:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    finally:
        os.close(fd)
    if ms is None:
        tail = ANSI.sub("", screen.decode("utf-8", "replace"))[-2000:]
        raise SystemExit(f"never saw {pattern.pattern!r} on the terminal; screen:\n{tail}")
    return ms


def main():
    runs = int(sys.argv[1])
    specs = [(re.compile(p), argv) for p, argv in json.loads(sys.argv[2])]
    samples = [[] for _ in specs]
    for _ in range(runs):
        for i, (pattern, argv) in enumerate(specs):
            samples[i].append(once(argv, pattern))
    print(json.dumps(samples))


main()
