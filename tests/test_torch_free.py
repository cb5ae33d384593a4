"""The edge install never imports torch: ONNX predict (intervals too), info and baseline-only
evaluate.

Each command runs in a fresh interpreter (``python -c``) through the real CLI entry point;
afterwards the interpreter asserts that ``torch`` is not in ``sys.modules``. One more run
makes ``import torch`` fail outright, as on a device where torch is not installed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_export import tiny_model_dir
from test_runtime import write_long_csv

from forecastr.data import load_csv
from forecastr.export import export_onnx

INTERVAL_HEADER = "unique_id,ds,forecast,lo-80,hi-80,lo-95,hi-95,q-0.5"

# Runs the CLI's main() with the given argv, then checks what was imported.
CHILD = """
import os, sys
def _exit(code):  # a main() that skips teardown with os._exit must still reach the check
    raise SystemExit(code)
os._exit = _exit
if {block}:
    sys.modules["torch"] = None  # `import torch` now raises ImportError
    sys.modules["safetensors"] = None  # nor is safetensors in the edge install
sys.argv = ["forecastr", *{args!r}]
from forecastr.cli import main
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
sys.stdout.flush()
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
if {block}:
    loaded = [m for m in loaded if sys.modules[m] is not None]
assert not loaded, f"torch was imported: {{loaded[:5]}}"
print("torch-free: checked", file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edge")
    csv = write_long_csv(tmp / "data.csv")
    panel = load_csv(csv)
    tiny_model_dir(tmp / "m", panel=panel, cell="lstm")
    export_onnx(tmp / "m", tmp / "m.onnx")
    tiny_model_dir(tmp / "q", panel=panel, cell="gru", levels=(80.0, 95.0), quantiles=(0.5,))
    export_onnx(tmp / "q", tmp / "q.onnx")
    return tmp, csv


def run_cli(cwd, *args: str, block: bool = False) -> subprocess.CompletedProcess:
    code = CHILD.format(args=list(args), block=block)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args, expect",
    [
        (["predict", "m.onnx", "data.csv"], "unique_id,ds,forecast\nid0,2022-07-01"),
        (["predict", "m.onnx"], "unique_id,ds,forecast\nid0,2022-07-01"),
        (["predict", "q.onnx", "data.csv"], f"{INTERVAL_HEADER}\nid0,2022-07-01"),
        (["info", "data.csv", "--json"], '"series": 3'),
        (["evaluate", "data.csv"], "seasonal"),
    ],
    ids=[
        "predict-onnx-csv",
        "predict-onnx-stored",
        "predict-intervals",
        "info",
        "evaluate-baselines",
    ],
)
def test_cli_commands_do_not_import_torch(files, args, expect):
    tmp, _ = files
    proc = run_cli(tmp, *args)
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    assert expect in proc.stdout


@pytest.mark.parametrize(
    "model, header", [("m.onnx", "unique_id,ds,forecast"), ("q.onnx", INTERVAL_HEADER)]
)
def test_onnx_predict_works_where_torch_cannot_be_imported(files, model, header):
    tmp, _ = files
    proc = run_cli(tmp, "predict", model, "data.csv", "-o", "out.csv", block=True)
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    assert (tmp / "out.csv").read_text().startswith(header + "\n")


def test_a_theta_only_model_directory_forecasts_where_torch_cannot_be_imported(tmp_path):
    """A model of series too short for a network (forecastr/thetaonly.py) holds no network:
    its directory forecasts, with intervals, without torch or safetensors."""
    from forecastr import api

    rows = "\n".join(f"{2000 + t}-01-01,{100 + 3 * t + (t % 3)}" for t in range(14))
    (tmp_path / "y.csv").write_text("ds,y\n" + rows + "\n")
    api.train(str(tmp_path / "y.csv"), horizon=6, levels="80,95", out=str(tmp_path / "m"))
    expected = api.predict(str(tmp_path / "m"))
    proc = run_cli(tmp_path, "predict", "m", "-o", "out.csv", block=True)
    assert proc.returncode == 0, proc.stderr
    assert "torch-free: checked" in proc.stderr
    got = (tmp_path / "out.csv").read_text().splitlines()
    assert got[0] == "unique_id,ds,forecast,lo-80,hi-80,lo-95,hi-95" and len(got) == 7
    assert float(got[1].split(",")[2]) == pytest.approx(expected["forecast"].iloc[0], rel=1e-6)


def test_runtime_intervals_do_not_import_torch(files):
    """The Python API: ``predict_quantiles`` of a model with intervals, torch blocked."""
    tmp, _ = files
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from forecastr.runtime import OnnxPredictor\n"
        "fc = OnnxPredictor.from_onnx('q.onnx')\n"
        "point, q = fc.predict_quantiles(fc.context[0], fc.ids)\n"
        "assert q.shape == (3, fc.horizon, 5) and fc.network_quantiles[0] == 0.025, q.shape\n"
        "bad = [m for m in sys.modules if m.startswith('torch') and sys.modules[m] is not None]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_import_runtime_does_not_import_torch():
    code = (
        "import sys, forecastr.runtime\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'onnx', 'sklearn')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("args", [["train", "data.csv"], ["export", "m", "--onnx", "x.onnx"]])
def test_torch_commands_say_how_to_install_it(files, args):
    tmp, _ = files
    proc = run_cli(tmp, *args, block=True)
    assert proc.returncode == 6, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "pip install 'forecastr[full]'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
