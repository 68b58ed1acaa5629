"""What the verifier checks beyond the lexicon: the words it did not plan to change, form and coherence.

The lexicon-level check (``verify.verification_failure``) re-reads only what the engine knows; these
read the text itself, so a finding the lexicon misses ("patchy density"), a header, a list number,
a sign that implies the target or an anaphor left pointing at nothing is caught too. Each returns the
reason a variant fails, or None. The rules they apply are the tables in ``cxralign.rewrite.rules``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import (
    ACUTE_FINDINGS,
    ANAPHORS,
    BORDERLINE,
    CARDIAC_CHAMBER,
    CAVEAT,
    CLEAR_LUNGS,
    CONTRADICTED_BY_DENIAL,
    DENIAL_FAMILIES,
    DEPENDENT_STATEMENTS,
    DIRECTIONAL_SIGNS,
    GRADE_BOUNDS,
    GRADED_DENIAL,
    HEDGE_ONLY,
    INSERTED_ANAPHOR,
    MEASURED,
    NOTHING_ACUTE,
    ONE_SIDED_PLACES,
    PARENCHYMAL,
    PRIOR_ONLY,
    RELATED_FINDINGS,
    REPORT_WORDS,
    SIDE_CLEAR,
    SIDE_COMPARISON,
    SIGNS,
    TARGET_VOCABULARY,
    WHOLE_STATEMENT_TARGETS,
)
from cxralign.rewrite.words import (
    ADVERBS,
    DESCRIPTORS,
    DROP_ON_NEGATE,
    LATERALITY,
    PLACE_AND_DESCRIPTOR,
    PLACE_MODIFIERS,
    SEVERITY,
)

_WORD = re.compile(r"[a-z0-9]+(?:[-/'][a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?|\d+(?:cm|mm)|[tlc]\d{1,2}")
EDIT_VOCABULARY = (
    DROP_ON_NEGATE | LATERALITY | SEVERITY | DESCRIPTORS | PLACE_AND_DESCRIPTOR | PLACE_MODIFIERS | ADVERBS
) | frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "at",
        "on",
        "to",
        "and",
        "or",
        "with",
        "without",
        "no",
        "not",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "there",
        "this",
        "these",
        "that",
        "which",
        "it",
        "its",
        "as",
        "by",
        "for",
        "from",
        "within",
        "along",
        "into",
        "both",
        "seen",
        "noted",
        "present",
        "identified",
        "demonstrated",
        "redemonstrated",
        "visualized",
        "evident",
        "appears",
        "appear",
        "appeared",
        "again",
        "still",
        "now",
        "also",
        "stable",
        "unchanged",
        "persistent",
        "persists",
        "remains",
        "remain",
        "seems",
        "seem",
        "likely",
        "probably",
        "possibly",
        "possible",
        "suspected",
        "questionable",
        "may",
        "might",
        "could",
        "represent",
        "represents",
        "representing",
        "suggest",
        "suggests",
        "suggesting",
        "suggestive",
        "compatible",
        "consistent",
        "concerning",
        "evidence",
        "findings",
        "finding",
        "lung",
        "lungs",
        "lobe",
        "lobes",
        "base",
        "bases",
        "apex",
        "apices",
        "zone",
        "zones",
        "field",
        "fields",
        "hemithorax",
        "segment",
        "segments",
        "lingula",
        "lingular",
        "basilar",
        "bibasilar",
        "bilateral",
        "side",
        "sided",
        "portion",
        "region",
        "area",
        "aspect",
        "level",
        "angle",
        "angles",
        "sulcus",
        "recess",
        "mid",
        "upper",
        "lower",
        "middle",
        "lateral",
        "medial",
        "posterior",
        "anterior",
        "superior",
        "inferior",
        "right",
        "left",
        "small",
        "large",
        "mild",
        "moderate",
        "severe",
        "minimal",
        "tiny",
        "trace",
        "slight",
        "new",
        "size",
        "greater",
        "than",
        "larger",
        "smaller",
        "more",
        "less",
        "cm",
        "mm",
        "adjacent",
        "appearance",
        "examination",
        "exam",
        "study",
        "suspicious",
        "normal",
        "limits",
        "nodular",
        "focal",
        "patchy",
        "subtle",
        "newly",
        "increased",
        "decreased",
        "improved",
        "worsened",
        "interval",
        "since",
        "prior",
        "previous",
        "compared",
        "comparison",
    ]
)
"""Words an edit of the target's own statement may remove: grammar, side, place, size, time, hedge."""

