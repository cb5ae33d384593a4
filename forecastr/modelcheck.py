"""Every field of a stored model checked, in one place, before anything is built from it.

A model directory's ``config.json`` and an ONNX file's metadata describe a network, its data
and its training run: files a user can edit, damage or receive from anyone, so nothing in them
is trusted. Each field is checked for its type (a bool is not an integer, NaN is not a number)
and for bounds generous for any real model yet small enough that loading can neither allocate
more than about a gigabyte nor run for more than a few seconds. The network's size is bounded
by its parameter count, computed here from the config alone, and the weights file's tensor
names, shapes and dtypes are read from its header and checked before a tensor is loaded.

Each refusal is one :class:`~forecastr.errors.ArtifactError` line naming the file and the
field, e.g. ``model/config.json: field model.hidden is 15000; expected an integer from 1 to
4096; retrain the model or restore the original file``. Torch-free: the ONNX runtime uses it.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from forecastr.combine import check_mix
from forecastr.config import (
    AGGREGATES,
    BASES,
    CELLS,
    DECODERS,
    DEVICES,
    LAYOUTS,
    LOSS_SCALES,
    LOSSES,
    SCALERS,
    TrainConfig,
    model_defaults,
)
from forecastr.errors import ForecastrError
from forecastr.forecast import Schema
from forecastr.ingest.spelling import checked_spelling
from forecastr.intervals import MAX_FACTOR, MAX_QUANTILES, MIN_TAU, network_quantiles
from forecastr.jsonfields import (
    MAX_TEXT_CHARS,
    MISSING,
    REQUIRED,
    Where,
    choice,
    flag,
    integer,
    is_number,
    key_text,
    number,
    optional_integer,
    section,
    settings_of,
    string_list,
    text,
    value_of,
)
from forecastr.panel import future_timestamps

# -- bounds: each generous for real models (the benchmarks train 32-256 hidden units, 1-3 layers,
# windows up to a few hundred points, 10,000 series), each small enough that no file can make
# loading allocate more than ~1 GB or run for more than a few seconds.
MAX_WINDOW = 100_000  # input points per forecast (the automatic choice is at most 512)
MAX_HORIZON = 10_000  # steps per forecast: the seq2seq decoder loops over them in Python
MAX_HIDDEN = 4096
MAX_LAYERS = 32
MAX_ENSEMBLE = 64  # members are built one by one: a million of them would hang the load
MAX_SEASON = 1_000_000  # season_length and stored season periods, in steps
MAX_SEASONS = 64  # stored seasons: each gets a seasonal-naive baseline in evaluate
# The network exists about three times while loading (the tensors read from the file, the
# module built, the copies handed to load_state_dict): 2**25 float32 parameters is 128 MiB.
MAX_PARAMS = 2**25
MAX_SERIES = 1_000_000
MAX_CONTEXT_VALUES = 2**24  # series x window stored values (128 MiB of float64)
MAX_FORECAST_ROWS = 10_000_000  # series x horizon rows of one forecast of every series
MAX_ID_CHARS = 1_000
MAX_STEP = 2**62  # integer time axis step
MAX_SEED = 2**62
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # gate blocks in a recurrent layer's weight matrices
MODEL_DEFAULTS: dict[str, Any] = model_defaults()  # what a missing field of the model means
_TRAIN = TrainConfig()  # its defaults: what a missing training setting means
MODEL_FIELDS = ("window", "horizon", *MODEL_DEFAULTS)

RETRAIN = "retrain the model or restore the original file"
REEXPORT = "export the model again or restore the original file"


# -- the model section --------------------------------------------------------------------


def check_model(w: Where, d: Any, prefix: str = "model") -> dict:
    """Every setting of ``models.ModelConfig``; returns them with the defaults filled in.

    The parameter count is computed from the settings and bounded, so no combination of
    in-range settings can build a network too large to hold.
    """
    settings_of(w, d, MODEL_FIELDS, prefix, "a forecastr model setting")
    window = integer(w, d, "window", 2, MAX_WINDOW, prefix)
    m = {"window": window, "horizon": integer(w, d, "horizon", 1, MAX_HORIZON, prefix)}
    m.update({k: d.get(k, v) for k, v in MODEL_DEFAULTS.items()})  # then each one checked
    choice(w, m, "cell", CELLS, prefix)
    integer(w, m, "hidden", 1, MAX_HIDDEN, prefix)
    integer(w, m, "layers", 1, MAX_LAYERS, prefix)
    number(w, m, "dropout", 0, 1, prefix, hi_open=True)
    flag(w, m, "bidirectional", prefix)
    choice(w, m, "decoder", DECODERS, prefix)
    if flag(w, m, "attention", prefix) and m["decoder"] != "seq2seq":
        raise w.refuse(f"{prefix}.attention", True, f"false unless {prefix}.decoder is seq2seq")
    integer(w, m, "season_length", 1, MAX_SEASON, prefix)
    flag(w, m, "window_norm", prefix)
    choice(w, m, "base", BASES, prefix)
    integer(w, m, "ensemble", 1, MAX_ENSEMBLE, prefix)
    integer(w, m, "patch", 1, window, prefix)
    if window % m["patch"]:
        raise w.refuse(f"{prefix}.patch", m["patch"], f"a divisor of {prefix}.window ({window})")
    m["levels"], m["quantiles"] = levels_and_quantiles(w, m["levels"], m["quantiles"], prefix)
    params = m["ensemble"] * sum(math.prod(s) for s in member_tensors(m).values())
    if params > MAX_PARAMS:
        raise w.fail(
            f"{w.label}s {prefix}.hidden ({m['hidden']}), {prefix}.layers ({m['layers']}) and "
            f"{prefix}.ensemble ({m['ensemble']}) make a network of {params:,} parameters; "
            f"expected at most {MAX_PARAMS:,}"
        )
    return m


def levels_and_quantiles(
    w: Where, levels: Any, quantiles: Any, prefix: str
) -> tuple[list[float], list[float]]:
    """A model's interval levels (percent) and quantiles: ascending, in range, and together
    at most MAX_QUANTILES quantiles."""
    top_level = 100.0 - 200.0 * MIN_TAU  # the widest interval whose bounds are quantiles
    lv = ascending_numbers(w, levels, f"{prefix}.levels", 0.0, top_level, closed=False)
    qs = ascending_numbers(w, quantiles, f"{prefix}.quantiles", MIN_TAU, 1 - MIN_TAU)
    if len(network_quantiles(lv, qs)) > MAX_QUANTILES:
        raise w.fail(
            f"{w.label} {prefix}.levels and .quantiles make over {MAX_QUANTILES} quantiles"
        )
    return lv, qs


def ascending_numbers(
    w: Where, v: Any, name: str, lo: float, hi: float, *, closed: bool = True
) -> list[float]:
    """``v`` as a list of at most MAX_QUANTILES finite numbers, strictly ascending, each in
    [lo, hi] (``closed=False``: (lo, hi])."""
    span = f"[{lo:g}, {hi:g}]" if closed else f"({lo:g}, {hi:g}]"
    expected = f"a list of at most {MAX_QUANTILES} ascending numbers in {span}"
    ok = isinstance(v, (list, tuple)) and len(v) <= MAX_QUANTILES
    ok = ok and all(is_number(a) and (lo <= a if closed else lo < a) and a <= hi for a in v)
    if not ok or any(b <= a for a, b in pairwise(v)):
        raise w.refuse(name, v, expected)
    return [float(a) for a in v]


def check_calibration(w: Where, d: Any, m: dict, prefix: str = "calibration") -> None:
    """The conformal calibration: (horizon, K) factors in [0, MAX_FACTOR] and margins >= 0,
    (horizon,) finite centre shifts, and the summary (:func:`check_calibration_summary`), for
    a model with K quantiles; nothing for a point model."""
    if d is None:
        return
    horizon, k = m["horizon"], len(network_quantiles(m["levels"], m["quantiles"]))
    check_calibration_summary(w, d, horizon, k, prefix)
    for key, hi in (("factor", MAX_FACTOR), ("margin", 1e12)):  # (horizon, k) each
        rows = d.get(key, MISSING)
        if not isinstance(rows, list) or len(rows) != horizon:
            raise w.refuse(f"{prefix}.{key}", rows, f"{horizon} rows (model.horizon)")
        for h, row in enumerate(rows):
            _numbers(w, row, f"{prefix}.{key}[{h}]", k, 0.0, hi)
    _numbers(w, d.get("shift", MISSING), f"{prefix}.shift", horizon, -1e12, 1e12)
    if prefix == "calibration" and ("trend_cut" in d or "trending" in d):  # two strata
        cut, steep = d.get("trend_cut", MISSING), d.get("trending")
        if not (is_number(cut) and 0.0 <= cut <= 1.0):
            raise w.refuse(f"{prefix}.trend_cut", cut, "a trendiness in [0, 1] (with trending)")
        check_calibration(w, MISSING if steep is None else steep, m, f"{prefix}.trending")


def check_calibration_summary(w: Where, d: Any, horizon: int, k: int, prefix: str) -> None:
    """What a calibration reports of itself (a model directory's, and an ONNX file's): only
    for a model with ``k`` quantiles, ``horizon`` counts of held-out points, whether the level
    is guaranteed, its windows and series, and whether a refit matched its factors."""
    if not k:
        raise w.refuse(prefix, "...", "absent: the model has no quantiles")
    if not isinstance(d, dict):
        raise w.refuse(prefix, d, "an object with the conformal calibration")
    counts = d.get("count", MISSING)
    if not isinstance(counts, list) or len(counts) != horizon:
        raise w.refuse(f"{prefix}.count", counts, f"a list of {horizon} counts (integers >= 0)")
    for h, c in enumerate(counts):
        if type(c) is not int or not 0 <= c <= INT64_MAX:
            raise w.refuse(f"{prefix}.count[{h}]", c, "a count of held-out points (>= 0)")
    flag(w, d, "guaranteed", prefix)
    integer(w, d, "windows", 0, INT64_MAX, prefix, default=0)
    integer(w, d, "series", 0, INT64_MAX, prefix, default=0)
    flag(w, d, "transferred", prefix, default=False)


def _numbers(w: Where, v: Any, name: str, n: int, lo: float, hi: float) -> None:
    """``v``: a list of ``n`` finite numbers in [lo, hi]."""
    if not isinstance(v, list) or len(v) != n:
        raise w.refuse(name, v, f"a list of {n} numbers in [{lo:g}, {hi:g}]")
    for i, x in enumerate(v):
        if not (is_number(x) and lo <= x <= hi):
            raise w.refuse(f"{name}[{i}]", x, f"a number in [{lo:g}, {hi:g}]")


def _rnn_tensors(prefix: str, cell: str, size_in: int, hidden: int, layers: int, bidi: bool):
    """Names and shapes of a torch ``nn.RNN/LSTM/GRU``'s state_dict."""
    rows = GATES[cell] * hidden
    suffixes = ("", "_reverse") if bidi else ("",)
    out: dict[str, tuple[int, ...]] = {}
    for layer in range(layers):
        width = size_in if layer == 0 else hidden * len(suffixes)
        for sfx in suffixes:
            out[f"{prefix}weight_ih_l{layer}{sfx}"] = (rows, width)
            out[f"{prefix}weight_hh_l{layer}{sfx}"] = (rows, hidden)
            out[f"{prefix}bias_ih_l{layer}{sfx}"] = (rows,)
            out[f"{prefix}bias_hh_l{layer}{sfx}"] = (rows,)
    return out


