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
from itertools import accumulate

from cxralign.reports.records import Assertion, Mention, ReportAnalysis
from cxralign.rewrite.spans import singular
from cxralign.rewrite.statement_rules import MALFORMED

_MAX_CHARS = 90
NORMAL_SUMMARY = re.compile(
    r"^(?!\W*no acute (?:bony|osseous|skeletal)\b)"  # "No acute bony abnormality" says nothing of the chest
    r"\W*(?:\d{1,2}[.)]\s*)?(?:there is\s+)?"
    r"(no (acute|active|(radiographic )?evidence of (acute|active))|negative( for acute| chest|\W*$)|"
    r"normal (chest|study|exam|examination|radiograph)|unremarkable)\b",
    re.IGNORECASE,
)
"""An impression sentence that says nothing is wrong ("No acute cardiopulmonary process.")."""
_SKIP = re.compile(r"\b(prior|previous|compared|since|comparison|study|exam)\b", re.IGNORECASE)
"""Statements that point at another study. Time words ("stable cardiomegaly") and the corpus's
anonymisation marks stay: the statements a rewrite removes carry them as often."""
TEMPORAL = re.compile(
    r"\b(stable|unchanged|again|new|newly|interval|increased|increasing|decreased|decreasing|persistent|"
    r"persists|improved|improving|worsened|worsening|redemonstrated|re-demonstrated|resolved|resolving|"
    r"previously|redemonstration|remains?|similar|residual|smaller|larger|removed|removal)\b",
    re.IGNORECASE,
)
"""Words that compare with an earlier study: a statement with them fits only a report that compares."""
_ENUMERATION = re.compile(r"^\(?\d{1,2}[.)]\s+")
"""A list number opening an impression item ("2. Cardiomegaly."): the item is the statement."""
_DENIES = re.compile(r"\b(no|not|without|normal|negative|clear|free|resolved|within)\b", re.IGNORECASE)
"""A "positive" statement with these words is an engine misreading ("... appear within limits of normal")."""
_DETAIL = re.compile(
    r"\b(left|right|bilateral|bibasilar|bibasal|biapical|both|upper|middle|lower|lingula|lingular|apical|apex|apices|"
    r"basilar|base|bases|basal|midlung|mid|retrocardiac|perihilar|hilar|costophrenic|multilobar|multifocal|diffuse|focal|"
    r"patchy|scattered|multiple|single|solitary|several|numerous|"
    r"rib|ribs|clavicle|clavicular|humerus|humeral|scapula|scapular|sternum|sternal|spine|vertebral|thoracic|lumbar|"
    r"acute|chronic|old|healed|healing|pathologic|"
    r"small|large|moderate|moderately|mild|mildly|severe|severely|tiny|trace|minimal|massive|marked|markedly|"
    r"\w*\d\w*)\b",
    re.IGNORECASE,
)
"""Side, place, site, extent, age, grade and measure words: what an impression may repeat, never change."""
_MIN_OPENING = 5
"""Statements seen opening a section before position-matched sampling is trusted."""
_MIN_RATE = 8
"""Reports with a finding before its own impression rates are trusted (else pooled over findings)."""


def malformed(text: str) -> str | None:
    """Why a statement is no sentence a radiologist would write (``rules.MALFORMED``), else None."""
    return next((name for name, pattern in MALFORMED if pattern.search(text)), None)


_PLURAL_FINDING = re.compile(
    r"\b(?:effusions|pneumothoraces|nodules|opacities|densities|infiltrates|fractures|masses|lesions|"
    r"consolidations|granulomas)\b",
    re.IGNORECASE,
)
"""A finding named in the plural: a restatement must agree in number ("small right pleural effusion"
is never summarised as "Small pleural effusions")."""


def details(text: str) -> frozenset[str]:
    """The side, place, grade, measure and change words of a statement ("small right apical", "5",
    "increased"), and "plural" when it names its finding in the plural: a restatement never says
    "Decreasing" of what the findings call "increased"."""
    found = {word.lower() for word in _DETAIL.findall(text)} | {w.lower() for w in TEMPORAL.findall(text)}
    return frozenset(found | {"plural"} if _PLURAL_FINDING.search(text) else found)


