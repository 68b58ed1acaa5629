"""severity: small <-> large, mild <-> severe, a middle grade up or down (seeded)."""

from __future__ import annotations

import re

from cxralign.reports.records import Assertion, Mention, ReportAnalysis
from cxralign.rewrite import edits
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.form import sentence_text
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import BORDERLINE, HEDGE_ONLY, RELATED_FINDINGS
from cxralign.rewrite.spans import (
    singular,
)
from cxralign.rewrite.statement_rules import BORDERLINE_SUBJECT, OTHER_STUDY_STATEMENT
from cxralign.rewrite.words import (
    MIDDLE_GRADES,
    SEVERITY,
    SIZE_GRADED_HEADS,
    SIZE_WORDS,
    SWAP_SEVERITY,
)

LOWER_GRADE_SHARE = 1 / 2
"""Share of middle grades ("moderate") whose severity variant goes down (small / mild); the rest go up."""

_AFTER_GRADE = re.compile(r"\s*(?:(?:-|/|to\b|or\b|and\b)\s*)?(-?[a-z]+)?", re.IGNORECASE)
_BEFORE_GRADE = re.compile(r"\b([a-z]+)[\s/-]*(?:(?:to|or|and)[\s-]*)?$", re.IGNORECASE)
_MEASURED = re.compile(r"\d\s*(?:cm|mm|centimet|millimet)|\bmeasur", re.IGNORECASE)
_STACKED_GRADES = SEVERITY - {"to", "very", "somewhat"}
"""Grade words that, next to another ("moderately large", "moderate-to-large", "mild/moderate"),
make a range or a stacked grade: no single opposite reads well, so the op refuses them."""

_COMPARATIVES = frozenset({"more", "less", "most", "least"})
_CHANGE_WORDS = frozenset(
    {"increased", "decreased", "improved", "worsened", "increasing", "decreasing", "improving", "worsening"}
)


def _severity_opposite(analysis: ReportAnalysis, mention: Mention, lower: bool) -> str:
    """The grade a severity word becomes: its fixed opposite, or for a middle grade the seeded one,
    on the axis the finding is graded on ("moderate effusion" -> small / large, "moderate edema" ->
    mild / severe). Stacked grades and ranges ("moderately large", "moderate/large") are refused."""
    start, end = mention.attributes.severity_span  # type: ignore[misc]
    text = analysis.text
    before = text[start:end]
    after = _AFTER_GRADE.match(text, end)
    following = (after.group(1) or "").lower().lstrip("-") if after else ""
    preceding = _BEFORE_GRADE.search(text, max(0, start - 32), start)
    if (
        following in _STACKED_GRADES
        or (preceding and preceding.group(1).lower() in _STACKED_GRADES)
        or re.search(r"[\s/-]", before)  # the engine read a range as one grade ("mild to moderate")
    ):
        raise edits.RewriteFailed(f"severity {before!r} is part of a range")
    if (preceding and preceding.group(1).lower() in _COMPARATIVES) or following in _CHANGE_WORDS:
        # "more marked on the right", "mildly increased opacity": it grades a comparison, not the finding
        raise edits.RewriteFailed(f"severity {before!r} grades a comparison")
    grades = MIDDLE_GRADES.get(before.lower())
    if grades is None:
        swapped = SWAP_SEVERITY.get(before.lower())
        if swapped is None:
            raise edits.RewriteFailed(f"severity {before!r} has no clear opposite")
        return swapped
    head = singular(mention.text.split()[-1].lower()) if mention.text.split() else ""
    if following in SIZE_WORDS:
        axis = "size"
    elif before.lower().endswith("ly"):  # an adverb grades the word it modifies, never a size
        axis = "intensity"
    else:
        axis = "size" if head in SIZE_GRADED_HEADS else "intensity"
    pair = grades[axis]
    if pair is None:
        raise edits.RewriteFailed(f"severity {before!r} {following} has no clear opposite")
    return pair[0 if lower else 1]


def _refuse_scope(
    analysis: ReportAnalysis, target: str, mentions: list[Mention], ctx: RewriteContext
) -> None:
    """A grade no new one may replace: the organ also called borderline in words the lexicon does not
    read ("Heart size upper limits normal"), or the finding stated only as seen on another study."""
    subject = BORDERLINE_SUBJECT.get(target)
    if subject is not None and any(
        BORDERLINE.search(text) and subject.search(text)
        for text in (analysis.text[s.start : s.end] for s in analysis.sentences)
    ):
        raise edits.RewriteFailed("the report also calls the finding normal or borderline")
    if all(OTHER_STUDY_STATEMENT.search(sentence_text(analysis, m.sentence_index)) for m in mentions):
        raise edits.RewriteFailed(HEDGE_ONLY)
    related = RELATED_FINDINGS.get(target, frozenset())
    value = mentions[0].attributes.severity
    if any(  # "consolidation with mild residual pneumonia ... mild air space opacity in that distribution"
        ctx.observation_of(m.concept) in related
        and m.assertion is not Assertion.NEGATED
        and m.attributes.severity == value
        for m in analysis.mentions
    ):
        raise edits.RewriteFailed("a related finding keeps the old grade")


def propose_severity(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> edits.Plan:
    mentions = edits.attribute_mentions(analysis, target, ctx, "severity")
    if not mentions:
        raise edits.RewriteFailed("target has no severity")
    edits.check_attribute_use(analysis, target, ctx, "severity")
    _refuse_scope(analysis, target, mentions, ctx)
    value = mentions[0].attributes.severity
    lower = ctx.rng(analysis.report_id, target, "severity").random() < LOWER_GRADE_SHARE
    changes: dict[tuple[int, int], Change] = {}
    new_values: set[str] = set()
    for mention in mentions:
        if mention.attributes.severity != value:
            continue
        start, end = mention.attributes.severity_span  # type: ignore[misc]
        before = analysis.text[start:end]
        sentence = edits.sentence_at(analysis, mention.sentence_index)
        if _MEASURED.search(analysis.text, sentence.start, sentence.end):
            raise edits.RewriteFailed("the finding's size is measured (a new grade would contradict it)")
        swapped = _severity_opposite(analysis, mention, lower)
        new_values.add(_SEVERITY_NORMAL.get(swapped, swapped))
        change_start, after = start, edits.case_like(before, swapped)
        article = re.search(r"\b(an?)\s+$", analysis.text[max(0, start - 4) : start], re.IGNORECASE)
        if article:
            change_start = start - (len(analysis.text[max(0, start - 4) : start]) - article.start())
            wanted = "an" if after[:1].lower() in "aeio" else "a"
            after = f"{edits.case_like(article.group(1), wanted)} {after}"
            before = analysis.text[change_start:end]
        changes[(change_start, end)] = Change(change_start, end, before, after, mention.sentence_index)
    if len(new_values) > 1:  # "moderate effusion ... moderately enlarged": one value must come out
        raise edits.RewriteFailed(f"severity {value!r} would become {' and '.join(sorted(new_values))}")
    return edits.Plan(
        sorted(changes.values(), key=lambda c: c.start),
        False,
        mentions[0].concept,
        {"from": str(value), "to": new_values.pop()},
    )


_SEVERITY_NORMAL = {
    "mildly": "mild", "severely": "severe", "minimally": "minimal", "markedly": "marked", "moderately": "moderate",
    "slightly": "slight",
}  # fmt: skip