def member_tensors(m: dict) -> dict[str, tuple[int, ...]]:
    """The state_dict shapes of one ``models.ForecastNet`` built from settings ``m``."""
    cell, hidden, layers, bidi = m["cell"], m["hidden"], m["layers"], m["bidirectional"]
    enc_out = hidden * (2 if bidi else 1)
    out = _rnn_tensors("encoder.", cell, m["patch"], hidden, layers, bidi)
    if m["decoder"] == "direct":
        out["head.weight"] = (m["horizon"], enc_out)
        out["head.bias"] = (m["horizon"],)
        return out | _quantile_tensors(m, enc_out)
    if bidi:
        out["decoder.bridge.weight"] = (hidden, enc_out)
        out["decoder.bridge.bias"] = (hidden,)
    ctx = enc_out if m["attention"] else 0
    out.update(_rnn_tensors("decoder.cell.", cell, 2 + ctx, hidden, layers, False))
    if m["attention"]:
        out["decoder.score.weight"] = (hidden, enc_out)
    out["decoder.out.weight"] = (1, hidden + ctx)
    out["decoder.out.bias"] = (1,)
    return out | _quantile_tensors(m, enc_out)


def _quantile_tensors(m: dict, enc_out: int) -> dict[str, tuple[int, ...]]:
    """The quantile head's tensors (none for a point model)."""
    k = len(network_quantiles(m.get("levels", ()), m.get("quantiles", ())))
    if not k:
        return {}
    rows = m["horizon"] * k
    return {"quantile_head.linear.weight": (rows, enc_out), "quantile_head.linear.bias": (rows,)}


