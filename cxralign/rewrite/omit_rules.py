"""The omit op's own rules, as data tables beside the small readers that apply them: which words go
with the removed finding, and what of its sentence stays (``omit.py`` plans, ``verify.py`` re-reads).

Kept apart from ``rules.py`` so that a rule of one op is one row in one place; each table has
hand-written tests in ``tests/test_rewrite_omit.py``.
"""

from __future__ import annotations

import re

from cxralign.reports.records import Mention, ReportAnalysis
from cxralign.rewrite.context import RewriteContext

ATTACHED_ATTRIBUTES = re.compile(
    r"(?:non[-\s]?|partially\s+)?calcifi(?:ed|c)|prominen(?:t|ce)|cystic|deformit(?:y|ies)",
    re.IGNORECASE,
)
"""Words the lexicon reads as a finding of no CheXpert observation that are, inside the target's own
noun phrase, only an attribute of it ("calcified right basilar nodule", "prominence of the interstitial
markings", "fracture deformity"): omit removes them with the target instead of refusing the clause."""

ATTACHED_GAP_BREAKS = frozenset(
    {"and", "or", "with", "without", "versus", "vs", "which", "that", "is", "are", "was", "were", "be", "been",
     "but", "also", "as", "to", "from", "by", "than", "not", "no", "nor", "while", "may", "could", "likely",
     "xxxx"}
)  # fmt: skip
"""Words that end a noun phrase: an attribute separated from the target by one of them (or by
punctuation) belongs to another statement ("nodule that is not calcified", "opacity and calcified ...")."""

_GAP = re.compile(r"[A-Za-z0-9\s\-]*")


def attached_attributes(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    """Mentions of no observation that only qualify a stated target inside its noun phrase: before it
    with nothing but modifiers between ("calcified right basilar nodule", "prominence of the
    interstitial markings"), or right after it ("fracture deformity")."""
    targets = [m for m in analysis.mentions if ctx.observation_of(m.concept) == target and not m.implied]
    spans = [(m.start, m.end) for m in analysis.mentions]
    attached = []
    for mention in analysis.mentions:
        if mention.implied or ctx.observation_of(mention.concept) is not None:
            continue
        if not ATTACHED_ATTRIBUTES.fullmatch(mention.text.strip()):
            continue
        for other in targets:
            if other.sentence_index != mention.sentence_index:
                continue
            if mention.end <= other.start:
                start, end = mention.end, other.start
            elif other.end <= mention.start:
                start, end = other.end, mention.start
                if analysis.text[start:end].strip():
                    continue  # after the target only when it follows at once ("fracture deformity")
            else:
                continue
            gap = analysis.text[start:end]
            if not _GAP.fullmatch(gap) or set(gap.lower().split()) & ATTACHED_GAP_BREAKS:
                continue
            if any(start <= s and e <= end for s, e in spans):
                continue  # another finding between them
            attached.append(mention)
            break
    return attached


NORMAL_TAILS: tuple[tuple[re.Pattern, str], ...] = (
    (  # "Cardiomegaly without superimposed acute disease." -> "No acute disease."
        re.compile(
            r"(?:,\s*|\s+)(?:but\s+|and\s+)?(?:without|with\s+no|no)\s+(?:(?:superimposed|other|additional)\s+)?"
            r"(?P<rest>(?:(?:definite|evidence\s+(?:of|for))\s+)?(?:acute|active)\b[^.;:]*)$",
            re.IGNORECASE,
        ),
        "No {rest}",
    ),
)
"""A normal qualifier after the target's statement ("Cardiomegaly, no acute pulmonary findings"):
omit keeps it as a sentence of its own, so that an impression does not vanish with the finding and
the report still says what it said about everything else. (pattern on the sentence body, template)."""


def normal_tail(
    analysis: ReportAnalysis, start: int, end: int, removed: list[Mention], target: str, ctx: RewriteContext
) -> tuple[str, str] | None:
    """The normal qualifier that follows the removed mentions in the body ``start:end``, rewritten as
    a sentence of its own, and the words it was; None when there is none, or when it names the target
    or a stated finding."""
    after = max(m.end for m in removed)
    for pattern, template in NORMAL_TAILS:
        match = pattern.search(analysis.text, after, end)
        if match is None:
            continue
        inside = [m for m in analysis.mentions if match.start() <= m.start < match.end()]
        if any(ctx.observation_of(m.concept) == target or m.assertion.name != "NEGATED" for m in inside):
            return None
        return template.format(rest=match.group("rest").strip()), match.group(0)
    return None
