"""Render the leaderboard: a static page (no server, no CDN), Markdown and CSV.

Output depends only on the submissions and the zoo cards, never on when or
where it is rendered, so a re-render of unchanged inputs is byte-identical and
the committed site diffs cleanly. Every string from a submission goes through
Jinja2's autoescaping (HTML), ``md_cell`` (Markdown) or ``csv_cell`` (CSV).
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cxralign import __version__
from cxralign.errors import OutputExistsError
from cxralign.leaderboard.aggregate import Entry, Leaderboard
from cxralign.leaderboard.figures import Figure, table_figures
from cxralign.leaderboard.labels import finding_label, metric_description, metric_label
from cxralign.leaderboard.site import (
    FILES_DIR,
    MODELS_DIR,
    ModelLinks,
    copy_result_files,
    model_links,
    reproduce_command,
)
from cxralign.tasks.results import MetricValue
from cxralign.utils.atomic import atomic_directory

STATIC_FILES = ("style.css", "app.js")
PLOTS_DIR = "plots"
SITE_FILES = (
    "index.html",
    "leaderboard.md",
    "leaderboard.csv",
    *STATIC_FILES,
    MODELS_DIR,
    FILES_DIR,
    PLOTS_DIR,
)

# Diverging palette around chance: red below, neutral at chance, blue above (colour-blind safe, RdBu).
_BELOW = ((247, 247, 247), (244, 165, 130), (178, 24, 43))
_ABOVE = ((247, 247, 247), (146, 197, 222), (33, 102, 172))


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def fmt_params(count: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)


def fmt_interval(metric: MetricValue) -> str:
    if metric.ci_low is None or metric.ci_high is None:
        return ""
    return f"[{fmt(metric.ci_low)}, {fmt(metric.ci_high)}]"


def fmt_range(metric: MetricValue) -> str:
    """A compact 95% interval for narrow table cells: ``0.641–0.833``."""
    if metric.ci_low is None or metric.ci_high is None:
        return ""
    return f"{fmt(metric.ci_low)}\u2013{fmt(metric.ci_high)}"


def _mix(stops: tuple[tuple[int, int, int], ...], t: float) -> tuple[int, int, int]:
    t = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    f = t - i
    a, b = stops[i], stops[i + 1]
    return tuple(round(a[k] + (b[k] - a[k]) * f) for k in range(3))  # type: ignore[return-value]


def heat_style(value: float | None, low: float, high: float) -> str:
    """Inline background/foreground for a heat-map cell: neutral at ``low`` (chance), blue up to ``high``, red below."""
    if value is None:
        return "background:#fff;color:#888"
    if value >= low:
        rgb = _mix(_ABOVE, (value - low) / max(high - low, 1e-12))
    else:
        rgb = _mix(_BELOW, (low - value) / max(low, 1e-12))
    light = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return f"background:#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x};color:{'#111' if light > 140 else '#fff'}"


def md_cell(text: object) -> str:
    """Markdown table cell: HTML and Markdown syntax characters escaped, pipes and newlines neutralised."""
    value = str(text)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = re.sub(r"([\\`*_\[\]{}()#+!|~])", r"\\\1", value)
    return re.sub(r"\s*[\r\n]+\s*", " ", value)


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in strings (``=``, ``+``, ``-``, ``@`` at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cxralign.leaderboard", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=fmt, fmt_params=fmt_params, fmt_interval=fmt_interval, fmt_range=fmt_range, heat_style=heat_style,
        metric_label=metric_label, metric_description=metric_description, finding_label=finding_label,
    )  # fmt: skip
    return env


def _figures(board: Leaderboard, submission_dirs: Mapping[str, Path] | None) -> dict[str, list[Figure]]:
    return {t.key.slug: table_figures(t, submission_dirs) for t in [*board.tables, *board.superseded_tables]}


def _links(board: Leaderboard, cards: Mapping[str, Any] | None) -> dict[str, ModelLinks]:
    subs = {
        e.submission.name: e.submission for t in [*board.tables, *board.superseded_tables] for e in t.entries
    }
    return model_links([subs[name] for name in sorted(subs)], cards or {})


def render_html(
    board: Leaderboard,
    links: dict[str, ModelLinks] | None = None,
    figures: dict[str, list[Figure]] | None = None,
) -> str:
    """The main page; ``links`` and ``figures`` default to those needing no files (zoo cards unused)."""
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            board=board,
            toolkit_version=__version__,
            links=_links(board, None) if links is None else links,
            figures=_figures(board, None) if figures is None else figures,
            svg=Markup,
        )
    )


def render_model_page(links: ModelLinks, board: Leaderboard) -> str:
    """``models/<submission>.html``: the zoo card as a page, the spec to reproduce, the result files."""
    entries = [
        (t, e) for t in [*board.tables, *board.superseded_tables] for e in t.entries
        if e.submission.name == links.submission.name
    ]  # fmt: skip
    reported = [r for r in board.reported if links.card is not None and r.model == links.card.title]
    return (
        _environment()
        .get_template("model.html.j2")
        .render(
            links=links,
            entries=entries,
            reported=reported,
            reproduce=reproduce_command,
            toolkit_version=__version__,
        )
    )


def _entry_flags(entry: Entry) -> str:
    random = "random init" if entry.submission.model.weights == "random" else ""
    if entry.contamination == "contaminated":
        return "; ".join(filter(None, (f"contaminated ({', '.join(entry.overlap)})", random)))
    flag = "training data undisclosed" if entry.contamination == "undisclosed" else ""
    return "; ".join(filter(None, (flag, random)))


def render_markdown(board: Leaderboard) -> str:
    lines = [
        "# cxralign leaderboard",
        "",
        "Verified entries only: every number below was recomputed from the submission's per-item scores.",
        "Ranking: mean win rate over the benchmarks an entry covers (see docs/leaderboard.md).",
        "",
        "## Overall",
        "",
        "| rank | model | version | mean win rate | coverage | contamination | date | toolkit |",
        "|---:|---|---|---:|---:|---|---|---|",
    ]
    for row in board.overall:
        sub = row.submission
        flags = "; ".join([*row.contaminated_on, *(["random init"] if sub.model.weights == "random" else [])])
        lines.append(
            f"| {row.rank} | {md_cell(sub.model.name)} | {md_cell(sub.model.version)} | {fmt(row.mean_win_rate)} | "
            f"{row.covered}/{board.total_benchmarks} | {md_cell(flags)} | {sub.date} | {md_cell(sub.toolkit.version)} |"
        )
    for heading, tables in (
        ("", board.tables),
        ("Superseded task versions (not ranked)", board.superseded_tables),
    ):
        if heading and tables:
            lines += ["", f"## {heading}"]
        for table in tables:
            lines += [
                "",
                f"{'###' if heading else '##'} {md_cell(table.key.title)}",
                "",
                f"Main score: {md_cell(table.main_score)} ({'higher' if table.higher_is_better else 'lower'} is better); "
                f"source: {md_cell(', '.join(table.sources))}; dataset sha256 {table.key.dataset_hash[:12]}.",
                "",
                "| rank | model | "
                + " | ".join(md_cell(m) for m in table.metric_names)
                + " | flags | date |",
                "|---:|---|" + "---:|" * len(table.metric_names) + "---|---|",
            ]
            for e in table.entries:
                cells = []
                for name in table.metric_names:
                    metric = e.result.metrics.get(name)
                    cells.append(
                        "–" if metric is None else f"{fmt(metric.value)} {fmt_interval(metric)}".strip()
                    )
                lines.append(
                    f"| {e.rank} | {md_cell(e.submission.model.name)} | {' | '.join(cells)} | "
                    f"{md_cell(_entry_flags(e))} | {e.submission.date} |"
                )
    if board.reported:
        lines += [
            "",
            "## Reported by authors (not verified, not ranked)",
            "",
            "| model | task | dataset | metric | value | source |",
            "|---|---|---|---|---:|---|",
        ]
        for r in board.reported:
            lines.append(
                f"| {md_cell(r.model)} | {md_cell(r.task)} | {md_cell(r.dataset)} | {md_cell(r.metric)} | "
                f"{fmt(r.value)} | {md_cell(r.source)} |"
            )
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "task", "task_version", "dataset", "dataset_hash", "split", "superseded", "rank", "submission", "model",
    "model_version", "parameter_count", "main_score", "value", "ci_low", "ci_high", "n", "contamination",
    "overall_rank", "mean_win_rate", "coverage", "date", "toolkit_version",
)  # fmt: skip


def render_csv(board: Leaderboard) -> str:
    overall = {row.submission.name: row for row in board.overall}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in [*board.tables, *board.superseded_tables]:
        for e in table.entries:
            sub, main, row = e.submission, e.main, overall.get(e.submission.name)
            values = (
                table.key.task, table.key.task_version, table.key.dataset, table.key.dataset_hash, table.key.split,
                table.superseded, e.rank, sub.name, sub.model.name, sub.model.version, sub.model.parameter_count,
                table.main_score, repr(main.value), main.ci_low, main.ci_high, main.n, e.contamination,
                row.rank if row else "", "" if row is None or row.mean_win_rate is None else repr(row.mean_win_rate),
                f"{row.covered}/{board.total_benchmarks}" if row else "", sub.date, e.result.toolkit_version,
            )  # fmt: skip
            writer.writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


def write_site(
    board: Leaderboard,
    out_dir: str | Path,
    overwrite: bool = True,
    submission_dirs: Mapping[str, Path] | None = None,
    cards: Mapping[str, Any] | None = None,
) -> Path:
    """Write the site into ``out_dir`` atomically.

    index.html, style.css, app.js, leaderboard.md and leaderboard.csv; ``plots/`` (every SVG of the page);
    ``models/`` (one page per model, its zoo card from ``cards``) and ``files/`` (each submission's JSON,
    one JSON per result and its scores Parquet, copied from ``submission_dirs``: submission name -> directory).
    """
    out = Path(out_dir)
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in SITE_FILES)
        if foreign:
            raise OutputExistsError(
                f"{out} holds files a render did not write ({', '.join(foreign[:3])}); choose an empty or site directory"
            )
    static = importlib.resources.files("cxralign.leaderboard").joinpath("templates")
    links, figures = _links(board, cards), _figures(board, submission_dirs)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        (tmp / "index.html").write_text(render_html(board, links, figures), encoding="utf-8")
        (tmp / PLOTS_DIR).mkdir()
        for figure in (f for table_figures in figures.values() for f in table_figures):
            (tmp / PLOTS_DIR / f"{figure.slug}.svg").write_text(figure.svg + "\n", encoding="utf-8")
        (tmp / MODELS_DIR).mkdir()
        for name, model in links.items():
            (tmp / model.page).write_text(render_model_page(model, board), encoding="utf-8")
            if submission_dirs and name in submission_dirs:
                copy_result_files(tmp, model, submission_dirs[name])
        (tmp / "leaderboard.md").write_text(render_markdown(board), encoding="utf-8")
        (tmp / "leaderboard.csv").write_text(render_csv(board), encoding="utf-8")
        for name in STATIC_FILES:
            (tmp / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    return Path(out_dir) / "index.html"
