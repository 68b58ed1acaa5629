"""The verifier's reading of the text itself: words removed outside the target's statement, headers,
list numbers, duplicated or broken sentences, and the signs of a finding stated in other words."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.omit_rules import attached_attributes, removed_sentences, subjectless_followers
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import (
    ANAPHORS,
    CHAMBERS,
    CHANGE_ONLY,
    DEPENDENT_OPENING,
    DEPENDENT_STATEMENTS,
    NOTHING_ACUTE,
    ONE_SIDED_PLACES,
    ORPHAN_CONJUNCTION,
    SIGNS,
)
from cxralign.rewrite.statement_rules import ONE_SIDED_ANATOMY
from cxralign.rewrite.vocabulary import (
    EDIT_VOCABULARY,
    NUMBER,
    REPORT_WORDS,
    TARGET_VOCABULARY,
    WHOLE_STATEMENT_TARGETS,
    words,
)
from cxralign.rewrite.words import (
    LATERALITY,
    LUNG_PLACES,
    SEVERITY,
)

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


def shifted(changes: Sequence[Change]) -> list[tuple[int, int, Change]]:
    """Each change's (start, end) in the variant's offsets."""
    shift, spans = 0, []
    for change in sorted(changes, key=lambda c: c.start):
        start = change.start + shift
        spans.append((start, start + len(change.after), change))
        shift += len(change.after) - (change.end - change.start)
    return spans


def target_statements(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    return [m for m in analysis.mentions if ctx.observation_of(m.concept) == target and not m.implied]


def sentence_text(analysis: ReportAnalysis, index: int) -> str:
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
    if target not in SIGNS:
        return
    text = analysis.text
    own = [(m.start, m.end) for m in target_statements(analysis, target, ctx)]
    found = [
        (sentence, _sign_matches(target, text[sentence.start : sentence.end]))
        for sentence in analysis.sentences
    ]
    for number, name in enumerate(name for name, _ in SIGNS[target]):
        for sentence, matches in found:
            for a, b in matches[number]:
                start, end = sentence.start + a, sentence.start + b
                if any(s < end and start < e for s, e in own):
                    continue
                if not _negated_at(text, start, end, sentence.start, sentence.end):
                    yield name, start, end, sentence.index


@functools.lru_cache(maxsize=1 << 16)
def _sign_matches(target: str, sentence: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Spans of each of the target's sign patterns in one sentence (sentences repeat in every variant
    of a report and across reports: each is searched once)."""
    return tuple(tuple(m.span() for m in pattern.finditer(sentence)) for pattern in _sign_patterns(target))


@functools.cache
def _sign_patterns(target: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for _, pattern in SIGNS[target])


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
        if first in ANAPHORS or DEPENDENT_STATEMENTS.search(text) or CHANGE_ONLY.match(text):
            followers.append(sentence)
    return followers


def lost_words(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext, op: str = "negate"
) -> list[str]:
    """Content words the edits removed that are not the target's own (name, side, size, place).
    A device's or fracture's whole statement may go when it is denied or removed, never when affirmed."""
    own, alone, stated = _original_words(before, target, ctx, op)
    followers = dependent_followers(before, stated & {c.sentence_index for c in changes})
    if op == "omit":  # "May contain calcium." after the removed nodule went with it
        followers += subjectless_followers(before, removed_sentences(before, changes), among_deleted=True)
    removed: Counter = Counter()
    mention_words = {w for m in target_statements(before, target, ctx) for w in words(m.text)}
    mention_words |= {w for _n, s, e, _i in stated_signs(before, target, ctx) for w in words(before.text[s:e])}
    if op == "omit":
        mention_words |= {w for m in attached_attributes(before, target, ctx) for w in words(m.text)}
    for change in changes:
        if NOTHING_ACUTE.search(change.before) or change.sentence_index in alone:
            continue  # a "nothing acute" impression that now names the affirmed finding (planned)
        named = (set(words(change.before)) - set(words(change.after))) & _FINDING_NOUNS - mention_words
        if named and op in ("negate", "omit"):
            return sorted(named)  # "... and patchy interstitial disease": another finding the lexicon does not name
        if NOTHING_ACUTE.search(change.after) and not NOTHING_ACUTE.search(change.before):
            # a statement rewritten as a normal impression keeps nothing but the target's own name
            gone = set(words(change.before)) - set(words(change.after)) - mention_words - _NORMALISED_AWAY
            if {w for w in gone if not NUMBER.fullmatch(w)}:
                return sorted(gone)
        removed.update(words(change.before))
        removed.subtract(words(change.after))
        for follower in followers:  # a sentence about the removed finding alone goes with it
            if change.start <= follower.start and follower.end <= change.end and not change.after:
                removed.subtract(words(before.text[follower.start : follower.end]))
    return sorted(
        w
        for w, n in removed.items()
        if n > 0 and w not in own and not NUMBER.fullmatch(w) and not set(w.split("/")) <= own  # "nodule/mass"
    )


