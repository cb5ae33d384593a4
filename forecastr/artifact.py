"""The model bundle: a directory holding ``config.json`` and its weights file. No pickle.

``config.json`` carries the format version, every hyperparameter, the data schema, the
per-series scaler parameters, the training history and summary, and package versions. It
names the weights file (``weights-<16 hex of its SHA-256>.safetensors``), which holds the
network's tensors and, under ``context.*``, the last ``window`` values and timestamps of each
series, so ``predict`` needs no CSV. safetensors is a plain header + raw buffers format:
loading it can never run code. The config records the SHA-256 of the weights and of itself
(``config_sha256``), so a swapped, tampered or edited file is refused.

How the directory is written (atomically, one rename, no gap) and read (its own regular files
only, sizes bounded) is :mod:`forecastr.modeldir`'s business; this module says what goes in.
Format 1 models (a fixed ``weights.safetensors``, no config digest) still load.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecastr import __version__
from forecastr.combine import SECTION, ThetaMix, check_mix, warn_revision
from forecastr.errors import ArtifactError, one_line, require
from forecastr.forecast import Schema, last_windows, panel_floor
from forecastr.jsonfields import Where, loads_bounded
from forecastr.modelcheck import RETRAIN, check_config
from forecastr.modeldir import (
    CONFIG,
    DIGEST_KEY,
    MAX_CONFIG_BYTES,
    MAX_WEIGHTS_BYTES,
    WEIGHTS_RE,
    changed_since,
    config_digest,
    read_file,
    write_model,
)
from forecastr.modeldir import WEIGHTS_V1 as WEIGHTS
from forecastr.outputs import check_model_dir, write_error
from forecastr.scaling import ScalerParams
from forecastr.thetaonly import (
    REVISION_KEY,
    ThetaPredictor,
    ThetaRun,
    check_theta_config,
    is_theta_only,
    stored_predictor,
)
from forecastr.weightcheck import check_weights, plain_tensors

if TYPE_CHECKING:
    from forecastr.panel import Panel
    from forecastr.report import EvalReport
    from forecastr.torch_predictor import TorchPredictor
    from forecastr.train import TrainResult

FORMAT = "forecastr-model"
# 2: config.json names a content-named weights file and carries its own digest. Saves write
# version 2; versions 1 and 2 are read.
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
# Reads of a model directory that a concurrent save keeps changing, before giving up.
READS = 5


@dataclass
class Bundle:
    """A loaded model directory (torch objects built lazily by :meth:`predictor`)."""

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
                f"{self.path}: the weights file holds no stored context (the training data's last "
                "window); pass a data.csv to forecast from"
            )
        return self.tensors["context.values"], self.tensors["context.last"]

    def last_stamps(self) -> list:
        last = self.tensors["context.last"]
        if self.schema.freq is None:
            return [int(v) for v in last]
        return list(last.astype("datetime64[ns]"))

    @property
    def theta_only(self) -> bool:
        """Whether the model is the Theta method alone, with no network (``thetaonly.py``)."""
        return is_theta_only(self.config)

    def predictor(self) -> TorchPredictor | ThetaPredictor:
        """The network, built and loaded with these weights (imports torch); or the Theta
        method of a Theta-only model (torch-free)."""
        if self.theta_only:
            return stored_predictor(self.config)
        return self.network()

    def network(self) -> TorchPredictor:
        """The network, built and loaded with these weights (imports torch); a Theta-only
        model has none, which ONNX export (its caller) says in one line."""
        if self.theta_only:
            raise ArtifactError(
                f"{self.path}: is the Theta method alone (its series were too short to train a "
                "network), and an ONNX file holds a network; the model directory itself "
                f"forecasts without torch (`forecastr predict {self.path}`), or train on longer "
                "series to export"
            )
        from forecastr.torch_predictor import TorchPredictor

        return TorchPredictor.from_stored(
            self.config, self.tensors, self.scaler, self.schema.ids, self.path
        )

    @property
    def mix(self) -> ThetaMix | None:
        """The Theta combination the model applies (``combine.py``); None: the network alone."""
        if self.theta_only:
            return None
        return check_mix(Where(self.path, RETRAIN), self.config, self.window)  # checked at load


class SavedPath(str):
    """What :func:`save` returns: the model's absolute path, a plain ``str`` to every caller,
    plus ``replaced``: True when an earlier model was there and this one took its place."""

    replaced: bool

    def __new__(cls, path: str, replaced: bool) -> SavedPath:
        obj = super().__new__(cls, path)
        obj.replaced = replaced
        return obj


def save(path: str | os.PathLike, config: dict, state: dict, context: dict) -> SavedPath:
    """Write a model directory atomically: the path holds the old model or the new one, always.

    Args:
        path: the directory to create or replace.
        config: JSON-ready dict (without format fields; they are added here).
        state: the model's ``state_dict`` (torch tensors).
        context: numpy arrays stored as ``context.<name>``.

    Returns:
        The absolute path (a ``str``), with ``.replaced`` set.
    """
    import torch
    from safetensors.torch import save_file

    path = check_model_dir(path)  # a file, a foreign folder, an unwritable place: refused
    tensors = {f"model.{k}": v.detach().to("cpu").contiguous() for k, v in state.items()}
    for name, arr in context.items():
        tensors[f"context.{name}"] = torch.from_numpy(np.ascontiguousarray(arr))
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "forecastr_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    def write_weights(target: str) -> None:
        save_file(tensors, target, metadata={"format": FORMAT})

    def render(weights: str, digest: str) -> bytes:
        full = {**head, **config, "weights": weights, "weights_sha256": digest}
        return _render_config({**full, "versions": _versions()})

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replaced = write_model(path, write_weights, render)
    except BaseException as exc:
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise write_error(path, _as_oserror(exc), what="model") from None
        raise
    return SavedPath(path, replaced)


def save_bundle(
    out: str,
    panel: Panel,
    result: TrainResult,
    report: EvalReport,
    train_end: dict,
    seasons: list | None = None,
    refit: bool = False,
    mix: ThetaMix | None = None,
) -> SavedPath:
    """Write the model directory of ``result``, with everything ``predict``, ``evaluate`` and
    ``export`` read back from it (and the Theta combination ``mix``, when chosen)."""
    mcfg = result.model_cfg
    config = {
        "model": mcfg.to_dict(),
        "training": result.train_cfg.to_dict(),
        "data": _data_section(panel),
        "scaler": result.scaler.to_dict(),
        "train_end": train_end,
        "refit": refit,  # trained on every point after the holdout run scored in "evaluation"
        "seasons": [e.to_dict() for e in seasons or []],
        "history": json_safe(result.history),
        "summary": json_safe(result.summary),
        "evaluation": report.to_dict(),
    }
    if result.calibration is not None:
        config["calibration"] = result.calibration.to_dict()
    if mix is not None:
        config[SECTION] = json_safe(mix.to_dict())
    context = _context(panel, mix.context if mix else mcfg.window)
    return save(out, config, result.model.state_dict(), context)


def save_theta_only(out: str, panel: Panel, run: ThetaRun, seasons: list) -> SavedPath:
    """Write the model directory of a Theta-only run (``thetaonly.py``): no network, the
    stored context its only tensors."""
    config = {
        "model": run.model_config,
        "data": _data_section(panel),
        "refit": True,  # it forecasts from the end of every series
        "seasons": [e.to_dict() for e in seasons],
        "summary": run.summary(),
        "evaluation": run.report.to_dict(),
    }
    return save(out, config, {}, _context(panel, run.model_config["window"]))


def _data_section(panel: Panel) -> dict:
    """config.json's "data": the schema predict reads new data by, and the source file."""
    schema = Schema(
        ids=panel.ids,
        freq=panel.freq,
        step=panel.step,
        columns=panel.columns,
        layout=panel.layout,
        floor=panel_floor(panel),
        spelling=panel.spelling,
        aggregate=panel.aggregate,
    )
    return {**schema.to_dict(), "source": os.path.basename(panel.source)}


