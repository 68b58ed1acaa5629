"""``cxralign build``: CXR-Align splits from a report corpus, or the official release imported."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cxralign.errors import ConfigError

_out = Console()
_err = Console(stderr=True)


def _split_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _summary_table(summary) -> Table:
    from cxralign.benchmark.selection import TARGETS

    ops = sorted(summary.variants)
    balanced = summary.balanced

    def written(op: str, finding: str) -> int:
        return summary.variants.get(op, {}).get(finding, 0)

    table = Table(title="CXR-Align build (variants written)", show_footer=True)
    table.add_column("finding", footer="total")
    for op in ops:
        table.add_column(op, justify="right", footer=str(sum(written(op, f) for f in summary.variants[op])))
    if balanced:
        total = sum(sum(v.values()) for v in balanced.values())
        table.add_column("balanced set", justify="right", style="magenta", footer=str(total))
    unsupported_total = sum(sum(v.values()) for v in summary.unsupported.values())
    table.add_column(
        "failed verification", justify="right", style="yellow", footer=str(summary.rejection_total)
    )
    table.add_column("no edit possible", justify="right", style="dim", footer=str(unsupported_total))
    for finding in TARGETS:
        counts = [written(op, finding) for op in ops]
        chosen = [str(sum(v.get(finding, 0) for v in balanced.values()))] if balanced else []
        rejected = sum(summary.rejected.get(op, {}).get(finding, 0) for op in summary.rejected)
        unsupported = sum(summary.unsupported.get(op, {}).get(finding, 0) for op in summary.unsupported)
        if any(counts) or rejected or unsupported:
            table.add_row(finding, *map(str, counts), *chosen, str(rejected), str(unsupported))
    return table


def _blind_table(blind: dict) -> Table:
    from cxralign.benchmark.probes import PROBES, WARN_ABOVE

    table = Table(title="blind (text-only) probes: held-out accuracy without the image")
    for column in ("set", "pairs", *PROBES, "max"):
        table.add_column(column, justify="right" if column != "set" else "left")
    for name, row in blind.items():
        values = [row.get(f"{probe}_accuracy") for probe in PROBES] + [row.get("max_accuracy")]
        cells = ["-" if v is None else f"[bold red]{v:.1%}[/]" if name == "balanced" and v > WARN_ABOVE
                 else f"{v:.1%}" for v in values]  # fmt: skip
        table.add_row(name, str(row["pairs"]), *cells)
    return table


def _filter_line(report: dict) -> str:
    """How the blind filter chose the balanced set, with the probes' maximum on fresh folds before and after."""
    if not report:
        return "blind filter: off (--no-blind-filter): the balanced set is drawn at random, equal per finding"
    rounds = report.get("rounds") or []
    if not rounds:
        return f"blind filter: not run ({report['pool']:,} negate + affirm variants: too few pairs, or one op missing)"
    first, last = rounds[0], rounds[-1]
    line = (
        f"blind filter: balanced set of {report.get('balanced_pairs', last['balanced_pairs']):,} negate + affirm "
        f"variants chosen from {report['pool']:,} (all kept in their ops) in {len(rounds) - 1} round(s); max over "
        f"probes {first['accuracy']:.1%} on the whole pool, {last['accuracy']:.1%} on what is left"
    )
    if report.get("reached_target") is False:
        line += f" [yellow](stopped at its floor of {report['keep_balanced_pairs']:,} pairs before reaching {report['target']:.0%})[/]"
    return line


