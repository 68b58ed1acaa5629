"""The report engine as a spaCy component, and negspacy's termset merged into the cue lists."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from cxralign.errors import ConfigError
from cxralign.reports import analyze, load_lexicon
from cxralign.reports.lexicon import Lexicon, _default_data
from cxralign.reports.spacy_component import analysis_from_record, analysis_record, make_nlp

REPORT = (
    "FINDINGS: Heart size is normal. No pleural effusion or pneumothorax. Possible left lower lobe "
    "pneumonia. The lungs are otherwise clear.\nIMPRESSION: Small right effusion."
)


@pytest.fixture(scope="module")
def nlp():
    return make_nlp()


def test_blank_pipeline_finds_factory_by_name() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("cxralign_reports")
    doc = nlp("No pneumothorax. Mild cardiomegaly.")
    assert [(e.text, e.label_, e._.assertion, e._.negex) for e in doc.ents] == [
        ("pneumothorax", "pneumothorax", "negated", True),
        ("cardiomegaly", "cardiomegaly", "positive", False),
    ]


def test_spans_and_extensions_match_analyze(nlp) -> None:
    doc = nlp(REPORT)
    expected = analyze(REPORT)
    spans = doc.spans["cxralign"]
    assert [(s.start_char, s.end_char, s.label_) for s in spans] == [
        (m.start, m.end, m.concept) for m in expected.mentions
    ]
    assert [s._.assertion for s in spans] == [m.assertion.value for m in expected.mentions]
    assert [s._.cue for s in spans] == [m.cue.rule if m.cue else None for m in expected.mentions]
    assert doc._.cxralign_analysis == expected
    pneumonia = next(s for s in spans if s._.concept == "pneumonia" and s.text == "pneumonia")
    assert pneumonia._.assertion == "uncertain" and not pneumonia._.negex
    assert pneumonia._.cxralign_mention.attributes.laterality == "left"


def test_implied_denials_are_spans_but_not_entities(nlp) -> None:
    doc = nlp("The lungs are clear.")
    concepts = sorted(s.label_ for s in doc.spans["cxralign"])
    assert concepts == sorted(
        ["lung_opacity", "consolidation", "infiltration", "pneumonia", "edema", "atelectasis"]
    )
    # one character span, six concepts: each keeps its own values
    assert all(s._.negex and s._.concept == s.label_ for s in doc.spans["cxralign"])
    assert list(doc.ents) == []


def test_docs_survive_serialisation(nlp) -> None:
    docs = [nlp(REPORT), nlp("No acute cardiopulmonary process.")]
    restored = list(DocBin(docs=docs, store_user_data=True).get_docs(nlp.vocab))
    assert [[(e.text, e._.negex) for e in d.ents] for d in restored] == [
        [(e.text, e._.negex) for e in d.ents] for d in docs
    ]
    assert Doc(nlp.vocab).from_bytes(docs[0].to_bytes())._.cxralign_analysis == docs[0]._.cxralign_analysis


def test_record_round_trip() -> None:
    analysis = analyze(REPORT, report_id="r1")
    assert analysis_from_record(REPORT, analysis_record(analysis)) == analysis


def test_pipe_with_processes_matches_serial(nlp) -> None:
    texts = [REPORT, "No effusion.", "Mild cardiomegaly. Possible edema.", ""] * 3
    serial = [[(e.text, e._.assertion) for e in d.ents] for d in nlp.pipe(texts)]
    parallel = [[(e.text, e._.assertion) for e in d.ents] for d in nlp.pipe(texts, n_process=2, batch_size=4)]
    assert parallel == serial
    assert serial[1] == [("effusion", "negated")]


def test_component_config_sections_and_lexicon(tmp_path) -> None:
    extra = tmp_path / "site.yaml"
    extra.write_text("concepts:\n  pneumothorax:\n    terms: [apical lucency]\n", encoding="utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("cxralign_reports", config={"lexicon": str(extra), "sections": "indication"})
    doc = nlp("INDICATION: apical lucency?\nFINDINGS: No effusion.")
    assert [(e.text, e._.assertion) for e in doc.ents] == [("apical lucency", "uncertain")]


def test_clashing_negex_extension_is_one_clear_error() -> None:
    from spacy.tokens import Span

    Span.set_extension("clash_test_negex", default=False, force=True)
    nlp = spacy.blank("en")
    with pytest.raises(ConfigError, match="extension_name"):
        nlp.add_pipe("cxralign_reports", config={"extension_name": "clash_test_negex"})
    nlp.add_pipe("cxralign_reports", config={"extension_name": "cxralign_negex"})
    assert nlp("No effusion.").ents[0]._.cxralign_negex


def test_negspacy_termset_is_merged_without_overriding_own_kinds() -> None:
    from negspacy.termsets import termset

    lexicon = load_lexicon()
    patterns = termset("en_clinical").get_patterns()
    added = lexicon.cue_sources["negspacy:en_clinical"]
    assert "never" in added["negation_pre"] and "involving" in added["termination"]
    assert "never" in lexicon.cue_kinds
    # negspacy calls these negations; the radiology lexicon keeps them uncertain
    for phrase in ("rule out", "evaluate for", "versus"):
        assert phrase in patterns["preceding_negations"]
        assert (
            lexicon.cue_kinds[phrase] == ["uncertainty_pre"]
            or "negation_pre" not in lexicon.cue_kinds[phrase]
        )
    assert "no further" not in lexicon.cue_kinds  # skipped: "no further pneumothorax" denies it
    # every phrase appears once per kind
    for kind, phrases in lexicon.cues.items():
        assert len(phrases) == len(set(phrases)), kind


@pytest.mark.parametrize(
    "sentence",
    [
        "There isn't any pleural effusion.",
        "There aren't pleural effusions.",
        "The patient doesn't have a pleural effusion.",
    ],
)
def test_negspacy_cues_act(sentence: str) -> None:
    from cxralign.reports import Engine

    without_source = Engine(Lexicon({k: v for k, v in _default_data().items() if k != "cue_sources"}))
    assert without_source.analyze(sentence).mentions[0].assertion.value == "positive"
    assert analyze(sentence).mentions[0].assertion.value == "negated"


def test_unknown_cue_source_is_one_clear_error() -> None:
    data = dict(_default_data())
    with pytest.raises(ConfigError, match="termset"):
        Lexicon({**data, "cue_sources": ["negspacy:xx_none"]})
    with pytest.raises(ConfigError, match="cue source"):
        Lexicon({**data, "cue_sources": ["medspacy:default"]})
