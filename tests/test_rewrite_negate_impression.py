"""Negate when the impression only restated the finding and a follow-on sentence about it: the
emptied impression reads as a normal one ("No acute ... process.") when nothing else the report
keeps is stated present, and the item is refused when something is (hand-written reports)."""

from __future__ import annotations

import pytest

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.negate import NORMAL_IMPRESSIONS

CTX = RewriteContext.from_engine(seed=0)

REFILLED = [
    (
        "FINDINGS: The heart is normal in size. There is a 1 cm nodule in the right upper lobe. No pleural effusion.\n"
        "IMPRESSION: Right upper lobe nodule. This was not present on the prior study.",
        "Lung Lesion",
        "FINDINGS: The heart is normal in size. There is no nodule in the right upper lobe. No pleural effusion.\n"
        "IMPRESSION: No acute intrathoracic process.",
    ),
    (
        "FINDINGS: Small left pleural effusion. The lungs are otherwise clear. Heart size is normal.\n"
        "IMPRESSION: Small left pleural effusion. This is new since the prior exam.",
        "Pleural Effusion",
        "FINDINGS: No pleural effusion. The lungs are clear. Heart size is normal.\n"
        "IMPRESSION: No acute intrathoracic process.",
    ),
    (
        "FINDINGS: Mild cardiomegaly. The lungs are clear. No pneumothorax.\n"
        "IMPRESSION: Mild cardiomegaly. This is unchanged from prior.",
        "Cardiomegaly",
        "FINDINGS: Heart size is normal. The lungs are clear. No pneumothorax.\n"
        "IMPRESSION: No acute intrathoracic process.",
    ),
    (
        "FINDINGS: Heart size normal. Small right pneumothorax.\n"
        "IMPRESSION: Small right pneumothorax. These findings were discussed with the referring physician.",
        "Pneumothorax",
        "FINDINGS: Heart size normal. No pneumothorax.\nIMPRESSION: No acute intrathoracic process.",
    ),
    (
        "FINDINGS: Lungs are clear. Heart size is normal. Small left pleural effusion.\n"
        "IMPRESSION: Small left pleural effusion. This is new.",
        "Pleural Effusion",
        None,  # checked for form only: any normal impression of the table, nothing else changed
    ),
]


@pytest.mark.parametrize("text, target, expected", REFILLED, ids=[f"refilled-{i}" for i in range(len(REFILLED))])
def test_an_impression_emptied_by_a_follow_on_sentence_reads_as_a_normal_impression(text, target, expected):
    variant = rewrite("negate", analyze(text, report_id="t"), target, CTX)
    impression = variant.text.split("IMPRESSION: ", 1)[1]
    assert impression.rstrip(".").lower() in NORMAL_IMPRESSIONS
    assert text.split("\nIMPRESSION")[0] != variant.text.split("\nIMPRESSION")[0]  # the finding is denied too
    if expected is not None:
        assert variant.text == expected


@pytest.mark.parametrize(
    "text, target, reason",
    [
        (  # another finding stays present: a normal impression would contradict the findings
            "FINDINGS: Mild cardiomegaly. Small left pleural effusion.\nIMPRESSION: Small left pleural effusion. This is new.",
            "Pleural Effusion",
            "section header 'IMPRESSION' left with no content",
        ),
        (
            "FINDINGS: There is a right lower lobe nodule. Moderate pulmonary edema.\n"
            "IMPRESSION: Right lower lobe nodule. This was not seen before.",
            "Lung Lesion",
            "section header 'IMPRESSION' left with no content",
        ),
    ],
)
def test_the_item_stays_refused_when_the_report_states_another_finding(text, target, reason):
    with pytest.raises(RewriteRejected) as refusal:
        rewrite("negate", analyze(text, report_id="t"), target, CTX)
    assert refusal.value.reason == reason


def test_an_impression_with_other_content_is_not_replaced():
    text = (
        "FINDINGS: Small left pleural effusion. Heart size is normal.\n"
        "IMPRESSION: Small left pleural effusion. Degenerative changes of the spine."
    )
    variant = rewrite("negate", analyze(text, report_id="t"), "Pleural Effusion", CTX)
    assert "Degenerative changes of the spine." in variant.text
    assert not any(normal in variant.text.lower() for normal in NORMAL_IMPRESSIONS)
