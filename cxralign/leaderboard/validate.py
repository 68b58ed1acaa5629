"""Check submissions before they reach the leaderboard: every number must be earned.

``validate_paths`` runs every check on every submission and returns all the
problems at once, one line each, so an author fixes them in one round:

- size limits on the JSON and the scores files (checked before anything is parsed);
- the schema (pydantic, the same models the JSON Schema is exported from);
- the task version is registered (a superseded version is accepted but kept apart
  from current results, never mixed) and the dataset hash is a known release;
- each scores file: a plain name beside the JSON, its sha256, readable Parquet, and
  no free-text columns (report text must never be shared);
- every metric, value and interval bounds, recomputes from the scores through the
  task's own ``metrics_from_scores`` to within ``tolerance``;
- numbers are finite, intervals contain their value, counts are positive;
- submission names, model name + version, and (task, dataset, split) are unique.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import ValidationError

from cxralign.errors import CxrAlignError
from cxralign.leaderboard.registry import Registry, ResolvedTask, TaskStatus
from cxralign.leaderboard.schema import SUBMISSION_FILE, Submission, SubmittedTask
from cxralign.tasks.results import MetricValue
from cxralign.utils.hashing import sha256_bytes

MiB = 1 << 20
TOLERANCE = 1e-9

# Columns that would carry report text; any string column with longer values is refused too.
TEXT_COLUMN_NAMES = frozenset(
    {
        "report",
        "text",
        "original",
        "variant",
        "chosen",
        "rejected",
        "findings",
        "impression",
        "sentence",
        "caption",
        "prompt",
        "prompts",
        "reports",
        "texts",
        "changes",
    }
)
MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class Limits:
    """Size limits: a leaderboard lives in a git repository and is rendered into one page."""

    max_json_bytes: int = 2 * MiB
    max_scores_bytes: int = 32 * MiB
    max_submission_bytes: int = 128 * MiB
    tolerance: float = TOLERANCE


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class VerifiedSubmission:
    """A submission that passed every check, with the status of each task version."""

    path: Path
    submission: Submission
    task_status: list[TaskStatus]
    dataset_sources: list[tuple[str, ...]]
    headline_metrics: list[tuple[str, ...]] = field(default_factory=list)  # per task, from its metadata


@dataclass
class ValidationReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verified: list[VerifiedSubmission] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.checked > 0


def _human(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def find_submissions(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Submission JSON files named by ``paths``: a JSON file, a submission directory, or a directory of them."""
    found: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_file():
            found.append(path)
        elif (path / SUBMISSION_FILE).is_file():
            found.append(path / SUBMISSION_FILE)
        elif path.is_dir():
            children = sorted(p / SUBMISSION_FILE for p in path.iterdir() if (p / SUBMISSION_FILE).is_file())
            strays = sorted(
                p.name for p in path.iterdir() if p.is_dir() and not (p / SUBMISSION_FILE).is_file()
            )
            problems.extend(Problem(str(path / s), f"directory has no {SUBMISSION_FILE}") for s in strays)
            if not children and not strays:
                problems.append(Problem(str(path), "no submissions found"))
            found.extend(children)
        else:
            problems.append(Problem(str(path), "no such file or directory"))
    return found, problems


def _finite_problems(metrics: Mapping[str, MetricValue], prefix: str) -> list[str]:
    out = []
    for name, metric in metrics.items():
        for attr in ("value", "ci_low", "ci_high", "chance", "blind"):
            x = getattr(metric, attr)
            if x is not None and not math.isfinite(x):
                out.append(f"{prefix}metric {name!r} {attr} is {x} (must be finite)")
        lo, hi, v = metric.ci_low, metric.ci_high, metric.value
        if (lo is None) != (hi is None):
            out.append(f"{prefix}metric {name!r} has only one interval bound")
        elif (
            lo is not None
            and hi is not None
            and math.isfinite(lo + hi + v)
            and not (lo - 1e-12 <= v <= hi + 1e-12)
        ):
            out.append(f"{prefix}metric {name!r} value {v} is outside its interval [{lo}, {hi}]")
        if metric.n is not None and metric.n < 1:
            out.append(f"{prefix}metric {name!r} has n={metric.n} (must be at least 1)")
    return out


def _differs(a: float | int | None, b: float | int | None, tolerance: float) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    if math.isnan(a) or math.isnan(b):
        return not (math.isnan(a) and math.isnan(b))
    return abs(float(a) - float(b)) > tolerance