_NORMALISED_AWAY = frozenset(
    {"and", "with", "the", "a", "an", "of", "is", "are", "there", "persistent", "stable", "unchanged", "again",
     "mild", "mildly", "moderate", "moderately", "severe", "marked", "small", "large", "minimal", "slight",
     "slightly", "left", "right", "bilateral", "new", "no", "noted", "seen", "present", "in", "at"}
    | LUNG_PLACES
)  # fmt: skip
"""Words a finding's statement loses when it becomes a normal impression ("Persistent mild cardiomegaly."
-> "No acute disease."; "Right upper lobe nodule." -> "No acute intrathoracic process."): its grade,
side, place, time and grammar, never another finding's words."""


_FINDING_NOUNS = frozenset(
    {"disease", "markings", "prominence", "thickening", "pattern", "lesion", "lesions", "nodularity",
     "reticulation", "bronchiectasis", "emphysema", "fibrosis", "hernia"}
)  # fmt: skip
"""Heads of statements the lexicon may not read as a finding ("patchy interstitial disease"): an edit of
the target's statement that removes one, not the target's own, removed another finding."""


def _original_words(
    before: ReportAnalysis, target: str, ctx: RewriteContext, op: str
) -> tuple[set[str], set[int], set[int]]:
    """What ``lost_words`` reads of the original alone (its own words, sentences of the target
    alone, sentences stating it), worked out once for all the variants of one original."""
    cached = ctx._cache.get("original_words")
    if cached is None or cached[0] is not before:
        cached = ctx._cache["original_words"] = (before, {})
    whole = target in WHOLE_STATEMENT_TARGETS and op in ("negate", "omit")
    key = (target, whole)
    if key not in cached[1]:
        own = set(EDIT_VOCABULARY) | REPORT_WORDS | TARGET_VOCABULARY.get(target, frozenset())
        alone = _sentences_of_target_alone(before, target, ctx) if whole else set()
        for title in _HEADER.findall(before.text):
            own.update(words(title))
        for _name, start, end, _index in stated_signs(before, target, ctx):
            own.update(words(before.text[start:end]))
        attached = attached_attributes(before, target, ctx) if op == "omit" else []
        for mention in target_statements(before, target, ctx) + attached:
            own.update(words(mention.text))
            for word in words(mention.text):
                own.add(word.rstrip("s"))
                own.add(word + "s")
        stated = {
            m.sentence_index
            for m in target_statements(before, target, ctx)
            if m.assertion is not Assertion.NEGATED
        }
        cached[1][key] = (own, alone, stated)
    return cached[1][key]


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
    titles, sections, empty_before, counted_on, unstopped, seen = _original_form(before)
    kept = Counter(_HEADER.findall(variant))
    for title, n in titles.items():
        if kept[title] < n and re.search(rf"\b{re.escape(title)}\b", variant) is not None:
            return f"section header {title!r} lost its colon or its line"
    for title, pieces in sections:
        if kept[title] < titles[title] and any(piece in _normal(variant) for piece in pieces):
            return f"section header {title!r} lost while its section stays"
    for title in _empty_headers(variant):
        if title not in empty_before:
            return f"section header {title!r} left with no content"
    if counted_on and not _counts_on(_numbers(variant)):
        return "list numbers no longer count 1, 2, 3"
    if _unstopped(after) > unstopped:
        return "a sentence lost its final stop"
    counted = Counter((s.section, _normal(variant[s.start : s.end])) for s in after.sentences)
    for key, n in counted.items():
        if key[1] and n > max(1, seen[key]):
            return "a sentence is duplicated in one section"
    for start, end, _ in shifted(changes):
        for sentence in after.sentences:
            if sentence.end < start or sentence.start > max(end, start + 1):
                continue
            tokens = words(variant[sentence.start : sentence.end])
            if not tokens:
                return "an empty sentence is left"
            orphan = ORPHAN_CONJUNCTION.search(variant[sentence.start : sentence.end])
            if orphan and orphan.group(0).lower() not in original.lower():
                return "a fragment is left (a conjunction with no item)"
            if tokens[0] in _ORPHAN_START or tokens[-1] in _ORPHAN_END:
                return f"a fragment is left ({' '.join(tokens[:3])} ... {tokens[-1]})"
            opening = next((t for t in tokens if not NUMBER.fullmatch(t)), "")
            if opening in DEPENDENT_OPENING and not _opens_alike(before, opening):
                return f"a fragment is left ({' '.join(tokens[:3])} ...): it lost what it was said of"
    return None


