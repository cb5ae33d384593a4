"""A time limit for one fuzz example: a hang becomes a :class:`Hang` failure, not a stuck run.

Shared by ``test_fuzz_csv.py`` and ``test_fuzz_models.py`` (and the ``bench/fuzz_*`` scripts
that reuse them). POSIX only: it arms ``SIGALRM`` with an interval timer.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Hang(Exception):
    """An example ran past its time limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def fire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
