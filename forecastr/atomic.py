"""Atomic file writes: write beside the target, then rename, so a reader (or an interrupted
run) never sees half a file and an earlier file stays intact until the new one is complete.

Outputs are meant to be shared: files get the mode ``open()`` would have given them (0666 less
the umask) and directories the mode ``mkdir`` would have (0777 less the umask), not the
0600/0700 of ``mkstemp``/``mkdtemp``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from forecastr.outputs import write_error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _umask_mode() -> int:
    """0666 less the process umask: the mode ``open()`` would have given the file."""
    return 0o666 & ~_umask()


def _umask_dir_mode() -> int:
    """0777 less the process umask: the mode ``mkdir`` would have given the directory."""
    return 0o777 & ~_umask()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    On any exception (KeyboardInterrupt included) the temporary file is removed and ``path``
    is left as it was. When the temporary file cannot be created, or the final rename fails,
    the OSError becomes one :class:`~forecastr.errors.OutputError` line; errors raised by the
    caller's own writes pass through unchanged.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise write_error(target, err) from None
    os.close(fd)
    try:
        yield tmp
        try:
            os.chmod(tmp, _umask_mode())  # mkstemp creates 0600; outputs are meant to be shared
            os.replace(tmp, target)
        except OSError as err:
            raise write_error(target, err) from None
    except BaseException:
        with contextlib.suppress(OSError):  # never hide the original error behind this one
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
