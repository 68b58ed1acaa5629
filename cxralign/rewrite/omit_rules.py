"""The omit op's own rules, as data tables beside the small readers that apply them: which words go
with the removed finding, and what of its sentence stays (``omit.py`` plans, ``verify.py`` re-reads).

Kept apart from ``rules.py`` so that a rule of one op is one row in one place; each table has
hand-written tests in ``tests/test_rewrite_omit.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cxralign.reports.records import Mention, ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.records import Change
from cxralign.rewrite.spans import sentence_body

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

DEVICE_FRACTURE = re.compile(
    r"\bfractur\w*\s+(?:of\s+|in\s+)?(?:the\s+|a\s+|an\s+|one\s+)?(?:\w+\s+){0,3}"
    r"(?:sternotomy|wire|lead|catheter|hardware|screw|plate|rod|stent)s?\b|"
    r"\b(?:sternotomy|wire|lead|catheter|hardware|screw|plate|rod|stent)s?\s+(?:\w+\s+){0,2}fractur\w*",
    re.IGNORECASE,
)
"""A fracture of a device ("fracture of the superior sternotomy wire", "the third sternal wire is
fractured"): the "Fracture" label is not a bone's, and removing the sentence would remove the device."""
DEVICE_FRACTURE_REFUSAL = "the fracture is a device's, not a bone's"

_GAP = re.compile(r"[A-Za-z0-9\s\-]*")

READINGS: dict[str, frozenset[str]] = {"Lung Lesion": frozenset({"granuloma"})}
"""Concepts of no CheXpert observation that name what the target is ("Calcified nodules consistent with
granulomatous disease"): said of the target later in its own sentence, with no other finding there,
they go with it (the sentence is about the nodule alone)."""


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
    return attached + _readings(analysis, target, ctx, targets, attached)


def _readings(
    analysis: ReportAnalysis,
    target: str,
    ctx: RewriteContext,
    targets: list[Mention],
    attached: list[Mention],
) -> list[Mention]:
    """Mentions of a ``READINGS`` concept after a stated target in a sentence that names nothing else
    (not even a finding of no observation: "Hilar calcifications and a nodule suggest old granulomatous
    disease" reads both)."""
    readings = READINGS.get(target, frozenset())
    found = []
    for mention in analysis.mentions:
        if mention.concept not in readings or mention.implied:
            continue
        same = [t for t in targets if t.sentence_index == mention.sentence_index]
        if not same or min(t.end for t in same) > mention.start:
            continue
        others = [
            m
            for m in analysis.mentions
            if m.sentence_index == mention.sentence_index
            and not m.implied
            and ctx.observation_of(m.concept) != target
            and m.concept not in readings
            and all(m is not a for a in attached)
        ]
        if not others and all(t.assertion.name != "NEGATED" for t in same):
            found.append(mention)
    return found


NORMAL_TAILS: tuple[tuple[re.Pattern, str], ...] = (
    (  # "Cardiomegaly without superimposed acute disease." -> "No acute disease."
        re.compile(
            r"(?:,\s*|\s+)(?:but\s+|and\s+)?(?:without|with\s+no|no)\s+(?:(?:superimposed|other|additional)\s+)?"
            r"(?P<rest>(?:(?:definite|evidence\s+(?:of|for))\s+)?(?:acute|active)\b(?![^.;:]*complication)[^.;:]*)$",
            re.IGNORECASE,
        ),
        "No {rest}",
    ),
)
"""A normal qualifier after the target's statement ("Cardiomegaly, no acute pulmonary findings"), not
one about the target itself ("... without acute complication" of a line placed):
omit keeps it as a sentence of its own, so that an impression does not vanish with the finding and
the report still says what it said about everything else. (pattern on the sentence body, template)."""


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def sign_spans(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> dict[int, list]:
    """The stated signs of the target per sentence, as spans ``normal_tail`` reads like mentions."""
    from cxralign.rewrite.form import stated_signs  # form reads this module's tables

    spans: dict[int, list] = {}
    for _name, start, end, index in stated_signs(analysis, target, ctx):
        spans.setdefault(index, []).append(_Span(start, end))
    return spans


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


SUBJECTLESS_OPENINGS = frozenset(
    {"may", "might", "could", "likely", "probably", "possibly", "perhaps", "questionable", "appears", "measures",
     "measuring", "not", "most", "now"}
)  # fmt: skip
"""Openings of a sentence with no subject of its own ("May contain calcium.", "Unchanged from the prior
study."): right after the removed finding's sentence, it was said of that finding and goes with it; left
behind, it points at nothing."""

DEVICE_ASIDES: dict[str, re.Pattern] = {
    "Support Devices": re.compile(
        r",?\s+(?:with|and)\s+(?:the\s+)?overlying\s+(?:external\s+)?(?:cardiac\s+)?(?:monitor(?:ing)?|ecg|ekg)\s+leads,?",
        re.IGNORECASE,
    ),
}
"""A device named only in an aside of a sentence about something else ("Frontal and lateral views of the
chest with overlying external cardiac monitor leads show a normal cardiac silhouette"): omit cuts the
aside, not the sentence."""


def cut_aside(
    analysis: ReportAnalysis, start: int, end: int, removed: list[Mention], target: str
) -> str | None:
    """The body ``start:end`` without the aside that holds every removed mention; None when there is none."""
    pattern = DEVICE_ASIDES.get(target)
    match = pattern.search(analysis.text, start, end) if pattern else None
    if match is None or not all(match.start() <= m.start and m.end <= match.end() for m in removed):
        return None
    joint = " " if match.group(0).endswith(",") and not match.group(0).startswith(",") else ""
    return analysis.text[start : match.start()] + joint + analysis.text[match.end() : end]


LIMITED_EVALUATION = re.compile(
    r"\blimited\b[^.;]*\bevaluation\s+(?:of|for)\b|\bfor\s+(?:the\s+)?evaluation\s+of\b",
    re.IGNORECASE,
)
"""The finding named only as what the exam was limited for, or what another study would evaluate
("Limited exam for evaluation of fractures."): the report states nothing present to remove."""
LIMITED_ONLY = "target named only as what the exam evaluates (no statement of it to remove)"

FOLLOWER_STATEMENTS = re.compile(
    r"^\W*(?:if\s+)?(?:comparison\s+(?:with\s+|to\s+)?)?(?:old|prior|previous)?\s*(?:films?|studies|exams?)\b"
    r"(?:\s+are\s+not\s+available|,?\s+if\s+available)|^\W*comparison\s+(?:with\s+|to\s+)?(?:old\s+|prior\s+)?(?:films?|studies|exams?)\b",
    re.IGNORECASE,
)
"""A recommendation right after the removed finding that names it not ("Comparison films, if available,
would be useful", "If old films are not available, ..."): it goes with it."""

DEFINITE_PART = re.compile(
    r"^\W*(?:(?:the|its|their)\s+(?:distal\s+|proximal\s+)?(?:tip|tips|end|ends|lead|leads|balloon|cuff)|"
    r"(?:distal\s+)?tips?\s+(?:now\s+)?(?:is|are|projects?|terminates?|lies|overlies|in|at)\b)\b",
    re.IGNORECASE,
)
"""A sentence opening with a part of what came before ("The tip is in the right atrium." after
"PICC line in place."): right after the removed device, it goes with it; left behind, it points at nothing."""

OTHERWISE = re.compile(r",?\s*\botherwise\b,?", re.IGNORECASE)
""""Lungs are otherwise clear." after the removed finding: the contrast has nothing left to contrast with."""


def _first_word(text: str) -> str:
    found = re.findall(r"[a-z]+", text.lower())
    return found[0] if found else ""


def subjectless_followers(analysis: ReportAnalysis, deleted: set[int], among_deleted: bool = False) -> list:
    """Sentences right after a removed one, in its section, that open with no subject of their own
    (``SUBJECTLESS_OPENINGS``) and name no finding (``among_deleted``: those the edit removed too)."""
    with_mentions = {m.sentence_index for m in analysis.mentions}
    order = sorted(analysis.sentences, key=lambda s: s.start)
    found: list = []
    for previous, sentence in zip(order, order[1:], strict=False):
        if (
            previous.index not in deleted
            and previous not in found
            or (sentence.index in deleted) != among_deleted
        ):
            continue
        if sentence.section != previous.section or sentence.index in with_mentions:
            continue
        body = analysis.text[sentence.start : sentence.end]
        if (
            _first_word(body) in SUBJECTLESS_OPENINGS
            or DEFINITE_PART.match(body)
            or FOLLOWER_STATEMENTS.match(body)
        ):
            found.append(sentence)
    return found


def _stated_elsewhere(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> set[int]:
    return {
        m.sentence_index
        for m in analysis.mentions
        if m.assertion.name != "NEGATED" and ctx.observation_of(m.concept) != target  # "Emphysema." counts
    }


def _contrast_left(analysis: ReportAnalysis, position: int, deleted: set[int], stated: set[int]) -> bool:
    """Whether the sentence at ``position`` (reading order) says "otherwise" after a removed sentence
    of its section while nothing stated before it in the section stays for "otherwise" to contrast with."""
    order = sorted(analysis.sentences, key=lambda s: s.start)
    sentence = order[position]
    earlier = [s for s in order[:position] if s.section == sentence.section]
    if sentence.index in deleted or not any(s.index in deleted for s in earlier):
        return False
    body = analysis.text[sentence.start : sentence.end]
    if not OTHERWISE.search(body) or re.match(r"\s*otherwise\b", body, re.IGNORECASE):
        return False  # an opening "Otherwise, ..." is the shared anaphor rule's
    return not any(s.index in stated for s in earlier if s.index not in deleted)


def contrast_left(analysis: ReportAnalysis, deleted: set[int], target: str, ctx: RewriteContext) -> list:
    """Kept sentences left saying "otherwise" about the removed finding ("Lungs are otherwise clear."):
    (sentence, its text without "otherwise")."""
    stated = _stated_elsewhere(analysis, target, ctx)
    if stated - deleted:
        return []  # a finding stated in another section: "Lungs are clear" would contradict it (refused)
    order = sorted(analysis.sentences, key=lambda s: s.start)
    return [
        (sentence, OTHERWISE.sub("", analysis.text[sentence.start : sentence.end], count=1))
        for position, sentence in enumerate(order)
        if _contrast_left(analysis, position, deleted, stated)
    ]


def removed_sentences(analysis: ReportAnalysis, changes: Sequence[Change]) -> set[int]:
    """Sentences a deletion covers whole (space around them aside)."""
    removed = set()
    for sentence in analysis.sentences:
        body = analysis.text[sentence.start : sentence.end]
        start = sentence.start + len(body) - len(body.lstrip())
        end = sentence.start + len(body.rstrip())
        if any(c.start <= start and end <= c.end and not c.after for c in changes):
            removed.add(sentence.index)
    return removed


def omit_failure(
    before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """What the omit verifier reads beyond the shared checks: a subjectless sentence or an "otherwise"
    left as they were right after a sentence that was removed whole."""
    removed = removed_sentences(before, changes)
    order = sorted(before.sentences, key=lambda s: s.start)
    stated = _stated_elsewhere(before, target, ctx)
    for position, sentence in enumerate(order):
        previous = order[position - 1] if position else None
        body = before.text[sentence.start : sentence.end].strip()
        if body not in after.text:
            continue
        if _contrast_left(before, position, removed, stated):
            return "a sentence left saying 'otherwise' after the removed finding"
        if previous is None or previous.index not in removed or sentence.section != previous.section:
            continue
        if (
            _first_word(body) in SUBJECTLESS_OPENINGS
            or DEFINITE_PART.match(body)
            or FOLLOWER_STATEMENTS.match(body)
        ):
            return "a sentence left pointing at the removed finding (no subject of its own)"
    if any(_dropped_otherwise(c) for c in changes) and any(
        m.assertion.name != "NEGATED" and ctx.observation_of(m.concept) != target and not m.implied
        for m in after.mentions
    ):
        return "'otherwise' dropped while another finding stays stated"
    for start, end in _edited_spans(changes):
        for sentence in after.sentences:
            if sentence.start <= start <= sentence.end or start <= sentence.start < end:
                opening = _first_word(after.text[sentence.start : sentence.end])
                if opening in SUBJECTLESS_OPENINGS and not any(
                    _first_word(before.text[s.start : s.end]) == opening for s in before.sentences
                ):
                    return f"a fragment is left ({opening} ...): it lost what it was said of"
    return _lost_qualifier(before, after, target, ctx)


def _dropped_otherwise(change: Change) -> bool:
    """An edit that took "otherwise" out of a sentence it kept (not a whole sentence removed)."""
    gone = len(re.findall(r"\w+", change.before)) - len(re.findall(r"\w+", change.after))
    return bool(OTHERWISE.search(change.before)) and not OTHERWISE.search(change.after) and gone <= 1


def _edited_spans(changes: Sequence[Change]) -> list[tuple[int, int]]:
    """Where the non-empty edits sit in the variant."""
    spans, shift = [], 0
    for change in sorted(changes, key=lambda c: c.start):
        start = change.start + shift
        if change.after:
            spans.append((start, start + len(change.after)))
        shift += len(change.after) - (change.end - change.start)
    return spans


def _lost_qualifier(
    before: ReportAnalysis, after: ReportAnalysis, target: str, ctx: RewriteContext
) -> str | None:
    """A normal qualifier of the target's statement ("..., no acute findings") the variant no longer says."""
    kept = " ".join(re.findall(r"[a-z0-9]+", after.text.lower()))
    for sentence in before.sentences:
        mentions = [
            m
            for m in before.mentions
            if m.sentence_index == sentence.index
            and ctx.observation_of(m.concept) == target
            and not m.implied
        ]
        mentions += sign_spans(before, target, ctx).get(sentence.index, [])
        if not mentions:
            continue
        tail = normal_tail(before, *sentence_body(before, sentence)[:2], mentions, target, ctx)
        if tail and " ".join(re.findall(r"[a-z0-9]+", tail[0].lower())[1:]) not in kept:
            return "a normal qualifier went with the removed finding"
    return None
