"""CLI help: flags show no value metavar, every option and argument says what it does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from cxralign import cli


def _console_script() -> str:
    local = Path(sys.executable).with_name("cxralign")
    found = str(local) if local.exists() else shutil.which("cxralign")
    if found is None:
        pytest.skip("the cxralign console script is not installed")
    return found


def _walk(command, path: str = "cxralign"):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, f"{path} {name}")


def test_every_option_has_help() -> None:
    cli._register_commands()
    root = typer.main.get_command(cli.app)
    missing = [
        f"{path} {param.opts[0] if param.opts else param.name}"
        for path, command in _walk(root)
        for param in command.params
        if not getattr(param, "help", None)
    ]
    assert missing == []


@pytest.mark.parametrize("args", [[], ["eval"], ["leaderboard", "render"]])
def test_flags_show_no_bool_metavar(args: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    done = subprocess.run(
        [_console_script(), *args, "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--help" in done.stdout and "<bool>" not in done.stdout
    if args == ["eval"]:
        assert "<int>" in done.stdout  # options that take a value still show its type
