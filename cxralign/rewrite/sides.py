"""The other statements of a side that a laterality swap moves with the finding, or that refuse it.

A sign that names the side ("blunting of the left costophrenic angle"), a place of the finding's own clause
("within the left lower lobe"), the other lung declared clear ("Left lung clear") move with the finding;
a bilateral finding described side by side, a hidden heart border or a finding seen only on another study
refuse the item. The rules are tables in ``cxralign.rewrite.rules``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.edits import RewriteFailed, case_like, sentence_at
from cxralign.rewrite.form import sentence_text, stated_signs
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import CARDIAC_CHAMBER, HEDGE_ONLY, SIDE_CLEAR, ZONES
from cxralign.rewrite.statement_rules import (
    BOTH_SIDES_PLACE,
    LATERALITY_SIGNS,
    OTHER_STUDY_STATEMENT,
    PER_SIDE_DETAIL,
    SIDES_LISTED,
    SILHOUETTE_SIGN,
)
from cxralign.rewrite.words import SWAP_LATERALITY


def refuse_scope(analysis: ReportAnalysis, mentions: Sequence[Mention], target: str, ctx: RewriteContext) -> None:
    """Statements no side swap keeps true: a bilateral finding described side by side ("bilateral
    effusions, small on the left"), or a finding stated only as seen on another study."""
    texts = [sentence_text(analysis, m.sentence_index) for m in mentions]
    if any(SIDES_LISTED.search(t) for t in texts):
        raise RewriteFailed("both sides listed in one statement")
    if any(
        m.attributes.laterality == "bilateral" and PER_SIDE_DETAIL.search(t)
        for m, t in zip(mentions, texts, strict=True)
    ):
        raise RewriteFailed("a bilateral finding is described side by side")
    if any(m.attributes.laterality == "bilateral" for m in mentions) and any(
        m.attributes.laterality is None
        and m.assertion is not Assertion.NEGATED
        and ctx.observation_of(m.concept) == target
        and BOTH_SIDES_PLACE.search(sentence_text(analysis, m.sentence_index))
        for m in analysis.mentions
    ):
        raise RewriteFailed("another statement places the finding on both sides")
    if all(OTHER_STUDY_STATEMENT.search(t) for t in texts):
        raise RewriteFailed(HEDGE_ONLY)
    if SILHOUETTE_SIGN.search(analysis.text):  # in any sentence: "...; the left heart border is obscured"
        raise RewriteFailed("the finding hides a heart border, whose side stays")


_SIDE_WORD = re.compile(
    r"\b(?:left|right)\b|\bboth\b|\bbilateral\w*|\bbi(?:basil|apic|bas)\w*", re.IGNORECASE
)


def clear_sides(analysis: ReportAnalysis, target: str, ctx: RewriteContext, value: str) -> list[Change]:
    """The other lung declared clear ("Clear left lung.", "The left lung is clear.") becomes the lung the
    finding leaves: a swap of the finding moves which lung is clear with it, unless another finding
    stays in that lung ("residual left base airspace disease"), which the verifier then refuses."""
    other = SWAP_LATERALITY[value]
    if any(
        m.assertion is not Assertion.NEGATED
        and m.attributes.laterality in (value, "bilateral")
        and ctx.observation_of(m.concept) != target
        for m in analysis.mentions
    ):
        return []
    changes = []
    for match in re.finditer(SIDE_CLEAR.format(side=other), analysis.text, re.IGNORECASE):
        word = re.search(rf"\b{other}\b", match.group(), re.IGNORECASE)
        sentence = next((s for s in analysis.sentences if s.start <= match.start() < s.end), None)
        if word is None or sentence is None:
            continue
        at = match.start() + word.start()
        after = case_like(word.group(), value)
        changes.append(Change(at, at + len(word.group()), word.group(), after, sentence.index))
    return changes


def sign_sides(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, mentions: Sequence[Mention], value: str
) -> list[Change]:
    """The side words of the target's signs ("Blunting of the left costophrenic angle", "chronic changes
    in the left lung base"), swapped with the finding's; a sign on both sides, or on a side the finding
    is not, is refused (no swap keeps it true)."""
    changes = []
    extra = LATERALITY_SIGNS.get(target)
    found = [(start, end, index) for _name, start, end, index in stated_signs(analysis, target, ctx)]
    for sentence in analysis.sentences if extra is not None else ():
        text = analysis.text[sentence.start : sentence.end]
        found += [
            (sentence.start + m.start(), sentence.start + m.end(), sentence.index)
            for m in extra.finditer(text)
        ]
    for start, end, index in sorted(set(found)):
        taken = [  # sides of other findings; a sign the lexicon reads as a concept of its own keeps its side here
            m.attributes.laterality_span
            for m in analysis.mentions
            if m.attributes.laterality_span
            and not (ctx.observation_of(m.concept) is None and start <= m.start and m.end <= end)
        ]
        sentence = sentence_at(analysis, index)
        text = analysis.text[sentence.start : sentence.end]
        cuts = [0, *(m.end() for m in re.finditer(r"[,;]", text)), len(text)]
        low = max(c for c in cuts if c <= start - sentence.start)
        high = min(c for c in cuts if c >= end - sentence.start)
        for word in _SIDE_WORD.finditer(text, low, high):
            at, stop = sentence.start + word.start(), sentence.start + word.end()
            if any(a <= at < b for a, b in taken) or CARDIAC_CHAMBER.match(analysis.text, stop):
                continue  # another finding's side, or the finding's own (already swapped), or a chamber
            if value == "bilateral" or word.group().lower() != value:
                raise RewriteFailed("a sign of the finding is stated on another side")
            after = case_like(word.group(), SWAP_LATERALITY[word.group().lower()])
            changes.append(Change(at, stop, word.group(), after, index))
    return changes


PLACE_SIDE_TARGETS = frozenset(
    {"Pleural Effusion", "Pneumothorax", "Lung Lesion", "Consolidation", "Lung Opacity", "Pneumonia", "Atelectasis",
     "Pleural Other", "Edema"}
)  # fmt: skip
"""Findings in the lung or pleura: a place of theirs ("the left lung base") takes their side. A device or a bone
beside a place ("leads over the left lower chest") is anatomy of its own, and stays refused."""
_LUNG_PLACES = frozenset({*ZONES, "lung", "lungs", "lobe", "hemithorax", "midlung", "lingula"})
_CLAUSE_CUT = re.compile(r"[,;]|\b(?:with|and|but|without)\b", re.IGNORECASE)


def place_sides(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, mentions: Sequence[Mention], value: str
) -> list[Change]:
    """The old side repeated in a place of the finding's own clause ("opacity at the left lung base,
    within the left lower lobe"; "effusion in the left lateral costophrenic recess"): it moves too. A
    side in a clause naming another finding is left to the verifier (which refuses the item)."""
    spans = [m.attributes.laterality_span for m in analysis.mentions if m.attributes.laterality_span]
    changes = []
    for index in sorted({m.sentence_index for m in mentions if m.attributes.laterality == value}):
        sentence = sentence_at(analysis, index)
        text = analysis.text[sentence.start : sentence.end]
        cuts = [0, *(m.start() for m in _CLAUSE_CUT.finditer(text)), len(text)]
        for word in re.finditer(rf"\b{value}\b", text, re.IGNORECASE):
            at, stop = sentence.start + word.start(), sentence.start + word.end()
            following = re.findall(r"[a-z]+", text[word.end() : word.end() + 32].lower())[:3]
            if any(a <= at < b for a, b in spans) or not set(following) & _LUNG_PLACES:
                continue
            low = max(c for c in cuts if c <= word.start())
            high = min(c for c in cuts if c >= word.end())
            if any(  # the clause names another finding: its side is not the target's to move
                sentence.start + low <= m.start < sentence.start + high
                and ctx.observation_of(m.concept) != target
                for m in analysis.mentions
            ):
                continue
            changes.append(
                Change(at, stop, word.group(), case_like(word.group(), SWAP_LATERALITY[value]), index)
            )
    return changes