def expected_tensors(m: dict, n_series: int) -> dict[str, tuple[tuple[int, ...], str]]:
    """Name -> (shape, safetensors dtype) of every tensor a model directory's weights file
    holds for settings ``m`` and ``n_series`` series (the stored context aside)."""
    member = member_tensors(m)
    # artifact.save stores the Scaled module's state as "model.<key>": its loc/scale tables,
    # and its forecaster under "model.model." (an ensemble's members under ".members.<i>.").
    if m["ensemble"] == 1:
        prefixes = ["model.model."]
    else:
        prefixes = [f"model.model.members.{i}." for i in range(m["ensemble"])]
    out = {p + k: (shape, "F32") for p in prefixes for k, shape in member.items()}
    out["model.loc"] = ((n_series,), "F32")
    out["model.scale"] = ((n_series,), "F32")
    return out


# -- data, scaler, sizes ------------------------------------------------------------------


def check_schema(w: Where, d: Any, prefix: str = "data") -> Schema:
    """The data schema: unique ids, a positive frequency or integer step, columns, a floor."""
    if not isinstance(d, dict):
        raise w.refuse(prefix, d, "an object describing the training data")
    ids = list(string_list(w, d, "ids", prefix, MAX_SERIES, MAX_ID_CHARS))
    if not ids:
        raise w.refuse(f"{prefix}.ids", ids, "at least one series id")
    if len(set(ids)) != len(ids):
        sid = next(s for s, count in Counter(ids).items() if count > 1)
        raise w.refuse(f"{prefix}.ids", ids, f"unique ids ({sid[:40]!r} appears twice)")
    freq = text(w, d, "freq", prefix, None, nullable=True)
    if freq is not None and not _positive_offset(freq):
        raise w.refuse(f"{prefix}.freq", freq, "null or a pandas frequency such as 'h' or 'MS'")
    step = integer(w, d, "step", 1, MAX_STEP, prefix, 1)
    columns = section(w, d, "columns", prefix, optional=True)
    cprefix = f"{prefix}.columns"
    for key in columns:
        if key not in ("id", "time", "target"):
            raise w.refuse(f"{cprefix}.{key_text(key)}", columns[key], "no such column role")
    for role in ("id", "time"):  # names go back to the CSV reader: an empty one names none
        text(w, columns, role, cprefix, None, nullable=True, min_chars=1)
    if "target" in columns:
        string_list(w, columns, "target", cprefix, MAX_SERIES, MAX_TEXT_CHARS, min_chars=1)
    layout = choice(w, d, "layout", LAYOUTS, prefix, "long")
    text(w, d, "source", prefix, "")
    # The one floor forecastr writes: 0, for data never negative (forecast.data_floor).
    if (floor := d.get("floor")) is not None and not (is_number(floor) and floor == 0):
        raise w.refuse(f"{prefix}.floor", floor, "null or 0 (the floor of data never negative)")
    spelling = checked_spelling(w, d.get("spelling"), f"{prefix}.spelling")  # 1983Q2, +02:00
    rows = None if d.get("aggregate") is None else choice(w, d, "aggregate", AGGREGATES, prefix)
    floor = None if floor is None else 0.0
    return Schema(ids, freq, step, dict(columns), layout, floor, spelling, rows)


