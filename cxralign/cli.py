"""The ``cxralign`` command: parses arguments and calls the library, nothing more.

Each command group lives in ``cxralign/commands/<name>.py`` with a
``register(app)`` function; this module only assembles them and turns
user-facing errors into one red line and a non-zero exit code.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from cxralign import __version__
from cxralign.errors import CxrAlignError

COMMAND_MODULES = (
    "label",
    "data",
    "build",
    "models",
    "eval",
    "train",
    "leaderboard",
    "audit",
)

app = typer.Typer(
    name="cxralign",
    help="Benchmark and evaluation toolkit for chest X-ray vision-language models (CXR-Align).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxralign {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """cxralign: does a model prefer the true report of an image over a contradicting edit?"""


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"cxralign.commands.{name}").register(app)


def _quiet_foreign_loggers() -> None:
    """Libraries calling ``logging.error`` (open_clip) would print ``ERROR:root:...`` before our one line."""
    logging.getLogger().addHandler(logging.NullHandler())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    _register_commands()
    _quiet_foreign_loggers()
    try:
        code = _flags_without_metavar(typer.main.get_command(app)).main(args=argv, standalone_mode=False)
    except CxrAlignError as error:
        _err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        _err.print("[yellow]interrupted; nothing half-written was left behind[/]")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # click usage errors arrive here with standalone_mode=False
        usage_errors, aborts = _click_error_types()
        if isinstance(error, usage_errors):
            error.show()
            sys.exit(error.exit_code)
        if isinstance(error, aborts):
            sys.exit(1)
        raise
    # standalone_mode=False makes click return a typer.Exit's code instead of exiting with it.
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


def _flags_without_metavar(command: typer.core.TyperGroup | typer.core.TyperCommand) -> typer.core.TyperCommand:
    """A flag takes no value, so its help shows none (typer would print ``<bool>``); ``--help`` included."""
    for param in [*command.params, command.get_help_option(command.context_class(command))]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _flags_without_metavar(sub)
    return command


def _click_error_types() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """Usage-error and abort classes: typer >= 0.20 vendors click as ``typer._click``, older typer uses click."""
    usage: list[type[Exception]] = []
    aborts: list[type[Exception]] = [typer.Abort]
    for module_name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        usage.append(module.ClickException)
        if hasattr(module, "Abort"):  # typer's vendored click raises typer.Abort instead
            aborts.append(module.Abort)
    return tuple(usage), tuple(aborts)


if __name__ == "__main__":
    main()
