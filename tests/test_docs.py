"""Every command is documented with an example, and the README only shows flags that exist."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecastr.cli import app

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["info", "train", "evaluate", "predict", "export"]
runner = CliRunner()


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def test_root_help_lists_every_command():
    text = _help()
    for cmd in COMMANDS:
        assert re.search(rf"^\s*│?\s*{cmd}\s+\S", text, re.M), f"{cmd} missing from --help"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help_with_an_example(cmd):
    text = _help(cmd)
    assert "Example" in text
    assert "forecastr " + cmd in text


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"forecastr \d+\.\d+\.\d+\s*", result.output)


def _readme_invocations() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            m = re.search(r"(?:^|\s)forecastr(\s.*)?$", line)
            if m and not line.startswith("docker build"):
                lines.append((m.group(1) or "").split())
    return lines


def test_readme_shows_only_real_commands_and_flags():
    invocations = _readme_invocations()
    assert len(invocations) >= 8
    helps = {cmd: _help(cmd) for cmd in COMMANDS}
    for args in invocations:
        cmd = args[0]
        assert cmd in COMMANDS, f"README shows unknown command {cmd!r}"
        for flag in (a for a in args[1:] if a.startswith("--")):
            assert flag in helps[cmd], f"README shows {cmd} {flag}, which --help does not list"


def test_readme_flags_in_prose_exist():
    text = (ROOT / "README.md").read_text()
    all_help = " ".join(_help(cmd) for cmd in COMMANDS)
    docker_flags = {"--user", "--target", "--rm"}
    for flag in set(re.findall(r"`(--[a-z][a-z0-9-]*)", text)) - docker_flags:
        assert flag in all_help, f"README mentions {flag}, which no command has"