def _positive_offset(freq: str) -> bool:
    """Whether pandas reads ``freq`` as a frequency that moves time forward."""
    if not freq or len(freq) > 64:
        return False
    try:
        return pd.tseries.frequencies.to_offset(freq).n > 0
    except (ValueError, TypeError, OverflowError):
        return False


def check_scaler(w: Where, d: Any, n_series: int, prefix: str = "scaler") -> None:
    """The per-series scaler: a known kind and one finite loc and positive scale per series."""
    if not isinstance(d, dict):
        raise w.refuse(prefix, d, "an object (kind, loc, scale)")
    choice(w, d, "kind", SCALERS, prefix)
    for key in ("loc", "scale"):
        expected = f"a list of {n_series} numbers (one per series in data.ids)"
        v = value_of(w, d, key, prefix, expected, REQUIRED)
        if not isinstance(v, list) or len(v) != n_series:
            raise w.refuse(f"{prefix}.{key}", v, expected)
        for i, x in enumerate(v):
            if not is_number(x) or (key == "scale" and not x > 0):
                what = "a positive finite number" if key == "scale" else "a finite number"
                raise w.refuse(f"{prefix}.{key}[{i}]", x, what)


def check_sizes(w: Where, m: dict, n_series: int, ids_name: str = "data.ids", width=None) -> None:
    """Bound what the series count multiplies: the stored context (``width`` points per
    series, default the window) and a full forecast."""
    width = width or m["window"]
    if n_series * width > MAX_CONTEXT_VALUES:
        raise w.fail(
            f"{n_series:,} series ({ids_name}) of {width} stored points make "
            f"{n_series * width:,} stored values; expected at most {MAX_CONTEXT_VALUES:,}"
        )
    if n_series * m["horizon"] > MAX_FORECAST_ROWS:
        raise w.fail(
            f"{n_series:,} series ({ids_name}) of horizon {m['horizon']} make "
            f"{n_series * m['horizon']:,} forecast rows; expected at most {MAX_FORECAST_ROWS:,}"
        )


