"""Public API of the report engine: records, sections, sentences, batch analysis, lexicon extension."""

from __future__ import annotations

import pytest

from cxralign.errors import ConfigError
from cxralign.reports import Assertion, Engine, analyze, analyze_many, load_lexicon, report_labels
from cxralign.reports.sections import split_sections
from cxralign.vocab import CHEXPERT_14, CXR14

MIMIC = """                                 FINAL REPORT
 EXAMINATION:  CHEST (PA AND LAT)

 INDICATION:  ___F with cough, evaluate for pneumonia.

 TECHNIQUE:  Chest PA and lateral

 COMPARISON:  ___

 FINDINGS:

 The cardiac silhouette is mildly enlarged.  There is a small left pleural
 effusion with adjacent atelectasis.  No pneumothorax is seen.

 IMPRESSION:

 1. Mild cardiomegaly.
 2. Small left pleural effusion; pneumonia cannot be excluded.
"""


def test_mimic_sections_and_default_selection() -> None:
    analysis = analyze(MIMIC, report_id="s1")
    names = [s.name for s in analysis.sections]
    assert names == [
        "preamble",
        "examination",
        "indication",
        "technique",
        "comparison",
        "findings",
        "impression",
    ]
    assert {s.section for s in analysis.sentences} == {"findings", "impression"}
    assert analysis.report_id == "s1"
    labels = report_labels(analysis)
    assert labels["Cardiomegaly"] == 1.0
    assert labels["Pleural Effusion"] == 1.0
    assert labels["Atelectasis"] == 1.0
    assert labels["Pneumothorax"] == 0.0
    assert labels["Pneumonia"] == -1.0  # the indication's "evaluate for pneumonia" is not read
    assert labels["No Finding"] is None


def test_sections_option_reads_indication() -> None:
    analysis = analyze(MIMIC, sections=["indication"])
    assert [m.concept for m in analysis.mentions] == ["pneumonia"]
    assert analysis.mentions[0].assertion is Assertion.UNCERTAIN


def test_missing_headers_fall_back_to_whole_text() -> None:
    analysis = analyze("Small right pneumothorax.")
    assert [s.name for s in analysis.sections] == ["text"]
    assert analysis.mentions[0].concept == "pneumothorax"


def test_header_variants() -> None:
    text = "Impression:  No effusion.\nConclusion: ok\nReason for exam: cough"
    assert [s.name for s in split_sections(text)] == ["impression", "impression", "indication"]


def test_spans_point_into_original_text() -> None:
    text = "FINDINGS: Line-wrapped report with a LEFT\nPLEURAL   EFFUSION.\nIMPRESSION: no pneumothorax."
    analysis = analyze(text)
    for mention in analysis.mentions:
        assert text[mention.start : mention.end] == mention.text
        sentence = analysis.sentences[mention.sentence_index]
        assert sentence.start <= mention.start and mention.end <= sentence.end
        assert text[sentence.start : sentence.end] == sentence.text
    effusion = next(m for m in analysis.mentions if m.concept == "pleural_effusion")
    assert effusion.attributes.laterality == "left"
    assert text[slice(*effusion.attributes.laterality_span)] == "LEFT"
    assert effusion.cue is None and effusion.assertion is Assertion.POSITIVE
    negated = next(m for m in analysis.mentions if m.concept == "pneumothorax")
    assert negated.cue.kind == "negation" and text[negated.cue.start : negated.cue.end] == "no"


def test_sentence_splitting_rules() -> None:
    text = "1. Heart size normal. 2. No effusion; no pneumothorax.\nDr. ___ was paged at 3 p.m. Lungs\nare clear."
    sentences = [s.text for s in analyze(text, sections=["text"]).sentences]
    assert sentences == [
        "Heart size normal.",
        "No effusion;",
        "no pneumothorax.",
        "Dr. ___ was paged at 3 p.m.",
        "Lungs\nare clear.",
    ]


def test_labels_keys_follow_vocabulary_order() -> None:
    analysis = analyze("Large left effusion. Emphysema.")
    assert list(report_labels(analysis)) == list(CHEXPERT_14)
    cxr14 = report_labels(analysis, "cxr14")
    assert list(cxr14) == list(CXR14)
    assert cxr14["Effusion"] == 1.0 and cxr14["Emphysema"] == 1.0 and cxr14["Hernia"] is None
    with pytest.raises(ConfigError):
        report_labels(analysis, "nope")


