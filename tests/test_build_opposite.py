"""The balanced set's extra targets: negate and affirm variants of the same reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from _console import run_cli
from test_build import fabricated_reports

from cxralign.benchmark.selection import OPPOSITE_PRESENT, Candidate, TargetSelector

STATED = [Candidate("Edema", True), Candidate("Pleural Effusion", True), Candidate("Cardiomegaly", True),
          Candidate("Atelectasis", True)]  # fmt: skip
DENIED = [Candidate("Pneumothorax", False), Candidate("Consolidation", False)]


def test_a_stated_choice_gets_one_denied_and_more_stated_findings():
    selector = TargetSelector(seed=3)
    chosen = selector.choose("r1", STATED + DENIED)
    extra = selector.opposite("r1", STATED + DENIED, chosen)
    chosen_present = sum(c.present for c in chosen)
    assert sum(not c.present for c in extra) == (1 if chosen_present == len(chosen) else 0)
    assert sum(c.present for c in extra) + chosen_present == min(OPPOSITE_PRESENT, len(STATED))
    assert not {c.target for c in extra} & {c.target for c in chosen}
    assert len({c.target for c in extra}) == len(extra)


def test_a_denied_choice_gets_stated_findings_only():
    selector = TargetSelector(seed=3)
    found = [Candidate("Edema", True), *DENIED]
    chosen = [Candidate("Pneumothorax", False)]
    assert selector.opposite("r1", found, chosen) == [Candidate("Edema", True)]
    assert selector.opposite("r2", DENIED, chosen) == []  # nothing stated: nothing to negate
    assert selector.opposite("r3", found, []) == []


def test_the_extra_targets_leave_the_first_choices_as_they_are():
    reports = [(f"r{i}", (STATED[i % 4 :] + STATED[: i % 4])[: 1 + i % 3] + DENIED[: i % 2]) for i in range(60)]
    plain, with_extra = TargetSelector(seed=5), TargetSelector(seed=5)
    for report_id, found in reports:
        chosen = with_extra.choose(report_id, found)
        with_extra.opposite(report_id, found, chosen)
        assert plain.choose(report_id, found) == chosen
    assert plain.counts == with_extra.counts


def test_the_cap_holds_and_the_draw_is_seeded():
    def draws(seed: int) -> list[list[Candidate]]:
        selector = TargetSelector(seed=seed, opposite_cap=4)
        out = []
        for i in range(40):
            out.append(selector.opposite(f"r{i}", STATED + DENIED, [Candidate("Edema", True)]))
        assert max(selector.opposite_counts.values()) <= 4
        return out

    assert draws(1) == draws(1)
    assert sum(len(d) for d in draws(1)) == 5 * 4  # 3 stated + 2 denied findings, 4 each, then none


@pytest.fixture
def csv_source(tmp_path) -> Path:
    """Text only: the extra targets do not depend on images."""
    path = tmp_path / "reports.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["report_id", "patient_id", "report"])
        writer.writeheader()
        for row in fabricated_reports(n=60):
            writer.writerow({key: row[key] for key in ("report_id", "patient_id", "report")})
    return path


def _build(source, out, *flags):
    done = run_cli("build", "--source", "csv", "--root", str(source), "--text-column", "report",
                   "--out", str(out), *flags)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads((out / "manifest.json").read_text())


def test_the_cli_flag_turns_the_extra_targets_off(csv_source, tmp_path):
    with_extra = _build(csv_source, tmp_path / "on")
    without = _build(csv_source, tmp_path / "off", "--no-opposite")
    assert with_extra["options"]["opposite"] is True and without["options"]["opposite"] is False
    on, off = ({op: sum(v.values()) for op, v in m["counts"]["variants"].items()} for m in (with_extra, without))
    assert on["negate"] > off["negate"]
    assert on["omit"] == off["omit"]  # the extra targets are negate / affirm only
