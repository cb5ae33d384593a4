"""Output locations: checked before any work starts, and write failures as one clear line.

Every command that writes (``train -o``, ``export --onnx``, ``predict -o``, ``evaluate --plot``
/ ``--plot-attention``) checks its output location first, so a folder it cannot write to
fails in a moment instead of after a whole training run. The check really writes: it creates
and removes a temporary file in the folder, since mode bits say little for root, ACLs,
read-only mounts or a container user that does not own a bind mount.

A write that still fails later (disk full, permissions changed meanwhile) becomes an
:class:`~forecastr.errors.OutputError` through :func:`write_error`; the writers remove their
temporary files first, so nothing half-written is left behind.

This module imports nothing heavy: the CLI calls it before torch or pandas are loaded.
"""

from __future__ import annotations

import errno
import os
import tempfile

from forecastr.errors import InputError, OutputError

# Set by the Dockerfile; /.dockerenv (Docker) and /run/.containerenv (Podman) are the
# engines' own markers.
CONTAINER_ENV = "FORECASTR_IN_CONTAINER"
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
MODEL_CONFIG = "config.json"  # artifact.CONFIG (not imported: artifact pulls in numpy)
USER_FIX = '--user "$(id -u):$(id -g)"'


def in_container() -> bool:
    """True when forecastr runs inside a container (marker file or FORECASTR_IN_CONTAINER)."""
    if os.environ.get(CONTAINER_ENV, "").strip() not in {"", "0"}:
        return True
    return any(os.path.exists(marker) for marker in CONTAINER_MARKERS)


def probe_writable(directory: str) -> None:
    """Create and remove a temporary file in ``directory``; raises OSError when that fails."""
    fd, tmp = tempfile.mkstemp(prefix=".forecastr-probe-", suffix=".tmp", dir=directory)
    os.close(fd)
    os.unlink(tmp)


def fix_hint(err: OSError | None) -> str:
    """The one-clause fix for a failed write (a leading '; '), container-aware."""
    code = getattr(err, "errno", None)
    if code in {errno.EACCES, errno.EPERM}:
        if in_container():
            uid = os.getuid() if hasattr(os, "getuid") else "?"
            return (
                f"; the container runs as uid {uid}, which may not write there: run it as the "
                f"folder's owner with {USER_FIX}, or choose another path"
            )
        return "; make the folder writable or choose another path"
    if code == errno.EROFS:
        extra = " (or mount it read-write)" if in_container() else ""
        return f"; it is on a read-only file system: choose another path{extra}"
    if code in {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}:
        return "; free some space or choose another path"
    return "; choose another path"


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def write_error(path: str | os.PathLike, err: OSError, *, what: str = "") -> OutputError:
    """One line for a write that failed after the early check (nothing was left behind)."""
    kept = "any earlier model is intact" if what == "model" else "any earlier file is intact"
    noun = f"could not write the {what}" if what else "could not write"
    return OutputError(
        f"{os.fspath(path)}: {noun} ({_reason(err)}); nothing was written, {kept}{fix_hint(err)}"
    )


def permission_error(err: PermissionError) -> OutputError:
    """A PermissionError no writer translated (the CLI's last resort: never 'internal error')."""
    where = err.filename if err.filename is not None else "a file"
    if in_container():  # it may have been a read as well as a write: no "make it writable"
        uid = os.getuid() if hasattr(os, "getuid") else "?"
        fix = f"; the container runs as uid {uid}: run it as the files' owner with {USER_FIX}"
    else:
        fix = "; check its permissions or choose another path"
    return OutputError(f"{where}: {_reason(err)}{fix}")


def _nearest_existing(path: str) -> str:
    """``path`` or its closest ancestor that exists."""
    current = path
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return current


# Temporary siblings are named ``.<name>.<marker>-<random>``: a name must leave them room.
TEMP_NAME_ROOM = 48


