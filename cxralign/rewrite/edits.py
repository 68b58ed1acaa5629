"""The shared edit core: plans, whole-sentence edits shrunk to minimal changes, selection of the
target's statements, numbered lists kept counting."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.phrases import TEMPORAL
from cxralign.rewrite.records import Change
from cxralign.rewrite.spans import (
    capitalize_first,
    minimal_change,
    sentence_body,
)


class RewriteFailed(Exception):
    """The op cannot be made on this report; the message is the reason counted in the manifest."""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    added_sentence: bool = False
    concept: str = ""
    detail: dict[str, str] = field(default_factory=dict)


def target_mentions(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    """Mentions of any concept that maps to the target CheXpert observation."""
    return [m for m in analysis.mentions if ctx.observation_of(m.concept) == target and not m.implied]


def stated_mentions(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    """The target's current statements (positive or hedged, not historical); refused when there is none."""
    stated = [
        m
        for m in target_mentions(analysis, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    ]
    if not stated:
        raise RewriteFailed("target not positive or hedged")
    return stated


def group_by_sentence(mentions: Sequence[Mention]) -> dict[int, list[Mention]]:
    grouped: dict[int, list[Mention]] = defaultdict(list)
    for mention in mentions:
        grouped[mention.sentence_index].append(mention)
    return dict(sorted(grouped.items()))


def other_mentions(
    analysis: ReportAnalysis, sentence: Sentence, target_set: Sequence[Mention]
) -> list[Mention]:
    ids = {id(m) for m in target_set}
    return [m for m in analysis.mentions if m.sentence_index == sentence.index and id(m) not in ids]


def sentence_at(analysis: ReportAnalysis, index: int) -> Sentence:
    for sentence in analysis.sentences:
        if sentence.index == index:
            return sentence
    raise RewriteFailed("mention outside every sentence")


def opens_section(analysis: ReportAnalysis, sentence: Sentence) -> bool:
    return next(s.index for s in analysis.sentences if s.section == sentence.section) == sentence.index


def bank_statement(
    ctx: RewriteContext,
    analysis: ReportAnalysis,
    target: str,
    present: bool,
    key: object,
    section: str | None,
    opening: bool | None,
    within: frozenset[str] | None = None,
    mention: Mention | None = None,
) -> str | None:
    """A corpus statement of the target for that section and position (``--phrasing corpus``), else None.

    It compares with an earlier study ("Stable cardiomegaly.") only if the report itself does;
    ``within`` limits its side, place, grade and measure words and ``mention`` prefers statements
    of its head word and concept (see ``PhraseBank.sample``).
    """
    if ctx.phrases is None:
        return None
    rng = ctx.phrase_rng(key, section)
    return ctx.phrases.sample(
        target, present, rng, section, opening, compares_with_prior(analysis.text), within, mention
    )


@functools.lru_cache(maxsize=4096)
def compares_with_prior(text: str) -> bool:
    """Whether a report compares with an earlier study (asked once per report, not once per statement)."""
    return bool(TEMPORAL.search(text))


@dataclass
class SentenceEdit:
    """A whole-sentence replacement, later shrunk to the words that differ."""

    sentence: Sentence
    start: int
    end: int
    after: str
    added: bool = False


def replace_sentence(analysis: ReportAnalysis, sentence: Sentence, new_body: str) -> SentenceEdit:
    start, body_end, end = sentence_body(analysis, sentence)
    if not new_body.strip():
        return delete_sentence(analysis, sentence)
    return SentenceEdit(sentence, start, body_end, capitalize_first(new_body.strip()))


def delete_sentence(analysis: ReportAnalysis, sentence: Sentence) -> SentenceEdit:
    text = analysis.text
    start, _, end = sentence_body(analysis, sentence)
    marker = ITEM_NUMBER.search(text, 0, start)
    if marker is not None:
        start = marker.start(1)  # "IMPRESSION: 1. Cardiomegaly. 2. ..." loses "1." with its item
    stop = end
    while stop < len(text) and text[stop] in " \t":
        stop += 1
    if stop == end or stop >= len(text) or text[stop] == "\n":
        begin = start
        while begin > 0 and text[begin - 1] in " \t":
            begin -= 1
        return SentenceEdit(sentence, begin, end, "")
    return SentenceEdit(sentence, start, stop, "")


ITEM_NUMBER = re.compile(r"(?:^|\s)(\d{1,2}[.)]\s*)$")


def append_sentence(analysis: ReportAnalysis, sentence: Sentence, new_sentence: str) -> SentenceEdit:
    start, body_end, end = sentence_body(analysis, sentence)
    punct = "" if end > body_end else "."
    return SentenceEdit(sentence, end, end, f"{punct} {capitalize_first(new_sentence)}.", added=True)


def changes_from(analysis: ReportAnalysis, edits: Sequence[SentenceEdit]) -> list[Change]:
    changes: list[Change] = []
    for edit in edits:
        if edit.added:
            changes.append(Change(edit.start, edit.end, "", edit.after, edit.sentence.index))
            continue
        change = minimal_change(analysis.text, edit.start, edit.end, edit.after, edit.sentence.index)
        if change is not None:
            changes.append(change)
    return changes


def renumbering_edits(analysis: ReportAnalysis, edits: list[SentenceEdit]) -> list[SentenceEdit]:
    """A numbered list that loses an item counts on without a gap ("1. A. 2. B. 3. C." minus B ->
    "1. A. 2. C."), as a report's own would; lists not numbered 1, 2, 3, ... are left alone."""
    text = analysis.text
    deleted = [e for e in edits if not e.after and not e.added]
    if not deleted:
        return []
    renumbered: list[SentenceEdit] = []
    for section in dict.fromkeys(e.sentence.section for e in deleted):  # in text order: changes are output
        markers = []
        for sentence in (s for s in analysis.sentences if s.section == section):
            marker = ITEM_NUMBER.search(text, 0, sentence_body(analysis, sentence)[0])
            if marker is not None:
                markers.append((sentence, marker.start(1), int(re.match(r"\d+", marker.group(1)).group())))
        if [number for _, _, number in markers] != list(range(1, len(markers) + 1)):
            continue
        gone = 0
        for sentence, at, number in markers:
            if any(e.start <= at < e.end for e in deleted):
                gone += 1
            elif gone and not any(e.start <= at < e.end for e in edits):
                renumbered.append(SentenceEdit(sentence, at, at + len(str(number)), str(number - gone)))
    return renumbered


def finish_plan(analysis: ReportAnalysis, edits: list[SentenceEdit], concept: str, detail=None) -> Plan:
    edits = _merged_deletions(edits + renumbering_edits(analysis, edits))
    changes = changes_from(analysis, edits)
    if not changes:
        raise RewriteFailed("no edit possible")
    return Plan(changes, any(e.added for e in edits), concept, dict(detail or {}))


def _merged_deletions(edits: list[SentenceEdit]) -> list[SentenceEdit]:
    """Deletions of neighbouring sentences that share the space between them, made one deletion
    (in the order the edits came: the changes are written out in that order)."""
    kept: list[SentenceEdit] = []
    for edit in edits:
        if not edit.after and not edit.added:
            for index, other in enumerate(kept):
                if (
                    not other.after
                    and not other.added
                    and edit.start <= other.end
                    and other.start <= edit.end
                ):
                    kept[index] = SentenceEdit(
                        other.sentence, min(other.start, edit.start), max(other.end, edit.end), ""
                    )
                    break
            else:
                kept.append(edit)
            continue
        kept.append(edit)
    return kept


def case_like(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if template[:1].isupper() else word


def attribute_mentions(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, attribute: str
) -> list[Mention]:
    return [
        m
        for m in target_mentions(analysis, target, ctx)
        if m.assertion is Assertion.POSITIVE and not m.historical and getattr(m.attributes, attribute) is not None
        and getattr(m.attributes, f"{attribute}_span") is not None
    ]  # fmt: skip


def check_attribute_use(
    analysis: ReportAnalysis,
    target: str,
    ctx: RewriteContext,
    attribute: str,
    shared_with: frozenset[str] = frozenset(),
) -> None:
    """One value across the target's statements, and a word no other stated finding leans on (but
    the findings ``shared_with``, which the op moves with the target)."""
    current = [
        m
        for m in target_mentions(analysis, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    ]
    values = {getattr(m.attributes, attribute) for m in current} - {None}
    if len(values) > 1:
        raise RewriteFailed(f"target has mixed {attribute} ({', '.join(sorted(map(str, values)))})")
    spans = {getattr(m.attributes, f"{attribute}_span") for m in current} - {None}
    for mention in analysis.mentions:
        if ctx.observation_of(mention.concept) == target or mention.assertion is Assertion.NEGATED:
            continue
        if ctx.observation_of(mention.concept) in shared_with and not mention.historical:
            continue
        if getattr(mention.attributes, f"{attribute}_span") in spans:
            raise RewriteFailed(f"the {attribute} word is shared with another finding")
