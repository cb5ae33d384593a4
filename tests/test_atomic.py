"""Atomic writes: all or nothing, and the file gets the mode open() would have given it."""

import os
import stat

import pytest

from forecastr.atomic import atomic_path


def test_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        with open(tmp, "w") as fh:
            fh.write("half a fi")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with atomic_path(target) as tmp, open(tmp, "w") as fh:
        fh.write("new")
    assert target.read_text() == "new"


def test_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.png") as tmp, open(tmp, "w") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.png").stat().st_mode) == 0o644


def test_dir_mode_follows_umask():
    from forecastr.atomic import _umask_dir_mode

    old = os.umask(0o027)
    try:
        assert _umask_dir_mode() == 0o750
        assert os.umask(0o027) == 0o027  # the helper left the process umask as it was
    finally:
        os.umask(old)


def test_a_failed_rename_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    from forecastr.errors import OutputError

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with (
        pytest.raises(OutputError, match="nothing was written"),
        atomic_path(tmp_path / "f") as tmp,
        open(tmp, "w") as fh,
    ):
        fh.write("x")
    assert list(tmp_path.iterdir()) == []