def _restrict(drawn: tuple[list[str], list[int]], keep: Callable[[str], bool]) -> tuple[list[str], list[int]]:
    """The statements ``keep`` accepts, with their cumulative counts."""
    texts, cumulative = drawn
    kept, counts = [], []
    for index, text in enumerate(texts):
        if keep(text):
            kept.append(text)
            counts.append(cumulative[index] - (cumulative[index - 1] if index else 0))
    return kept, list(accumulate(counts))


_BY_HEAD = frozenset({"support_devices"})
"""Concepts that name different things by their head word: removing a catheter denies no clips."""


_OWN_CONCEPT_ONLY = frozenset({"Edema", "Pleural Other", "Support Devices"})
"""Observations whose concepts are different things ("No edema" leaves congestion, "No fibrosis"
pleural thickening, a removed catheter clips): with no statement of the target's own, rules phrase
it. Elsewhere a sibling concept's statement is a fair denial ("nodular density" -> "No pulmonary
nodules") and reads like the corpus, where rules would not ("No nodular density")."""


def _names(mentions) -> frozenset[str]:
    """The concepts of mentions, and head words where the concept lumps things ("head:clip")."""
    names = set()
    for mention in mentions:
        names.add(f"concept:{mention.concept}")
        words = mention.text.lower().split()
        if words and mention.concept in _BY_HEAD:
            names.add(f"head:{singular(words[-1])}")
    return frozenset(names)


