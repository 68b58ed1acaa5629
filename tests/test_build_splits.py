"""Stratified patient splits: every (finding, op) cell gets enough test items to be reported."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from cxralign.benchmark.splits import MIN_TEST_ITEMS, cell_quotas, stratified_splits
from cxralign.tasks.cxr_align_headline import MIN_FINDING_N

OPS = ("negate", "omit", "laterality", "severity")


def _corpus(seed: int = 0, patients: int = 3000, reports: int = 9000) -> dict[str, Counter]:
    """Correlated cells as a build makes them: a stated finding gives items in several ops at once,
    a rare finding is rare in all of them, and a patient has several reports."""
    rng = random.Random(seed)
    frequency = {"Edema": 0.30, "Pneumonia": 0.10, "Fracture": 0.02, "Pleural Other": 0.008}
    cells: dict[str, Counter] = defaultdict(Counter)
    for _ in range(reports):
        patient = f"p{rng.randrange(patients)}"
        finding = rng.choice(list(frequency))
        if rng.random() < frequency[finding]:
            for op in OPS:
                if rng.random() < (0.25 if op == "severity" else 0.6):
                    cells[patient][(finding, op)] += 1
        elif rng.random() < 0.05:
            cells[patient][(finding, "affirm")] += 1
    return dict(cells)


def _test_counts(cells: dict[str, Counter], splits: dict[str, str]) -> tuple[Counter, Counter]:
    totals, test = Counter(), Counter()
    for patient, held in cells.items():
        totals.update(held)
        if splits[patient] == "test":
            test.update(held)
    return totals, test


def test_every_cell_gets_its_minimum_before_the_proportional_fill():
    cells = _corpus()
    splits = stratified_splits(cells)
    assert set(splits) == set(cells)  # one split per patient: patient-disjoint by construction
    totals, test = _test_counts(cells, splits)
    assert min(totals.values()) < MIN_TEST_ITEMS < max(totals.values())  # small and large cells both
    for cell, total in totals.items():
        if total < MIN_TEST_ITEMS:
            continue  # too small to report; the floors of its finding's other ops may pull it into test
        assert test[cell] >= MIN_TEST_ITEMS, (cell, total, test[cell])
        # patients carry several cells, so a cell lands a few items off its quota
        assert abs(test[cell] - max(0.2 * total, MIN_TEST_ITEMS)) <= max(5, 0.03 * total), (
            cell,
            total,
            test[cell],
        )
    shares = Counter()
    for patient, held in cells.items():
        shares[splits[patient]] += sum(held.values())
    everything = sum(shares.values())
    assert shares["train"] / everything > 0.6 and shares["validation"] / everything > 0.07


def test_without_the_minimum_rare_cells_fall_short():
    """The proportional split alone leaves cells of 40-149 items below 30 test items (the bug fixed)."""
    cells = _corpus()
    totals, test = _test_counts(cells, stratified_splits(cells, min_test=0))
    short = [cell for cell, total in totals.items() if total >= 40 and test[cell] < MIN_TEST_ITEMS]
    assert short
    totals, test = _test_counts(cells, stratified_splits(cells))
    assert all(test[cell] >= MIN_TEST_ITEMS for cell in short)


def test_splits_do_not_depend_on_input_order():
    cells = _corpus(seed=1, patients=800, reports=2400)
    shuffled = list(cells.items())
    random.Random(5).shuffle(shuffled)
    assert stratified_splits(dict(shuffled)) == stratified_splits(cells)


def test_quotas_and_the_reporting_threshold_agree():
    assert MIN_TEST_ITEMS == MIN_FINDING_N
    shares = {"train": 0.7, "validation": 0.1, "test": 0.2}
    quotas = cell_quotas(Counter({"big": 1000, "mid": 60, "small": 12}), shares)
    assert quotas["test"] == {"big": 200.0, "mid": 30.0, "small": pytest.approx(2.4)}
    assert quotas["train"]["mid"] == pytest.approx(30 * 0.875)
    assert quotas["validation"]["small"] == pytest.approx(1.2)  # too small to report: split in proportion
    assert cell_quotas(Counter({"a": 10}), {"test": 1.0}) == {"test": {"a": 10.0}}
