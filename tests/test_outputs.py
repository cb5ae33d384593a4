"""Output locations are checked before any work starts; later write failures are one clean
line; nothing half-written is left behind; outputs get the umask's modes."""

from __future__ import annotations

import errno
import os
import stat

import numpy as np
import pytest

from forecastr import outputs
from forecastr.atomic import atomic_path
from forecastr.cli import app
from forecastr.errors import ForecastrError, InputError, OutputError
from forecastr.outputs import check_file, check_model_dir

USER_FIX = '--user "$(id -u):$(id -g)"'


@pytest.fixture(autouse=True)
def not_in_a_container(monkeypatch):
    """Tests decide whether forecastr believes it runs in a container (the host might)."""
    monkeypatch.delenv(outputs.CONTAINER_ENV, raising=False)
    monkeypatch.setattr(outputs, "CONTAINER_MARKERS", ())


@pytest.fixture
def read_only(monkeypatch):
    """Make every folder under the given ones unwritable, as a real probe would find it.

    Works as root too (root writes through mode bits, so chmod alone proves nothing there).
    """
    blocked: list[str] = []
    real = outputs.probe_writable

    def probe(directory: str) -> None:
        if any(os.path.abspath(directory).startswith(str(b)) for b in blocked):
            raise PermissionError(errno.EACCES, "Permission denied", directory)
        real(directory)

    monkeypatch.setattr(outputs, "probe_writable", probe)
    return blocked


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def one_line(res, code: int) -> str:
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in res.output and "internal error" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# ------------------------------------------------------------------------------------------
# the checks themselves


def test_writable_locations_are_accepted_and_the_probe_leaves_nothing(tmp_path):
    assert check_file(tmp_path / "f.csv", flag="-o", create_parents=False) == str(
        tmp_path / "f.csv"
    )
    (tmp_path / "f.csv").write_text("old")  # an existing file is replaced atomically later
    check_file(tmp_path / "f.csv", flag="-o", create_parents=False)
    check_model_dir(tmp_path / "model")
    (tmp_path / "empty").mkdir()
    check_model_dir(tmp_path / "empty")
    (tmp_path / "old-model").mkdir()
    (tmp_path / "old-model" / "config.json").write_text("{}")
    check_model_dir(tmp_path / "old-model")
    assert listing(tmp_path) == ["empty", "f.csv", "old-model"]


def test_read_only_folder_is_refused_simulated(tmp_path, read_only):
    read_only.append(str(tmp_path))
    for check in (
        lambda: check_file(tmp_path / "f.csv", flag="-o", create_parents=False),
        lambda: check_file(tmp_path / "new" / "p.png", flag="--plot", create_parents=True),
        lambda: check_model_dir(tmp_path / "model"),
    ):
        with pytest.raises(OutputError) as info:
            check()
        msg = str(info.value)
        assert f"cannot write to the folder {tmp_path}" in msg
        assert "Permission denied" in msg and "make the folder writable" in msg
        assert USER_FIX not in msg  # not in a container
        assert "\n" not in msg
    assert listing(tmp_path) == []  # the missing parent was not created


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes through mode 0555"
)
def test_read_only_folder_is_refused_for_real(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            check_file(folder / "f.csv", flag="-o", create_parents=False)
        with pytest.raises(OutputError, match="Permission denied"):
            check_model_dir(folder / "model")
    finally:
        folder.chmod(0o755)


def test_in_a_container_the_line_says_run_with_user(tmp_path, read_only, monkeypatch):
    read_only.append(str(tmp_path))
    monkeypatch.setenv(outputs.CONTAINER_ENV, "1")
    with pytest.raises(OutputError) as info:
        check_model_dir(tmp_path / "model")
    msg = str(info.value)
    assert str(tmp_path / "model") in msg and USER_FIX in msg and f"uid {os.getuid()}" in msg


def test_container_detection(monkeypatch, tmp_path):
    assert not outputs.in_container()
    monkeypatch.setenv(outputs.CONTAINER_ENV, "0")
    assert not outputs.in_container()
    monkeypatch.setenv(outputs.CONTAINER_ENV, "1")
    assert outputs.in_container()
    monkeypatch.delenv(outputs.CONTAINER_ENV)
    marker = tmp_path / ".dockerenv"
    marker.touch()
    monkeypatch.setattr(outputs, "CONTAINER_MARKERS", (str(marker),))
    assert outputs.in_container()


def test_path_that_is_a_directory_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match=r"is a folder; pass a file name such as model\.onnx"):
        check_file(tmp_path / "out", flag="--onnx", create_parents=False, example="model.onnx")
    with pytest.raises(InputError, match="is a folder"):
        check_file(tmp_path / "out", flag="--plot", create_parents=True)


