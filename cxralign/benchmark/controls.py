"""Control images: same split, other patients, chosen so that the *edit's* claim holds for them.

The grounded score compares the true image's margin ``s(I, original) - s(I, variant)`` with the
margins of control images. A control is informative only when the variant is right about it and
the original wrong: for ``affirm`` (the original says the finding is absent, the variant that it is
present) that is an image whose report states the finding; for every other op (the original states
the finding, the variant drops, negates or changes it) an image whose report states neither the
finding nor a finding that looks like it on a film (``CORRELATED``). A perfect model then scores 1
and a model with only a prior over texts 0.5, for every op.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from functools import lru_cache

DEFAULT_CONTROLS = 4
CONTROL_POLICY = "edit-holds/v2"
"""Recorded in the manifest: the evaluator reports ``affirmation.grounded`` only under this policy
(older builds drew affirm controls without the finding, which makes the control carry no information)."""

CORRELATED_GROUPS: tuple[tuple[str, ...], ...] = (
    # parenchymal opacities a film does not tell apart reliably
    ("Lung Opacity", "Consolidation", "Pneumonia", "Atelectasis", "Edema", "Lung Lesion"),
    ("Cardiomegaly", "Enlarged Cardiomediastinum"),
    ("Pleural Effusion", "Pleural Other"),
)
"""Findings correlated on the film: an image stating one is never a control for another of its group."""


def _correlated(groups: Iterable[tuple[str, ...]]) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in groups:
        for finding in group:
            table.setdefault(finding, set()).update(f for f in group if f != finding)
    return {finding: frozenset(others) for finding, others in table.items()}


CORRELATED: dict[str, frozenset[str]] = _correlated(CORRELATED_GROUPS)


def excluded_findings(target: str) -> frozenset[str]:
    """The target and every finding correlated with it: a control for a present-finding edit states none."""
    return CORRELATED.get(target, frozenset()) | {target}


@lru_cache(maxsize=4096)
def _present(labels_json: str | None) -> frozenset[str]:
    if not labels_json:
        return frozenset()
    labels = json.loads(labels_json)
    return frozenset(name for name, value in labels.items() if value == 1.0)


def control_suits(op: str, target: str, stated: Sequence[str], present: frozenset[str]) -> bool:
    """Is an image whose report states ``stated`` (present ``present``) a control for this (op, target)?"""
    if op in ("affirm", "affirmation"):
        return target in present
    return excluded_findings(target).isdisjoint(stated)


def assign_controls(rows: Sequence[dict], seed: int, k: int = DEFAULT_CONTROLS) -> None:
    """Fill ``control_image_ids`` of the rows of one split (any mix of ops), in place.

    Candidates are the images of the rows given (so the evaluator, which reads a split's files
    together, can resolve them) from other patients, suited to the row's op (``control_suits``).
    Rows of one item share the seeded draw, so its ops are scored against the same controls.
    """
    pool = sorted(
        {
            (row["image_id"], row["patient_id"], tuple(row["_stated"]), row.get("labels"))
            for row in rows
            if row["has_image"]
        },
        key=lambda entry: entry[0],
    )
    for row in rows:
        row["control_image_ids"] = []
        if not row["has_image"] or k <= 0 or not pool:
            continue
        key = hashlib.sha256(f"{seed}:{row['item_id']}:controls".encode()).hexdigest()
        rng = random.Random(key)
        chosen: list[str] = []
        seen: set[str] = set()
        order = list(range(len(pool)))
        if len(pool) > 64:
            order = [rng.randrange(len(pool)) for _ in range(min(len(pool), 32 * k))]
        else:
            rng.shuffle(order)
        for index in order:
            image_id, patient_id, stated, labels = pool[index]
            if image_id in seen or image_id == row["image_id"]:
                continue
            seen.add(image_id)
            if patient_id is not None and patient_id == row["patient_id"]:
                continue
            if not control_suits(row.get("op", ""), row["target"], stated, _present(labels)):
                continue
            chosen.append(image_id)
            if len(chosen) >= k:
                break
        row["control_image_ids"] = chosen
