"""Atomic file writes: write beside the target, then rename, so a reader (or an interrupted
run) never sees half a file and an earlier file stays intact until the new one is complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask_mode() -> int:
    """0666 less the process umask: the mode ``open()`` would have given the file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    On any exception (KeyboardInterrupt included) the temporary file is removed and ``path``
    is left as it was.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode())  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
