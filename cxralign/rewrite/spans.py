"""Span surgery on one sentence: tokens, noun-phrase edges, list segments, edits.

Every helper works in offsets of the full report text, so an op can describe its
rewrite as a few exact replacements of original characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cxralign.reports.records import Mention, ReportAnalysis, Sentence, fast_constructor
from cxralign.rewrite.records import Change
from cxralign.rewrite.words import NP_WORDS, SEVERITY

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'/][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_SPLIT_WORDS = frozenset({",", ";", "and", "or", "with", "and/or", "but", "plus"})
_LEAD_SPLIT_WORDS = frozenset({"without"})  # start a new segment and stay in it (they carry its negation)
_END_PUNCT = ".!?"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


_make_token = fast_constructor(Token)


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """Word and punctuation tokens of ``text[start:end]`` with absolute offsets (rule proposals
    tokenise every sentence they look at: the records are built without the frozen ``__init__``)."""
    return [
        _make_token(m.group(), start + m.start(), start + m.end()) for m in _TOKEN.finditer(text[start:end])
    ]


def sentence_body(analysis: ReportAnalysis, sentence: Sentence) -> tuple[int, int, int]:
    """(start, body_end, end): the sentence without surrounding space, and where its final punctuation starts."""
    text = analysis.text
    start, end = sentence.start, sentence.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    body_end = end
    while body_end > start and text[body_end - 1] in _END_PUNCT:
        body_end -= 1
    return start, body_end, end


def sentence_of(analysis: ReportAnalysis, index: int) -> Sentence:
    for sentence in analysis.sentences:
        if sentence.index == index:
            return sentence
    raise KeyError(index)


def np_start(analysis: ReportAnalysis, mention: Mention, floor: int) -> int:
    """Walk left from a mention over articles and modifiers; return where its noun phrase starts."""
    tokens = tokenize(analysis.text, floor, mention.start)
    start = mention.start
    for position in range(len(tokens) - 1, -1, -1):
        token = tokens[position]
        word = token.lower
        if word == "to" and position > 0 and tokens[position - 1].lower in SEVERITY:
            start = token.start
            continue
        if word == "-" or word in NP_WORDS and word != "to" or _is_measure(tokens, position):
            start = token.start
            continue
        break
    return start


_UNITS = frozenset({"cm", "mm", "x", "by"})


def _is_measure(tokens: Sequence[Token], position: int) -> bool:
    """Numbers and units of a size ("a 1.5 cm nodule")."""
    word = tokens[position].lower
    if word.isdigit() or word in _UNITS:
        return True
    return word == "." and 0 < position < len(tokens) - 1 and tokens[position - 1].lower.isdigit()


def is_measure_word(word: str) -> bool:
    return word.isdigit() or word.lower() in _UNITS or word == "."


def is_plural(word: str) -> bool:
    word = word.lower()
    if word in _IRREGULAR_SINGULARS:  # "bullae", "apices", "foci"
        return True
    if not word.endswith("s") or len(word) < 4:
        return False
    return not word.endswith(("ss", "sis", "us", "is", "ax", "os", "ous", "itis"))


_IRREGULAR_PLURALS = {
    "thorax": "thoraces",
    "apex": "apices",
    "bulla": "bullae",
    "hilum": "hila",
    "focus": "foci",
    "prosthesis": "prostheses",
    "anastomosis": "anastomoses",
}
_IRREGULAR_SINGULARS = {plural: single for single, plural in _IRREGULAR_PLURALS.items()}


def _irregular(word: str, table: dict[str, str]) -> str | None:
    """``word`` with an irregular ending swapped by ``table`` ("pneumothorax" -> "pneumothoraces")."""
    lower = word.lower()
    for ending, replacement in table.items():
        if lower.endswith(ending):
            return word[: len(word) - len(ending)] + replacement
    return None


def plural(word: str) -> str:
    """The plural of a singular noun: "effusion" -> "effusions", "opacity" -> "opacities"."""
    irregular = _irregular(word, _IRREGULAR_PLURALS)
    if irregular is not None:
        return irregular
    lower = word.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "sh", "ch")):
        return word + "es"
    return word + "s"


def singular(word: str) -> str:
    irregular = _irregular(word, _IRREGULAR_SINGULARS)
    if irregular is not None:
        return irregular
    if word.lower().endswith("ies"):
        return word[:-3] + "y"
    if word.lower().endswith(("sses", "xes")):
        return word[:-2]
    return word[:-1] if is_plural(word) else word


def with_article(phrase: str) -> str:
    """Prefix ``a`` or ``an`` to a singular noun phrase."""
    return ("an " if phrase[:1].lower() in "aeio" else "a ") + phrase


def capitalize_first(text: str) -> str:
    for position, char in enumerate(text):
        if char.isalpha():
            return text[:position] + char.upper() + text[position + 1 :]
    return text


def lower_first(text: str) -> str:
    """Lower-case the first word unless it looks like an acronym."""
    match = re.match(r"\s*([A-Za-z][a-z]*)\b", text)
    if not match:
        return text
    word = match.group(1)
    return text[: match.start(1)] + word[0].lower() + text[match.start(1) + 1 :]


def minimal_change(text: str, start: int, end: int, after: str, sentence_index: int) -> Change | None:
    """Shrink a replacement to the words that actually differ (None when nothing does)."""
    before = text[start:end]
    if before == after:
        return None
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    while prefix > 0 and (
        before[prefix - 1].isalnum() or (prefix < len(before) and before[prefix].isalnum())
    ):
        if before[prefix - 1].isspace():
            break
        prefix -= 1
    suffix = 0
    limit = min(len(before), len(after)) - prefix
    while suffix < limit and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    while suffix > 0:
        left_in_word = len(before) - suffix - 1 >= 0 and before[len(before) - suffix - 1].isalnum()
        right_in_word = before[len(before) - suffix].isalnum()
        if not (left_in_word and right_in_word):
            break
        suffix -= 1
    new_before = before[prefix : len(before) - suffix]
    new_after = after[prefix : len(after) - suffix]
    return Change(start + prefix, end - suffix, new_before, new_after, sentence_index)


def apply_changes(text: str, changes: Iterable[Change]) -> str:
    """Replace each change's span right to left (spans must not overlap)."""
    ordered = sorted(changes, key=lambda change: (change.start, change.end))
    for left, right in zip(ordered, ordered[1:], strict=False):
        if right.start < left.end:
            raise ValueError("overlapping changes")
    pieces: list[str] = []
    cursor = 0
    for change in ordered:
        pieces.append(text[cursor : change.start])
        pieces.append(change.after)
        cursor = change.end
    pieces.append(text[cursor:])
    return "".join(pieces)


