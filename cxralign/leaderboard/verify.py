"""Re-run a submission's model and compare the per-item scores it claims with the ones it gets.

``validate`` proves that a submission agrees with itself (its metrics follow from
its scores file, the file has the stated sha256, the dataset hash is a known
release); it cannot tell scores a model produced from scores someone typed.
``verify_submission`` can, for a model whose weights the verifier has: it loads
the model, evaluates it on the same data (matched by dataset hash) in a
temporary directory, and compares every scored item within ``tolerance``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxralign.errors import InputError
from cxralign.leaderboard.registry import Registry
from cxralign.leaderboard.schema import SUBMISSION_FILE
from cxralign.leaderboard.validate import validate_paths

DEFAULT_TOLERANCE = 1e-4  # scores are similarities in [-1, 1]; float32 kernels differ by far less


@dataclass
class VerifyReport:
    """What was compared, and every disagreement found (one line each)."""

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _as_numbers(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool | np.bool_) or isinstance(b, bool | np.bool_) or isinstance(a, str) or isinstance(b, str):
        return a == b
    x, y = _as_numbers(a), _as_numbers(b)
    if x is None or y is None:
        return a == b
    if x.shape != y.shape:
        return False
    return bool(np.all((np.abs(x - y) <= tolerance) | (np.isnan(x) & np.isnan(y))))


def compare_scores(submitted: pd.DataFrame, recomputed: pd.DataFrame, tolerance: float) -> str | None:
    """``None`` when both tables hold the same items with scores within ``tolerance``, else the reason."""
    if sorted(submitted.columns) != sorted(recomputed.columns):
        extra = sorted(set(submitted.columns) ^ set(recomputed.columns))
        return f"score columns differ ({', '.join(map(str, extra[:4]))})"
    if len(submitted) != len(recomputed):
        return f"{len(submitted)} items submitted, {len(recomputed)} recomputed"
    if "item_id" in submitted.columns and submitted["item_id"].is_unique:
        submitted = submitted.sort_values("item_id", kind="stable").reset_index(drop=True)
        recomputed = recomputed.sort_values("item_id", kind="stable").reset_index(drop=True)
        if not submitted["item_id"].equals(recomputed["item_id"]):
            return "the submitted items are not the items of this dataset"
    mismatched: list[tuple[int, str]] = []
    for column in submitted.columns:
        for row, (a, b) in enumerate(zip(submitted[column], recomputed[column], strict=True)):
            if not _same(a, b, tolerance):
                mismatched.append((row, column))
    if not mismatched:
        return None
    rows = sorted({row for row, _ in mismatched})
    row, column = mismatched[0]
    where = submitted["item_id"][row] if "item_id" in submitted.columns else f"row {row}"
    return (
        f"{len(rows)} of {len(submitted)} items differ beyond {tolerance:g} "
        f"(e.g. {where} {column}: submitted {submitted[column][row]!r}, recomputed {recomputed[column][row]!r})"
    )


def verify_submission(
    folder: Path,
    model_spec: str,
    data: list[str],
    *,
    device: str = "auto",
    batch_size: int = 64,
    tolerance: float = DEFAULT_TOLERANCE,
    registry: Registry | None = None,
    trust_checkpoint: bool = False,
) -> VerifyReport:
    """Validate ``folder``'s submission, re-run ``model_spec`` on ``data`` and compare per-item scores."""
    from cxralign.data.downstream import LoadOptions
    from cxralign.models import load_model
    from cxralign.tasks.runner import DataSpec, Evaluation

    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    if not (folder / SUBMISSION_FILE).is_file():
        raise InputError(f"{folder} holds no {SUBMISSION_FILE}")
    validation = validate_paths([folder], registry=registry)
    report = VerifyReport(problems=[str(p) for p in validation.problems], notes=list(validation.notes))
    if not validation.verified:
        return report
    submission = validation.verified[0].submission
    if not data:
        raise InputError("no data: pass --data LOADER=PATH for the datasets the submission was evaluated on")
    specs = [DataSpec.parse(d) for d in data]
    model = load_model(model_spec, device=device, trust_checkpoint=trust_checkpoint)
    if model.fingerprint() != submission.model.fingerprint:
        report.notes.append(
            f"model fingerprint {model.fingerprint()} differs from the submitted {submission.model.fingerprint} "
            "(other weights or preprocessing); the scores decide"
        )
    tasks = list(dict.fromkeys(entry.task for entry in submission.tasks))
    first_config = submission.tasks[0].config
    options = first_config.get("data_options") or {}
    views = options.get("views")
    load_options = LoadOptions(
        uncertain=options.get("uncertain", "ignore"),
        views=tuple(views) if views else None,
        one_per_patient=bool(options.get("one_per_patient", False)),
        seed=int(options.get("seed", 0)),
    )
    with tempfile.TemporaryDirectory(prefix="cxralign-verify-") as scratch:
        evaluation = Evaluation(
            model,
            specs,
            Path(scratch),
            seed=int(first_config.get("seed", 0)),
            batch_size=batch_size,
            device=str(getattr(model, "device", "cpu")),
            cache=None,
            bootstrap=0,
            load_options=load_options,
        )
        outcomes = evaluation.run(tasks)
        recomputed: dict[tuple[str, str, str], pd.DataFrame] = {}
        for outcome in outcomes:  # read back as written, so both sides went through Parquet
            for result, path in zip(outcome.results, outcome.paths, strict=True):
                scores = pd.read_parquet(Path(path).with_name(result.scores_file))
                recomputed[(result.task, result.split, result.dataset_hash)] = scores
    failures = [f"{o.task} on {o.dataset}: {o.message}" for o in outcomes if o.status == "failed"]
    for entry in submission.tasks:
        key = (entry.task, entry.split, entry.dataset_hash)
        if key not in recomputed:
            report.problems.append(
                f"{entry.label}: not recomputed; no --data gave dataset {entry.dataset} with hash "
                f"{entry.dataset_hash[:12]}" + (f" ({'; '.join(failures)})" if failures else "")
            )
            continue
        submitted = pd.read_parquet(folder / entry.scores_file)
        reason = compare_scores(submitted, recomputed[key], tolerance)
        if reason:
            report.problems.append(f"{entry.label}: {reason}")
        else:
            report.checked.append(f"{entry.label}: {len(submitted)} items match within {tolerance:g}")
    return report