_ORIGINAL_FORM: list = [None, None]
"""The last original ``form_failure`` read, and what it read of it (its variants come one after another)."""


def _original_form(before: ReportAnalysis) -> tuple:
    """What ``form_failure`` reads of the original alone: header counts, each section's sentence
    pieces (normalised), empty headers, whether list numbers count on, unstopped sentences, and
    the normalised sentences per section."""
    if _ORIGINAL_FORM[0] is before:
        return _ORIGINAL_FORM[1]
    original = before.text
    sections = []
    for match in _HEADER.finditer(original):
        following = _HEADER.search(original, match.end())
        content = original[match.end() : following.start() if following else len(original)]
        pieces = [p for p in re.split(r"[.;]\s+", content) if len(words(p)) >= 2]
        sections.append((match.group(1), [_normal(p) for p in pieces]))
    facts = (
        Counter(_HEADER.findall(original)),
        sections,
        _empty_headers(original),
        _counts_on(_numbers(original)),
        _unstopped(before),
        Counter((s.section, _normal(original[s.start : s.end])) for s in before.sentences),
    )
    _ORIGINAL_FORM[:] = [before, facts]
    return facts


def _opens_alike(analysis: ReportAnalysis, opening: str) -> bool:
    """Whether the original has a sentence opening with that word (the report's own style)."""
    for sentence in analysis.sentences:
        tokens = [t for t in words(analysis.text[sentence.start : sentence.end]) if not NUMBER.fullmatch(t)]
        if tokens and tokens[0] == opening:
            return True
    return False


def _unstopped(analysis: ReportAnalysis) -> int:
    """Sentences that end without a stop though a sentence follows them on their line, or end the text."""
    text, count = analysis.text, 0
    for sentence in analysis.sentences:
        body = text[sentence.start : sentence.end].rstrip()
        if (
            body
            and body[-1] not in ".!?;:"
            and (sentence.end >= len(text.rstrip()) or "\n" not in text[sentence.end : sentence.end + 2])
        ):
            count += 1
    return count


def _empty_headers(text: str) -> list[str]:
    """Section titles with nothing after them before the next title or the end."""
    empty = []
    for match in _HEADER.finditer(text):
        following = _HEADER.search(text, match.end())
        if not words(text[match.end() : following.start() if following else len(text)]):
            empty.append(match.group(1))
    return empty