_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|without|negative|free|resolved|resolution|removed|absent|clear|exclude[ds]?|r/o|rule\s+out)\b",
    re.IGNORECASE,
)
_NEGATION_AFTER = re.compile(
    r"^[^.;]*?\b(?:has|have)\s+resolved|^[^.;]*?\b(?:is|are|was|were)\s+(?:no\s+longer|not)\b|^\s*(?:resolved|removed)",
    re.IGNORECASE,
)
_ORPHAN_START = frozenset({"and", "or", "but", "nor", "with", "which", "while", "whereas", "although"})
_ORPHAN_END = frozenset(
    {"the", "a", "an", "and", "or", "of", "with", "without", "to", "in", "at", "on", "by", "for", "from", "no",
     "is", "are", "was", "were", "but", "than", "as"}
)  # fmt: skip
_HEADER = re.compile(r"(?:^|\n)\s*([A-Z][A-Z /&-]{2,}):")
_LIST_NUMBER = re.compile(r"(?:^|(?<=[\s:]))(\d{1,2})[.)](?=\s+[A-Za-z])")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _shifted(changes: Sequence[Change]) -> list[tuple[int, int, Change]]:
    """Each change's (start, end) in the variant's offsets."""
    shift, spans = 0, []
    for change in sorted(changes, key=lambda c: c.start):
        start = change.start + shift
        spans.append((start, start + len(change.after), change))
        shift += len(change.after) - (change.end - change.start)
    return spans


