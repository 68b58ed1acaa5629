"""From verified submissions to tables: per-benchmark tables and the overall ranking.

A *benchmark* is one (task, task version, dataset, dataset hash, split): only
results on exactly the same items under exactly the same task code share a
table. Results on a superseded task version get tables of their own, listed
apart and never ranked.

Overall ranking, the **mean win rate**: on each current benchmark with at least
two entries, an entry's win rate is the share of the other entries it beats on
the benchmark's main score (a tie counts one half), which is a normalised rank
(1 = first, 0 = last) that needs no assumption about the scale of the metric.
An entry's score is the mean of its win rates over the benchmarks it has
results on; its coverage (benchmarks covered / benchmarks on the board) is
shown beside it, and entries covering more benchmarks rank first, because a
mean over fewer benchmarks is not comparable. Ties go to the submission name,
so the order is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxralign.leaderboard.schema import Submission, SubmittedTask
from cxralign.leaderboard.sources import benchmark_sources, contamination
from cxralign.leaderboard.validate import VerifiedSubmission
from cxralign.tasks.results import MIN_FINDING_N, MetricValue
from cxralign.vocab import CHEXPERT_14

FINDING_GROUP_KEYS = ("finding", "target", "observation", "label")
_TIE = 1e-12


@dataclass(frozen=True)
class BenchmarkKey:
    task: str
    task_version: str
    dataset: str
    dataset_hash: str
    split: str

    @property
    def slug(self) -> str:
        import re

        raw = f"{self.task}-v{self.task_version}-{self.dataset}-{self.split}-{self.dataset_hash[:8]}"
        return re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")

    @property
    def title(self) -> str:
        return f"{self.task} v{self.task_version} · {self.dataset} / {self.split}"


@dataclass
class Entry:
    """One submission's result on one benchmark."""

    submission: Submission
    result: SubmittedTask
    contamination: str  # clean / contaminated / undisclosed
    overlap: list[str]
    rank: int = 0
    win_rate: float | None = None

    @property
    def main(self) -> MetricValue:
        return self.result.metrics[self.result.main_score]


@dataclass
class HeatMap:
    findings: list[str]
    rows: list[tuple[Entry, list[MetricValue | None]]]
    metric: str
    low: float
    high: float


@dataclass
class BenchmarkTable:
    key: BenchmarkKey
    main_score: str
    higher_is_better: bool
    metric_names: list[str]
    sources: list[str]
    entries: list[Entry]
    superseded: bool
    heatmap: HeatMap | None = None


@dataclass
class OverallRow:
    rank: int
    submission: Submission
    mean_win_rate: float | None
    covered: int
    contaminated_on: list[str]
    undisclosed: bool


@dataclass
class ReportedRow:
    model: str
    task: str
    dataset: str
    metric: str
    value: float
    source: str
    citation: str
    notes: str | None = None
    url: str | None = None  # the paper


@dataclass
class Leaderboard:
    overall: list[OverallRow]
    total_benchmarks: int
    tables: list[BenchmarkTable]
    superseded_tables: list[BenchmarkTable]
    reported: list[ReportedRow] = field(default_factory=list)


def _better(a: float, b: float, higher_is_better: bool) -> bool:
    return a > b + _TIE if higher_is_better else a < b - _TIE


def _rank_entries(entries: list[Entry], higher_is_better: bool) -> None:
    """Sort best first (name breaks ties), set competition ranks and win rates."""
    sign = -1.0 if higher_is_better else 1.0
    entries.sort(key=lambda e: (sign * e.main.value, e.submission.name))
    for e in entries:
        beaten_by = sum(_better(o.main.value, e.main.value, higher_is_better) for o in entries if o is not e)
        e.rank = beaten_by + 1
        if len(entries) > 1:
            wins = sum(_better(e.main.value, o.main.value, higher_is_better) for o in entries if o is not e)
            ties = len(entries) - 1 - wins - beaten_by
            e.win_rate = (wins + 0.5 * ties) / (len(entries) - 1)


def finding_values(result: SubmittedTask) -> dict[str, MetricValue]:
    """Per-finding values of the main score, less those over fewer items than the result's
    ``min_finding_n`` (cxr-align 2.0 records it) or ``MIN_FINDING_N`` (30), whichever is larger:
    a submission may record a lower minimum, but the leaderboard never shows a smaller cell.

    ``per_group`` may hold them as ``{"<main>/finding": {finding: value}}`` (cxr-align),
    ``{"finding": {finding: value}}``, or ``{"finding=<name>": {metric: value}}``. cxr-align 2.0
    withholds small findings itself; older results and other tasks are filtered here (a value
    without ``n`` is kept: nothing says it is small).
    """
    minimum = max(int(result.config.get("min_finding_n", MIN_FINDING_N)), MIN_FINDING_N)
    values = _finding_values(result).items()
    return {name: value for name, value in values if value.n is None or value.n >= minimum}


