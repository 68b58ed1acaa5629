"""One rich progress bar style for every long-running command."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

console = Console(stderr=True)


class RateColumn(ProgressColumn):
    """Items per second, the figure users compare across machines."""

    def render(self, task) -> Text:  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        return Text("-- it/s" if speed is None else f"{speed:,.0f} it/s", style="cyan")


def progress_enabled() -> bool:
    """Progress bars on a terminal only; ``CXRALIGN_NO_PROGRESS=1`` turns them off."""
    return sys.stderr.isatty() and os.environ.get("CXRALIGN_NO_PROGRESS", "") != "1"


def make_progress(transient: bool = False) -> Progress:
    """A progress bar with a count, rate and time remaining, written to stderr."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
        disable=not progress_enabled(),
    )
