"""``cxralign data``: make datasets. ``cxralign data phantoms`` writes phantom chest radiographs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cxralign.data.phantoms.spec import DIFFICULTIES, FINDINGS

data_app = typer.Typer(help="Make datasets: phantom chest radiographs with reports.", no_args_is_help=True)
_out = Console(stderr=True)


@data_app.command("phantoms")
def phantoms(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output directory (created atomically).", show_default=False
    ),
    n: int = typer.Option(5000, "--n", help="Number of studies to generate."),
    seed: int = typer.Option(0, help="Random seed; same seed and options give byte-identical files."),
    size: int = typer.Option(224, help="Image side in pixels (64 to 1024)."),
    difficulty: str = typer.Option("standard", help=f"How visible findings are: {', '.join(DIFFICULTIES)}."),
    prevalence: str | None = typer.Option(
        None,
        help="Probability of findings: one number for all, or NAME=P,... with names from: "
        + ", ".join(FINDINGS),
        show_default=False,
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a non-empty output directory."),
    workers: int = typer.Option(
        2, min=1, help="Processes drawing and encoding images (the bytes written do not depend on it)."
    ),
) -> None:
    """Write phantom chest radiographs with reports as a Hugging Face dataset (Parquet + PNG)."""
    from cxralign.data.phantoms.dataset import write_phantom_dataset

    manifest = write_phantom_dataset(
        out,
        n,
        seed=seed,
        size=size,
        difficulty=difficulty,
        prevalence=prevalence,
        overwrite=overwrite,
        workers=workers,
    )
    samples = manifest["counts"]["samples"]
    _out.print(
        f"wrote {n} phantom studies to {out} "
        f"(train {samples['train']}, validation {samples['validation']}, test {samples['test']})",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
