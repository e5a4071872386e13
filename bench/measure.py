"""Timing and peak memory of one child process, shared by the benchmarks.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`): on Linux a child's ru_maxrss starts at
its parent's RSS when it is forked, so a child forked straight from a benchmark script that
holds a 50 MB document would be charged the script's memory. GNU time is a small process, and
reports the rusage of the child it forks. Wall time is measured around the whole thing (time's
own start-up, ~1 ms, is paid by every command alike).
"""
import os
import subprocess
import sys
import tempfile
import time

TIME = "/usr/bin/time"


def timed(cmd, cwd, env=None):
    """(wall seconds, peak RSS in KiB, exit status) of `cmd`, output discarded."""
    if not os.path.exists(TIME):
        sys.exit(f"{TIME} (GNU time) is needed for peak RSS: apt-get install time")
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        child = subprocess.Popen([TIME, "-f", "%M", "-o", out.name, *cmd], cwd=cwd, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status = child.wait()
        wall = time.perf_counter() - start
        text = out.read().strip().splitlines()
    # GNU time writes "Command exited with non-zero status N" before the number when N != 0.
    return wall, int(text[-1]) if text and text[-1].isdigit() else 0, status