def compare_metrics(
    claimed: Mapping[str, MetricValue], recomputed: Mapping[str, Any], prefix: str, tolerance: float
) -> list[str]:
    """One message per metric whose claimed value or interval differs from the recomputed one."""
    out = []
    recomputed = {
        k: v if isinstance(v, MetricValue) else MetricValue.model_validate(v) for k, v in recomputed.items()
    }
    for name in sorted(set(recomputed) - set(claimed)):
        out.append(f"{prefix}metric {name!r} is missing (the task computes it from the scores)")
    for name in sorted(set(claimed) - set(recomputed)):
        out.append(f"{prefix}metric {name!r} is not one the task computes")
    for name in sorted(set(claimed) & set(recomputed)):
        mine, truth = claimed[name], recomputed[name]
        for attr in ("value", "ci_low", "ci_high", "chance", "blind"):
            a, b = getattr(mine, attr), getattr(truth, attr)
            if _differs(a, b, tolerance):
                out.append(
                    f"{prefix}metric {name!r} does not match its scores: {attr} is {a}, "
                    f"recomputed {b} (tolerance {tolerance:g})"
                )
        if mine.n is not None and truth.n is not None and mine.n != truth.n:
            out.append(
                f"{prefix}metric {name!r} does not match its scores: n is {mine.n}, recomputed {truth.n}"
            )
    return out


def text_columns(table: pa.Table) -> list[str]:
    """Columns that could hold free text: known text field names, or strings longer than a label."""
    bad = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
            column = column.cast(kind)
        is_string = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        is_string_list = (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
            pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
        )
        if name.lower() in TEXT_COLUMN_NAMES and (is_string or is_string_list or pa.types.is_binary(kind)):
            bad.append(name)
        elif is_string:
            lengths = pc.utf8_length(column)
            longest = pc.max(lengths).as_py()
            if longest is not None and longest > MAX_LABEL_CHARS:
                bad.append(name)
        elif is_string_list:
            lengths = pc.utf8_length(pc.list_flatten(column))
            longest = pc.max(lengths).as_py() if len(lengths) else None
            if longest is not None and longest > MAX_LABEL_CHARS:
                bad.append(name)
    return bad


