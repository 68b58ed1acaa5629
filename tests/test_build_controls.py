"""Control images: the edit's claim holds for them, and no correlated finding is stated."""

from __future__ import annotations

import json

import pytest

from cxralign.benchmark.controls import CORRELATED, assign_controls, excluded_findings
from cxralign.vocab import CHEXPERT_14


def _row(k: int, op: str, target: str, stated: dict[str, float]) -> dict:
    labels = {name: stated.get(name) for name in CHEXPERT_14}
    return {
        "item_id": f"r{k}/{target}",
        "image_id": f"img{k}",
        "patient_id": f"p{k}",
        "has_image": True,
        "op": op,
        "target": target,
        "labels": json.dumps(labels),
        "_stated": tuple(sorted(n for n, v in stated.items() if v in (1.0, -1.0))),
    }


def test_correlated_table_is_symmetric_and_excludes_the_target_itself():
    for finding, others in CORRELATED.items():
        assert finding not in others
        for other in others:
            assert finding in CORRELATED[other]
    assert {"Consolidation", "Lung Opacity", "Pneumonia"} <= excluded_findings("Pneumonia")
    assert excluded_findings("Fracture") == {"Fracture"}


@pytest.fixture()
def split_rows():
    rows = [_row(0, "negate", "Pneumonia", {"Pneumonia": 1.0})]
    rows.append(_row(1, "affirm", "Pneumothorax", {"Pneumothorax": 0.0}))
    k = 2
    for stated in (
        {"Consolidation": 1.0},  # correlated with pneumonia: never its control
        {"Lung Opacity": -1.0},  # uncertain, still stated
        {"Pneumonia": 0.0},  # ruled out: a fine control for pneumonia
        {"Fracture": 1.0},
        {"Pneumothorax": 1.0, "Fracture": 1.0},
        {"Pneumothorax": -1.0},  # only possible: not a control for affirming it
        {},
    ):
        for _ in range(4):
            rows.append(_row(k, "omit", "Fracture" if "Fracture" in stated else "Edema", stated))
            k += 1
    return rows


def test_present_finding_edits_never_get_a_correlated_control(split_rows):
    assign_controls(split_rows, seed=0, k=50)
    by_image = {row["image_id"]: row for row in split_rows}
    controls = split_rows[0]["control_image_ids"]
    assert controls, "some images state none of the pneumonia group"
    for image_id in controls:
        assert excluded_findings("Pneumonia").isdisjoint(by_image[image_id]["_stated"])
    assert len(controls) == 5 * 4 + 1  # every set but consolidation and lung opacity, and the affirm row


def test_affirm_controls_state_the_affirmed_finding(split_rows):
    assign_controls(split_rows, seed=0, k=50)
    by_image = {row["image_id"]: row for row in split_rows}
    controls = split_rows[1]["control_image_ids"]
    assert len(controls) == 4
    for image_id in controls:
        assert json.loads(by_image[image_id]["labels"])["Pneumothorax"] == 1.0