def test_model_dir_that_is_a_file_or_a_foreign_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="exists and is not a model directory"):
        check_model_dir(tmp_path / "file")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(InputError, match="not a forecastr model"):
        check_model_dir(tmp_path / "photos")


def test_missing_parent_that_can_be_created_is_accepted(tmp_path):
    check_model_dir(tmp_path / "a" / "b" / "model")
    check_file(tmp_path / "a" / "b" / "plot.png", flag="--plot", create_parents=True)
    assert listing(tmp_path) == []  # checking creates nothing


def test_missing_parent_is_refused_where_the_writer_does_not_create_it(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        check_file(tmp_path / "no" / "f.csv", flag="-o", create_parents=False)


def test_missing_parent_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputError, match=r"notes\.txt is a file, not a folder"):
        check_model_dir(tmp_path / "notes.txt" / "sub" / "model")
    with pytest.raises(OutputError, match=r"notes\.txt is a file"):
        check_file(tmp_path / "notes.txt" / "p.png", flag="--plot", create_parents=True)
    with pytest.raises(OutputError, match="is not a folder"):
        check_file(tmp_path / "notes.txt" / "f.csv", flag="-o", create_parents=False)


def test_output_error_is_a_forecastr_error_with_its_own_exit_code():
    assert issubclass(OutputError, ForecastrError)
    codes = {c.exit_code for c in ForecastrError.__subclasses__() if c is not OutputError}
    assert OutputError.exit_code not in codes | {70}


def test_model_config_name_matches_the_artifact():
    from forecastr.artifact import CONFIG

    assert outputs.MODEL_CONFIG == CONFIG


# ------------------------------------------------------------------------------------------
# the CLI checks before it reads, loads or trains anything


def test_train_with_an_unwritable_output_fails_before_reading_or_training(
    runner, tmp_path, monkeypatch, read_only
):
    import forecastr.data as data_mod
    import forecastr.train as train_mod

    def must_not_run(*args, **kwargs):
        raise AssertionError("the output should have been refused first")

    monkeypatch.setattr(train_mod, "fit", must_not_run)
    monkeypatch.setattr(data_mod, "load_csv", must_not_run)
    monkeypatch.setenv(outputs.CONTAINER_ENV, "1")
    read_only.append(str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    out = tmp_path / "data" / "forecastr-model"
    res = runner.invoke(app, ["train", "missing.csv", "-o", str(out), "--epochs", "1000"])
    line = one_line(res, OutputError.exit_code)
    assert str(out) in line and "Permission denied" in line and USER_FIX in line


@pytest.mark.parametrize(
    "args, code",
    [
        # The model and the CSV do not exist: the output is refused before either is opened.
        (["train", "missing.csv", "-o", "{f}"], 2),
        (["predict", "missing-model", "missing.csv", "-o", "{d}"], 2),
        (["export", "missing-model", "--onnx", "{d}"], 2),
        (["evaluate", "missing.csv", "--plot", "{d}"], 2),
        (["evaluate", "missing-model", "missing.csv", "--plot-attention", "{d}"], 2),
        (["predict", "missing-model", "-o", "{ro}/f.csv"], 7),
        (["export", "missing-model", "--onnx", "{ro}/m.onnx"], 7),
        (["evaluate", "missing.csv", "--plot", "{ro}/new/p.png"], 7),
        (["evaluate", "missing-model", "missing.csv", "--plot-attention", "{ro}/a.png"], 7),
        (["train", "missing.csv", "-o", "{ro}/m"], 7),
        (["train", "missing.csv", "-o", "{f}/sub/m"], 7),
    ],
)
def test_every_writing_command_checks_its_output_first(runner, tmp_path, read_only, args, code):
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "ro").mkdir()
    (tmp_path / "a-file").write_text("x")
    read_only.append(str(tmp_path / "ro"))
    paths = {"d": tmp_path / "a-folder", "ro": tmp_path / "ro", "f": tmp_path / "a-file"}
    argv = [a.format(**paths) for a in args]
    line = one_line(runner.invoke(app, argv), code)
    assert "missing" not in line, line  # not the model or the CSV: the output
    assert listing(tmp_path / "ro") == []


# ------------------------------------------------------------------------------------------
# later failures: one line, nothing left behind


