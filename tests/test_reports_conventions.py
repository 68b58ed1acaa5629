"""Labelling conventions found by reading disagreements with human indexing of real reports.

Each case is written here by hand (no corpus text): the rule it pins down and the label it must give.
"""

from __future__ import annotations

import pytest

from cxralign.reports import Engine, analyze, report_labels
from cxralign.reports.records import Assertion

P, N, U, B = 1.0, 0.0, -1.0, None  # B: blank, a possibility ChestX-ray14 leaves unlabelled


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        # costophrenic blunting is a non-specific sign: effusion blank for ChestX-ray14 (-1 for CheXpert
        # vocabularies that map it) unless an effusion is named
        ("Mild blunting of the left costophrenic angle.", "Effusion", B),
        ("Blunted right costophrenic angle with a small right pleural effusion.", "Effusion", P),
        ("Blunting of the costophrenic angle, no pleural effusion.", "Effusion", N),
        ("Costophrenic angles are sharp.", "Effusion", N),
        # "borderline" grades cardiomegaly; "borderline normal" denies it
        ("Borderline heart size.", "Cardiomegaly", P),
        ("The heart is borderline in size.", "Cardiomegaly", P),
        ("Borderline enlarged cardiac silhouette.", "Cardiomegaly", P),
        ("Heart size is borderline normal.", "Cardiomegaly", N),
        ("Heart size XXXX mildly enlarged.", "Cardiomegaly", P),  # de-identification mask as the verb
        # a calcified nodule is a nodule; a calcified granuloma is not
        ("8 mm calcified nodule in the left midlung.", "Nodule", P),
        ("Calcified granuloma in the right upper lobe.", "Nodule", None),
        ("Right apical fibronodular scarring.", "Nodule", P),
        ("Nodular opacity in the right upper lobe.", "Nodule", None),
        # masses outside the lung are not a lung Mass; a mediastinal mass is
        ("Known thyroid mass.", "Mass", None),
        ("Right chest wall mass.", "Mass", None),
        ("Upper mediastinal mass on the right.", "Mass", P),
        # pleural thickening written other ways
        ("Mild thickening of the minor fissure.", "Pleural_Thickening", P),
        ("Stable bilateral apical pleural capping.", "Pleural_Thickening", P),
        ("Right apical pleural scarring/thickening.", "Pleural_Thickening", P),
        ("No pleural scarring or thickening.", "Pleural_Thickening", N),
        # hedges that used to end in a termination ("due to", "secondary to", "also")
        ("Opacity may be secondary to infection or a developing mass.", "Mass", B),
        ("Opacity may be due to pneumonia.", "Pneumonia", B),
        ("There may also be a small left pleural effusion.", "Effusion", B),
        ("Maybe due to pulmonary fibrosis.", "Fibrosis", B),
        # more uncertainty phrases
        ("Pulmonary edema is difficult to entirely exclude.", "Edema", B),
        ("Edema is also possible.", "Edema", B),
        ("Please correlate clinically for pneumonia.", "Pneumonia", B),
        ("Pneumonia is in the differential.", "Pneumonia", B),
        ("A superimposed pneumonia would be a consideration.", "Pneumonia", B),
        ("Suspicion for bilateral pleural effusions.", "Effusion", B),
        ("Question small right pleural effusion.", "Effusion", B),
        ("Follow-up to exclude an underlying mass.", "Mass", B),
        ("Basilar opacity most XXXX representing atelectasis.", "Atelectasis", U),  # leaning
        # "compatible with" states the reading, like "consistent with"
        ("Opacities compatible with subsegmental atelectasis.", "Atelectasis", P),
        ("Opacities consistent with subsegmental atelectasis.", "Atelectasis", P),
    ],
)
def test_cxr14_label(text: str, label: str, expected: float | None) -> None:
    assert report_labels(analyze(text), "cxr14")[label] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Opacity may be due to pneumonia.",
        "There may also be a small left pleural effusion.",
        "Pulmonary edema is difficult to entirely exclude.",
        "Question small right pleural effusion.",
    ],
)
def test_possibility_stays_uncertain_for_chexpert(text: str) -> None:
    """Only the ChestX-ray14 label is blank: the mention and the CheXpert label stay uncertain."""
    analysis = analyze(text)
    assert any(m.assertion is Assertion.UNCERTAIN for m in analysis.mentions)
    assert U in report_labels(analysis, "chexpert").values()