def _finding_values(result: SubmittedTask) -> dict[str, MetricValue]:
    main = result.main_score
    for key in (f"{main}/{g}" for g in FINDING_GROUP_KEYS):
        if key in result.per_group:
            return dict(result.per_group[key])
    for key in FINDING_GROUP_KEYS:
        if key in result.per_group:
            return dict(result.per_group[key])
    out: dict[str, MetricValue] = {}
    for group, metrics in result.per_group.items():
        head, sep, tail = group.partition("=")
        if sep and head.strip().lower() in FINDING_GROUP_KEYS and main in metrics:
            out[tail.strip()] = metrics[main]
    return out


def _finding_order(names: set[str]) -> list[str]:
    known = [f for f in CHEXPERT_14 if f in names]
    return known + sorted(names - set(known))


def _heatmap(table: BenchmarkTable) -> HeatMap | None:
    if not table.key.task.lower().startswith("cxr-align"):
        return None
    per_entry = [(e, finding_values(e.result)) for e in table.entries]
    findings = _finding_order({f for _, values in per_entry for f in values})
    if not findings:
        return None
    rows = [(e, [values.get(f) for f in findings]) for e, values in per_entry]
    chance = [e.main.chance for e in table.entries if e.main.chance is not None]
    low = (
        min(chance) if chance else min((v.value for _, vs in rows for v in vs if v is not None), default=0.0)
    )
    return HeatMap(findings, rows, table.main_score, low=float(low), high=1.0)


def _metric_order(main: str, entries: list[Entry], headline: tuple[str, ...]) -> list[str]:
    """Main score first, then the task's headline metrics present (every metric when it names none)."""
    names = {m for e in entries for m in e.result.metrics}
    rest = [m for m in headline if m in names and m != main] if headline else sorted(names - {main})
    return [main, *rest]


def build_leaderboard(
    verified: list[VerifiedSubmission], reported: list[ReportedRow] | None = None
) -> Leaderboard:
    groups: dict[tuple[BenchmarkKey, bool], list[Entry]] = {}
    sources_of: dict[BenchmarkKey, set[str]] = {}
    headline_of: dict[BenchmarkKey, tuple[str, ...]] = {}
    for item in sorted(verified, key=lambda v: v.submission.name):
        sub = item.submission
        headlines = item.headline_metrics or [()] * len(sub.tasks)
        for result, status, registered, headline in zip(
            sub.tasks, item.task_status, item.dataset_sources, headlines, strict=True
        ):
            key = BenchmarkKey(
                result.task, result.task_version, result.dataset, result.dataset_hash, result.split
            )
            headline_of[key] = headline
            sources = benchmark_sources(result.dataset, result.config, list(registered) or None)
            sources_of.setdefault(key, set()).update(sources)
            flag, overlap = contamination(sub.model.training_datasets, sources)
            groups.setdefault((key, status == "superseded"), []).append(Entry(sub, result, flag, overlap))
    tables: list[BenchmarkTable] = []
    for (key, superseded), entries in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0].slug)):
        first = entries[0].result
        _rank_entries(entries, first.higher_is_better)
        table = BenchmarkTable(
            key=key,
            main_score=first.main_score,
            higher_is_better=first.higher_is_better,
            metric_names=_metric_order(first.main_score, entries, headline_of[key]),
            sources=sorted(sources_of[key]),
            entries=entries,
            superseded=superseded,
        )
        table.heatmap = _heatmap(table)
        tables.append(table)
    current = [t for t in tables if not t.superseded]
    overall = _overall(current, [v.submission for v in verified])
    return Leaderboard(
        overall=overall,
        total_benchmarks=len(current),
        tables=current,
        superseded_tables=[t for t in tables if t.superseded],
        reported=sorted(reported or [], key=lambda r: (r.task, r.dataset, r.metric, r.model)),
    )


def _overall(tables: list[BenchmarkTable], submissions: list[Submission]) -> list[OverallRow]:
    stats: dict[str, dict[str, Any]] = {
        s.name: {"sub": s, "rates": [], "covered": 0, "contaminated": [], "undisclosed": False}
        for s in submissions
    }
    for table in tables:
        for e in table.entries:
            row = stats[e.submission.name]
            row["covered"] += 1
            if e.win_rate is not None:
                row["rates"].append(e.win_rate)
            if e.contamination == "contaminated":
                row["contaminated"].append(table.key.title)
            row["undisclosed"] |= e.contamination == "undisclosed"
    rows = [
        OverallRow(
            rank=0,
            submission=r["sub"],
            mean_win_rate=sum(r["rates"]) / len(r["rates"]) if r["rates"] else None,
            covered=r["covered"],
            contaminated_on=r["contaminated"],
            undisclosed=r["undisclosed"],
        )
        for r in stats.values()
        if r["covered"]
    ]
    rows.sort(
        key=lambda r: (
            -r.covered,
            -(r.mean_win_rate if r.mean_win_rate is not None else -1),
            r.submission.name,
        )
    )
    previous: tuple[int, float | None] | None = None
    for position, row in enumerate(rows, start=1):
        current = (row.covered, None if row.mean_win_rate is None else round(row.mean_win_rate, 12))
        row.rank = rows[position - 2].rank if previous == current else position
        previous = current
    return rows