def _numbers(text: str) -> list[list[int]]:
    """The list numbers of each section, in order."""
    return [[int(n) for n in _LIST_NUMBER.findall(section)] for section in re.split(_HEADER, text)[::2]]


def _counts_on(numbers: list[list[int]]) -> bool:
    return all(found == list(range(1, len(found) + 1)) for found in numbers)


def _normal(sentence: str) -> str:
    return " ".join(words(sentence))


_ATTRIBUTE_ONLY = (
    LATERALITY | SEVERITY | frozenset({"in", "size", "on", "the", "and", "side", "sided", "than", "xxxx"})
)


def attribute_fragment(after: ReportAnalysis, changes: Sequence[Change]) -> str | None:
    """A clause of the edited sentence left with only a side or a size ("Left small, right moderate")."""
    for start, end, _ in shifted(changes):
        for sentence in after.sentences:
            if sentence.end < start or sentence.start > max(end, start + 1):
                continue
            clause = re.split(r"[,;:]", after.text[sentence.start : sentence.end])[0]
            tokens = words(clause)  # the sentence now opens with only a side or a size
            if tokens and all(t in _ATTRIBUTE_ONLY for t in tokens):
                return f"a fragment is left ({clause.strip()})"
    return None


def anatomy_failure(before: ReportAnalysis, after: ReportAnalysis) -> str | None:
    """A side swap that names anatomy that does not exist ("right lower lobes", "left middle lobe")."""
    if any(len(p.findall(after.text)) > len(p.findall(before.text)) for p in (ONE_SIDED_PLACES, ONE_SIDED_ANATOMY)):
        return "the side swap names anatomy that does not exist"
    chambers = [sorted(m.lower() for m in CHAMBERS.findall(a.text)) for a in (before, after)]
    if chambers[0] != chambers[1]:
        return "the side swap moved a heart chamber"
    return None


def sign_sentences(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Sentence]:
    """Sentences that state only a sign of the target ("Mediastinal shift to the left."): no other
    finding the lexicon reads, nothing but the sign's and the target's words. They go with the finding."""
    from cxralign.rewrite.vocabulary import EDIT_VOCABULARY, REPORT_WORDS, TARGET_VOCABULARY

    found: dict[int, set[str]] = {}
    spans: list[tuple[int, int]] = []
    for _name, start, end, index in stated_signs(analysis, target, ctx):
        found.setdefault(index, set()).update(words(analysis.text[start:end]))
        spans.append((start, end))
    if not found:  # most reports state no sign: the vocabulary is not copied for nothing
        return []
    own = set(EDIT_VOCABULARY) | REPORT_WORDS | TARGET_VOCABULARY.get(target, frozenset())
    result = []
    for sentence in analysis.sentences:
        if sentence.index not in found:
            continue
        if any(
            m.sentence_index == sentence.index
            and ctx.observation_of(m.concept) != target
            and not any(s <= m.start and m.end <= e for s, e in spans)  # the sign itself ("blunting")
            for m in analysis.mentions
        ):
            continue
        rest = set(words(analysis.text[sentence.start : sentence.end])) - own - found[sentence.index]
        if not {w for w in rest if not NUMBER.fullmatch(w)}:
            result.append(sentence)
    return result


def only_sign(analysis: ReportAnalysis, text: str, target: str, ctx: RewriteContext) -> bool:
    """Whether what an edit leaves of a sentence states only a sign of the target ("Sternotomy wires"
    once the clips beside them went): it goes with the finding."""
    from cxralign.rewrite.vocabulary import EDIT_VOCABULARY, REPORT_WORDS, TARGET_VOCABULARY

    found: set[str] = set()
    for _name, pattern in SIGNS.get(target, ()):
        for match in re.finditer(pattern, text, re.IGNORECASE):
            found.update(words(match.group()))
    if not found:
        return False
    own = set(EDIT_VOCABULARY) | REPORT_WORDS | TARGET_VOCABULARY.get(target, frozenset()) | found
    return all(w in own or NUMBER.fullmatch(w) for w in words(text))