def test_atomic_path_turns_a_failed_rename_into_one_line(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with (
        pytest.raises(OutputError, match=r"out\.csv: could not write \(Permission denied\)"),
        atomic_path(target) as tmp,
        open(tmp, "w") as fh,
    ):
        fh.write("new")
    assert target.read_text() == "old"
    assert listing(tmp_path) == ["out.csv"]


def test_atomic_path_turns_a_failed_temp_file_into_one_line(tmp_path, read_only, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setenv(outputs.CONTAINER_ENV, "1")
    with pytest.raises(OutputError) as info, atomic_path(tmp_path / "f.png"):
        pass
    assert USER_FIX in str(info.value)


def test_write_frame_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import pandas as pd

    from forecastr.forecast import write_frame

    frame = pd.DataFrame({"unique_id": ["a"], "ds": [1], "forecast": [1.0]})

    def full_disk(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OutputError, match=r"No space left on device.*free some space"):
        write_frame(frame, str(tmp_path / "f.csv"), "csv")
    assert listing(tmp_path) == []


def test_plot_write_failure_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from forecastr import plot

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    class Fig:
        savefig = staticmethod(refuse)

    with pytest.raises(OutputError, match="could not write the plot"):
        plot._save_atomic(Fig(), tmp_path / "p.png")
    assert listing(tmp_path) == []


def _tiny_state():
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    return {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}


def test_model_save_failure_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import safetensors.torch

    from forecastr import artifact

    state = _tiny_state()
    artifact.save(tmp_path / "m", {"k": 1}, state, {"values": np.zeros((1, 3))})
    before = {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()}

    def full_disk(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", full_disk)
    with pytest.raises(OutputError) as info:
        artifact.save(tmp_path / "m", {"k": 2}, state, {"values": np.zeros((1, 3))})
    msg = str(info.value)
    assert "could not write the model" in msg and "any earlier model is intact" in msg
    assert listing(tmp_path) == ["m"]  # no temporary directory left behind
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").iterdir()} == before


def test_a_stray_permission_error_is_one_line_not_an_internal_error(runner, monkeypatch):
    from forecastr import api

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/data/somewhere")

    monkeypatch.setattr(api, "predict", denied)
    line = one_line(runner.invoke(app, ["predict", "m", "data.csv"]), OutputError.exit_code)
    assert "/data/somewhere: Permission denied" in line


# ------------------------------------------------------------------------------------------
# modes: what the umask says, like every other output


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    "umask, dir_mode, file_mode", [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664)]
)
def test_model_dir_and_files_get_the_umask_modes(tmp_path, umask, dir_mode, file_mode):
    from forecastr import artifact

    state = _tiny_state()
    old = os.umask(umask)
    try:
        for _ in range(2):  # a new model, then one that replaces it (the swap)
            path = artifact.save(tmp_path / "m", {"k": 1}, state, {"values": np.zeros((1, 3))})
            assert _mode(path) == dir_mode
            names = sorted(os.listdir(path))
            assert names[0] == artifact.CONFIG and names[1].startswith("weights-")
            assert len(names) == 2  # the replaced model's weights file is gone
            for name in names:
                assert _mode(os.path.join(path, name)) == file_mode, name
    finally:
        os.umask(old)
    assert listing(tmp_path) == ["m"]


def test_onnx_file_gets_the_umask_mode(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from test_export import tiny_model_dir

    from forecastr.export import export_onnx

    old = os.umask(0o022)
    try:
        model_dir = tiny_model_dir(tmp_path / "m")
        rep = export_onnx(model_dir, tmp_path / "m.onnx")
    finally:
        os.umask(old)
    assert _mode(rep["path"]) == 0o644
    assert _mode(model_dir) == 0o755
    assert listing(tmp_path) == ["m", "m.onnx"]


def test_large_forecasts_are_written_in_digits_not_exponents(tmp_path):
    """A country's population (3.8e8) is written 381762100, to 7 significant digits as
    every value is, not %.7g's 3.817621e+08; smaller values keep %.7g; a NaN stays empty."""
    import pandas as pd

    from forecastr.forecast import write_frame

    frame = pd.DataFrame(
        {
            "unique_id": ["usa", "usa", "tiny"],
            "ds": [2024, 2025, 2024],
            "forecast": [381762134.3, -1.23456789e9, np.nan],
            "lo-80": [12.3456789, 0.5, 3.0],
        }
    )
    text = write_frame(frame, None, "csv")
    assert text is not None
    assert text.splitlines()[1:] == ["usa,2024,381762100,12.34568", "usa,2025,-1234568000,0.5",
                                     "tiny,2024,,3"]  # fmt: skip
    write_frame(frame, str(tmp_path / "f.csv"), "csv")
    assert (tmp_path / "f.csv").read_text() == text