def _context(panel: Panel, width: int) -> dict:
    """The stored context: each series' last ``width`` values (padded) and last timestamp."""
    return {"values": last_windows(panel, width).astype(np.float64), "last": stored_last(panel)}


def stored_last(panel: Panel) -> np.ndarray:
    """(S,) each series' last timestamp as stored: int64 ns since the epoch (whatever unit
    the panel's dates use), or the integer step."""
    last = panel.ds[panel.offsets[1:] - 1]
    if panel.freq is None:
        return last.astype(np.int64)
    return last.astype("datetime64[ns]").astype(np.int64)


def json_safe(obj):
    """JSON has no NaN/inf: replace them by None, recursively."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _render_config(full: dict) -> bytes:
    """config.json's bytes, sealed with the digest of its canonical JSON."""
    # Through JSON and back first: the digest must be that of what a reader parses (numpy
    # numbers become plain ones, tuples lists, integer keys strings).
    plain = json.loads(json.dumps(full, allow_nan=False, default=_json_default))
    plain[DIGEST_KEY] = config_digest(plain)
    return json.dumps(plain, indent=1, allow_nan=False).encode("utf-8")


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
    return OSError(errno.EIO, one_line(text, None))


def load(path: str | os.PathLike) -> Bundle:
    """Read and verify a model directory; any problem is one clear ArtifactError line.

    Only the directory's own regular files are read: a symbolic link (or FIFO, device...)
    inside it is refused, the weights name must be a plain ``weights-<hex>.safetensors``, and
    config.json is refused above ``MAX_CONFIG_BYTES`` before it is read. (The directory itself
    may be a link: that is the user's choice.) The bytes checked are the bytes loaded.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ArtifactError(
            f"{path}: no model here; train one with `forecastr train data.csv` or pass its path"
        )
    if os.path.isfile(path):
        raise ArtifactError(
            f"{path}: is a file; a forecastr model is a directory (or a .onnx file)"
        )
    config, w_path, data = _read_verified(path)
    cfg_path = os.path.join(path, CONFIG)
    theta_only = is_theta_only(config)  # the Theta method alone: no network (thetaonly.py)
    for key in ("model", "data") if theta_only else ("model", "data", "scaler"):
        if key not in config:
            raise ArtifactError(f"{cfg_path}: the '{key}' section is missing")
    # Every field config.json holds, then the weights' header against them: before a tensor
    # is loaded or a network built (forecastr/modelcheck.py, forecastr/weightcheck.py).
    if theta_only:
        check_theta_config(config, cfg_path)
    else:
        check_config(config, cfg_path)
    check_weights(config, data, w_path)
    # A Theta part (checked above) is refitted at every forecast by this forecastr's method.
    theta = config["model"] if theta_only else config.get(SECTION)
    if theta:
        stored = theta.get(REVISION_KEY if theta_only else "revision")
        width = theta["window"] if theta_only else theta["context"]
        warn_revision(stored, path, theta["season_length"], width)
    if theta_only:  # its context alone: read without safetensors (the torch-free install)
        return Bundle(path=path, config=config, tensors=plain_tensors(data, w_path))
    require("safetensors")
    try:
        from safetensors.numpy import load as load_bytes

        tensors = load_bytes(data)
    except Exception as err:  # safetensors raises its own error types
        raise ArtifactError(f"{w_path}: corrupt weights file ({one_line(err, None)})") from None
    return Bundle(path=path, config=config, tensors=tensors)


def _read_verified(path: str) -> tuple[dict, str, bytes]:
    """config.json, and the weights file it names with their bytes, both digests checked.

    A save that swaps a new model in while this reads is caught (the weights named by the old
    config are gone): read again, a few times at most. Not only when config.json is another
    file: under concurrent saves a new config.json can take the old one's inode number, and
    the model it names be back on disk by the next read (three processes saving one path
    while loading it failed 1 round in 30 on a loaded machine, `tests/test_atomic_save.py`).
    """
    cfg_path = os.path.join(path, CONFIG)
    for attempt in range(READS):
        config, seen = _read_config(path, cfg_path)
        version = _check_version(config, path)
        if (version >= 2 or DIGEST_KEY in config) and config.get(DIGEST_KEY) != config_digest(
            config
        ):
            raise ArtifactError(
                f"{cfg_path}: config.json was changed after saving ({DIGEST_KEY} does not "
                "match); restore it or retrain the model"
            )
        name = WEIGHTS if version == 1 else _weights_name(config, cfg_path)
        w_path = os.path.join(path, name)
        try:
            data, _ = read_file(w_path, limit=MAX_WEIGHTS_BYTES)
        except FileNotFoundError:
            if attempt < READS - 1:
                continue
            if changed_since(cfg_path, seen):
                break
            raise ArtifactError(f"{path}: {name} is missing; the model is incomplete") from None
        if hashlib.sha256(data).hexdigest() != config.get("weights_sha256"):
            raise ArtifactError(
                f"{w_path}: checksum does not match config.json; the weights were changed or "
                "truncated"
            )
        return config, w_path, data
    raise ArtifactError(f"{path}: the model kept changing while it was read; try again")


def _read_config(path: str, cfg_path: str) -> tuple[dict, os.stat_result]:
    try:
        raw, seen = read_file(cfg_path, limit=MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ArtifactError(
            f"{path}: no {CONFIG}; this is not a forecastr model directory"
        ) from None
    try:
        # Bounded: at most MAX_JSON_VALUES values (~300 MB parsed), nesting refused cleanly.
        config = loads_bounded(raw.decode("utf-8"), MAX_CONFIG_BYTES)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError, JSONDecodeError
        raise ArtifactError(
            f"{cfg_path}: unreadable or corrupt JSON ({one_line(err, None)})"
        ) from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ArtifactError(f"{cfg_path}: not a forecastr model (format field missing or foreign)")
    return config, seen


def _check_version(config: dict, path: str) -> int:
    version = config.get("format_version")
    if type(version) is not int or version not in READ_VERSIONS:  # bool is not a version
        raise ArtifactError(
            f"{path}: model format version {version!r} but this forecastr reads versions "
            f"{READ_VERSIONS[0]} to {READ_VERSIONS[-1]}; retrain the model with this version"
        )
    return version


def _weights_name(config: dict, cfg_path: str) -> str:
    """The weights file config.json names: a plain base name of the expected pattern only."""
    name = config.get("weights")
    if not isinstance(name, str) or WEIGHTS_RE.fullmatch(name) is None:
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise ArtifactError(
            f"{cfg_path}: 'weights' must name a weights-<16 hex>.safetensors file in the model "
            f"directory, not {shown}; restore config.json or retrain the model"
        )
    return name


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