class _Checker:
    def __init__(self, registry: Registry, limits: Limits) -> None:
        self.registry = registry
        self.limits = limits

    def submission(
        self, json_path: Path, dir_name: str | None = None
    ) -> tuple[VerifiedSubmission | None, list[Problem]]:
        where = str(json_path)
        size = json_path.stat().st_size
        if size > self.limits.max_json_bytes:
            return None, [
                Problem(where, f"file is {_human(size)}, over the {_human(self.limits.max_json_bytes)} limit")
            ]
        try:
            data = json.loads(json_path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return None, [Problem(where, f"not valid JSON ({error})")]
        try:
            submission = Submission.model_validate(data)
        except ValidationError as error:
            return None, [
                Problem(where, f"schema: {'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}")
                for e in error.errors(include_url=False)
            ]
        problems: list[Problem] = []
        folder_name = dir_name or json_path.parent.name
        if json_path.name == SUBMISSION_FILE and folder_name != submission.name:
            problems.append(
                Problem(
                    where,
                    f"submission name {submission.name!r} differs from its directory {folder_name!r}",
                )
            )
        problems += self._stray_files(json_path, submission)
        seen: dict[tuple[str, str, str], int] = {}
        statuses: list[TaskStatus] = []
        sources: list[tuple[str, ...]] = []
        headlines: list[tuple[str, ...]] = []
        for i, entry in enumerate(submission.tasks):
            if entry.key in seen:
                problems.append(
                    Problem(
                        where, f"tasks[{i}] repeats {'/'.join(entry.key)} (also tasks[{seen[entry.key]}])"
                    )
                )
            seen.setdefault(entry.key, i)
            resolved, entry_problems = self.entry(json_path.parent, entry)
            statuses.append(resolved.status if resolved else "current")
            headlines.append(tuple(getattr(resolved.task.metadata, "metrics", ()) or ()) if resolved else ())
            sources.append(self.registry.dataset_source(entry.dataset))
            problems += [Problem(where, f"tasks[{i}] {entry.label}: {m}") for m in entry_problems]
        if problems:
            return None, problems
        return VerifiedSubmission(json_path, submission, statuses, sources, headlines), []

    def _stray_files(self, json_path: Path, submission: Submission) -> list[Problem]:
        if json_path.name != SUBMISSION_FILE:
            return []
        allowed = {SUBMISSION_FILE} | {t.scores_file for t in submission.tasks}
        problems = []
        total = 0
        for path in sorted(json_path.parent.rglob("*")):
            if path.is_file():
                total += path.stat().st_size
                rel = path.relative_to(json_path.parent).as_posix()
                if rel not in allowed:
                    problems.append(
                        Problem(
                            str(path), "unexpected file (a submission holds its JSON and scores files only)"
                        )
                    )
        if total > self.limits.max_submission_bytes:
            problems.append(
                Problem(
                    str(json_path.parent),
                    f"submission is {_human(total)}, over the {_human(self.limits.max_submission_bytes)} limit",
                )
            )
        return problems

    def entry(self, folder: Path, entry: SubmittedTask) -> tuple[ResolvedTask | None, list[str]]:
        problems: list[str] = []
        resolved: ResolvedTask | None = None
        try:
            resolved = self.registry.resolve(entry.task, entry.task_version)
        except CxrAlignError as error:
            problems.append(str(error))
        if resolved is not None:
            meta = resolved.task.metadata
            if entry.main_score != meta.main_score:
                problems.append(f"main_score is {entry.main_score!r}, the task's is {meta.main_score!r}")
            if entry.higher_is_better != bool(meta.higher_is_better):
                problems.append(
                    f"higher_is_better is {entry.higher_is_better}, the task's is {meta.higher_is_better}"
                )
        dataset_problem = self.registry.check_dataset(entry.dataset, entry.dataset_hash)
        if dataset_problem:
            problems.append(dataset_problem)
        problems += _finite_problems(entry.metrics, "")
        for group, metrics in sorted(entry.per_group.items()):
            problems += _finite_problems(metrics, f"per_group {group!r} ")
        if entry.main_score not in entry.metrics:
            problems.append(f"main score {entry.main_score!r} is not among its metrics")
        scores, scores_problems = self.scores(folder, entry)
        problems += scores_problems
        if scores is not None and resolved is not None:
            problems += self.recompute(resolved, scores, entry)
        return resolved, problems

    def scores(self, folder: Path, entry: SubmittedTask) -> tuple[pd.DataFrame | None, list[str]]:
        path = folder / entry.scores_file
        if not path.is_file():
            return None, [f"scores file {entry.scores_file} is missing"]
        size = path.stat().st_size
        if size > self.limits.max_scores_bytes:
            return None, [
                f"scores file {entry.scores_file} is {_human(size)}, over the {_human(self.limits.max_scores_bytes)} limit"
            ]
        data = path.read_bytes()
        digest = sha256_bytes(data)
        if digest != entry.scores_sha256:
            return None, [
                f"scores file {entry.scores_file} has sha256 {digest[:16]}..., the submission says "
                f"{entry.scores_sha256[:16]}... (file swapped or edited)"
            ]
        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError) as error:
            return None, [f"scores file {entry.scores_file} is not readable Parquet ({error})"]
        bad = text_columns(table)
        if bad:
            return None, [
                f"scores file {entry.scores_file} has free-text column(s) {', '.join(bad)}: report text must not be "
                f"shared (strings over {MAX_LABEL_CHARS} characters or text field names are refused)"
            ]
        if table.num_rows == 0:
            return None, [f"scores file {entry.scores_file} has no rows"]
        return table.to_pandas(), []

    def recompute(self, resolved: ResolvedTask, scores: pd.DataFrame, entry: SubmittedTask) -> list[str]:
        try:
            metrics, per_group = resolved.task.metrics_from_scores(scores, dict(entry.config))
        except Exception as error:  # the scores do not fit the task: report, never crash the whole run
            return [f"metrics cannot be recomputed from {entry.scores_file}: {type(error).__name__}: {error}"]
        tol = self.limits.tolerance
        problems = compare_metrics(entry.metrics, metrics, "", tol)
        for group in sorted(set(per_group) - set(entry.per_group)):
            problems.append(f"per_group {group!r} is missing (the task computes it from the scores)")
        for group in sorted(set(entry.per_group) - set(per_group)):
            problems.append(f"per_group {group!r} is not one the task computes")
        for group in sorted(set(per_group) & set(entry.per_group)):
            problems += compare_metrics(
                entry.per_group[group], per_group[group], f"per_group {group!r} ", tol
            )
        return problems


def validate_paths(
    paths: Iterable[Path],
    registry: Registry | None = None,
    limits: Limits | None = None,
    dir_name: str | None = None,
) -> ValidationReport:
    """Validate every submission under ``paths``; the report lists every problem found, one per line.

    ``dir_name`` stands in for the directory name of a submission being staged elsewhere.
    """
    registry = registry or Registry.default()
    checker = _Checker(registry, limits or Limits())
    files, problems = find_submissions(paths)
    report = ValidationReport(checked=len(files), problems=list(problems))
    names: dict[str, Path] = {}
    models: dict[tuple[str, str], Path] = {}
    for json_path in files:
        verified, found = checker.submission(json_path, dir_name)
        report.problems += found
        if verified is None:
            continue
        sub = verified.submission
        if sub.name in names:
            report.problems.append(
                Problem(str(json_path), f"duplicate submission name {sub.name!r} (also {names[sub.name]})")
            )
            continue
        model_key = (sub.model.name, sub.model.version)
        if model_key in models:
            report.problems.append(
                Problem(
                    str(json_path),
                    f"duplicate model {sub.model.name!r} version {sub.model.version!r} (also {models[model_key]})",
                )
            )
            continue
        names[sub.name] = json_path
        models[model_key] = json_path
        for entry, status in zip(sub.tasks, verified.task_status, strict=True):
            if status == "superseded":
                report.notes.append(
                    f"{json_path}: {entry.label} is a superseded task version; it is shown apart, never ranked"
                )
        report.verified.append(verified)
    return report
