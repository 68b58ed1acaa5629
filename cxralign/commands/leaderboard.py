"""``cxralign leaderboard``: submit results, validate submissions, render the site."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from cxralign.errors import InputError

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)

group = typer.Typer(
    name="leaderboard",
    help="Assemble, verify and render leaderboard submissions.",
    no_args_is_help=True,
)

DEFAULT_SUBMISSIONS = Path("leaderboard/submissions")


@group.command("submit")
def submit(
    results_dir: Path = typer.Argument(..., help="Eval results of one model: RESULTS/<model-slug>."),
    name: str = typer.Option(..., "--name", help="Submission name (lowercase letters, digits, . _ -)."),
    out: Path = typer.Option(DEFAULT_SUBMISSIONS, "--out", help="Submissions directory."),
    model_name: str | None = typer.Option(
        None, "--model-name", help="Display name (default: the zoo card's)."
    ),
    model_version: str | None = typer.Option(None, "--model-version", help="Model version or release tag."),
    weights: str | None = typer.Option(
        None, "--weights", help="Weight reference: hub id, URL, DOI or sha256."
    ),
    params: int | None = typer.Option(
        None, "--params", help="Parameter count (default: card, else load and count)."
    ),
    licence: str | None = typer.Option(None, "--licence", help="Licence of the weights."),
    training_data: list[str] = typer.Option(
        [], "--training-data", help="A training dataset (repeat); 'undisclosed' if unknown."
    ),
    citation: str | None = typer.Option(None, "--citation", help="How to cite the model."),
    datasets: list[Path] = typer.Option([], "--datasets", help="Extra known-dataset YAML (repeatable)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing submission of that name."),
) -> None:
    """Assemble a validated submission from eval results into OUT/NAME/."""
    from cxralign.leaderboard import CardOverrides, Registry, assemble_submission

    overrides = CardOverrides(
        model_name, model_version, weights, params, licence, list(training_data), citation
    )
    path = assemble_submission(
        results_dir, name, out, overrides, overwrite=overwrite, registry=Registry.default(list(datasets))
    )
    _out.print(f"submission written: {path}")


def _print_report(notes: list, lines: list, problems: list, *, failed: str = "", passed: str = "") -> None:
    """What validate and verify both print: notes on stderr, lines and problems on stdout, then a
    red count of the problems (exit 1) or the green ``passed`` line."""
    for note in notes:
        _err.print(f"note: {escape(str(note))}", soft_wrap=True)
    for line in [*lines, *problems]:
        _out.print(escape(str(line)), soft_wrap=True)
    if not failed:
        return
    if problems:
        _err.print(f"[bold red]error:[/] {len(problems)} {failed}")
        raise typer.Exit(1)
    _err.print(f"[green]{passed}[/]")


@group.command("validate")
def validate(
    paths: list[Path] = typer.Argument(
        None, help="Submission files or directories (default: leaderboard/submissions)."
    ),
    datasets: list[Path] = typer.Option([], "--datasets", help="Extra known-dataset YAML (repeatable)."),
) -> None:
    """Verify submissions: schema, task versions, dataset hashes, recomputed metrics, sizes. Exit 0 only if all hold."""
    from cxralign.leaderboard import Registry, validate_paths

    report = validate_paths(paths or [DEFAULT_SUBMISSIONS], registry=Registry.default(list(datasets)))
    if report.checked == 0 and not report.problems:
        _print_report(report.notes, [], [])
        raise InputError("no submissions to validate")
    _print_report(
        report.notes,
        [],
        report.problems,
        failed=f"problem(s) in {report.checked} submission(s)",
        passed=f"{report.checked} submission(s) valid",
    )


@group.command("verify")
def verify(
    submission: Path = typer.Argument(..., help="A submission directory (or its submission.json)."),
    model: str = typer.Option(..., "--model", "-m", help="The model spec to re-run, e.g. reference:runs/x."),
    data: list[str] = typer.Option(
        [], "--data", help="LOADER=PATH or LABEL:LOADER=PATH of the datasets it was evaluated on (repeat)."
    ),
    tolerance: float = typer.Option(1e-4, "--tolerance", min=0.0, help="Largest accepted score difference."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, mps."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Images or texts per forward pass."),
    datasets: list[Path] = typer.Option([], "--datasets", help="Extra known-dataset YAML (repeatable)."),
) -> None:
    """Re-run the model and compare every per-item score with the submitted one. Exit 0 only if all match."""
    from cxralign.leaderboard import Registry
    from cxralign.leaderboard.verify import verify_submission

    report = verify_submission(
        submission,
        model,
        list(data),
        device=device,
        batch_size=batch_size,
        tolerance=tolerance,
        registry=Registry.default(list(datasets)),
    )
    _print_report(
        report.notes,
        [f"match: {line}" for line in report.checked],
        report.problems,
        failed="problem(s): the submitted scores are not reproduced",
        passed=f"verified: {len(report.checked)} result(s) reproduced by {escape(model)}",
    )


@group.command("render")
def render(
    submissions: Path = typer.Option(DEFAULT_SUBMISSIONS, "--submissions", help="Submissions directory."),
    out: Path = typer.Option(Path("leaderboard/site"), "--out", help="Output directory of the static site."),
    datasets: list[Path] = typer.Option([], "--datasets", help="Extra known-dataset YAML (repeatable)."),
    reported: bool = typer.Option(
        True, "--reported/--no-reported", help="Include numbers reported in papers."
    ),
) -> None:
    """Validate every submission and write the static leaderboard (index.html, leaderboard.md, leaderboard.csv)."""
    from cxralign.leaderboard import Registry, render_leaderboard

    index, report = render_leaderboard(
        submissions, out, registry=Registry.default(list(datasets)), include_reported=reported
    )
    _out.print(f"leaderboard: {index} ({len(report.verified)} entries)")


@group.command("schema")
def schema(
    out: Path = typer.Option(
        Path("leaderboard/schema/submission.schema.json"), "--out", help="Where to write it."
    ),
) -> None:
    """Export the submission JSON Schema (from the pydantic models)."""
    from cxralign.leaderboard import schema_text
    from cxralign.utils.atomic import atomic_write_text

    atomic_write_text(out, schema_text())
    _out.print(f"schema written: {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="leaderboard")
