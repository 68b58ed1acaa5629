"""Per-finding figures over fewer than 30 items are withheld everywhere they are shown."""

from __future__ import annotations

from types import SimpleNamespace

from cxralign.leaderboard.aggregate import finding_values
from cxralign.tasks.html_report import withheld_by_n
from cxralign.tasks.results import MIN_FINDING_N, MetricValue


def _value(n: int | None) -> MetricValue:
    return MetricValue(value=0.7, ci_low=0.6, ci_high=0.8, n=n, chance=0.5)


def test_the_leaderboard_heat_map_drops_small_findings_of_any_result():
    """cxr-align 1.0 results put every finding, n = 1 included, under ``<main>/finding``."""
    per_group = {
        "negation.accuracy/finding": {"Edema": _value(120), "Pneumothorax": _value(1), "Other": _value(None)}
    }
    result = SimpleNamespace(main_score="negation.accuracy", per_group=per_group, config={})
    assert set(finding_values(result)) == {"Edema", "Other"}
    per_group = {"finding=Edema": {"auroc": _value(MIN_FINDING_N - 1)}}
    assert finding_values(SimpleNamespace(main_score="auroc", per_group=per_group, config={})) == {}
    # a submission that records a lower minimum cannot lower the leaderboard's floor ...
    small = SimpleNamespace(main_score="auroc", per_group=per_group, config={"min_finding_n": 2})
    assert finding_values(small) == {}
    # ... while a higher recorded minimum is honoured
    per_group = {"finding=Edema": {"auroc": _value(40)}, "finding=Fracture": {"auroc": _value(60)}}
    strict = SimpleNamespace(main_score="auroc", per_group=per_group, config={"min_finding_n": 50})
    assert set(finding_values(strict)) == {"Fracture"}


def test_the_html_report_greys_small_findings_of_version_1_results():
    shown, withheld = withheld_by_n(
        {"Edema": _value(30), "Fracture": _value(29)}, {"Pneumothorax": _value(3)}, 30
    )
    assert set(shown) == {"Edema"} and set(withheld) == {"Fracture", "Pneumothorax"}
    shown, withheld = withheld_by_n({"Fracture": _value(29)}, {}, 2)  # a result's own min_finding_n rules
    assert set(shown) == {"Fracture"} and not withheld
