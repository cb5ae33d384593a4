"""The model bundle: a directory holding ``config.json`` and ``weights.safetensors``. No pickle.

``config.json`` carries the format version, every hyperparameter, the data schema, the
per-series scaler parameters, the training history and summary, and package versions.
``weights.safetensors`` holds the network's tensors and, under ``context.*``, the last
``window`` values and timestamps of each series, so ``predict`` needs no CSV. safetensors
is a plain header + raw buffers format: loading it can never run code. The config records
the SHA-256 of the weights file, so a swapped or tampered file is refused.

Saving is atomic: everything is written to a temporary sibling directory, fsynced, then
swapped in by rename; an interrupted save leaves the earlier model as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forecastr import __version__
from forecastr.atomic import _umask_dir_mode, _umask_mode
from forecastr.errors import ArtifactError, InputError
from forecastr.forecast import Schema
from forecastr.outputs import check_model_dir, write_error
from forecastr.scaling import ScalerParams

FORMAT = "forecastr-model"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "weights.safetensors"
DEFAULT_DIR = "forecastr-model"


@dataclass
class Bundle:
    """A loaded model directory (torch objects built lazily by :meth:`forecaster`)."""

    path: str
    config: dict
    tensors: dict  # name -> numpy array

    @property
    def schema(self) -> Schema:
        return Schema.from_dict(self.config["data"])

    @property
    def scaler(self) -> ScalerParams:
        return ScalerParams.from_dict(self.config["scaler"])

    @property
    def window(self) -> int:
        return int(self.config["model"]["window"])

    @property
    def horizon(self) -> int:
        return int(self.config["model"]["horizon"])

    def context(self) -> tuple[np.ndarray, np.ndarray]:
        """(S, window) last values and (S,) last timestamps of the training data."""
        if "context.values" not in self.tensors or "context.last" not in self.tensors:
            raise ArtifactError(
                f"{self.path}: {WEIGHTS} holds no stored context (the training data's last "
                "window); pass a data.csv to forecast from"
            )
        return self.tensors["context.values"], self.tensors["context.last"]

    def last_stamps(self) -> list:
        last = self.tensors["context.last"]
        if self.schema.freq is None:
            return [int(v) for v in last]
        return list(last.astype("datetime64[ns]"))

    def forecaster(self) -> TorchForecaster:
        return TorchForecaster.from_bundle(self)


def save(path: str | os.PathLike, config: dict, state: dict, context: dict) -> str:
    """Write a model directory atomically.

    Args:
        path: the directory to create or replace.
        config: JSON-ready dict (without format fields; they are added here).
        state: the model's ``state_dict`` (torch tensors).
        context: numpy arrays stored as ``context.<name>``.
    """
    import torch
    from safetensors.torch import save_file

    path = check_model_dir(path)  # a file, a foreign folder, an unwritable place: refused
    parent = os.path.dirname(path)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.tmp-", dir=parent)
    except OSError as err:
        raise write_error(path, err, what="model") from None
    try:
        tensors = {f"model.{k}": v.detach().to("cpu").contiguous() for k, v in state.items()}
        for name, arr in context.items():
            tensors[f"context.{name}"] = torch.from_numpy(np.ascontiguousarray(arr))
        weights = os.path.join(tmp, WEIGHTS)
        save_file(tensors, weights, metadata={"format": FORMAT})
        full = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "forecastr_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **config,
            "weights_sha256": _sha256(weights),
            "versions": _versions(),
        }
        with open(os.path.join(tmp, CONFIG), "w") as fh:
            json.dump(full, fh, indent=1, allow_nan=False, default=_json_default)
        _share(tmp)
        _fsync_dir(tmp)
        _swap_in(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise write_error(path, _as_oserror(exc), what="model") from None
        raise
    return path


def _share(tmp: str) -> None:
    """Give the model what ``open``/``mkdir`` would have: 0666/0777 less the umask (mkdtemp
    makes 0700 and safetensors 0600, which another uid could neither read nor remove)."""
    file_mode = _umask_mode()
    for name in os.listdir(tmp):
        os.chmod(os.path.join(tmp, name), file_mode)
    os.chmod(tmp, _umask_dir_mode())


def _is_io_error(exc: BaseException) -> bool:
    """safetensors reports a failed write as its own error type, wrapping the OS error."""
    return type(exc).__name__ == "SafetensorError" and "IoError" in str(exc)


def _as_oserror(exc: BaseException) -> OSError:
    if isinstance(exc, OSError):
        return exc
    text = str(exc)
    for code, name in ((errno.ENOSPC, "StorageFull"), (errno.EACCES, "PermissionDenied")):
        if name in text or f"code: {code}," in text:
            return OSError(code, os.strerror(code))
    return OSError(errno.EIO, _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _swap_in(tmp: str, path: str) -> None:
    """Replace ``path`` by ``tmp``: two renames, the old model kept until the new one is in."""
    if not os.path.exists(path):
        os.rename(tmp, path)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old-", dir=os.path.dirname(path))
    os.rmdir(old)
    # Both renames sit inside the try: an interrupt that lands just after the first one has
    # moved the old model aside must still put it back.
    try:
        os.rename(path, old)
        os.rename(tmp, path)
    except BaseException:
        if os.path.isdir(old) and not os.path.exists(path):
            os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def load(path: str | os.PathLike) -> Bundle:
    """Read and verify a model directory; any problem is one clear ArtifactError line."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ArtifactError(
            f"{path}: no model here; train one with `forecastr train data.csv` or pass its path"
        )
    if os.path.isfile(path):
        raise ArtifactError(
            f"{path}: is a file; a forecastr model is a directory (or a .onnx file)"
        )
    cfg_path, w_path = os.path.join(path, CONFIG), os.path.join(path, WEIGHTS)
    if not os.path.isfile(cfg_path):
        raise ArtifactError(f"{path}: no {CONFIG}; this is not a forecastr model directory")
    try:
        with open(cfg_path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArtifactError(f"{cfg_path}: unreadable or corrupt JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ArtifactError(f"{cfg_path}: not a forecastr model (format field missing or foreign)")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: model format version {version} but this forecastr reads version "
            f"{FORMAT_VERSION}; retrain the model with this version"
        )
    if not os.path.isfile(w_path):
        raise ArtifactError(f"{path}: {WEIGHTS} is missing; the model is incomplete")
    if _sha256(w_path) != config.get("weights_sha256"):
        raise ArtifactError(
            f"{w_path}: checksum does not match config.json; the weights were changed or truncated"
        )
    try:
        from safetensors.numpy import load_file

        tensors = load_file(w_path)
    except Exception as err:  # safetensors raises its own error types
        raise ArtifactError(f"{w_path}: corrupt weights file ({err})") from None
    for key in ("model", "data", "scaler"):
        if key not in config:
            raise ArtifactError(f"{cfg_path}: the '{key}' section is missing")
    return Bundle(path=path, config=config, tensors=tensors)


class TorchForecaster:
    """The trained network behind the :class:`~forecastr.forecast.SeriesForecaster` protocol."""

    def __init__(self, module, ids: Sequence[str], window: int, horizon: int, name: str):
        self.module = module.eval()
        self.ids = list(ids)
        self._index = {s: i for i, s in enumerate(self.ids)}
        self.window = window
        self.horizon = horizon
        self.name = name
        self.train_end: dict | None = None
        self.model_config: dict = {}  # as stored in config.json (empty for an unsaved model)
        self.training_config: dict = {}
        self.refit = False  # trained on every point (config.json "refit")
        self.seasons: list[dict] = []  # seasons found at training (config.json "seasons")
        self.evaluation: dict = {}  # the held-out report of the training run

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> TorchForecaster:
        import torch

        from forecastr.models import ModelConfig, Scaled, build

        mcfg = ModelConfig.from_dict(bundle.config["model"])
        scaler = bundle.scaler
        module = Scaled(build(mcfg), torch.from_numpy(scaler.loc), torch.from_numpy(scaler.scale))
        state = {
            k[len("model.") :]: torch.from_numpy(np.array(v))
            for k, v in bundle.tensors.items()
            if k.startswith("model.")
        }
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise ArtifactError(
                f"{bundle.path}: weights do not fit the model config ({first})"
            ) from None
        fc = cls(module, bundle.schema.ids, mcfg.window, mcfg.horizon, display_name(mcfg))
        fc.model_config = dict(bundle.config["model"])
        fc.training_config = dict(bundle.config.get("training") or {})
        train_end = bundle.config.get("train_end")
        if train_end:
            fc.train_end = train_end
        fc.refit = bool(bundle.config.get("refit", False))
        fc.seasons = list(bundle.config.get("seasons") or [])
        fc.evaluation = dict(bundle.config.get("evaluation") or {})
        return fc

    def series_scaling(self, i: int) -> tuple[float, float]:
        """(loc, scale) of series ``i``'s per-series scaler."""
        return float(self.module.loc[i]), float(self.module.scale[i])

    def series_index(self, series_ids: Sequence[str]) -> np.ndarray:
        try:
            return np.array([self._index[s] for s in series_ids], dtype=np.int64)
        except KeyError as err:
            raise InputError(f"series {err.args[0]!r} is not known to the model") from None

    def forecast(self, windows: np.ndarray, series_ids: Sequence[str]) -> np.ndarray:
        import torch

        idx = torch.from_numpy(self.series_index(series_ids))
        x = torch.from_numpy(np.asarray(windows, dtype=np.float32))
        out = []
        with torch.inference_mode():
            for i in range(0, len(x), 4096):
                out.append(self.module(x[i : i + 4096], idx[i : i + 4096]).numpy())
        return np.concatenate(out).astype(np.float64) if out else np.zeros((0, self.horizon))


def display_name(mcfg) -> str:
    """E.g. 'GRU', 'BiLSTM seq2seq+attn', 'GRU x3'."""
    name = ("Bi" if mcfg.bidirectional else "") + mcfg.cell.upper()
    if mcfg.decoder == "seq2seq":
        name += " seq2seq" + ("+attn" if mcfg.attention else "")
    if mcfg.ensemble > 1:
        name += f" x{mcfg.ensemble}"
    return name


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: str) -> None:
    for name in os.listdir(path):
        with open(os.path.join(path, name), "rb") as fh:
            os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _versions() -> dict:
    import platform

    out = {"python": platform.python_version(), "forecastr": __version__}
    for mod in ("torch", "numpy", "pandas", "onnxruntime"):
        with contextlib.suppress(ImportError):
            out[mod] = __import__(mod).__version__
    return out


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