# -- train_end, seasons, training, evaluation ---------------------------------------------


def check_train_end(w: Where, d: Any, ids: list[str], freq: str | None, name: str) -> dict | None:
    """Last training timestamp per series: null, or an object keyed by known series ids whose
    values are null, an integer step (integer time axis) or a timestamp string (dates)."""
    if d is None:
        return None
    if not isinstance(d, dict):
        raise w.refuse(name, d, "null or an object of series id -> last training timestamp")
    known = set(ids)
    parsed: dict[str, bool] = {}  # strings already parsed (most series share their end)
    for sid, v in d.items():
        where = f"{name}[{sid[:40]!r}]"
        if sid not in known:
            raise w.refuse(where, v, "no entry: the series is not in the model's ids")
        if v is None:
            continue
        if freq is None:
            if type(v) is not int or not INT64_MIN < v <= INT64_MAX:
                raise w.refuse(where, v, "an integer step (the model's time axis is integer)")
            continue
        if isinstance(v, str) and v not in parsed:
            parsed[v] = _timestamp_ok(v)
        if not (isinstance(v, str) and parsed[v]):
            raise w.refuse(where, v, "a timestamp from 1677 to 2262 such as '2024-01-31 00:00:00'")
    return d


def _timestamp_ok(value: str) -> bool:
    if len(value) > 64:
        return False
    try:
        stamp = pd.Timestamp(value)
        return not pd.isna(stamp) and stamp.as_unit("ns") is not None  # in int64 ns
    except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return False


def check_seasons(w: Where, v: Any, name: str = "seasons") -> None:
    """Seasons found at training: each gets a seasonal-naive baseline in ``evaluate``."""
    if v is None:
        return
    if not isinstance(v, list) or len(v) > MAX_SEASONS:
        raise w.refuse(name, v, f"a list of at most {MAX_SEASONS} seasons")
    for i, e in enumerate(v):
        prefix = f"{name}[{i}]"
        if not isinstance(e, dict):
            raise w.refuse(prefix, e, "an object with a period")
        integer(w, e, "period", 1, MAX_SEASON, prefix)
        for key in ("acf", "threshold", "periodogram"):
            if e.get(key) is not None and not is_number(e[key]):
                raise w.refuse(f"{prefix}.{key}", e[key], "null or a finite number")
        text(w, e, "source", prefix, "")
        flag(w, e, "significant", prefix, False)


