"""The model directory on disk: written so that it always holds one complete model, read so
that nothing outside it is ever opened.

Layout (format 2). ``config.json`` is the manifest: it names the weights file, which is named
by its content (``weights-<first 16 hex of its SHA-256>.safetensors``), and it records the
SHA-256 of the weights and its own (``config_sha256``: over the canonical JSON of the config
without that field; the weights' digest is inside, so the one field covers both files).
Format 1 had a fixed ``weights.safetensors`` and no config digest; it is still read.

Saving over a model writes the new weights file beside the old one, then the new config to a
temporary name, and swaps it in with ONE ``os.replace``: at every instant ``config.json`` is
the old manifest (whose weights are still there) or the new one (whose weights already are).
Only then is the old weights file removed. A new path is built in a temporary sibling folder
and renamed into place (one rename). Each file is fsynced before the rename that publishes it,
and the folder after it.

Saves of one path are serialised by an ``flock`` on ``.<name>.lock`` beside it (removed when
the save ends). That is what makes sweeping the leftovers of crashed saves safe: whatever a
save finds under the lock was left by a save that has ended. Temporary names carry the
writer's pid as a second guard (a temporary file is removed only when that process is gone);
the names of earlier versions (``.<name>.tmp-*``, ``.<name>.old-*``), which carry no pid, only
when untouched for an hour. Nothing that does not match one of these names is ever removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from forecastr.atomic import _umask_dir_mode, _umask_mode
from forecastr.errors import ArtifactError

CONFIG = "config.json"
WEIGHTS_V1 = "weights.safetensors"  # format 1's fixed name
DIGEST_KEY = "config_sha256"
# A config.json holds about 120 bytes per series (id, scaler pair, last training timestamp),
# so 256 MiB is two million series; it stops a foreign multi-GB file before it is read.
MAX_CONFIG_BYTES = 256 << 20
# The weights file holds at most modelcheck.MAX_PARAMS float32 parameters (128 MiB) and
# MAX_CONTEXT_VALUES float64 context values (128 MiB), plus a header: refused above this
# before it is read, so a huge file on disk is never loaded into memory to be hashed.
MAX_WEIGHTS_BYTES = 320 << 20
STALE_S = 3600.0  # an earlier version's temporary folder untouched this long is a leftover

WEIGHTS_RE = re.compile(r"weights-[0-9a-f]{16}\.safetensors")
_TEMP_RE = re.compile(r"\.(?:weights|config\.json)\.tmp-(\d+)-\w+")  # inside the model folder

# The named steps of a save, in order; ``_on_step`` (tests only) is called after each.
STEPS = ("locked", "weights-written", "weights-named", "config-written", "swapped", "old-removed")
_on_step: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if _on_step is not None:
        _on_step(name)


# ------------------------------------------------------------------------------------------
# names and digests


def weights_name(digest: str) -> str:
    """The content-derived name of a weights file whose SHA-256 is ``digest``."""
    return f"weights-{digest[:16]}.safetensors"


def config_digest(config: dict) -> str:
    """SHA-256 of the canonical JSON of ``config`` without its own digest field."""
    body = {k: v for k, v in config.items() if k != DIGEST_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# reading: regular files inside the folder only


def read_file(path: str, *, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file ``path`` (and its stat), never through a symbolic link.

    ``lstat`` first, so a link, a FIFO or a device is refused without being opened; then
    ``O_NOFOLLOW`` and ``fstat``, so one swapped in meanwhile is refused too.

    Raises:
        FileNotFoundError: there is no such file (the caller words that message).
        ArtifactError: a link, not a regular file, larger than ``limit``, or unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        _check_regular(path, os.lstat(path), limit)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ArtifactError(_LINK.format(path=path)) from None
        raise ArtifactError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        st = os.fstat(fd)
        _check_regular(path, st, limit)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
    except OSError as err:
        raise ArtifactError(f"{path}: cannot be read ({err.strerror or err})") from None
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:  # it grew after the fstat
        raise ArtifactError(_TOO_BIG.format(path=path, size=len(data), limit=limit))
    return data, st


_LINK = (
    "{path}: is a symbolic link; a model directory must hold its own files "
    "(replace the link by a copy of the file)"
)
_TOO_BIG = "{path}: {size} bytes, more than the {limit} this file of a model may have; not a model"


def _check_regular(path: str, st: os.stat_result, limit: int | None) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise ArtifactError(_LINK.format(path=path))
    if not stat.S_ISREG(st.st_mode):
        raise ArtifactError(
            f"{path}: is not a regular file; a model directory holds only regular files"
        )
    if limit is not None and st.st_size > limit:
        raise ArtifactError(_TOO_BIG.format(path=path, size=st.st_size, limit=limit))


def changed_since(path: str, seen: os.stat_result) -> bool:
    """True when ``path`` is no longer the file ``seen`` (a save swapped a new one in)."""
    try:
        now = os.lstat(path)
    except OSError:
        return True
    return (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino)


# ------------------------------------------------------------------------------------------
# writing


def write_model(
    path: str,
    write_weights: Callable[[str], None],
    render_config: Callable[[str, str], bytes],
) -> bool:
    """Write a model at ``path`` (absolute, checked) atomically; True if it replaced one.

    Args:
        path: the model directory: absent, empty, or an earlier model.
        write_weights: writes the safetensors file at the path it is given.
        render_config: ``(weights file name, its sha256) -> config.json bytes``.
    """
    parent, name = os.path.split(path)
    with _locked(parent, name) as locked:
        _step("locked")
        _sweep(parent, name, locked=locked, keep=None)
        replaced = os.path.lexists(os.path.join(path, CONFIG))
        if replaced:
            weights = _write_in_place(path, write_weights, render_config)
        else:
            weights = _write_fresh(path, write_weights, render_config)
        _sweep(parent, name, locked=locked, keep=weights)
        _fsync(path)
        _step("old-removed")
    return replaced


def _write_in_place(path: str, write_weights, render_config) -> str:
    """New weights beside the old, then one ``os.replace`` of config.json."""
    undo: list[str] = []
    try:
        name, digest = _write_weights(path, write_weights, undo)
        tmp = _write_config(path, render_config(name, digest), undo)
        os.replace(tmp, os.path.join(path, CONFIG))
        undo.clear()  # the new model is in: its files are no longer ours to remove
    except BaseException:
        _remove_files(undo)
        raise
    _fsync(path)
    _step("swapped")
    return name


def _write_fresh(path: str, write_weights, render_config) -> str:
    """Both files in a temporary sibling folder, renamed into place (over an empty folder)."""
    parent, base = os.path.split(path)
    tmp_dir = tempfile.mkdtemp(prefix=f".{base}.tmp-{os.getpid()}-", dir=parent)
    try:
        name, digest = _write_weights(tmp_dir, write_weights, [])
        tmp = _write_config(tmp_dir, render_config(name, digest), [])
        os.replace(tmp, os.path.join(tmp_dir, CONFIG))
        os.chmod(tmp_dir, _umask_dir_mode())  # mkdtemp makes 0700; mkdir would not
        _fsync(tmp_dir)
        os.rename(tmp_dir, path)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)  # gone already if the rename went through
        raise
    _fsync(parent)
    _step("swapped")
    return name


def _write_weights(directory: str, write_weights, undo: list[str]) -> tuple[str, str]:
    """Write, fsync and hash the weights under a temporary name, then give them their own."""
    tmp = _temp_file(directory, "weights", undo)
    write_weights(tmp)
    os.chmod(tmp, _umask_mode())
    digest = _hash_and_fsync(tmp)
    _step("weights-written")
    name = weights_name(digest)
    final = os.path.join(directory, name)
    if not os.path.lexists(final):  # an identical file already there is the live model's
        undo.append(final)
    os.rename(tmp, final)
    _fsync(directory)  # the weights' name is durable before any config names it
    _step("weights-named")
    return name, digest


def _write_config(directory: str, data: bytes, undo: list[str]) -> str:
    tmp = _temp_file(directory, CONFIG, undo)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, _umask_mode())
    _step("config-written")
    return tmp


def _temp_file(directory: str, stem: str, undo: list[str]) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.tmp-{os.getpid()}-", dir=directory)
    os.close(fd)
    undo.append(tmp)
    return tmp


def _remove_files(paths: list[str]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):  # never hide the original error behind this one
            os.unlink(p)


def _hash_and_fsync(path: str) -> str:
    digest = sha256_file(path)
    _fsync(path)
    return digest


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------
# the save lock


@contextmanager
def _locked(parent: str, name: str) -> Iterator[bool]:
    """Hold the save lock of ``parent/name``; yields False where none can be had (no
    ``fcntl``, or a file system without locks), and the save then removes only its own
    temporary files and those of processes that are gone."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield False
        return
    lock = os.path.join(parent, f".{name}.lock")
    fd = _acquire(fcntl, lock)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # while still held: a waiter then finds it gone and starts again
        os.close(fd)


