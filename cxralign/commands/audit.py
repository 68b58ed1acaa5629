"""``cxralign audit``: read a sample of a build's variants by eye, then measure their error rate."""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from cxralign.errors import ConfigError, InputError

_out = Console(highlight=False)

group = typer.Typer(
    name="audit",
    help="Review a seeded sample of a build's variants and measure their error rate.",
    no_args_is_help=True,
)


@group.command("sample")
def sample(
    build: Path = typer.Argument(..., help="A `cxralign build` output directory."),
    out: Path = typer.Option(..., "--out", help="The review sheet to write (one offline HTML file)."),
    n: int = typer.Option(60, "--n", help="Variants to sample, equal per op where possible."),
    seed: int = typer.Option(0, "--seed", help="Sample seed (recorded with the audit)."),
    ops: str = typer.Option(None, "--ops", help="Comma-separated ops to sample (default: all in the build)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing sheet."),
) -> None:
    """Write a review sheet: originals and variants side by side, a verdict and a reason per row."""
    from cxralign.audit import draw_sample, write_sheet

    chosen = [part.strip() for part in ops.split(",") if part.strip()] if ops else None
    drawn = draw_sample(build, n=n, seed=seed, ops=chosen)
    path = write_sheet(drawn, out, overwrite=overwrite)
    shares = ", ".join(f"{op} {k}" for op, k in drawn.per_op.items())
    short = "" if len(drawn.items) == n else f" (the build has only {len(drawn.items)})"
    _out.print(f"review sheet written: {path} ({len(drawn.items)} variants{short}: {shares})")
    _out.print(f"open it in a browser, save the verdicts, then: cxralign audit score VERDICTS.json --build {build}")


def _table(score) -> Table:
    from cxralign.audit.score import OVERALL

    table = Table(title="variants judged wrong / awkward: % [Wilson 95% interval]", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("op", "n", "correct", "awkward", "wrong", "wrong %", "awkward %"):
        table.add_column(column, justify="left" if column == "op" else "right", no_wrap=True)
    for op, row in score.per_op.items():
        style = "bold" if op == OVERALL else None
        cells = (row.reviewed, row.correct, row.awkward, row.wrong)
        table.add_row(op, *map(str, cells), row.error.text(), row.awkward_rate.text(), style=style)
    return table


@group.command("score")
def score(
    verdicts: Path = typer.Argument(..., help="The verdict file a review sheet saved."),
    build: Path = typer.Option(None, "--build", help="The build the sheet was sampled from (checked)."),
    write: bool = typer.Option(False, "--write", help="Record the audit in the build's manifest.json and card."),
    reviewer: str = typer.Option(None, "--reviewer", help="Reviewer's name (default: the one in the file)."),
) -> None:
    """Error and awkward rates per op and overall, with Wilson 95% intervals."""
    from cxralign.audit import build_identity, load_verdicts, record_audit, score_verdicts
    from cxralign.audit.record import audit_record
    from cxralign.audit.verdicts import check_against_build
    from cxralign.utils.hashing import sha256_file

    judged = load_verdicts(verdicts)
    identity = None
    if build is not None:
        identity = build_identity(build)
        check_against_build(judged, identity, verdicts)
    result = score_verdicts(judged)
    _out.print(_table(result))
    missing = len(judged.unreviewed)
    if missing:
        _out.print(f"[yellow]{missing} of {len(judged.items)} sampled rows have no verdict yet[/]")
    if not write:
        return
    if identity is None:
        raise ConfigError("--write needs --build: the build whose manifest and card record the audit")
    if missing:
        raise InputError(f"{verdicts}: {missing} sampled row(s) have no verdict; judge every row before --write")
    name = (reviewer or judged.reviewer).strip()
    if not name:
        raise InputError(f"{verdicts}: no reviewer named (fill it in on the sheet, or pass --reviewer)")
    record = audit_record(judged, result, identity, sha256_file(verdicts), name)
    record_audit(identity, record)
    _out.print(f"audit recorded in {identity.path / 'manifest.json'} and {identity.path / 'README.md'}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="audit")
