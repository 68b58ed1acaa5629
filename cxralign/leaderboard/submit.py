"""Assemble a submission from ``cxralign eval`` results.

Reads every result JSON below a results directory (one model), copies each
per-item scores Parquet beside the new ``submission.json`` under a flat,
unambiguous name, fills the model card from the results' zoo card and the
caller's overrides, and validates the whole thing before it is moved into place:
an invalid submission is never written.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxralign import __version__
from cxralign.errors import ConfigError, InputError
from cxralign.leaderboard.registry import Registry
from cxralign.leaderboard.schema import (
    SUBMISSION_FILE,
    Submission,
    SubmittedModel,
    SubmittedTask,
    submission_text,
)
from cxralign.leaderboard.validate import Limits, validate_paths
from cxralign.tasks.results import TaskResult, ToolkitInfo
from cxralign.utils.atomic import atomic_directory
from cxralign.utils.hashing import sha256_file

DEFAULT_SUBMISSIONS_DIR = Path("leaderboard") / "submissions"


@dataclass
class CardOverrides:
    """What the author states about the model where its zoo card is silent or absent."""

    name: str | None = None
    version: str | None = None
    weights: str | None = None
    parameter_count: int | None = None
    licence: str | None = None
    training_datasets: list[str] = field(default_factory=list)
    citation: str | None = None


def _is_result(data: Any) -> bool:
    return isinstance(data, Mapping) and {"task", "task_version", "scores_file", "metrics"} <= set(data)


def collect_results(results_dir: Path) -> list[tuple[Path, TaskResult]]:
    """Every TaskResult below ``results_dir``, sorted by path; other JSON files are left alone."""
    from cxralign.tasks.io import find_results, read_result

    found = []
    for path in find_results(results_dir):
        try:
            data = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            continue
        if _is_result(data):
            found.append((path, read_result(path)))
    if not found:
        raise InputError(f"no cxralign result files under {results_dir} (run `cxralign eval` first)")
    fingerprints = sorted({r.model.fingerprint for _, r in found})
    if len(fingerprints) > 1:
        specs = sorted({r.model.spec for _, r in found})
        raise InputError(
            f"results under {results_dir} come from {len(fingerprints)} models ({', '.join(specs)}); "
            "a submission holds one model: pass RESULTS/<model-slug>"
        )
    return found


def _weights_reference(card: Mapping[str, Any]) -> str | None:
    weights = card.get("weights") or {}
    if not isinstance(weights, Mapping):
        return str(weights) or None
    for key in ("hub_id", "url", "file"):
        if weights.get(key):
            ref = str(weights[key])
            return f"{ref} (sha256 {weights['sha256']})" if weights.get("sha256") else ref
    return None


def _count_parameters(spec: str) -> int:
    from cxralign.models import load_model

    model = load_model(spec, device="cpu")
    counter = getattr(model, "parameter_count", None)
    if counter is None:
        raise ConfigError(f"{type(model).__name__} cannot count its parameters")
    return int(counter())


def model_entry(result: TaskResult, overrides: CardOverrides) -> SubmittedModel:
    """The submission's model card: overrides first, then the zoo card the results carry."""
    card: Mapping[str, Any] = result.model.card or {}
    count = overrides.parameter_count or card.get("parameter_count")
    if count is None:
        try:
            count = _count_parameters(result.model.spec)
        except Exception as error:  # any loader failure: the author can state the count instead
            raise ConfigError(
                f"parameter count of {result.model.spec} unknown (loading it failed: {error}); pass --params N"
            ) from None
    licence = overrides.licence or card.get("license") or card.get("licence")
    if not licence:
        raise ConfigError("the model's licence is unknown (no zoo card); pass --licence")
    training = overrides.training_datasets or list(
        card.get("training_data") or card.get("training_datasets") or []
    )
    if not training:
        raise ConfigError(
            "the model's training datasets are unknown; pass --training-data NAME (or 'undisclosed')"
        )
    return SubmittedModel(
        name=overrides.name or card.get("title") or card.get("name") or result.model.spec,
        version=overrides.version or card.get("version") or f"fingerprint-{result.model.fingerprint[:12]}",
        spec=result.model.spec,
        weights="random"
        if result.model.weights == "random"
        else overrides.weights or _weights_reference(card) or result.model.spec,
        fingerprint=result.model.fingerprint,
        parameter_count=int(count),
        licence=str(licence),
        training_datasets=[str(t) for t in training],
        citation=overrides.citation or card.get("citation"),
        parity=_parity_summary(card),
    )


def _parity_summary(card: Mapping[str, Any]) -> str | None:
    from cxralign.models.zoo import Parity

    return Parity.model_validate(card["parity"]).summary() if card.get("parity") else None


def scores_name(result: TaskResult) -> str:
    from cxralign.tasks.io import slugify

    return f"{slugify(result.task)}.{slugify(result.dataset)}.{slugify(result.split)}.scores.parquet"


_FROM_RESULT = (
    "task",
    "task_version",
    "dataset",
    "dataset_hash",
    "split",
    "main_score",
    "higher_is_better",
    "config",
    "metrics",
    "per_group",
    "scores_sha256",
    "created",
)
"""The fields a submitted task takes from its result file as they are."""


def task_entry(result: TaskResult) -> SubmittedTask:
    return SubmittedTask(
        **{name: getattr(result, name) for name in _FROM_RESULT},
        scores_file=scores_name(result),
        toolkit_version=result.toolkit.version,
    )


def assemble_submission(
    results_dir: str | Path,
    name: str,
    out_dir: str | Path = DEFAULT_SUBMISSIONS_DIR,
    overrides: CardOverrides | None = None,
    overwrite: bool = False,
    registry: Registry | None = None,
    limits: Limits | None = None,
) -> Path:
    """Write ``out_dir/name/`` (submission.json + scores files) and return the JSON path.

    The submission is validated in a temporary directory first; a problem raises
    InputError with every problem listed, and nothing is written.
    """
    results = collect_results(Path(results_dir))
    model = model_entry(results[0][1], overrides or CardOverrides())
    entries = [task_entry(result) for _, result in results]
    dates = sorted(e.created for e in entries)
    try:
        submission = Submission(
            name=name,
            date=dates[-1][:10],
            toolkit=ToolkitInfo(version=__version__, git_revision=results[0][1].toolkit.git_revision),
            model=model,
            tasks=entries,
        )
    except ValueError as error:
        raise InputError(f"cannot assemble submission {name!r}: {str(error).splitlines()[-2:]}") from None
    target = Path(out_dir) / name
    with atomic_directory(target, overwrite=overwrite) as tmp:
        for (path, result), entry in zip(results, entries, strict=True):
            source = path.with_name(result.scores_file)
            if not source.is_file() or sha256_file(source) != result.scores_sha256:
                raise InputError(f"scores file {source} is missing or does not match the sha256 in {path}")
            shutil.copyfile(source, tmp / entry.scores_file)
        (tmp / SUBMISSION_FILE).write_text(submission_text(submission), encoding="utf-8")
        report = validate_paths([tmp / SUBMISSION_FILE], registry=registry, limits=limits, dir_name=name)
        if report.problems:
            lines = "\n  ".join(str(p).replace(str(tmp), str(target)) for p in report.problems)
            raise InputError(f"submission {name!r} is not valid, nothing was written:\n  {lines}")
    return target / SUBMISSION_FILE