def check_training(w: Where, d: dict, prefix: str = "training") -> None:
    """``TrainConfig``'s settings (``evaluate --refit`` retrains with them); others left alone."""
    t = _TRAIN
    integer(w, d, "epochs", 1, 100_000, prefix, t.epochs)
    integer(w, d, "batch_size", 1, 2**20, prefix, t.batch_size)
    number(w, d, "lr", 0, 1e6, prefix, t.lr, lo_open=True)
    number(w, d, "weight_decay", 0, 1e6, prefix, t.weight_decay)
    choice(w, d, "loss", LOSSES, prefix, t.loss)
    number(w, d, "clip_norm", 0, 1e12, prefix, t.clip_norm)
    integer(w, d, "patience", 0, 100_000, prefix, t.patience)
    integer(w, d, "max_batches", 1, 10**7, prefix, t.max_batches)
    choice(w, d, "scaler", SCALERS, prefix, t.scaler)
    optional_integer(w, d, "val_size", 1, 10**9, prefix)
    optional_integer(w, d, "test_size", 0, 10**9, prefix)
    integer(w, d, "seed", 0, MAX_SEED, prefix, t.seed)
    choice(w, d, "device", DEVICES, prefix, t.device)
    integer(w, d, "threads", 1, 4096, prefix, t.threads)
    integer(w, d, "jobs", 0, 4096, prefix, t.jobs)
    number(w, d, "teacher_forcing", 0, 1, prefix, t.teacher_forcing)
    flag(w, d, "teacher_forcing_decay", prefix, t.teacher_forcing_decay)
    choice(w, d, "loss_scale", LOSS_SCALES, prefix, t.loss_scale)
    flag(w, d, "auto_cell", prefix, t.auto_cell)
    optional_integer(w, d, "train_horizon", 1, MAX_HORIZON, prefix)  # its head's steps


def check_evaluation(w: Where, d: dict, prefix: str = "evaluation") -> None:
    """The stored held-out report; ``evaluate`` quotes its rows for a refit model."""
    text(w, d, "model", prefix, None, nullable=True)
    rows = d.get("summary")
    if rows is None:
        return
    if not isinstance(rows, list) or len(rows) > 10_000:
        raise w.refuse(f"{prefix}.summary", rows, "a list of at most 10,000 rows")
    for i, row in enumerate(rows):
        where = f"{prefix}.summary[{i}]"
        if not isinstance(row, dict):
            raise w.refuse(where, row, "an object (method and metrics)")
        text(w, row, "method", where)
        for key, v in row.items():
            if key != "method" and v is not None and not is_number(v):
                raise w.refuse(f"{where}.{key_text(key)}", v, "null or a finite number")


def check_config(config: dict, cfg_path: str) -> None:
    """Check every field of a model directory's ``config.json`` that forecastr reads; raise
    ArtifactError naming the first field at fault, in one line. Left alone: ``history``,
    ``summary``, ``versions``, ``created`` and ``forecastr_version`` (never read back), and
    ``weights_sha256`` (the integrity check's)."""
    w = Where(cfg_path, RETRAIN)
    version = config.get("format_version", MISSING)
    if type(version) is not int:
        raise w.refuse("format_version", version, "an integer format version")
    m = check_model(w, config.get("model", MISSING))
    schema = check_schema(w, config.get("data", MISSING))
    check_scaler(w, config.get("scaler", MISSING), len(schema.ids))
    mix = check_mix(w, config, m["window"], len(schema.ids))
    check_sizes(w, m, len(schema.ids), width=mix.context if mix else None)
    check_train_end(w, config.get("train_end"), schema.ids, schema.freq, "train_end")
    flag(w, config, "refit", "", False)
    check_seasons(w, config.get("seasons"))
    check_training(w, section(w, config, "training", optional=True, nullable=True))
    check_evaluation(w, section(w, config, "evaluation", optional=True, nullable=True))
    check_calibration(w, config.get("calibration"), m)


def check_future(w: Where, last: np.ndarray, schema: Schema, horizon: int, name: str) -> None:
    """Refuse last timestamps (int64: ns since the epoch, or integer steps) after which
    ``horizon`` future timestamps cannot be represented."""
    last = np.asarray(last, dtype=np.int64)
    if last.size == 0:
        return
    top = int(last.max())
    if schema.freq is None:
        if top + schema.step * horizon > INT64_MAX:
            raise w.fail(
                f"{name} holds step {top}, too late for {horizon} more steps of {schema.step} "
                "in 64-bit integers"
            )
        return
    if int(last.min()) == INT64_MIN:
        raise w.fail(f"{name} holds a missing timestamp (NaT)")
    try:
        future_timestamps(np.int64(top).astype("datetime64[ns]"), horizon, schema.freq)
    except (ValueError, OverflowError, ForecastrError):  # OutOfBoundsDatetime: a ValueError
        stamp = pd.Timestamp(top)
        raise w.fail(
            f"{name} holds {stamp}, too late for {horizon} more steps of {schema.freq} "
            f"(dates end at {pd.Timestamp.max})"
        ) from None
