"""Span surgery and comparison stripping on hand-built records (no engine needed)."""

from __future__ import annotations

import re

import pytest

from cxralign.reports.records import Assertion, Attributes, Mention, ReportAnalysis, Sentence
from cxralign.rewrite import strip_comparisons
from cxralign.rewrite.grammar import remove_from_sentence
from cxralign.rewrite.records import Change
from cxralign.rewrite.spans import apply_changes, minimal_change, np_start, split_segments


def _analysis(text: str, terms: dict[str, str]) -> ReportAnalysis:
    """One sentence with hand-placed mentions: ``terms`` maps the words as written to a concept."""
    mentions = []
    for words, concept in terms.items():
        start = text.index(words)
        mentions.append(
            Mention(
                concept, words, start, start + len(words), 0, "text", Assertion.POSITIVE, None, Attributes()
            )
        )
    sentence = Sentence(0, 0, len(text), "text", text)
    return ReportAnalysis(text, (), (sentence,), tuple(sorted(mentions, key=lambda m: m.start)))


def test_minimal_change_shrinks_to_whole_words():
    text = "There is a small left pleural effusion."
    change = minimal_change(text, 0, len(text) - 1, "There is no left pleural effusion", 0)
    assert (change.before, change.after) == ("a small", "no")
    assert minimal_change(text, 0, 5, "There", 0) is None


def test_apply_changes_refuses_overlaps_and_applies_in_order():
    text = "abc def ghi"
    assert apply_changes(text, [Change(8, 11, "ghi", "xyz", 0), Change(0, 3, "abc", "A", 0)]) == "A def xyz"
    with pytest.raises(ValueError, match="overlapping"):
        apply_changes(text, [Change(0, 5, "abc d", "", 0), Change(4, 7, "def", "", 0)])


def test_noun_phrase_start_covers_article_size_side_and_measurements():
    analysis = _analysis("There is a 1.5 cm left upper lobe nodule.", {"nodule": "nodule"})
    assert analysis.text[np_start(analysis, analysis.mentions[0], 0) :] == "a 1.5 cm left upper lobe nodule."


@pytest.mark.parametrize(
    ("text", "remove", "expected"),
    [
        (
            "Mild cardiomegaly, small bilateral effusions, and bibasilar atelectasis",
            "effusions",
            "Mild cardiomegaly and bibasilar atelectasis",
        ),
        (
            "Mild cardiomegaly, small bilateral effusions, and bibasilar atelectasis",
            "atelectasis",
            "Mild cardiomegaly and small bilateral effusions",
        ),
        ("No consolidation, effusion, or pneumothorax", "consolidation", "No effusion or pneumothorax"),
        (
            "There are bilateral effusions and a small pneumothorax",
            "effusions",
            "There is a small pneumothorax",
        ),
        ("Small left effusion without pneumothorax", "effusion", "no pneumothorax"),
        ("Left effusion with adjacent atelectasis", "atelectasis", "Left effusion"),
    ],
)
def test_list_items_are_removed_with_grammar_fixed(text, remove, expected):
    words = ("cardiomegaly", "effusions", "atelectasis", "consolidation", "effusion", "pneumothorax")
    concepts = {w: w for w in words if re.search(rf"\b{w}\b", text)}
    analysis = _analysis(text, concepts)
    target = [m for m in analysis.mentions if m.text == remove]
    assert remove_from_sentence(analysis, analysis.sentences[0], target) == expected


def test_segments_without_findings_join_their_neighbour():
    analysis = _analysis("Opacity in the right upper and lower lobes", {"Opacity": "opacity"})
    segments = split_segments(analysis, 0, len(analysis.text), analysis.mentions)
    assert len(segments) == 1 and (segments[0].start, segments[0].end) == (0, len(analysis.text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Compared to the prior study, there is a new small left pleural effusion.",
            "There is a small left pleural effusion.",
        ),
        ("No significant interval change.", ""),
        ("The left pleural effusion is unchanged.", "The left pleural effusion is present."),
        ("No new focal consolidation. No pneumothorax.", "No focal consolidation. No pneumothorax."),
        ("Again seen is a small right pneumothorax.", "There is a small right pneumothorax."),
        ("No change in moderate cardiomegaly.", "Moderate cardiomegaly."),
        ("The heart remains enlarged.", "The heart is enlarged."),
        ("Pneumothorax has resolved.", "Pneumothorax has resolved."),
        (
            "COMPARISON: Chest radiograph from yesterday.\nFINDINGS: A small left effusion is again seen.",
            "FINDINGS: A small left effusion is seen.",
        ),
    ],
)
def test_strip_comparisons_keeps_negative_statements(text, expected):
    assert strip_comparisons(text) == expected


def test_phrase_bank_keeps_one_finding_statements_weighted_by_frequency():
    import random

    from cxralign.reports import analyze
    from cxralign.rewrite import RewriteContext
    from cxralign.rewrite.phrases import PhraseBank

    ctx = RewriteContext.from_engine()
    reports = [
        "No pneumothorax. Mild cardiomegaly.",
        "No pneumothorax.",
        "No pleural effusion or pneumothorax.",
    ]
    bank = PhraseBank().add_all((analyze(r) for r in reports), ctx.observation_of)
    texts, weights = bank.choices("Pneumothorax", False)
    assert texts == ["No pneumothorax"] and weights == [
        2
    ]  # the two-finding sentence is not a statement of one
    assert bank.sample("Cardiomegaly", True, random.Random(0)) == "Mild cardiomegaly"
    assert bank.sample("Edema", True, random.Random(0)) is None


def test_corpus_phrasing_draws_the_contradiction_from_the_bank():
    from cxralign.reports import analyze
    from cxralign.rewrite import RewriteContext, rewrite
    from cxralign.rewrite.phrases import PhraseBank

    plain = RewriteContext.from_engine()
    bank = PhraseBank().add_all(
        [analyze("Heart size is normal. Small right pleural effusion.")], plain.observation_of
    )
    ctx = RewriteContext.from_engine(phrases=bank)
    negated = rewrite(
        "negate", analyze("Mild cardiomegaly. No pneumothorax.", report_id="a"), "Cardiomegaly", ctx
    )
    assert negated.text == "Heart size is normal. No pneumothorax."
    affirmed = rewrite(
        "affirm", analyze("No pleural effusion. No pneumothorax.", report_id="b"), "Pleural Effusion", ctx
    )
    assert affirmed.text == "Small right pleural effusion. No pneumothorax."