def _target_mentions(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    return [m for m in analysis.mentions if ctx.observation_of(m.concept) == target and not m.implied]


def _sentence_text(analysis: ReportAnalysis, index: int) -> str:
    for sentence in analysis.sentences:
        if sentence.index == index:
            return analysis.text[sentence.start : sentence.end]
    return ""


def _negated_at(text: str, start: int, end: int, sentence_start: int, sentence_end: int) -> bool:
    prefix = text[sentence_start:start]
    cut = max((m.end() for m in re.finditer(r"[;:]", prefix)), default=0)
    return bool(
        _NEGATION_BEFORE.search(prefix[cut:] + " " + text[start:end])
        or _NEGATION_AFTER.search(text[end:sentence_end])
    )


def stated_signs(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext
) -> Iterator[tuple[str, int, int, int]]:
    """(sign name, start, end, sentence index) of every sign of the target stated and not denied,
    outside the engine's own mentions of the target (those the lexicon check already reads)."""
    text = analysis.text
    own = [(m.start, m.end) for m in _target_mentions(analysis, target, ctx)]
    for name, pattern in SIGNS.get(target, ()):
        for sentence in analysis.sentences:
            for match in re.finditer(pattern, text[sentence.start : sentence.end], re.IGNORECASE):
                start, end = sentence.start + match.start(), sentence.start + match.end()
                if any(s < end and start < e for s, e in own):
                    continue
                if not _negated_at(text, start, end, sentence.start, sentence.end):
                    yield name, start, end, sentence.index


def scope_refusal(op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> str | None:
    """Why the item is refused before any variant is made (None: go on)."""
    if not analysis.sentences:
        return "report sections could not be parsed"
    if op == "affirm":
        return None
    stated = [m for m in _target_mentions(analysis, target, ctx) if m.assertion is not Assertion.NEGATED]
    current = [m for m in stated if not m.historical]
    if not stated:
        return None  # the proposer says why
    if not current or all(
        (m.assertion is Assertion.UNCERTAIN and CAVEAT.search(_sentence_text(analysis, m.sentence_index)))
        or PRIOR_ONLY.search(_sentence_text(analysis, m.sentence_index))
        for m in current
    ):
        return HEDGE_ONLY
    if op != "laterality" and all(
        BORDERLINE.search(_sentence_text(analysis, m.sentence_index)) for m in current
    ):
        return "target stated only as borderline"
    sentences = {m.sentence_index for m in current}
    if op == "laterality":
        if any(SIDE_COMPARISON.search(_sentence_text(analysis, i)) for i in sentences):
            return "both sides compared in one statement"
        for name, _start, end, index in stated_signs(analysis, target, ctx):
            if name not in DIRECTIONAL_SIGNS:
                continue
            beside = analysis.text[end : end + 24] if index in sentences else _sentence_text(analysis, index)
            if re.search(r"\b(left|right)\b", beside, re.IGNORECASE):
                return f"a sign of the finding has a side ({name})"
    if op == "severity" and any(MEASURED.search(_sentence_text(analysis, i)) for i in sentences):
        return "the finding's size is measured (a new grade would contradict it)"
    if op == "severity" and (
        any(m.assertion is Assertion.NEGATED for m in _target_mentions(analysis, target, ctx))
        or any(BORDERLINE.search(_sentence_text(analysis, m.sentence_index)) for m in stated)
    ):
        return "the report also calls the finding normal or borderline"
    return None


def dependent_followers(analysis: ReportAnalysis, deleted: set[int]) -> list[Sentence]:
    """Sentences right after a removed one that only talk about it ("These were not present on the
    prior study.", "CT is recommended for further characterization."): they go with it."""
    with_mentions = {m.sentence_index for m in analysis.mentions}
    order = sorted(analysis.sentences, key=lambda s: s.start)
    followers: list[Sentence] = []
    for previous, sentence in zip(order, order[1:], strict=False):
        if previous.index not in deleted and previous not in followers or sentence.index in deleted:
            continue
        if sentence.section != previous.section or sentence.index in with_mentions:
            continue
        text = analysis.text[sentence.start : sentence.end].strip()
        first = text.split(" ", 1)[0].strip(",").lower()
        if first in ANAPHORS or DEPENDENT_STATEMENTS.search(text):
            followers.append(sentence)
    return followers


def lost_words(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> list[str]:
    """Content words the edits removed that are not the target's own (name, side, size, place)."""
    own = set(EDIT_VOCABULARY) | REPORT_WORDS | TARGET_VOCABULARY.get(target, frozenset())
    alone = _sentences_of_target_alone(before, target, ctx) if target in WHOLE_STATEMENT_TARGETS else set()
    for title in _HEADER.findall(before.text):
        own.update(words(title))
    for _name, start, end, _index in stated_signs(before, target, ctx):
        own.update(words(before.text[start:end]))
    for mention in _target_mentions(before, target, ctx):
        own.update(words(mention.text))
        for word in words(mention.text):
            own.add(word.rstrip("s"))
            own.add(word + "s")
    stated = {
        m.sentence_index
        for m in _target_mentions(before, target, ctx)
        if m.assertion is not Assertion.NEGATED
    }
    followers = dependent_followers(before, stated & {c.sentence_index for c in changes})
    removed: Counter = Counter()
    for change in changes:
        if NOTHING_ACUTE.search(change.before) or change.sentence_index in alone:
            continue  # a "nothing acute" impression that now names the affirmed finding (planned)
        removed.update(words(change.before))
        removed.subtract(words(change.after))
        for follower in followers:  # a sentence about the removed finding alone goes with it
            if change.start <= follower.start and follower.end <= change.end and not change.after:
                removed.subtract(words(before.text[follower.start : follower.end]))
    return sorted(w for w, n in removed.items() if n > 0 and w not in own and not _NUMBER.fullmatch(w))


def _sentences_of_target_alone(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> set[int]:
    """Sentences whose every mention is of the target."""
    sentences: dict[int, bool] = {}
    for mention in analysis.mentions:
        alone = ctx.observation_of(mention.concept) == target
        sentences[mention.sentence_index] = sentences.get(mention.sentence_index, True) and alone
    return {index for index, alone in sentences.items() if alone}


def form_failure(before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change]) -> str | None:
    """Headers, list numbers, duplicated and broken sentences: what a reader sees first."""
    original, variant = before.text, after.text
    titles = Counter(_HEADER.findall(original))
    kept = Counter(_HEADER.findall(variant))
    for title, n in titles.items():
        if kept[title] < n and re.search(rf"\b{re.escape(title)}\b", variant) is not None:
            return f"section header {title!r} lost its colon or its line"
    for match in _HEADER.finditer(variant):
        rest = variant[match.end() :]
        following = _HEADER.search(rest)
        content = rest[: following.start()] if following else rest
        if not _WORD.search(content.lower()):
            return f"section header {match.group(1)!r} left with no content"
    if _counts_on(_numbers(original)) and not _counts_on(_numbers(variant)):
        return "list numbers no longer count 1, 2, 3"
    seen = Counter((s.section, _normal(original[s.start : s.end])) for s in before.sentences)
    counted = Counter((s.section, _normal(variant[s.start : s.end])) for s in after.sentences)
    for key, n in counted.items():
        if key[1] and n > max(1, seen[key]):
            return "a sentence is duplicated in one section"
    for start, end, _ in _shifted(changes):
        for sentence in after.sentences:
            if sentence.end < start or sentence.start > max(end, start + 1):
                continue
            tokens = words(variant[sentence.start : sentence.end])
            if not tokens:
                return "an empty sentence is left"
            if tokens[0] in _ORPHAN_START or tokens[-1] in _ORPHAN_END:
                return f"a fragment is left ({' '.join(tokens[:3])} ... {tokens[-1]})"
    return None


def _numbers(text: str) -> list[list[int]]:
    """The list numbers of each section, in order."""
    return [[int(n) for n in _LIST_NUMBER.findall(section)] for section in re.split(_HEADER, text)[::2]]


def _counts_on(numbers: list[list[int]]) -> bool:
    return all(found == list(range(1, len(found) + 1)) for found in numbers)


def _normal(sentence: str) -> str:
    return " ".join(words(sentence))


def content_failure(
    op: str,
    before: ReportAnalysis,
    after: ReportAnalysis,
    changes: Sequence[Change],
    target: str,
    ctx: RewriteContext,
    detail: dict[str, str] | None = None,
) -> str | None:
    """Other findings' words, inserted findings, signs and anaphors left, and the coherence rules."""
    lost = lost_words(before, changes, target, ctx)
    if lost:
        return f"words outside the target's statement removed ({', '.join(lost[:3])})"
    own_words = _own_words(after, target, ctx)
    for start, end, change in _shifted(changes):
        if change.before == "" and any(
            start <= m.start < end and ctx.observation_of(m.concept) != target for m in after.mentions
        ):
            return "an inserted statement names another finding"
        if change.before == "" and INSERTED_ANAPHOR.search(change.after):
            return "an inserted statement points back at something"
        extra = sorted(
            w
            for w in set(words(change.after)) - own_words - REPORT_WORDS - set(words(before.text))
            if not _NUMBER.fullmatch(w) and not set(w.split("/")) <= own_words
        )
        if change.before == "" and extra:
            return f"an inserted statement carries words of its own ({', '.join(extra[:3])})"
    if op in ("negate", "omit"):
        reason = _left_behind(op, before, after, changes, target, ctx)
        if reason:
            return reason
    if op == "negate":
        reason = _denial_kind(before, changes, target, ctx) or _denial_details(after, changes, target, ctx)
        if reason:
            return reason
    if op in ("negate", "omit"):
        reason = _attribute_fragment(after, changes)
        if reason:
            return reason
    if op == "affirm":
        reason = _affirm_incoherence(after, target, ctx)
        if reason:
            return reason
    if op == "affirm" and target in ACUTE_FINDINGS:
        changed = {c.sentence_index for c in changes if c.before}
        for sentence in before.sentences:
            if (
                sentence.section == "impression"
                and sentence.index not in changed
                and NOTHING_ACUTE.search(before.text[sentence.start : sentence.end])
            ):
                return "the impression still says nothing acute"
    if op == "laterality":
        return _side_failure(after, target, ctx, detail or {}) or _side_contradiction(
            after, target, ctx, detail or {}
        )
    if op == "severity":
        return _grade_failure(after, target, ctx, detail or {})
    return None


def _own_words(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> set[str]:
    """Words a statement of the target may use: the shared edit vocabulary and the target's own."""
    own = set(EDIT_VOCABULARY) | TARGET_VOCABULARY.get(target, frozenset())
    for mention in _target_mentions(analysis, target, ctx):
        own.update(words(mention.text))
    return own


def _affirm_incoherence(after: ReportAnalysis, target: str, ctx: RewriteContext) -> str | None:
    """An affirmed finding beside a denial that rules it out, or under "the lungs are clear"."""
    ruled_out = CONTRADICTED_BY_DENIAL.get(target, frozenset())
    for mention in after.mentions:
        if mention.assertion is Assertion.NEGATED and ctx.observation_of(mention.concept) in ruled_out:
            return f"the report still denies {ctx.observation_of(mention.concept)}, which the finding implies"
    if target in PARENCHYMAL and CLEAR_LUNGS.search(after.text):
        return "the report still says the lungs are clear"
    return None


def _side_contradiction(
    after: ReportAnalysis, target: str, ctx: RewriteContext, detail: dict[str, str]
) -> str | None:
    """The new side denied or declared clear, or a related finding left on the old side."""
    old, new = detail.get("from"), detail.get("to")
    for mention in _target_mentions(after, target, ctx):
        if mention.assertion is Assertion.NEGATED and mention.attributes.laterality in (new, "bilateral"):
            return f"the report denies the finding on the {new}"
    if new in ("left", "right") and re.search(SIDE_CLEAR.format(side=new), after.text, re.IGNORECASE):
        return f"the report says the {new} lung is clear"
    related = RELATED_FINDINGS.get(target, frozenset())
    for mention in after.mentions:
        if (
            mention.assertion is not Assertion.NEGATED
            and ctx.observation_of(mention.concept) in related
            and mention.attributes.laterality == old
        ):
            return f"a related finding stays on the {old}"
    return None


def _left_behind(
    op: str,
    before: ReportAnalysis,
    after: ReportAnalysis,
    changes: Sequence[Change],
    target: str,
    ctx: RewriteContext,
) -> str | None:
    for name, *_ in stated_signs(after, target, ctx):
        return f"a sign of the finding stays ({name})"
    changed = {c.sentence_index for c in changes} | {
        s.index for s in before.sentences for c in changes if c.start <= s.start and s.end <= c.end
    }
    stated = {
        m.sentence_index
        for m in _target_mentions(before, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    }
    order = sorted(before.sentences, key=lambda s: s.start)
    for previous, sentence in zip(order, order[1:], strict=False):
        if previous.index not in stated or sentence.index in changed:
            continue
        text = before.text[sentence.start : sentence.end].strip().lower()
        if any(text == a or text.startswith(a + " ") or text.startswith(a + ",") for a in ANAPHORS):
            return "a sentence left pointing at the removed finding"
    others_stated = any(
        m.assertion is not Assertion.NEGATED and ctx.observation_of(m.concept) not in (target, None)
        for m in after.mentions
    )
    with_mentions = {m.sentence_index for m in before.mentions}
    for sentence in before.sentences:
        if sentence.index in changed or sentence.index in with_mentions:
            continue
        if DEPENDENT_STATEMENTS.search(before.text[sentence.start : sentence.end]) and (
            not others_stated or sentence.index - 1 in stated
        ):
            return "a statement about the removed finding stays (recommendation or differential)"
    if op == "omit":
        covered = [(s.start, s.end) for s in before.sentences]
        heads = {words(m.text)[-1] for m in _target_mentions(before, target, ctx) if words(m.text)}
        outside = _outside(before.text, covered)
        if any(re.search(rf"\b{re.escape(h)}", outside, re.IGNORECASE) for h in heads):
            return "the finding is still named in the indication or history"
    return None


_DENIAL_WORDS = frozenset(EDIT_VOCABULARY - LATERALITY - PLACE_MODIFIERS) | frozenset(
    [
        "normal",
        "size",
        "heart",
        "cardiac",
        "silhouette",
        "mediastinal",
        "mediastinum",
        "contours",
        "contour",
        "limits",
        "within",
        "acute",
        "evidence",
    ]
)


def _denial_details(
    after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """A denial that says more than the statement it replaces (another device, a side, a grade)."""
    replaced: set[str] = set()
    for change in changes:
        replaced.update(words(change.before))
    allowed = replaced | _DENIAL_WORDS | _own_words(after, target, ctx) - LATERALITY
    for change in changes:
        if GRADED_DENIAL.search(change.after):
            return "the denial denies a grade, not the finding"
        extra = sorted(set(words(change.after)) - allowed - replaced)
        if extra and not NOTHING_ACUTE.search(change.after):
            return f"the denial adds details the report does not state ({', '.join(extra[:3])})"
    return None


_ATTRIBUTE_ONLY = (
    LATERALITY | SEVERITY | frozenset({"in", "size", "on", "the", "and", "side", "sided", "than"})
)


def _attribute_fragment(after: ReportAnalysis, changes: Sequence[Change]) -> str | None:
    """A clause of the edited sentence left with only a side or a size ("Left small, right moderate")."""
    for start, end, _ in _shifted(changes):
        for sentence in after.sentences:
            if sentence.end < start or sentence.start > max(end, start + 1):
                continue
            for clause in re.split(r"[,;:]", after.text[sentence.start : sentence.end]):
                tokens = words(clause)
                if tokens and all(t in _ATTRIBUTE_ONLY for t in tokens):
                    return f"a fragment is left ({clause.strip()})"
    return None


def _outside(text: str, covered: Sequence[tuple[int, int]]) -> str:
    pieces, cursor = [], 0
    for start, end in sorted(covered):
        pieces.append(text[cursor:start])
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    return " ".join(pieces)


def _denial_kind(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    families = DENIAL_FAMILIES.get(target)
    if not families:
        return None
    stated = [
        m
        for m in _target_mentions(before, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    ]
    original = {name for name, members in families for m in stated if set(words(m.text)) & members}
    denial = {name for name, members in families for c in changes if set(words(c.after)) & members}
    if original and denial and not original & denial:
        return f"the denial names another kind of finding ({', '.join(sorted(denial))} for {', '.join(sorted(original))})"
    return None


def _side_failure(
    after: ReportAnalysis, target: str, ctx: RewriteContext, detail: dict[str, str]
) -> str | None:
    old = detail.get("from")
    if old not in ("left", "right"):
        return None
    mentions = _target_mentions(after, target, ctx)
    others = [m.attributes.laterality_span for m in after.mentions if m not in mentions]
    for index in {m.sentence_index for m in mentions if m.assertion is not Assertion.NEGATED}:
        for sentence in after.sentences:
            if sentence.index != index:
                continue
            for match in re.finditer(rf"\b{old}\b", after.text[sentence.start : sentence.end], re.IGNORECASE):
                at = sentence.start + match.start()
                if CARDIAC_CHAMBER.match(after.text, sentence.start + match.end()):
                    continue  # "the right atrium" is anatomy, not the side of the finding
                if not any(span and span[0] <= at < span[1] for span in others):
                    return f"the old side ({old}) is still stated beside the finding"
    return None


def _grade_failure(
    after: ReportAnalysis, target: str, ctx: RewriteContext, detail: dict[str, str]
) -> str | None:
    new = (detail.get("to") or "").lower()
    for index in {m.sentence_index for m in _target_mentions(after, target, ctx)}:
        sentence_words = set(words(_sentence_text(after, index)))
        for word, admitted in GRADE_BOUNDS.items():
            if word in sentence_words and new not in admitted and word != new:
                return f"grade {new!r} contradicts {word!r} beside it"
    return None


def anatomy_failure(before: ReportAnalysis, after: ReportAnalysis) -> str | None:
    """A side swap that names anatomy that does not exist ("right lower lobes", "left middle lobe")."""
    if len(ONE_SIDED_PLACES.findall(after.text)) > len(ONE_SIDED_PLACES.findall(before.text)):
        return "the side swap names anatomy that does not exist"
    return None
