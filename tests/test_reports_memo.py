"""The engine's sentence memo: a remembered sentence gives exactly what reading it again gives."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from cxralign.reports import Engine
from cxralign.reports.memo import SentenceMemo

SENTENCES = [
    "There is a small left pleural effusion.",
    "No pneumothorax.",
    "Heart size is normal.",
    "The lungs are clear.",
    "Possible right lower lobe consolidation.",
    "Mild cardiomegaly; no pulmonary edema.",
    "Stable ET tube.",
    "No acute cardiopulmonary process.",
    "Borderline heart size",
    "Normal lungs without focal opacity.",
    "Old healed left rib fractures.",
    "Bibasilar atelectasis and trace bilateral effusions.",
]
SEPARATORS = [" ", "\n", "\n\n", "  ", "\n \n"]


def _report(parts: list[tuple[int, int]], impression_at: int | None) -> str:
    text = "FINDINGS: "
    for position, (sentence, separator) in enumerate(parts):
        if position == impression_at:
            text += "\nIMPRESSION: "
        text += SENTENCES[sentence] + SEPARATORS[separator]
    return text


reports = st.builds(
    _report,
    st.lists(
        st.tuples(st.integers(0, len(SENTENCES) - 1), st.integers(0, len(SEPARATORS) - 1)),
        min_size=1,
        max_size=8,
    ),
    st.one_of(st.none(), st.integers(0, 7)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(reports, min_size=1, max_size=6))
def test_memo_gives_the_same_analysis_as_reading_every_sentence(texts: list[str]) -> None:
    remembering, fresh = Engine(memo_size=3), Engine(memo_size=0)  # tiny memo: evictions happen too
    for text in texts + texts[::-1]:
        assert remembering.analyze(text) == fresh.analyze(text)


def test_a_report_reads_as_its_sentences_read_alone() -> None:
    """Nothing outside a sentence changes what it says (what makes the memo exact)."""
    engine = Engine(memo_size=0)
    text = "FINDINGS: Borderline heart size\n\nnormal lungs. No effusion; mild edema.\nIMPRESSION: Edema."
    analysis = engine.analyze(text)
    for sentence in analysis.sentences:
        alone = engine.analyze(sentence.text, sections="all")
        mine = [m for m in analysis.mentions if m.sentence_index == sentence.index]
        assert [(m.concept, m.assertion, m.start - sentence.start) for m in mine] == [
            (m.concept, m.assertion, m.start) for m in alone.mentions
        ]


def test_remembered_analysis_serves_its_variant_without_rereading() -> None:
    original = "FINDINGS: Mild cardiomegaly. There is a small left pleural effusion. No pneumothorax."
    variant = "FINDINGS: Mild cardiomegaly. There is no pleural effusion. No pneumothorax."
    reader = Engine()
    analysis = reader.analyze(original)
    reader.memo.clear()
    reader.remember(analysis)
    reads: list[str] = []
    read = reader._read_sentence
    reader._read_sentence = lambda sentence: reads.append(sentence) or read(sentence)
    again = reader.analyze(variant)
    assert reads == ["There is no pleural effusion."]  # only the edited sentence is read
    assert again == Engine(memo_size=0).analyze(variant)
    # the sentence before the edit sits where it did: the very same records are reused
    assert again.mentions[0] is analysis.mentions[0]


def test_memo_is_bounded_and_forgets_the_least_recently_used() -> None:
    memo = SentenceMemo(size=2)
    for text in ("a", "b"):
        memo.place(text, (0, 0, "findings"), lambda _: ())
    memo.place("a", (0, 0, "findings"), lambda _: ())  # "a" used again: "b" is now the oldest
    memo.place("c", (0, 0, "findings"), lambda _: ())
    assert len(memo) == 2
    reads: list[str] = []
    memo.place("a", (0, 0, "findings"), lambda text: reads.append(text) or ())
    memo.place("b", (0, 0, "findings"), lambda text: reads.append(text) or ())
    assert reads == ["b"]


def test_engine_pickles_with_its_memo_size_and_an_empty_memo() -> None:
    engine = Engine(memo_size=17)
    engine.analyze("No pneumothorax.")
    copy = pickle.loads(pickle.dumps(engine))
    assert copy.memo.size == 17 and len(copy.memo) == 0


def test_fast_constructors_build_the_same_frozen_records() -> None:
    import dataclasses

    import pytest

    from cxralign.reports.records import Assertion, Attributes, Mention, make_mention

    values = (
        "pleural_effusion",
        "effusion",
        4,
        12,
        1,
        "findings",
        Assertion.NEGATED,
        None,
        Attributes(),
        False,
        True,
    )
    fast, slow = make_mention(*values), Mention(*values)
    assert fast == slow and hash(fast) == hash(slow) and pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.start = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        make_mention(*values[:-1])  # every field must be given
