"""A bank of the corpus's own one-finding statements, for ``--phrasing corpus``.

Rule-made statements ("No left pleural effusion.") are not distributed like a
corpus's own ("No pleural effusion.", "Heart size is normal."), and a text-only
classifier learns the difference. With a bank, a statement that negates or
affirms a finding is drawn from the corpus's own statements of that polarity,
weighted by how often each is written, so variants read like originals.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from cxralign.reports.records import Assertion, ReportAnalysis

_MAX_CHARS = 90
NORMAL_SUMMARY = re.compile(
    r"^\W*(no (acute|active|evidence of acute)|normal (chest|study|examination|radiograph)|unremarkable)\b",
    re.IGNORECASE,
)
"""An impression sentence that says nothing is wrong ("No acute cardiopulmonary process.")."""
_SKIP = re.compile(
    r"XXXX|\d|\b(prior|previous|compared|unchanged|stable|again|new|interval|since)\b", re.IGNORECASE
)


class PhraseBank:
    """Sentences that state exactly one finding, by (CheXpert observation, present?, section)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, bool, str], Counter[str]] = {}
        self.normal: Counter[str] = Counter()  # impression sentences that state nothing is wrong

    def add(self, analysis: ReportAnalysis, observation_of: Callable[[str], str | None]) -> None:
        by_sentence: dict[int, list] = {}
        for mention in analysis.mentions:
            by_sentence.setdefault(mention.sentence_index, []).append(mention)
        for sentence in analysis.sentences:
            mentions = by_sentence.get(sentence.index, [])
            if not mentions and sentence.section == "impression":
                text = " ".join(sentence.text.split()).rstrip(".!? ")
                if NORMAL_SUMMARY.match(text) and len(text) <= _MAX_CHARS and not _SKIP.search(text):
                    self.normal[text[0].upper() + text[1:]] += 1
            if not mentions or any(m.historical or m.implied for m in mentions):
                continue
            observations = {observation_of(m.concept) for m in mentions}
            assertions = {m.assertion for m in mentions}
            if len(observations) != 1 or None in observations or len(assertions) != 1:
                continue
            assertion = assertions.pop()
            if assertion is Assertion.UNCERTAIN:
                continue
            text = " ".join(sentence.text.split()).rstrip(".!? ")
            if not text or len(text) > _MAX_CHARS or _SKIP.search(text) or ":" in text:
                continue
            key = (observations.pop(), assertion is Assertion.POSITIVE, sentence.section)
            self.counts.setdefault(key, Counter())[text[0].upper() + text[1:]] += 1

    def merge(self, other: PhraseBank) -> PhraseBank:
        """Add another bank's counts (banks built in parallel on parts of a corpus)."""
        for key, counter in other.counts.items():
            self.counts.setdefault(key, Counter()).update(counter)
        self.normal.update(other.normal)
        return self

    def add_all(self, analyses: Iterable[ReportAnalysis], observation_of) -> PhraseBank:
        for analysis in analyses:
            self.add(analysis, observation_of)
        return self

    def choices(
        self, observation: str, present: bool, section: str | None = None
    ) -> tuple[list[str], list[int]]:
        """Statements of that section when the corpus has some (impressions read unlike findings), else of any."""
        counter = self.counts.get((observation, present, section)) if section else None
        if not counter:
            counter = Counter()
            for (name, polarity, _), texts in sorted(self.counts.items()):
                if name == observation and polarity == present:
                    counter.update(texts)
        if not counter:
            return [], []
        items = sorted(counter.items())
        return [text for text, _ in items], [n for _, n in items]

    def sample(self, observation: str, present: bool, rng, section: str | None = None) -> str | None:
        """A statement weighted by corpus frequency (seeded), or None when the bank has none."""
        texts, weights = self.choices(observation, present, section)
        if not texts:
            return None
        return rng.choices(texts, weights=weights, k=1)[0]

    def sample_normal(self, rng) -> str | None:
        """A "nothing acute" impression the corpus writes, weighted by frequency (seeded)."""
        if not self.normal:
            return None
        texts, weights = zip(*sorted(self.normal.items()), strict=True)
        return rng.choices(texts, weights=weights, k=1)[0]

    def __len__(self) -> int:
        return sum(len(c) for c in self.counts.values())