def register(app: typer.Typer) -> None:
    @app.command("build")
    def build(
        out: Path = typer.Option(..., "--out", help="Output directory (written atomically)."),
        source: str = typer.Option(
            None, "--source", help="mimic, chexpert-plus, openi, csv, jsonl or phantoms."
        ),
        root: Path = typer.Option(
            None,
            "--root",
            help="The source's reports (file or folder); openi defaults to the torchxrayvision copy.",
        ),
        images: Path = typer.Option(
            None, "--images", help="Images root (MIMIC-CXR-JPG, CheXpert Plus, OpenI PNGs)."
        ),
        ops: str = typer.Option(
            "negate,omit,affirm,laterality,severity", "--ops", help="Comma-separated rewrite ops."
        ),
        findings: str = typer.Option(
            None, "--findings", help="Comma-separated CheXpert observations (default: all 13)."
        ),
        per_report: int = typer.Option(1, "--per-report", help="Target findings per report."),
        max_per_finding: int = typer.Option(
            None, "--max-per-finding", help="Cap items per finding (and presence)."
        ),
        seed: int = typer.Option(0, "--seed", help="Seeds rewrite choices, target selection, controls and blind baselines."),
        workers: int = typer.Option(1, "--workers", help="Worker processes."),
        controls: int = typer.Option(
            4, "--controls", help="Control images per item (same split, target absent)."
        ),
        require_images: bool = typer.Option(
            False, "--require-images", help="Fail when an item has no image."
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output directory."),
        rejected: Path = typer.Option(None, "--rejected", help="Write rejected rewrites (JSONL) for review."),
        strip_comparisons: bool = typer.Option(
            False, "--strip-comparisons", help="Remove comparison language first."
        ),
        preview: int = typer.Option(0, "--preview", help="Print N originals and variants side by side."),
        text_column: str = typer.Option(None, "--text-column", help="csv/jsonl: report text column."),
        id_column: str = typer.Option(None, "--id-column", help="csv/jsonl: report id column."),
        phrasing: str = typer.Option(
            "corpus",
            "--phrasing",
            help="corpus: contradicting statements drawn from the corpus's own (blind-safer); rules: rule-made only.",
        ),
        blind_filter: bool = typer.Option(
            True,
            "--blind-filter/--no-blind-filter",
            help="Drop the negate / affirm variants a text-only classifier tells apart (AFLite).",
        ),
        opposite: bool = typer.Option(
            True,
            "--opposite/--no-opposite",
            help="Also negate a stated finding / affirm a denied one of a report whose target is the other kind (balanced set).",
        ),
        import_official: Path = typer.Option(
            None, "--import-official", help="Official cxr-align.json to convert."
        ),
    ) -> None:
        """Build CXR-Align splits (negate, omit, affirm, laterality, severity) from a report corpus."""
        if import_official is not None:
            _import(import_official, images, out, overwrite, seed, controls)
            return
        if source is None:
            raise ConfigError(
                "give --source (mimic, chexpert-plus, openi, csv, jsonl, phantoms) or --import-official"
            )
        from cxralign.benchmark import BuildOptions, build_benchmark
        from cxralign.benchmark.selection import TARGETS
        from cxralign.rewrite import OPS
        from cxralign.utils.progress import make_progress

        options = BuildOptions(
            source=source,
            out=out,
            root=root,
            images_root=images,
            ops=_split_list(ops) or OPS,
            findings=_split_list(findings) or TARGETS,
            per_report=per_report,
            max_per_finding=max_per_finding,
            seed=seed,
            workers=workers,
            controls=controls,
            require_images=require_images,
            overwrite=overwrite,
            rejected=rejected,
            strip_comparisons=strip_comparisons,
            text_column=text_column,
            id_column=id_column,
            phrasing=phrasing,
            blind_filter=blind_filter,
            opposite=opposite,
        )
        with make_progress() as progress:
            summary = build_benchmark(options, progress=progress)
        _out.print(
            f"reports read {summary.reports_read:,} (skipped {summary.reports_skipped:,}); eligible {summary.eligible:,}; "
            f"no eligible finding {summary.no_eligible_finding:,}; items {summary.items:,} "
            f"({summary.without_image:,} text-only); capped {summary.capped:,}; wall time {summary.wall_time_s:.1f} s"
        )
        _out.print(_summary_table(summary))
        _out.print(_blind_table(summary.blind))
        _out.print(_filter_line(summary.blind_filter))
        balanced = summary.blind.get("balanced", {})
        if balanced.get("draws") and balanced.get("max_accuracy") is not None:
            low, high = balanced["max_ci95"]
            _out.print(f"balanced set: max over probes {balanced['max_accuracy']:.1%} (mean of {balanced['draws']} "
                       f"fold draws, 95% CI {low:.1%}-{high:.1%}; highest single draw "
                       f"{balanced['max_single_draw']:.1%})")  # fmt: skip
        if balanced.get("near_chance") is False:
            _out.print(f"[bold red]warning: a text-only probe scores {balanced['max_accuracy']:.1%} (above 55%) on the "
                       "balanced negate + affirm set: the rewrites leave text artefacts; read docs/benchmark.md "
                       "before using these splits[/]")  # fmt: skip
        if preview:
            import pyarrow.parquet as pq

            from cxralign.benchmark.load import benchmark_files
            from cxralign.benchmark.preview import render_preview

            rows = [
                row
                for op, splits in benchmark_files(out).items()
                for split in splits
                for row in pq.read_table(out / "data" / op / f"{split}.parquet").to_pylist()
            ]
            render_preview(rows, preview, seed, _out)
        if summary.credentialed:
            _err.print(f"[yellow]reminder: {out} holds {source} report text; it stays under the source's data use "
                       "agreement (no sharing, no upload, no online services).[/]")  # fmt: skip
        _out.print(f"wrote {out}")


def _import(path: Path, images: Path | None, out: Path, overwrite: bool, seed: int, controls: int) -> None:
    from cxralign.benchmark import import_official

    manifest = import_official(path, out, images, overwrite=overwrite, seed=seed, controls=controls)
    counts = manifest["counts"]
    _out.print(
        f"imported {counts['items']:,} of {counts['entries']:,} entries ({counts['with_image']:,} with images); "
        f"splits {counts['splits']}; unknown findings {counts['unknown_findings'] or 'none'}"
    )
    _err.print("[yellow]reminder: the official CXR-Align release and MIMIC-CXR are credentialed PhysioNet data; "
               f"{out} stays under their data use agreements.[/]")  # fmt: skip
    _out.print(f"wrote {out}")
