"""``cxralign label``: label a report corpus like the CheXpert labeler, with explanations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from cxralign.data.corpora import SOURCES, read_corpus
from cxralign.utils.progress import make_progress
from cxralign.vocab import VOCABULARIES

if TYPE_CHECKING:  # the report engine loads when labelling runs, not when any command starts
    from cxralign.reports.label_job import LabelSummary

MAX_LISTED = 10
"""Skipped inputs and decode repairs listed by name; the rest are counted."""


def label(
    input: Path | None = typer.Argument(
        None,
        help="CSV, JSONL, MIMIC-CXR reports folder or zip, OpenI .tgz or CheXpert Plus CSV. "
        "Omit with --source openi to use the copy shipped by torchxrayvision.",
        show_default=False,
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output CSV: one row per report.", show_default=False),
    source: str | None = typer.Option(
        None, help=f"Input kind: {', '.join(SOURCES)}. Default: inferred from INPUT.", show_default=False
    ),
    vocab: str = typer.Option("chexpert", help=f"Label columns: {', '.join(VOCABULARIES)}."),
    text_column: str | None = typer.Option(None, help="CSV/JSONL column holding the report text."),
    id_column: str | None = typer.Option(None, help="CSV/JSONL column holding the report id."),
    sections: str | None = typer.Option(
        None, help="Comma-separated sections to analyse. Default: findings,impression, else the whole text."
    ),
    workers: int = typer.Option(1, min=1, help="Processes for the report engine."),
    explain: Path | None = typer.Option(
        None, help="Also write every mention (span, cue, decision) as JSONL."
    ),
    lexicon: Path | None = typer.Option(None, help="YAML file extending the bundled lexicon."),
    allow_duplicate_ids: bool = typer.Option(
        False, "--allow-duplicate-ids", help="Keep reports that share an id."
    ),
    no_header: bool = typer.Option(False, "--no-header", help="The CSV has no header: one report per row."),
    images: Path | None = typer.Option(None, help="Images root (MIMIC-CXR-JPG, OpenI PNG, CheXpert Plus)."),
) -> None:
    """Label reports: one row per report, 1.0 / 0.0 / -1.0 / blank per finding, like the CheXpert labeler."""
    from cxralign.reports.label_job import label_corpus

    reader = read_corpus(
        source,
        input,
        text_column=text_column,
        id_column=id_column,
        allow_duplicate_ids=allow_duplicate_ids,
        has_header=not no_header,
        images_root=images,
    )
    section_names = tuple(s.strip() for s in sections.split(",") if s.strip()) if sections else None
    with make_progress() as progress:
        task = progress.add_task("labelling", total=len(reader))
        summary = label_corpus(
            reader,
            out,
            vocab=vocab,
            sections=section_names,
            workers=workers,
            explain=explain,
            lexicon=lexicon,
            on_report=lambda: progress.advance(task),
        )
        progress.update(task, completed=len(reader))  # inputs skipped while reading count as done
    print_summary(summary, out, explain, Console())


def print_summary(summary: LabelSummary, out: Path, explain: Path | None, console: Console) -> None:
    """The end-of-run table: per finding mentions, negated/uncertain shares and report labels."""
    table = Table(
        title=f"{summary.n_reports:,} reports labelled ({summary.vocab})",
        title_justify="left",
        caption="mentions: explicit mentions in the analysed sections; 1.0 / 0.0 / -1.0: reports with that label",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("finding", no_wrap=True)
    for header in ("mentions", "negated", "uncertain", "1.0", "0.0", "-1.0"):
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for name, counts in summary.findings.items():
        table.add_row(
            name,
            f"{counts.mentions:,}",
            f"{counts.share('negated'):.0%}" if counts.mentions else "-",
            f"{counts.share('uncertain'):.0%}" if counts.mentions else "-",
            f"{counts.reports_positive:,}",
            f"{counts.reports_negative:,}",
            f"{counts.reports_uncertain:,}",
        )
    console.print(table)
    lines = [
        f"{summary.n_mentions:,} mentions ({summary.n_mentions_outside_vocab:,} of concepts outside {summary.vocab}); "
        f"{summary.n_empty:,} empty reports got blank rows; "
        f"{summary.seconds:.1f} s, {summary.reports_per_second:,.0f} reports/s",
        f"wrote {out}" + (f" and {explain}" if explain is not None else ""),
    ]
    if summary.skipped:
        lines.append(f"[yellow]skipped {_plural(len(summary.skipped), 'input')}:[/]")
        lines += [f"  {where}: {why}" for where, why in summary.skipped[:MAX_LISTED]]
        if len(summary.skipped) > MAX_LISTED:
            lines.append(f"  ... and {len(summary.skipped) - MAX_LISTED:,} more")
    if summary.n_decode_replaced:
        places = summary.decode_replaced_in
        shown = ", ".join(places[:MAX_LISTED]) + (
            f" and {len(places) - MAX_LISTED:,} more" if len(places) > MAX_LISTED else ""
        )
        lines.append(
            f"[yellow]replaced {summary.n_decode_replaced:,} undecodable byte sequences[/] in {shown}"
        )
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def register(app: typer.Typer) -> None:
    app.command("label", no_args_is_help=True)(label)
