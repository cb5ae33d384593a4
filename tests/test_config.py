"""One home for defaults and choices: the CLI, the API and the library read forecastr/config.py,
so `api.train(data)` trains exactly what `forecastr train data.csv` trains (the ensemble size
once differed), for every option."""

from __future__ import annotations

import enum
import inspect
from dataclasses import fields

import pytest

from forecastr import api, cli, cli_options, config
from forecastr import train as train_mod
from forecastr.cli import app
from forecastr.config import TrainConfig, TrainOptions
from forecastr.data import IngestOptions

# Parameters of `forecastr train` that are not training options: what to read, where to write
# the model and what to print.
NOT_OPTIONS = {"data", "output", "quiet", "as_json"}
INGEST = {f.name for f in fields(IngestOptions)}
LIBRARY_ONLY = {"weight_decay", "test_size"}  # TrainOptions fields with no flag


def _defaults(command) -> dict:
    """Each parameter of a CLI command with its default (Enum choices as their values)."""
    params = inspect.signature(inspect.unwrap(command)).parameters.items()
    return {
        name: p.default.value if isinstance(p.default, enum.Enum) else p.default
        for name, p in params
        if p.default is not inspect.Parameter.empty
    }


def test_every_train_flag_is_an_option_with_the_options_default():
    cli_defaults = _defaults(cli.train)
    options = {f.name: getattr(TrainOptions(), f.name) for f in fields(TrainOptions)}
    flags = set(cli_defaults) - NOT_OPTIONS - INGEST
    assert flags == set(options) - LIBRARY_ONLY
    for name in flags:
        assert cli_defaults[name] == options[name], f"--{name.replace('_', '-')}"
    assert len(flags) >= 28


def test_the_ingest_flags_default_to_ingest_options():
    for command in (cli.info, cli.train, cli.evaluate, cli.predict):
        given = {k: v for k, v in _defaults(command).items() if k in INGEST}
        assert given == {f.name: getattr(IngestOptions(), f.name) for f in fields(IngestOptions)}


@pytest.mark.parametrize(
    "command, function, names",
    [
        (cli.evaluate, api.evaluate, ["folds", "step", "refit"]),
        (cli.export, api.export, ["tolerance", "quantize", "opset", "exporter"]),
    ],
)
def test_the_other_commands_default_to_the_api(command, function, names):
    given = _defaults(command)
    api_defaults = inspect.signature(function).parameters
    for name in names:
        assert given[name] == api_defaults[name].default, name
    assert _defaults(cli.predict)["fmt"] == inspect.signature(api.predict).parameters["fmt"].default


def test_the_train_options_rebuild_the_stage_configs():
    """Each default is written once: the options' model and training settings are
    ModelConfig's and TrainConfig's, except the ensemble, the cell (chosen on validation)
    and what the data decides."""
    opts = TrainOptions()
    assert opts.train_config() == TrainConfig(auto_cell=True) and opts.cell == "auto"
    model = config.model_defaults()
    differ = {k for k, v in opts.model_settings().items() if model[k] != v}
    assert differ == {"ensemble"} and opts.ensemble == 3
    assert opts.window is opts.horizon is opts.patch is opts.season_length is None


@pytest.mark.parametrize(
    "enum_cls, values",
    [
        (cli_options.Fill, config.FILLS),
        (cli_options.LayoutOpt, config.LAYOUT_CHOICES),
        (cli_options.Cell, config.CELL_CHOICES),
        (cli_options.Decoder, config.DECODERS),
        (cli_options.Loss, config.LOSSES),
        (cli_options.ScalerOpt, config.SCALERS),
        (cli_options.Device, config.DEVICES),
        (cli_options.Fmt, config.FORMATS),
        (cli_options.Quant, config.QUANTIZE),
        (cli_options.Exporter, config.EXPORTERS),
    ],
)
def test_cli_choices_are_the_config_tuples(enum_cls, values):
    assert tuple(e.value for e in enum_cls) == values


class _Reached(Exception):
    """Raised by a stand-in for train.fit once it has seen the configs."""


def _configs_trained(monkeypatch, run) -> tuple:
    seen = []

    def fit(panel, model_cfg, train_cfg, progress=None, **kw):
        seen.append((model_cfg, train_cfg))
        raise _Reached

    monkeypatch.setattr(train_mod, "fit", fit)
    run()
    assert len(seen) == 1
    return seen[0]


def test_api_train_with_no_options_trains_what_the_cli_trains(monkeypatch, tmp_path, runner):
    """Through every step of the resolution (the flags, the options, the data-chosen window,
    horizon, base season and patch), the network and the run are the same."""
    from test_cli_train import monthly_csv

    monkeypatch.chdir(tmp_path)
    monthly_csv(tmp_path / "data.csv")

    def via_cli():
        res = runner.invoke(app, ["train", "data.csv", "-q"])
        assert res.exit_code == 70 and "_Reached" in res.stderr, res.output

    def via_api():
        with pytest.raises(_Reached):
            api.train("data.csv")

    cli_model, cli_training = _configs_trained(monkeypatch, via_cli)
    api_model, api_training = _configs_trained(monkeypatch, via_api)
    assert cli_model == api_model and cli_training == api_training
    assert api_model.ensemble == 3 and api_training == TrainConfig(auto_cell=True)


def test_the_cli_hands_api_train_the_default_options(monkeypatch, tmp_path, runner):
    got = {}

    def fake_train(data, ingest, options, **kw):
        got.update(data=data, ingest=ingest, options=options, out=kw["out"])
        raise _Reached

    monkeypatch.setattr(api, "train", fake_train)
    runner.invoke(app, ["train", str(tmp_path / "d.csv")])
    assert got["options"] == TrainOptions() and got["ingest"] == IngestOptions()
    assert got["out"] == config.MODEL_DIR