class PhraseBank:
    """Sentences that state exactly one finding, by (CheXpert observation, present?, section)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, bool, str], Counter[str]] = {}
        self.opening: dict[tuple[str, bool, str], Counter[str]] = {}  # the subset that opened a section
        self.normal: Counter[str] = Counter()  # impression sentences that state nothing is wrong
        # per statement, the lexicon concepts ("concept:fibrosis") and device head words
        # ("head:catheter") it names: "No fibrosis" is Pleural Other but does not deny pleural
        # thickening, and "The catheter has been removed" does not deny surgical clips, so a
        # rewrite prefers statements of its target's own device, then of its concept
        self.names: dict[str, set[str]] = {}
        # per observation, how impressions treat a finding stated in the findings section:
        # "pos" / "neg" reports stating it present / denied, "pos_normal" / "neg_normal" those whose
        # impression still says nothing is wrong, "pos_restated" those whose impression names it
        self.impressions: dict[str, Counter[str]] = {}
        # per observation, denials outside the impression: "alone" in a sentence of their own,
        # "listed" among other denied findings ("No pneumothorax, pleural effusion, or consolidation.")
        self.denials: dict[str, Counter[str]] = {}
        self._drawn: dict[tuple, tuple[list[str], list[int]]] = {}  # choices() by its arguments, for sample()

    def add(self, analysis: ReportAnalysis, observation_of: Callable[[str], str | None]) -> None:
        self._drawn.clear()
        by_sentence: dict[int, list] = {}
        for mention in analysis.mentions:
            by_sentence.setdefault(mention.sentence_index, []).append(mention)
        self._count_usage(analysis, by_sentence, observation_of)
        openers = {}
        for sentence in analysis.sentences:
            openers.setdefault(sentence.section, sentence.index)
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
            text = _ENUMERATION.sub("", " ".join(sentence.text.split())).rstrip(".!? ")
            if not text or len(text) > _MAX_CHARS or _SKIP.search(text) or ":" in text:
                continue
            if assertion is Assertion.POSITIVE and (_DENIES.search(text) or malformed(text)):
                continue  # an affirm inserts it: a garbled corpus sentence ("Early interstitial show ...") never
            key = (observations.pop(), assertion is Assertion.POSITIVE, sentence.section)
            statement = text[0].upper() + text[1:]
            self.counts.setdefault(key, Counter())[statement] += 1
            self.names.setdefault(statement, set()).update(_names(mentions))
            if openers[sentence.section] == sentence.index:
                self.opening.setdefault(key, Counter())[statement] += 1

    def _count_usage(self, analysis: ReportAnalysis, by_sentence: dict, observation_of) -> None:
        impression = [s for s in analysis.sentences if s.section == "impression"]
        inside = {s.index for s in impression}
        for index, mentions in by_sentence.items():
            if index in inside:
                continue
            current = [m for m in mentions if not m.historical and not m.implied]
            observations = {observation_of(m.concept) for m in current}
            if (
                not current
                or any(m.assertion is not Assertion.NEGATED for m in current)
                or None in observations
            ):
                continue
            # implied denials count as list company: "Heart size and pulmonary vascularity are normal."
            company = {observation_of(m.concept) for m in mentions if m.implied and not m.historical} - {None}
            kind = "listed" if len(observations | company) > 1 else "alone"
            for observation in observations:
                self.denials.setdefault(observation, Counter())[kind] += 1
        if not impression:
            return
        normal = any(
            not by_sentence.get(s.index) and NORMAL_SUMMARY.match(" ".join(s.text.split()))
            for s in impression
        )
        restated, stated, denied = set(), set(), set()
        for mention in analysis.mentions:
            if mention.historical or mention.implied:
                continue
            observation = observation_of(mention.concept)
            if observation is None:
                continue
            if mention.sentence_index in inside:
                if mention.assertion is not Assertion.NEGATED:
                    restated.add(observation)
            elif mention.assertion is Assertion.POSITIVE:
                stated.add(observation)
            elif mention.assertion is Assertion.NEGATED:
                denied.add(observation)
        for observation in stated:
            counter = self.impressions.setdefault(observation, Counter())
            counter.update(pos=1, pos_normal=int(normal), pos_restated=int(observation in restated))
            if len(stated) == 1:  # the finding is the report's only one
                counter.update(pos_alone=1, pos_alone_normal=int(normal))
        for observation in denied - stated - restated:
            counter = self.impressions.setdefault(observation, Counter())
            counter.update(neg=1, neg_normal=int(normal))
            if not stated:
                counter.update(neg_alone=1, neg_alone_normal=int(normal))

    def _rates(self, observation: str) -> Counter[str]:
        own = self.impressions.get(observation, Counter())
        if own["pos"] >= _MIN_RATE and own["neg"] >= _MIN_RATE:
            return own
        pooled: Counter[str] = Counter()
        for counter in self.impressions.values():
            pooled.update(counter)
        return pooled

    def keep_normal_rate(self, observation: str, alone: bool = False) -> float | None:
        """How often an impression saying nothing is wrong stays so when the finding is present.

        The ratio P(normal impression | finding stated) / P(normal impression | finding denied):
        keeping a denied finding's normal impression that often, when the finding is affirmed,
        leaves the corpus's share of "finding in the findings, nothing acute in the impression"
        (common for chronic findings, rare for effusions). ``alone``: the report states no other
        finding, and the ratio is taken over such reports where the corpus has enough of them (an
        impression beside a lone chronic finding stays normal more often than beside several).
        None without counts.
        """
        rates = self._rates(observation)
        own = self.impressions.get(observation, Counter())
        if alone and own["pos_alone"] >= _MIN_RATE and own["neg_alone_normal"] >= _MIN_RATE:
            stated, denied = (
                own["pos_alone_normal"] / own["pos_alone"],
                own["neg_alone_normal"] / own["neg_alone"],
            )
        elif rates["pos"] and rates["neg_normal"]:
            stated, denied = rates["pos_normal"] / rates["pos"], rates["neg_normal"] / rates["neg"]
        else:
            return None
        return min(1.0, stated / denied)

    def list_rate(self, observation: str) -> float | None:
        """How often the corpus denies the finding inside a list of denied findings (None without counts)."""
        counts = self.denials.get(observation, Counter())
        total = counts["alone"] + counts["listed"]
        return counts["listed"] / total if total >= _MIN_RATE else None

    def restate_rate(self, observation: str) -> float | None:
        """How often an impression names a finding the findings section states (None without counts)."""
        rates = self._rates(observation)
        return rates["pos_restated"] / rates["pos"] if rates["pos"] else None

    def merge(self, other: PhraseBank) -> PhraseBank:
        """Add another bank's counts (banks built in parallel on parts of a corpus)."""
        self._drawn.clear()
        for key, counter in other.counts.items():
            self.counts.setdefault(key, Counter()).update(counter)
        for key, counter in other.opening.items():
            self.opening.setdefault(key, Counter()).update(counter)
        for key, counter in other.impressions.items():
            self.impressions.setdefault(key, Counter()).update(counter)
        for key, counter in other.denials.items():
            self.denials.setdefault(key, Counter()).update(counter)
        self.normal.update(other.normal)
        for statement, names in other.names.items():
            self.names.setdefault(statement, set()).update(names)
        return self

    def add_all(self, analyses: Iterable[ReportAnalysis], observation_of) -> PhraseBank:
        for analysis in analyses:
            self.add(analysis, observation_of)
        return self

    def choices(
        self,
        observation: str,
        present: bool,
        section: str | None = None,
        opening: bool | None = None,
        temporal: bool = True,
    ) -> tuple[list[str], list[int]]:
        """(statements, cumulative counts) of that section when the corpus has some, else of any
        (impressions read unlike findings).

        ``opening`` (True: the statement opens its section, False: it follows another) narrows them
        to statements seen in that position when there are enough: sections open differently
        ("FINDINGS: The heart is normal in size.") from how they go on ("No pleural effusion.").
        ``temporal=False`` leaves out statements that compare with an earlier study ("Stable
        cardiomegaly"), for a report that compares with none, when others remain.
        """
        counter = self.counts.get((observation, present, section)) if section else None
        if counter and opening is not None:
            first = self.opening.get((observation, present, section), Counter())
            narrowed = first if opening else counter - first
            if sum(narrowed.values()) >= _MIN_OPENING:
                counter = narrowed
        if not counter:
            counter = Counter()
            for (name, polarity, _), texts in sorted(self.counts.items()):
                if name == observation and polarity == present:
                    counter.update(texts)
        if not counter:
            return [], []
        if not temporal:
            current = Counter({text: n for text, n in counter.items() if not TEMPORAL.search(text)})
            counter = current or counter
        items = sorted(counter.items())
        return [text for text, _ in items], list(accumulate(n for _, n in items))

    def sample(
        self,
        observation: str,
        present: bool,
        rng,
        section: str | None = None,
        opening: bool | None = None,
        temporal: bool = True,
        within: frozenset[str] | None = None,
        mention: Mention | None = None,
    ) -> str | None:
        """A statement weighted by corpus frequency (seeded), or None when the bank has none.

        ``mention``: statements of its lexicon concept ("No pleural thickening", not "No fibrosis",
        though both are Pleural Other) and of its device ("No surgical clips", not "The catheter has
        been removed"); with none, those of its observation, or for ``_OWN_CONCEPT_ONLY`` none (the
        rewrite then phrases it by rules). ``within`` (a statement's
        ``details``) keeps only statements that repeat no other side, place, grade or measure: an
        impression restating "There is a small right apical pneumothorax." may say "Right
        pneumothorax.", never "Left pneumothorax, 5 mm.".
        """
        names = None if mention is None else _names([mention])
        key = (observation, present, section, opening, temporal, within, names)
        drawn = self._drawn.get(key)
        if drawn is None:  # a build asks the same few questions hundreds of thousands of times
            drawn = self.choices(observation, present, section, opening, temporal)
            for name in names or ():  # every name: the target's own concept, and its own device
                own = _restrict(drawn, lambda text, name=name: name in self.names.get(text, ()))
                drawn = own if own[0] or observation in _OWN_CONCEPT_ONLY else drawn
            if within is not None:
                drawn = _restrict(drawn, lambda text: details(text) <= within)
            self._drawn[key] = drawn
        texts, cumulative = drawn
        if not texts:
            return None
        return rng.choices(texts, cum_weights=cumulative, k=1)[0]

    def sample_normal(self, rng) -> str | None:
        """A "nothing acute" impression the corpus writes, weighted by frequency (seeded)."""
        if not self.normal:
            return None
        texts, weights = zip(*sorted(self.normal.items()), strict=True)
        return rng.choices(texts, weights=weights, k=1)[0]

    def __len__(self) -> int:
        return sum(len(c) for c in self.counts.values())
