"""CXR-Align v2: a headline that needs the image.

Every single-op accuracy can be won from the text alone: the true report of a negate item
has fewer negation words than its variant, an omitted report is shorter. Version 2 leads
with two figures on which a model with only a prior over texts scores 0.5:

- ``balanced.accuracy`` (the main score): negate and affirm items of the same finding
  weighted equally, on the build's balanced set (rows whose ``balanced`` column is true: the
  subset, equal per finding, that the blind filter chose so that no text-only probe tells
  originals from variants; a build without the column: every negate and affirm row). Negate pairs a report stating the finding with its negation, affirm a
  report ruling it out with its affirmation, so any preference between "stated" and "ruled
  out" wins one op exactly as often as it loses the other. Per finding the mean of its two
  op accuracies, then the mean over findings that have both (a bootstrap interval over
  items, the (finding, op) cells kept).
- ``grounded.accuracy``: the same text pair scored against control images for which the
  edit's claim holds (``cxralign.benchmark.controls``): an item's credit is the share of
  controls whose margin the true image's margin beats. A constant image embedding gives
  every image the same margin (0.5); a perfect model 1. Macro over findings of its negate
  and affirm cells, as above. ``<op>.grounded`` is the same per op; ``affirmation.grounded``
  only for builds whose affirm controls hold the finding (``controls.policy`` in the manifest).

``negation.accuracy`` (Task A) and ``omission.accuracy`` (Task B) stay, comparable to the
original CXR-Align, each with its blind (text-only) figure from the build; both are
text-solvable (``TEXT_SOLVABLE``). Per-finding figures carry ``n``; those whose smallest
(finding, op) cell has fewer than ``min_finding_n`` items (30) are withheld from
``<metric>/finding`` and kept apart under ``<metric>/finding_low_n``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxralign.benchmark.controls import CONTROL_POLICY
from cxralign.tasks.base import Metrics, PerGroup, RunContext, ScoredSplit
from cxralign.tasks.cxr_align_common import (
    BALANCED_OPS,
    PAIR_CHANCE,
    SHARED_HEADLINE,
    CxrAlignBase,
    cxr_align_metadata,
    read_manifest,
    scored_ops,
    scoring_settings,
    three_way_metrics,
)
from cxralign.tasks.metrics import bootstrap_group_macro_ci, mean_metric
from cxralign.tasks.registry import register_task
from cxralign.tasks.results import MIN_FINDING_N, MetricValue

HEADLINE = ("balanced.accuracy", "grounded.accuracy", *SHARED_HEADLINE)
"""The figures a reader looks at first, in this order (``tasks list``, training validation logs)."""
TEXT_SOLVABLE = {
    "negation.accuracy": "Task A, comparable to the original CXR-Align; text-solvable: the true report "
    "has fewer negation words (a text-only rule scores ~1.0 before the blind filter)",
    "omission.accuracy": "Task B, comparable to the original CXR-Align; text-solvable: the true report "
    "is the longer one (a text-only rule scores ~1.0)",
    "affirmation.accuracy": "text-solvable alone: the true report has more negation words",
    "severity.accuracy": "partly text-solvable (grade words differ in frequency)",
}
"""What a reader must know beside each single-op accuracy (written into the result's config)."""


def cell_macro(
    values: np.ndarray,
    targets: np.ndarray,
    ops: np.ndarray,
    seed: int,
    key: str,
    n_boot: int,
    *,
    require_all: bool = True,
    min_n: int = MIN_FINDING_N,
) -> tuple[MetricValue | None, dict[str, MetricValue], dict[str, MetricValue]]:
    """Macro over findings of the mean over their op cells: (headline, per finding, per finding with n < min_n).

    ``require_all``: only findings with a cell of every op in ``ops`` count (the balanced set).
    A finding's ``n`` is its items; it is withheld when its smallest cell is below ``min_n``.
    """
    wanted = sorted(set(ops.tolist()))
    kept = np.zeros(len(values), dtype=bool)
    per_finding: dict[str, MetricValue] = {}
    low_n: dict[str, MetricValue] = {}
    for target in sorted(set(targets.tolist())):
        of_target = targets == target
        present = sorted(set(ops[of_target].tolist()))
        if require_all and present != wanted:
            continue
        kept |= of_target
        cells = [values[of_target & (ops == op)] for op in present]
        value = float(np.mean([cell.mean() for cell in cells]))
        lo, hi = bootstrap_group_macro_ci(
            values[of_target], ops[of_target], seed, f"{key}/finding={target}", n_boot
        )
        metric = MetricValue(value=value, ci_low=lo, ci_high=hi, n=int(of_target.sum()), chance=PAIR_CHANCE)
        (per_finding if min(len(c) for c in cells) >= min_n else low_n)[str(target)] = metric
    if not kept.any():
        return None, {}, {}
    cell = np.char.add(np.char.add(targets[kept].astype(str), "|"), ops[kept].astype(str))
    means = [m.value for m in (*per_finding.values(), *low_n.values())]
    lo, hi = bootstrap_group_macro_ci(values[kept], cell, seed, key, n_boot)
    headline = MetricValue(
        value=float(np.mean(means)), ci_low=lo, ci_high=hi, n=int(kept.sum()), chance=PAIR_CHANCE
    )
    return headline, per_finding, low_n


@register_task
class CxrAlignHeadlineTask(CxrAlignBase):
    metadata = cxr_align_metadata(
        "2.0",
        "Balanced (negate + affirm per finding) and image-grounded preference for the true "
        "report; Task A / Task B (comparable to the original CXR-Align) beside their blind figures.",
        main_score="balanced.accuracy",
        metrics=HEADLINE,
        headline=HEADLINE,
    )

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        seed, n_boot, blind = scoring_settings(config)
        min_n = int(config.get("min_finding_n", MIN_FINDING_N))
        affirm_grounded = (config.get("controls") or {}).get("policy") == CONTROL_POLICY
        metrics: Metrics = {}
        per_group: PerGroup = {}
        pooled: dict[str, list] = {"credit": [], "grounded": [], "target": [], "op": [], "balanced": []}
        for pairs in scored_ops(scores, metrics):
            op, rows, credit, targets, key = pairs.op, pairs.rows, pairs.credit, pairs.targets, pairs.key
            metrics[key] = pairs.accuracy(seed, n_boot, blind)
            macro, enough, low = cell_macro(
                credit, targets, np.full(len(credit), op), seed, key, n_boot, min_n=min_n
            )
            if macro is not None:
                metrics[f"{key}_macro"] = macro.model_copy(update={"n": len(enough) + len(low)})
            per_group[f"{key}/finding"], per_group[f"{key}/finding_low_n"] = enough, low
            per_group[f"{key}/location"] = pairs.by_location(seed, n_boot)
            grounded = pairs.grounded()
            if op == "affirmation" and not affirm_grounded:
                grounded[:] = np.nan  # controls drawn without the finding: the figure would mean nothing
            has = np.isfinite(grounded)
            if has.any():
                gkey = f"{op}.grounded"
                metrics[gkey] = mean_metric(
                    grounded[has], seed, gkey, chance=PAIR_CHANCE, blind=PAIR_CHANCE, n_boot=n_boot
                )
                _, enough, low = cell_macro(
                    grounded[has], targets[has], np.full(int(has.sum()), op), seed, gkey, n_boot, min_n=min_n
                )
                per_group[f"{gkey}/finding"], per_group[f"{gkey}/finding_low_n"] = enough, low
            metrics[f"{op}.margin"] = pairs.margin(seed, n_boot)
            if op in BALANCED_OPS:
                flags = rows["balanced"].to_numpy().astype(bool) if "balanced" in rows else np.ones(len(rows), bool)
                for name, values in (("credit", credit), ("grounded", grounded), ("target", targets)):
                    pooled[name].append(values)
                pooled["op"].append(np.full(len(credit), op))
                pooled["balanced"].append(flags)
        metrics.update(self._headline(pooled, seed, n_boot, min_n, blind, per_group))
        metrics.update(three_way_metrics(scores, seed, n_boot, blind))
        return {k: v for k, v in metrics.items() if v is not None}, {k: v for k, v in per_group.items() if v}

    @staticmethod
    def _headline(pooled: dict, seed: int, n_boot: int, min_n: int, blind: dict, per_group: PerGroup) -> Metrics:
        if not pooled["credit"]:
            return {}
        credit, grounded, targets, ops, chosen = (
            np.concatenate(pooled[k]) for k in ("credit", "grounded", "target", "op", "balanced")
        )
        out: Metrics = {}
        balanced, enough, low = cell_macro(
            credit[chosen], targets[chosen], ops[chosen], seed, "balanced.accuracy", n_boot, min_n=min_n
        )
        if balanced is not None:
            out["balanced.accuracy"] = balanced.model_copy(update={"blind": blind.get("balanced.accuracy")})
            per_group["balanced.accuracy/finding"], per_group["balanced.accuracy/finding_low_n"] = enough, low
        has = np.isfinite(grounded)
        if has.any():
            value, enough, low = cell_macro(
                grounded[has], targets[has], ops[has], seed, "grounded.accuracy", n_boot,
                require_all=False, min_n=min_n,
            )  # fmt: skip
            if value is not None:
                out["grounded.accuracy"] = value.model_copy(update={"blind": PAIR_CHANCE})
                per_group["grounded.accuracy/finding"], per_group["grounded.accuracy/finding_low_n"] = enough, low
        return out

    def run(self, ctx: RunContext) -> list[ScoredSplit]:
        """Score as version 1 does; the config adds the control policy, the minimum n and the notes."""
        controls = read_manifest(ctx.data.root).get("controls") or {}
        out = super().run(ctx)
        for scored in out:
            scored.config["controls"] = {"policy": controls.get("policy")}
            scored.config["balanced_set"] = _balanced_set_kind(ctx.data.root, scored.split)
            scored.config["min_finding_n"] = int(ctx.options.get("min_finding_n", MIN_FINDING_N))
            scored.config["notes"] = dict(TEXT_SOLVABLE)
        return out


def _balanced_set_kind(root, split: str) -> str:
    """What ``balanced.accuracy`` was scored on: the build's chosen subset, or (an older build)
    every negate and affirm row."""
    from pathlib import Path

    import pyarrow.parquet as pq

    files = sorted(Path(root).glob(f"data/*/{split}.parquet"))
    flagged = any("balanced" in pq.read_schema(path).names for path in files)
    return "the build's balanced set (column balanced)" if flagged else "every negate and affirm row (no balanced column)"