def test_no_finding_rules() -> None:
    assert report_labels(analyze("No acute cardiopulmonary process."))["No Finding"] == 1.0
    assert report_labels(analyze("Right PICC line in place. No effusion."))["No Finding"] == 1.0
    assert report_labels(analyze("Possible small effusion."))["No Finding"] is None
    assert (
        report_labels(analyze("Mild scoliosis. No effusion."))["No Finding"] is None
    )  # other finding blocks


def test_implied_denials_count_only_on_request() -> None:
    analysis = analyze("The lungs are clear.")
    assert report_labels(analysis)["Consolidation"] is None
    assert report_labels(analysis, include_implied=True)["Consolidation"] == 0.0
    assert all(m.implied for m in analysis.mentions)


def test_positive_beats_uncertain_beats_negative() -> None:
    labels = report_labels(
        analyze("No effusion on the left. Possible right effusion. Atelectasis? Atelectasis.")
    )
    assert labels["Pleural Effusion"] == -1.0
    assert labels["Atelectasis"] == 1.0


TEXTS = ["No effusion.", "Large pneumothorax.", "", "Possible pneumonia.", "Heart size is normal."] * 4


def test_analyze_many_keeps_order_and_ids() -> None:
    ids = [f"r{i}" for i in range(len(TEXTS))]
    serial = list(analyze_many(TEXTS, ids=ids))
    assert [a.report_id for a in serial] == ids
    assert [a.text for a in serial] == TEXTS
    assert serial[2].mentions == () and report_labels(serial[2])["Pleural Effusion"] is None


def test_analyze_many_with_processes_matches_serial() -> None:
    serial = list(analyze_many(TEXTS))
    parallel = list(analyze_many(iter(TEXTS), workers=2))
    assert parallel == serial


def test_engine_sections_and_bad_input() -> None:
    engine = Engine(sections="indication")
    assert engine.analyze(MIMIC).sentences[0].section == "indication"
    with pytest.raises(ConfigError):
        Engine(sections=",")
    with pytest.raises(ConfigError):
        analyze(b"bytes")  # type: ignore[arg-type]


def test_lexicon_concept_mapping() -> None:
    lexicon = load_lexicon()
    assert lexicon.concept("pleural_effusion").chexpert == "Pleural Effusion"
    assert lexicon.concept("pleural_effusion").cxr14 == "Effusion"
    assert lexicon.concept("emphysema").chexpert is None
    assert "pericardial effusion*" in lexicon.concept("pleural_effusion").exclusions
    assert "cardiomegaly" in lexicon.concept("cardiomegaly").synonyms
    every_label = {c.cxr14 for c in lexicon.concepts.values()} | {
        c.chexpert for c in lexicon.concepts.values()
    }
    assert set(CXR14) <= every_label
    assert set(CHEXPERT_14) - {"No Finding"} <= every_label
    with pytest.raises(ConfigError):
        lexicon.concept("unicorn")


def test_user_lexicon_is_merged(tmp_path) -> None:
    extra = tmp_path / "site.yaml"
    extra.write_text(
        "concepts:\n"
        "  pneumothorax:\n    terms: [collapsed air pocket]\n"
        "  hernia:\n    terms: [gastric pull-through]\n"
        "cues:\n  negation_pre: [nil]\n",
        encoding="utf-8",
    )
    engine = Engine(lexicon=extra)
    labels = engine.report_labels(engine.analyze("Nil collapsed air pocket. Gastric pull-through."), "cxr14")
    assert labels["Pneumothorax"] == 0.0 and labels["Hernia"] == 1.0
    assert engine.report_labels(engine.analyze("Small pneumothorax."))["Pneumothorax"] == 1.0  # defaults kept


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("concepts: [1, 2", "not valid YAML"),
        ("colours: {}", "unknown top-level keys"),
        ("concepts:\n  x:\n    chexpert: Heart Attack\n    terms: [x]", "not a CheXpert observation"),
        ("cues:\n  negation_pre: [no]", "quote words"),
        ("cues:\n  maybe: [perhaps]", "unknown cue kind"),
        ("normality:\n  - {id: r, pattern: 'x', denies: [dragon]}", "unknown concepts"),
        ("concepts:\n  x:\n    patterns: ['(unclosed']", "invalid regular expression"),
    ],
)
def test_bad_user_lexicon_is_one_clear_error(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_lexicon(path)


def test_missing_user_lexicon(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_lexicon(tmp_path / "absent.yaml")
