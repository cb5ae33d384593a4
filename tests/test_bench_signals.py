"""bench/competitions.py's ``stop_children_on_term``: a benchmark stopped by ``kill`` does not
leave the process it waits on running (as ``pkill`` of a benchmark used to leave its
``forecastr train``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import BENCH

CHILD = """
import subprocess, sys
sys.path.insert(0, sys.argv[1])
import competitions
if sys.argv[2] == "1":
    competitions.stop_children_on_term()
SLEEP = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
subprocess.run([sys.executable, "-c", SLEEP])
"""


def _grandchild_after_term(install: bool) -> bool:
    """Start a process that waits on a sleeping child, SIGTERM it, and say whether the
    sleeping child is still alive (and end it either way)."""
    bench = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(BENCH), "1" if install else "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert bench.stdout is not None
    pid = int(bench.stdout.readline())
    bench.send_signal(signal.SIGTERM)
    bench.wait(timeout=30)
    for _ in range(50):  # subprocess.run kills, then waits: give it a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def test_a_killed_benchmark_takes_its_child_with_it():
    assert not _grandchild_after_term(install=True)


def test_without_it_the_child_outlives_the_benchmark():
    assert _grandchild_after_term(install=False)
