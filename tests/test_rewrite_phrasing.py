"""Corpus phrasing (``--phrasing corpus``): variants written the way the corpus writes its own reports.

Each behaviour here removed a tell the blind n-gram baseline used on OpenI (docs/benchmark.md,
"Blind baselines"); the reports are fabricated.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, rewrite
from cxralign.rewrite.phrases import NORMAL_SUMMARY, PhraseBank, details

PLAIN = RewriteContext.from_engine()


def _bank(*reports: str) -> PhraseBank:
    return PhraseBank().add_all((analyze(r) for r in reports), PLAIN.observation_of)


def _rates(bank: PhraseBank, observation: str, **counts: int) -> PhraseBank:
    bank.impressions[observation] = Counter(counts)
    return bank


def test_impression_rates_come_from_the_corpus():
    reports = [
        "FINDINGS: Small right pleural effusion.\nIMPRESSION: Small right pleural effusion.",
        "FINDINGS: Small left pleural effusion.\nIMPRESSION: No acute cardiopulmonary process.",
        *["FINDINGS: No pleural effusion.\nIMPRESSION: No acute cardiopulmonary process."] * 2,
    ]
    counts = _bank(*reports).impressions["Pleural Effusion"]
    assert counts == Counter(pos=2, pos_normal=1, pos_restated=1, neg=2, neg_normal=2) + Counter(
        pos_alone=2, pos_alone_normal=1, neg_alone=2, neg_alone_normal=2
    )
    mixed = _bank("FINDINGS: Small right pleural effusion. Mild cardiomegaly.\nIMPRESSION: Cardiomegaly.")
    assert mixed.impressions["Pleural Effusion"]["pos"] == 1
    assert mixed.impressions["Pleural Effusion"]["pos_alone"] == 0  # not the report's only finding


def test_keep_normal_rate_of_a_lone_finding_uses_reports_with_no_other_when_there_are_enough():
    counts = dict(pos=40, pos_normal=4, neg=40, neg_normal=20)
    bank = _rates(
        PhraseBank(),
        "Cardiomegaly",
        **counts,
        pos_alone=10,
        pos_alone_normal=5,
        neg_alone=10,
        neg_alone_normal=10,
    )
    assert bank.keep_normal_rate("Cardiomegaly") == 0.2  # (4/40) / (20/40)
    assert bank.keep_normal_rate("Cardiomegaly", alone=True) == 0.5  # (5/10) / (10/10)
    _rates(bank, "Cardiomegaly", **counts, pos_alone=3, pos_alone_normal=3, neg_alone=10, neg_alone_normal=10)
    assert bank.keep_normal_rate("Cardiomegaly", alone=True) == 0.2  # too few lone reports: all of them


def test_keep_normal_rate_is_the_ratio_of_normal_impressions_and_pools_thin_findings():
    bank = _rates(PhraseBank(), "Pleural Effusion", pos=20, pos_normal=2, neg=40, neg_normal=20)
    assert bank.keep_normal_rate("Pleural Effusion") == 0.2  # (2/20) / (20/40)
    assert bank.restate_rate("Pleural Effusion") == 0.0
    _rates(bank, "Edema", pos=1, pos_normal=1, neg=1, neg_normal=1)  # too few: pooled with the rest
    assert bank.keep_normal_rate("Edema") == (3 / 21) / (21 / 41)
    assert PhraseBank().keep_normal_rate("Edema") is None


def test_list_rate_counts_denials_alone_and_listed():
    bank = _bank(
        *["FINDINGS: No pneumothorax or pleural effusion."] * 6,
        *["FINDINGS: No pneumothorax."] * 2,
    )
    assert bank.denials["Pneumothorax"] == Counter(listed=6, alone=2)
    assert bank.list_rate("Pneumothorax") == 0.75
    assert bank.list_rate("Edema") is None


def test_positive_statements_with_denial_words_stay_out_of_the_bank():
    # the engine reads the first as congestion present: affirming with it would contradict itself
    bank = _bank(
        "FINDINGS: Pulmonary vascular congestion appears within normal limits.",
        "FINDINGS: Mild pulmonary edema.",
    )
    assert bank.choices("Edema", True, "findings")[0] == ["Mild pulmonary edema"]


def test_statements_are_drawn_for_their_position_in_the_section():
    bank = PhraseBank()
    key = ("Cardiomegaly", False, "findings")
    bank.counts[key] = Counter({"The heart is normal in size": 6, "No cardiomegaly": 6})
    bank.opening[key] = Counter({"The heart is normal in size": 6})
    assert bank.choices("Cardiomegaly", False, "findings", opening=True)[0] == ["The heart is normal in size"]
    assert bank.choices("Cardiomegaly", False, "findings", opening=False)[0] == ["No cardiomegaly"]
    assert len(bank.choices("Cardiomegaly", False, "findings")[0]) == 2
    bank.opening[key] = Counter({"The heart is normal in size": 2})  # too few to trust: all statements
    assert len(bank.choices("Cardiomegaly", False, "findings", opening=True)[0]) == 2


def test_statements_that_compare_are_kept_for_reports_that_compare():
    bank = PhraseBank()
    bank.counts[("Cardiomegaly", True, "findings")] = Counter(
        {"Stable cardiomegaly": 9, "Mild cardiomegaly": 1}
    )
    assert bank.choices("Cardiomegaly", True, "findings", temporal=False)[0] == ["Mild cardiomegaly"]
    assert len(bank.choices("Cardiomegaly", True, "findings", temporal=True)[0]) == 2
    rng = random.Random(0)
    assert {bank.sample("Cardiomegaly", True, rng, "findings", temporal=False) for _ in range(20)} == {
        "Mild cardiomegaly"
    }


def test_normal_summary_covers_the_usual_ways_of_saying_nothing_is_wrong():
    for text in (
        "No acute cardiopulmonary process.",
        "1. No evidence of active disease.",
        "Negative for acute abnormality.",
        "Negative chest .",
        "There is no evidence of acute cardiopulmonary disease.",
        "No radiographic evidence of acute cardiopulmonary disease.",
    ):
        assert NORMAL_SUMMARY.match(text), text
    for text in ("Negative for pneumonia.", "No pneumothorax.", "Normal heart size.", "Small effusion."):
        assert not NORMAL_SUMMARY.match(text), text


NEGATED_LIST = (
    "FINDINGS: The heart is normal in size. There is a small left pleural effusion. "
    "No pneumothorax or consolidation.\nIMPRESSION: Small left pleural effusion."
)


def _effusion_bank(listed: int) -> PhraseBank:
    bank = _bank(
        "FINDINGS: No pleural effusion.",
        "IMPRESSION: No acute cardiopulmonary process.",
        "FINDINGS: Small right pleural effusion.",
    )
    bank.denials["Pleural Effusion"] = Counter(listed=listed, alone=10 - listed)
    return bank


def test_negate_adds_the_denial_to_a_list_of_denied_findings():
    ctx = RewriteContext.from_engine(phrases=_effusion_bank(listed=10))
    variant = rewrite("negate", analyze(NEGATED_LIST, report_id="a"), "Pleural Effusion", ctx)
    assert variant.text == (
        "FINDINGS: The heart is normal in size. No pleural effusion, pneumothorax or consolidation.\n"
        "IMPRESSION: No acute cardiopulmonary process."
    )
    ctx = RewriteContext.from_engine(phrases=_effusion_bank(listed=0))
    variant = rewrite("negate", analyze(NEGATED_LIST, report_id="a"), "Pleural Effusion", ctx)
    assert "No pleural effusion. No pneumothorax or consolidation." in variant.text


def test_negate_denies_a_finding_once_per_section():
    bank = _bank("FINDINGS: No rib fracture.")
    ctx = RewriteContext.from_engine(phrases=bank)
    text = "FINDINGS: Acute fracture of the right 7th rib. Healing fracture of the left 8th rib. No pneumothorax."
    variant = rewrite("negate", analyze(text, report_id="a"), "Fracture", ctx)
    assert variant.text == "FINDINGS: No rib fracture. No pneumothorax."


def test_negate_takes_an_impression_item_number_with_its_item():
    text = (
        "FINDINGS: Mild cardiomegaly. No pleural effusion.\n"
        "IMPRESSION: 1. Mild cardiomegaly. 2. Degenerative changes of the spine."
    )
    variant = rewrite("omit", analyze(text, report_id="a"), "Cardiomegaly", PLAIN)
    assert variant.text.endswith(
        "IMPRESSION: 1. Degenerative changes of the spine."
    )  # and the rest renumbered


AFFIRM_NORMAL = "FINDINGS: Normal heart size. No pneumothorax.\nIMPRESSION: No acute cardiopulmonary process."


@pytest.mark.parametrize(
    ("statements", "normal_kept", "impression"),
    [
        # the corpus restates the finding in an impression that is no longer normal: so does affirm
        (("IMPRESSION: Right pneumothorax.",), 0, "Right pneumothorax."),
        # the corpus keeps a normal impression when the finding is stated, but an acute finding under
        # "No acute cardiopulmonary process." reads incoherent: affirm falls back to restating it (issue 14)
        ((), 10, None),
    ],
)
def test_affirm_treats_a_normal_impression_as_the_corpus_does(statements, normal_kept, impression):
    bank = _bank("FINDINGS: There is a small right pneumothorax.", *statements)
    restated = 0 if normal_kept else 10
    _rates(bank, "Pneumothorax", pos=10, pos_normal=normal_kept, pos_restated=restated, neg=10, neg_normal=10)
    if impression is None:  # the corpus statement fails; the rules phrasing restates the finding instead
        variant = rewrite(
            "affirm",
            analyze(AFFIRM_NORMAL, report_id="a"),
            "Pneumothorax",
            RewriteContext.from_engine(phrases=bank),
        )
        assert "No acute" not in variant.text and variant.text.endswith("pneumothorax.")
        return
    variant = rewrite(
        "affirm",
        analyze(AFFIRM_NORMAL, report_id="a"),
        "Pneumothorax",
        RewriteContext.from_engine(phrases=bank),
    )
    assert variant.text == (
        f"FINDINGS: Normal heart size. There is a small right pneumothorax.\nIMPRESSION: {impression}"
    )


@pytest.mark.parametrize(
    "restatement",
    [
        "IMPRESSION: Left pneumothorax.",  # the other side
        "IMPRESSION: Small right apical pneumothorax.",  # a place the findings do not name
        "IMPRESSION: Right pneumothorax measuring 5 mm.",  # a measure the findings do not give
        "IMPRESSION: Large right pneumothorax.",  # another size
    ],
)
def test_affirm_never_summarises_with_another_side_place_size_or_measure(restatement):
    bank = _bank("FINDINGS: There is a small right pneumothorax.", restatement)
    _rates(bank, "Pneumothorax", pos=10, pos_normal=0, pos_restated=10, neg=10, neg_normal=10)
    variant = rewrite(
        "affirm",
        analyze(AFFIRM_NORMAL, report_id="a"),
        "Pneumothorax",
        RewriteContext.from_engine(phrases=bank),
    )
    # no compatible corpus statement: the impression restates the findings' own
    assert variant.text.endswith("IMPRESSION: Small right pneumothorax.")


def test_affirm_states_a_finding_denied_in_two_sections_consistently():
    bank = _bank("FINDINGS: There is a small right pneumothorax.", "IMPRESSION: Left pneumothorax.")
    text = "FINDINGS: Normal heart size. No pneumothorax.\nIMPRESSION: No pneumothorax."
    variant = rewrite(
        "affirm", analyze(text, report_id="a"), "Pneumothorax", RewriteContext.from_engine(phrases=bank)
    )
    assert variant.text == (
        "FINDINGS: Normal heart size. There is a small right pneumothorax.\nIMPRESSION: Small right pneumothorax."
    )


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("There is a small right apical pneumothorax, 5 mm.", {"small", "right", "apical", "5"}),
        ("Healed left 6th rib fracture.", {"healed", "left", "6th", "rib"}),
        ("Pneumothorax.", set()),
    ],
)
def test_details_are_the_words_a_restatement_may_not_change(statement, expected):
    assert details(statement) == expected


def test_corpus_phrasing_is_deterministic():
    bank = _effusion_bank(listed=5)
    texts = {
        rewrite(
            "negate",
            analyze(NEGATED_LIST, report_id="a"),
            "Pleural Effusion",
            RewriteContext.from_engine(phrases=bank),
        ).text
        for _ in range(3)
    }
    assert len(texts) == 1


@pytest.mark.parametrize(
    ("sentence", "normal"),
    [
        ("No acute cardiopulmonary process.", True),
        ("1. No acute disease.", True),
        ("No acute cardiopulmonary abnormality or fracture.", True),
        ("No acute bony abnormality identified.", False),  # about the bones, not a normal chest
        ("No acute osseous abnormality.", False),
        ("Mild cardiomegaly.", False),
    ],
)
def test_normal_impressions_are_statements_about_the_chest(sentence, normal):
    from cxralign.rewrite.phrases import NORMAL_SUMMARY

    assert bool(NORMAL_SUMMARY.match(sentence)) is normal


@pytest.mark.parametrize(
    ("corpus", "text", "target", "expected"),
    [
        # "No fibrosis" is Pleural Other too, but it does not deny pleural thickening
        ("FINDINGS: No fibrosis.", "FINDINGS: Mild left apical pleural thickening.", "Pleural Other",
         "FINDINGS: No pleural thickening."),
        # a removed catheter denies no surgical clips
        ("FINDINGS: The catheter has been removed.", "FINDINGS: Surgical clips in the left axilla.",
         "Support Devices", "FINDINGS: No surgical clips in the left axilla."),
        ("FINDINGS: No surgical clips are seen.", "FINDINGS: Surgical clips in the left axilla.",
         "Support Devices", "FINDINGS: No surgical clips are seen."),
    ],
)  # fmt: skip
def test_negate_draws_only_statements_of_the_targets_own_concept_and_device(corpus, text, target, expected):
    bank = _bank(*[corpus] * 5)
    variant = rewrite(
        "negate", analyze(text, report_id="a"), target, RewriteContext.from_engine(phrases=bank)
    )
    assert variant.text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FINDINGS: Mild cardiomegaly. Pulmonary vascularity is normal. No pneumothorax.",
         "FINDINGS: Heart size and pulmonary vascularity are normal. No pneumothorax."),
        ("FINDINGS: The heart is mildly enlarged. The mediastinal contours are within normal limits.",
         "FINDINGS: The heart size and mediastinal contours are within normal limits."),
        ("FINDINGS: Cardiomegaly. Pulmonary vascularity appears normal.",
         "FINDINGS: Heart size and pulmonary vascularity appear normal."),
    ],
)  # fmt: skip
def test_negate_denies_the_heart_inside_a_normality_list_as_often_as_the_corpus(text, expected):
    # the mirror of affirm taking "heart size" out of "Heart size and pulmonary vascularity are normal."
    bank = _bank(
        *["FINDINGS: Heart size and pulmonary vascularity are normal."] * 8, "FINDINGS: Heart size is normal."
    )
    assert bank.denials["Cardiomegaly"] == Counter(listed=8, alone=1)
    variant = rewrite(
        "negate", analyze(text, report_id="r0"), "Cardiomegaly", RewriteContext.from_engine(phrases=bank)
    )
    assert variant.text == expected


def test_negate_falls_back_to_a_sibling_concept_of_the_observation_where_that_is_a_fair_denial():
    bank = _bank(*["FINDINGS: No pulmonary nodules."] * 5)
    text = "FINDINGS: There is a 2 cm nodular density in the right lung."
    variant = rewrite(
        "negate", analyze(text, report_id="a"), "Lung Lesion", RewriteContext.from_engine(phrases=bank)
    )
    assert variant.text == "FINDINGS: No pulmonary nodules."  # not the rule-made "No nodular density."


def test_a_corpus_statement_the_verifier_refuses_is_drawn_again_before_the_rules_phrasing(monkeypatch):
    """Falling straight back to the rules phrasing wrote one templated statement into many variants
    (a tell the balanced probes read on OpenI); another corpus draw varies as originals do."""
    import cxralign.rewrite.ops as ops

    bank = _bank(
        "FINDINGS: Small right pneumothorax after the biopsy.", "FINDINGS: Small right apical pneumothorax."
    )
    report = "FINDINGS: Normal heart size. No pneumothorax."

    def variants() -> list[str]:
        ctx = RewriteContext.from_engine(phrases=bank)
        return [
            rewrite("affirm", analyze(report, report_id=f"r{i}"), "Pneumothorax", ctx).text for i in range(20)
        ]

    assert all("Small right apical pneumothorax." in text for text in variants())
    monkeypatch.setattr(ops, "REDRAWS", 0)
    assert any("apical" not in text for text in variants())  # one draw only: some fell back to the rules