def _acquire(fcntl, lock: str) -> int | None:
    flags = os.O_RDONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        try:
            fd = os.open(lock, flags, _umask_mode())
        except OSError:
            return None  # not ours to fix here: the write that follows reports the folder
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = os.stat(lock, follow_symlinks=False)
        except FileNotFoundError:  # the holder before us removed it after we opened it
            os.close(fd)
            continue
        except OSError:  # ENOLCK, EOPNOTSUPP: a file system without locks
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        mine = os.fstat(fd)
        if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            return fd
        os.close(fd)  # a newer lock file took its place: lock that one


# ------------------------------------------------------------------------------------------
# leftovers of crashed saves


def _sweep(parent: str, name: str, *, locked: bool, keep: str | None) -> None:
    """Remove what crashed saves of ``parent/name`` left behind.

    Before a save (``keep`` None): temporary files and folders of processes that are gone.
    After it (``keep`` the new weights' name): also weights files the new config does not
    name (under the lock only), and earlier versions' temporary folders untouched for
    ``STALE_S`` (one of them may be the only copy of a model until a new one is in place).
    """
    new_tmp = re.compile(rf"\.{re.escape(name)}\.tmp-(\d+)-\w+")
    legacy = re.compile(rf"\.{re.escape(name)}\.(?:tmp|old)-[a-z0-9_]{{8}}")
    for entry in _listdir(parent):
        full = os.path.join(parent, entry)
        if _dead_temp(new_tmp, entry) or (keep and legacy.fullmatch(entry) and _stale(full)):
            _remove_tree(full)
    model = os.path.join(parent, name)
    for entry in _listdir(model):
        orphan = locked and keep is not None and entry != keep and _is_weights(entry)
        if orphan or _dead_temp(_TEMP_RE, entry):
            _remove_regular(os.path.join(model, entry))


def _dead_temp(pattern: re.Pattern, entry: str) -> bool:
    """``entry`` is a temporary name of ours whose writer (the pid in it) is gone."""
    m = pattern.fullmatch(entry)
    return m is not None and not _alive(int(m[1]))


def _is_weights(name: str) -> bool:
    return name == WEIGHTS_V1 or WEIGHTS_RE.fullmatch(name) is not None


def _alive(pid: int) -> bool:
    """True unless process ``pid`` is certainly gone (on doubt, keep its files)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # PermissionError: it exists, as another user
    return True


def _stale(path: str) -> bool:
    try:
        return time.time() - os.lstat(path).st_mtime > STALE_S
    except OSError:
        return False


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _remove_tree(path: str) -> None:
    """A folder of ours (never a link: ``rmtree`` does not follow links inside either)."""
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path, ignore_errors=True)


def _remove_regular(path: str) -> None:
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
