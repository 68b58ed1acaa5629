"""Targets named only in a limitation of the exam ("fractures may not be demonstrated") are refused
before a variant is made: the original states nothing a variant could contradict (hand-written
reports; each case was kept before the rule). A healed fracture is still negated by a plain denial;
a denial of only an acute one is refused by the verifier (``test_rewrite_radiologist`` mutants)."""

from __future__ import annotations

import pytest

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.rules import HEDGE_ONLY

CTX = RewriteContext.from_engine(seed=0)

REFUSED = [
    (
        "omit",
        "Fracture",
        "FINDINGS: Lungs are clear. No pneumothorax.\n"
        "IMPRESSION: No acute findings. Please note that rib fractures may not be demonstrated on chest radiographs.",
        HEDGE_ONLY,
    ),
    (
        "negate",
        "Fracture",
        "FINDINGS: Lungs are clear.\nIMPRESSION: No acute disease. Subtle fractures may not be detected on this study.",
        HEDGE_ONLY,
    ),
    (
        "omit",
        "Fracture",
        "FINDINGS: Heart size is normal. Lungs are clear.\n"
        "IMPRESSION: Nondisplaced rib fractures may not be visible on this examination.",
        HEDGE_ONLY,
    ),
    (
        "omit",
        "Fracture",
        "FINDINGS: The lungs are clear. Rib fractures are not well demonstrated on this radiograph.\n"
        "IMPRESSION: No acute cardiopulmonary process.",
        HEDGE_ONLY,
    ),
]


@pytest.mark.parametrize("op, target, text, reason", REFUSED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSED)])
def test_a_limitation_or_a_healed_lesion_is_refused_with_its_reason(op, target, text, reason):
    with pytest.raises(RewriteRejected) as refused:
        rewrite(op, analyze(text, report_id="t"), target, CTX)
    assert str(refused.value) == reason


def test_a_healed_fracture_is_negated_by_a_plain_denial():
    text = (
        "FINDINGS: Lungs are clear. There is a fracture of the left 7th rib with callus formation.\n"
        "IMPRESSION: No acute abnormality."
    )
    variant = rewrite("negate", analyze(text, report_id="t"), "Fracture", CTX)
    assert "There is no fracture of the left 7th rib." in variant.text
    assert "acute" not in variant.text.split("IMPRESSION")[0].lower()


def test_an_acute_fracture_is_still_negated():
    text = (
        "FINDINGS: Acute displaced fracture of the right 5th rib. Small right pneumothorax.\n"
        "IMPRESSION: Acute right 5th rib fracture."
    )
    variant = rewrite("negate", analyze(text, report_id="t"), "Fracture", CTX)
    assert "Acute right 5th rib fracture" not in variant.text
    assert "Small right pneumothorax." in variant.text