def test_blunting_mention_itself_stays_positive() -> None:
    """Only the label is hedged: rewriting still sees a present finding with its side."""
    (mention,) = analyze("Mild blunting of the left costophrenic angle.").mentions
    assert mention.concept == "costophrenic_blunting"
    assert mention.assertion is Assertion.POSITIVE
    assert mention.attributes.laterality == "left"


def test_borderline_is_a_severity() -> None:
    (mention,) = analyze("Borderline cardiomegaly.").mentions
    assert (mention.assertion, mention.attributes.severity) == (Assertion.POSITIVE, "borderline")


def test_mediastinal_mass_counts_for_both_vocabularies() -> None:
    labels = analyze("Anterior mediastinal mass.")
    assert report_labels(labels, "chexpert")["Enlarged Cardiomediastinum"] == P
    assert report_labels(labels, "cxr14")["Mass"] == P


def _site_engine(folder, name: str, text: str) -> Engine:
    """An engine with a site lexicon written to ``folder/name`` (a new name per lexicon: loads are cached)."""
    site = folder / name
    site.write_text(text, encoding="utf-8")
    return Engine(lexicon=site)


HILAR_FULLNESS = (
    "concepts:\n  hilar_fullness:\n    chexpert: null\n    cxr14: Mass\n    indirect: true\n"
    "    terms: [hilar fullness]\n"
)


def test_indirect_flag_is_user_configurable(tmp_path) -> None:
    engine = _site_engine(tmp_path, "site.yaml", HILAR_FULLNESS)
    assert engine.report_labels(engine.analyze("Right hilar fullness."), "cxr14")["Mass"] is None
    policy = "uncertain_labels:\n  cxr14: {indirect: -1}\n"
    engine = _site_engine(tmp_path, "uncertain.yaml", HILAR_FULLNESS + policy)
    assert engine.report_labels(engine.analyze("Right hilar fullness."), "cxr14")["Mass"] == U
    assert engine.report_labels(engine.analyze("Right hilar mass."), "cxr14")["Mass"] == P


def test_matches_never_cross_sentence_boundaries() -> None:
    """The report-wide scan falls back to per-sentence matching where a pattern spans a blank line."""
    text = "FINDINGS: The heart\n\nis enlarged. Small effusion."
    analysis = analyze(text)
    assert [s.text for s in analysis.sentences] == ["The heart", "is enlarged.", "Small effusion."]
    assert [m.concept for m in analysis.mentions] == ["pleural_effusion"]
    assert analyze("FINDINGS: The heart is enlarged.").mentions[0].concept == "cardiomegaly"


def test_hedge_policy_is_site_configurable(tmp_path) -> None:
    engine = _site_engine(
        tmp_path,
        "hedges.yaml",
        "cues:\n  uncertainty_pre: [favored]\nhedges:\n  leaning: [favored]\n"
        "uncertain_labels:\n  cxr14: {possible: -1}\n",
    )
    assert engine.report_labels(engine.analyze("Opacity may represent pneumonia."), "cxr14")["Pneumonia"] == U
    assert engine.report_labels(engine.analyze("Favored atelectasis."), "cxr14")["Atelectasis"] == U
    assert report_labels(analyze("Opacity may represent pneumonia."), "cxr14")["Pneumonia"] is None


@pytest.mark.parametrize(
    "policy", ["uncertain_labels: {cxr14: {possible: 0}}", "uncertain_labels: {cxr14: {maybe: -1}}"]
)
def test_bad_hedge_policy_is_one_clear_error(tmp_path, policy: str) -> None:
    from cxralign.errors import ConfigError

    with pytest.raises(ConfigError, match="uncertain_labels"):
        _site_engine(tmp_path, "bad.yaml", policy + "\n")