def _check_name(path: str, target: str, flag: str) -> None:
    """Refuse a path the file system cannot hold, before any work: a component longer than
    the name limit (less the room its temporary sibling needs), or a path past PATH_MAX."""
    try:
        name_max = os.pathconf(_nearest_existing(os.path.dirname(target)), "PC_NAME_MAX")
        path_max = os.pathconf(_nearest_existing(os.path.dirname(target)), "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows): the usual limits
        name_max, path_max = 255, 4096
    if len(os.fsencode(target)) + TEMP_NAME_ROOM >= path_max:
        raise OutputError(f"{path[:80]}...: the path is too long; choose a shorter {flag}")
    parts = target.split(os.sep)
    for i, part in enumerate(parts):
        room = TEMP_NAME_ROOM if i == len(parts) - 1 else 0
        if len(os.fsencode(part)) + room > name_max:
            raise OutputError(
                f"{path[:80]}...: the name {part[:40]}... is too long ({len(os.fsencode(part))} "
                f"bytes; this file system allows {name_max - room} here); choose a shorter {flag}"
            )


def _check_folder(path: str, directory: str, flag: str) -> None:
    """``directory`` (the folder that will receive ``target``) exists or can be created, and
    the current user can write in it (or in the ancestor the missing part will be made in)."""
    anchor = _nearest_existing(directory)
    if not os.path.isdir(anchor):
        made = "" if anchor == directory else f"cannot create the folder {directory}: "
        raise OutputError(f"{path}: {made}{anchor} is a file, not a folder; choose another {flag}")
    try:
        probe_writable(anchor)
    except OSError as err:
        raise OutputError(
            f"{path}: cannot write to the folder {anchor} ({_reason(err)}){fix_hint(err)}"
        ) from None


def check_file(
    path: str | os.PathLike,
    *,
    flag: str,
    create_parents: bool,
    example: str = "out.csv",
) -> str:
    """Check where a file output will go; returns its absolute path.

    Args:
        path: the file to write (it may exist: it is replaced atomically).
        flag: the option that named it, for the message (``-o``, ``--onnx``, ``--plot``).
        create_parents: the writer creates missing folders (plots); otherwise the folder must
            exist already (``predict -o``, ``export --onnx``).
        example: a file name for the "is a folder" message.

    Raises:
        InputError: the path is a folder, or (``create_parents=False``) its folder is missing.
        OutputError: the folder cannot be created or written to.
    """
    shown = os.fspath(path)
    target = os.path.abspath(shown)
    if os.path.isdir(target):
        raise InputError(f"{shown}: is a folder; pass a file name such as {example}")
    _check_name(shown, target, flag)
    directory = os.path.dirname(target)
    if not create_parents and not os.path.isdir(directory):
        if os.path.lexists(directory):
            raise OutputError(f"{shown}: {directory} is not a folder; choose another {flag}")
        raise InputError(
            f"{shown}: the folder {directory} does not exist; create it or choose another {flag}"
        )
    _check_folder(shown, directory, flag)
    return target


def check_model_dir(path: str | os.PathLike, *, flag: str = "-o") -> str:
    """Check where a model directory will be written; returns its absolute path.

    The directory may be missing (it is created, with its parents, through a temporary
    sibling: the parent folder must be writable), empty, or an earlier model (replaced in
    place, new files beside the old and config.json swapped in by rename: the model folder
    must be writable too).

    Raises:
        InputError: the path is a file, or a non-empty folder that is not a forecastr model.
        OutputError: the folder cannot be created, read or written to.
    """
    shown = os.fspath(path)
    target = os.path.abspath(shown)
    _check_name(shown, target, flag)
    if os.path.lexists(target) and not os.path.isdir(target):
        raise InputError(f"{shown}: exists and is not a model directory; choose another {flag}")
    if os.path.isdir(target):
        try:
            entries = os.listdir(target)
        except OSError as err:
            raise OutputError(
                f"{shown}: cannot read the folder ({_reason(err)}){fix_hint(err)}"
            ) from None
        if entries and not os.path.exists(os.path.join(target, MODEL_CONFIG)):
            raise InputError(
                f"{shown}: a non-empty folder that is not a forecastr model; choose another {flag}"
            )
        if entries:  # an earlier model: its new files are written inside it
            _check_folder(shown, target, flag)
    _check_folder(shown, os.path.dirname(target), flag)
    return target
