"""CXR-Align: does the model prefer an image's true report over a minimally edited one?

For every (item, op) row of a built benchmark split the image is scored against
its original report and the edited variant (cosine similarity of normalised
embeddings). Figures, each with a 95% bootstrap interval, the chance level and
the blind (text-only) baseline from the build manifest:

- ``<op>.accuracy``: share of items where the original beats the variant (a tie
  counts one half). ``negation.accuracy`` is Task A, ``omission.accuracy`` Task B,
  ``affirmation.accuracy`` the control (only findings absent from the image),
  ``laterality`` / ``severity`` the clinical-detail swaps.
- ``<op>.accuracy_macro``: the mean of per-finding accuracies.
- ``<op>.grounded``: the image-grounded control. The same text pair is also scored
  against control images that lack the finding; an item's credit is the share
  of controls whose margin ``s(C, orig) - s(C, variant)`` the true image's margin
  beats. A model that only has a prior over texts gives every image the same
  margin and scores exactly 0.5.
- ``three_way.order`` / ``three_way.top1``: among original, omitted and negated
  reports of one item, the full order original > omitted > negated (chance 1/6)
  and the original ranked first (chance 1/3); ties are credited with the
  probability that a random tie-break gives the right answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxralign.tasks.base import Metrics, PerGroup
from cxralign.tasks.cxr_align_common import (
    PAIR_CHANCE,
    SHARED_HEADLINE,
    CxrAlignBase,
    cxr_align_metadata,
    group_metrics,
    scored_ops,
    scoring_settings,
    three_way_metrics,
)
from cxralign.tasks.metrics import bootstrap_group_macro_ci, mean_metric
from cxralign.tasks.registry import register_task
from cxralign.tasks.results import MetricValue


@register_task
class CxrAlignTask(CxrAlignBase):
    metadata = cxr_align_metadata(
        "1.0",
        "Image-grounded preference for the true report over negated, omitted, affirmed, "
        "side- and severity-swapped edits, with an image-grounded control.",
        main_score="negation.accuracy",
        metrics=(*SHARED_HEADLINE, "three_way.top1"),
    )

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        seed, n_boot, blind = scoring_settings(config)
        metrics: Metrics = {}
        per_group: PerGroup = {}
        all_credit, all_ops = [], []
        for pairs in scored_ops(scores, metrics):
            op, credit, targets, key = pairs.op, pairs.credit, pairs.targets, pairs.key
            metrics[key] = pairs.accuracy(seed, n_boot, blind)
            per_finding = group_metrics(credit, targets, seed, f"{key}/finding", n_boot, PAIR_CHANCE)
            if per_finding:
                macro = float(np.mean([m.value for m in per_finding.values()]))
                lo, hi = bootstrap_group_macro_ci(credit, targets, seed, f"{key}_macro", n_boot)
                metrics[f"{key}_macro"] = MetricValue(
                    value=macro,
                    ci_low=lo,
                    ci_high=hi,
                    n=len(per_finding),
                    chance=PAIR_CHANCE,
                    blind=blind.get(f"{key}_macro"),
                )
            per_group[f"{key}/finding"] = per_finding
            per_group[f"{key}/location"] = pairs.by_location(seed, n_boot)
            grounded = pairs.grounded()
            has_controls = np.isfinite(grounded)
            if has_controls.any():
                gkey = f"{op}.grounded"
                metrics[gkey] = mean_metric(
                    grounded[has_controls], seed, gkey, chance=PAIR_CHANCE, blind=PAIR_CHANCE, n_boot=n_boot
                )
                per_group[f"{gkey}/finding"] = group_metrics(
                    grounded[has_controls],
                    targets[has_controls],
                    seed,
                    f"{gkey}/finding",
                    n_boot,
                    PAIR_CHANCE,
                )
            metrics[f"{op}.margin"] = pairs.margin(seed, n_boot)
            all_credit.append(credit)
            all_ops.extend([op] * len(credit))
        if all_credit:
            credit = np.concatenate(all_credit)
            metrics["overall.accuracy"] = mean_metric(
                credit, seed, "overall.accuracy", chance=PAIR_CHANCE, n_boot=n_boot
            )
            op_means = [float(np.mean(credit[np.asarray(all_ops) == op])) for op in dict.fromkeys(all_ops)]
            lo, hi = bootstrap_group_macro_ci(
                credit, np.asarray(all_ops), seed, "overall.accuracy_macro", n_boot
            )
            metrics["overall.accuracy_macro"] = MetricValue(
                value=float(np.mean(op_means)), ci_low=lo, ci_high=hi, n=len(op_means), chance=PAIR_CHANCE
            )
        metrics.update(three_way_metrics(scores, seed, n_boot, blind))
        return {k: v for k, v in metrics.items() if v is not None}, per_group