@dataclass(slots=True)
class Segment:
    """One item of a list inside a sentence ("A, B and C"): its span and the mentions inside it."""

    start: int
    end: int
    separator: str  # text between the previous segment and this one ("" for the first)
    mentions: list[Mention]


def split_segments(
    analysis: ReportAnalysis, start: int, end: int, mentions: Sequence[Mention]
) -> list[Segment]:
    """Split a sentence body at list separators; pieces naming no finding join their neighbour."""
    text = analysis.text
    tokens = tokenize(text, start, end)
    raw: list[list[Token]] = [[]]
    for token in tokens:
        word = token.lower
        inside = any(m.start <= token.start < m.end for m in mentions)
        if not inside and word in _SPLIT_WORDS:
            raw.append([])
            continue
        if not inside and word in _LEAD_SPLIT_WORDS and raw[-1]:
            raw.append([])
        raw[-1].append(token)
    spans = [(group[0].start, group[-1].end) for group in raw if group]
    segments: list[Segment] = []
    previous_end = start
    for seg_start, seg_end in spans:
        inside = [m for m in mentions if seg_start <= m.start < seg_end]
        segments.append(Segment(seg_start, seg_end, text[previous_end:seg_start] if segments else "", inside))
        previous_end = seg_end
    merged: list[Segment] = []
    pending: Segment | None = None
    for segment in segments:
        if pending is not None:
            segment = Segment(
                pending.start, segment.end, pending.separator, pending.mentions + segment.mentions
            )
            pending = None
        if not segment.mentions:
            pending = segment
            continue
        merged.append(segment)
    if pending is not None:
        if merged:
            last = merged[-1]
            merged[-1] = Segment(last.start, pending.end, last.separator, last.mentions)
        else:
            merged.append(pending)
    return merged
