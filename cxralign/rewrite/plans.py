"""Proposals: the exact edits each op makes, before verification.

A proposal works sentence by sentence. A sentence about the target alone is
edited in place (its noun phrase, copula or cue); a sentence that also names other
findings loses only the target's list item, and the contradicting statement is
added as a sentence of its own right after it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.phrases import NORMAL_SUMMARY, TEMPORAL, details
from cxralign.rewrite.records import Change
from cxralign.rewrite.spans import (
    Segment,
    capitalize_first,
    is_measure_word,
    is_plural,
    lower_first,
    minimal_change,
    np_start,
    plural,
    sentence_body,
    singular,
    split_segments,
    tokenize,
    with_article,
)
from cxralign.rewrite.words import (
    ACCEPTED_SUFFIX_WORDS,
    ADVERBS,
    ARTICLES,
    BILATERAL_MASS_HEADS,
    BILATERAL_PLACES,
    BILATERAL_PLURAL_HEADS,
    COPULA_NEGATION,
    COPULA_THEN_SEEN,
    COUNTABLE_HEADS,
    DROP_ON_NEGATE,
    EXISTENTIAL,
    HEDGE_LEADS,
    LATERALITY,
    MIDDLE_GRADES,
    NEGATION_LEADS,
    PLACE_AND_DESCRIPTOR,
    PLACE_MODIFIERS,
    PLURAL_VERBS,
    PREDICATE_ADJECTIVES,
    SEVERITY,
    SIZE_GRADED_HEADS,
    SIZE_WORDS,
    SWAP_LATERALITY,
    SWAP_SEVERITY,
    THIRD_PERSON,
)
from cxralign.rewrite.words import TEMPORAL as TEMPORAL_WORDS


class RewriteFailed(Exception):
    """The op cannot be made on this report; the message is the reason counted in the manifest."""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    added_sentence: bool = False
    concept: str = ""
    detail: dict[str, str] = field(default_factory=dict)


SIZED = {
    "Pleural Effusion": "small",
    "Pneumothorax": "small",
    "Lung Lesion": "small",
    "Cardiomegaly": "mild",
    "Edema": "mild",
    "Atelectasis": "mild",
    "Enlarged Cardiomediastinum": "mild",
    "Pleural Other": "mild",
}
LATERAL = frozenset(
    {
        "Pleural Effusion", "Pneumothorax", "Lung Lesion", "Consolidation", "Lung Opacity", "Pneumonia",
        "Atelectasis", "Fracture", "Pleural Other",
    }
)  # fmt: skip
_EXISTENTIAL_RE = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, EXISTENTIAL), key=len, reverse=True)) + r")$"
)
_HEDGE_RE = re.compile(r"^(" + "|".join(sorted(map(re.escape, HEDGE_LEADS), key=len, reverse=True)) + r")$")
_NEG_LEAD_RE = re.compile(
    r"^(?:(?P<pre>there (?:is|are|was|were|has been|have been))\s+)?(?P<neg>"
    + "|".join(sorted(map(re.escape, NEGATION_LEADS), key=len, reverse=True))
    + r")$"
)
_SEEN_SUFFIX_RE = re.compile(
    r"^\s+(is|are|was|were)\s+(?P<not>not\s+)(?:(?:again|definitely|clearly|currently)\s+)?(?P<verb>\w+)"
)


_DENIAL_DROPS = LATERALITY | PLACE_AND_DESCRIPTOR
"""Dropped from a negated noun phrase: "small left basilar atelectasis" -> "no atelectasis"."""


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+(?:[-/][a-z0-9]+)*", text.lower()))


# --------------------------------------------------------------------------- selection


def target_mentions(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    """Mentions of any concept that maps to the target CheXpert observation."""
    return [m for m in analysis.mentions if ctx.observation_of(m.concept) == target and not m.implied]


def _by_sentence(mentions: Sequence[Mention]) -> dict[int, list[Mention]]:
    grouped: dict[int, list[Mention]] = defaultdict(list)
    for mention in mentions:
        grouped[mention.sentence_index].append(mention)
    return dict(sorted(grouped.items()))


def _others(analysis: ReportAnalysis, sentence: Sentence, target_set: Sequence[Mention]) -> list[Mention]:
    ids = {id(m) for m in target_set}
    return [m for m in analysis.mentions if m.sentence_index == sentence.index and id(m) not in ids]


def _sentence(analysis: ReportAnalysis, index: int) -> Sentence:
    for sentence in analysis.sentences:
        if sentence.index == index:
            return sentence
    raise RewriteFailed("mention outside every sentence")


def _opens_section(analysis: ReportAnalysis, sentence: Sentence) -> bool:
    return next(s.index for s in analysis.sentences if s.section == sentence.section) == sentence.index


def _bank_statement(
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
    rng = ctx.rng("phrase", key, section)
    return ctx.phrases.sample(
        target, present, rng, section, opening, _compares(analysis.text), within, mention
    )


@functools.lru_cache(maxsize=4096)
def _compares(text: str) -> bool:
    """Whether a report compares with an earlier study (asked once per report, not once per statement)."""
    return bool(TEMPORAL.search(text))


_ANATOMY_HEADS = frozenset(
    {"heart", "size", "silhouette", "mediastinum", "contour", "contours", "shadow", "lungs"}
)
_CONCEPT_NOUNS = {"enlarged_cardiomediastinum": "mediastinal widening"}


def _head_phrase(analysis: ReportAnalysis, mention: Mention) -> str:
    """The finding as a noun ("cardiomegaly" for "the heart is enlarged")."""
    words = mention.text.split()
    if not words or words[-1].lower() in PREDICATE_ADJECTIVES | _ANATOMY_HEADS or len(words) > 4:
        return _CONCEPT_NOUNS.get(mention.concept, mention.concept.replace("_", " "))
    return (
        lower_first(mention.text)
        if mention.text[:1].isupper() and not mention.text.isupper()
        else mention.text
    )


def _np_core(analysis: ReportAnalysis, mention: Mention, floor: int, keep_laterality: bool = True) -> str:
    """Noun phrase without articles, size and time words: what follows "no"."""
    head = _head_phrase(analysis, mention)
    if head != mention.text and head != lower_first(mention.text):
        words: list[str] = []
    else:
        start = np_start(analysis, mention, floor)
        words = _kept_modifiers(analysis, start, mention.start)
    if not keep_laterality:
        words = [w for w in words if w.lower() not in _DENIAL_DROPS]
    laterality = mention.attributes.laterality
    span = mention.attributes.laterality_span
    has_side = any(w.lower() in LATERALITY for w in words) or any(
        w in LATERALITY for w in head.lower().split()
    )
    if keep_laterality and laterality in ("left", "right", "bilateral") and not has_side and span is not None:
        words.insert(0, laterality)
    return lower_first(" ".join([*words, head]).strip())


def _join_list(items: Sequence[str], conjunction: str) -> str:
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]


def _kept_modifiers(analysis: ReportAnalysis, start: int, end: int) -> list[str]:
    """Modifiers that still make sense after "no": side and place, not size, time or article."""
    return [
        t.text
        for t in tokenize(analysis.text, start, end)
        if t.lower not in DROP_ON_NEGATE and not is_measure_word(t.text)
    ]


def _distinct(phrases: Iterable[str]) -> list[str]:
    """Phrases once each, less those inside another ("nodular" beside "nodular density")."""
    unique = list(dict.fromkeys(phrases))
    return [p for p in unique if not any(q != p and f" {p.lower()} " in f" {q.lower()} " for q in unique)]


def _merged(analysis: ReportAnalysis, mentions: Sequence[Mention]) -> Mention:
    """Adjacent mentions of one finding ("endotracheal" + "tube") read as one phrase."""
    ordered = sorted(mentions, key=lambda m: m.start)
    first, last = ordered[0], ordered[-1]
    between = analysis.text[first.start : last.end]
    if (
        len(ordered) > 1
        and len(between.split()) <= 4
        and not re.search(r"[,;]|\b(and|or|no|with)\b", between, re.I)
    ):
        return dataclasses.replace(first, text=between, end=last.end)
    return first


# --------------------------------------------------------------------------- sentence editing


@dataclass
class SentenceEdit:
    """A whole-sentence replacement, later shrunk to the words that differ."""

    sentence: Sentence
    start: int
    end: int
    after: str
    added: bool = False


def _replace_sentence_edit(analysis: ReportAnalysis, sentence: Sentence, new_body: str) -> SentenceEdit:
    start, body_end, end = sentence_body(analysis, sentence)
    if not new_body.strip():
        return _delete_sentence_edit(analysis, sentence)
    return SentenceEdit(sentence, start, body_end, capitalize_first(new_body.strip()))


def _delete_sentence_edit(analysis: ReportAnalysis, sentence: Sentence) -> SentenceEdit:
    text = analysis.text
    start, _, end = sentence_body(analysis, sentence)
    marker = _ITEM_NUMBER.search(text, 0, start)
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


_ITEM_NUMBER = re.compile(r"(?:^|\s)(\d{1,2}[.)]\s*)$")


def _append_sentence_edit(analysis: ReportAnalysis, sentence: Sentence, new_sentence: str) -> SentenceEdit:
    start, body_end, end = sentence_body(analysis, sentence)
    punct = "" if end > body_end else "."
    return SentenceEdit(sentence, end, end, f"{punct} {capitalize_first(new_sentence)}.", added=True)


def _lead_of(analysis: ReportAnalysis, segment: Segment, first_mention: Mention) -> tuple[int, str]:
    start = np_start(analysis, first_mention, segment.start)
    return start, analysis.text[segment.start : start]


def _agree(lead: str, plural: bool) -> str:
    lead = re.sub(r"\b(is|are)\b", "are" if plural else "is", lead, count=1, flags=re.IGNORECASE)
    return re.sub(
        r"\b(has|have) been\b", "have been" if plural else "has been", lead, count=1, flags=re.IGNORECASE
    )


def _segment_plural(analysis: ReportAnalysis, segment: Segment) -> bool:
    start = np_start(analysis, segment.mentions[0], segment.start)
    first = tokenize(analysis.text, start, segment.mentions[0].end)
    if first and first[0].lower in ("a", "an"):
        return False
    last = segment.mentions[0].text.split()[-1] if segment.mentions[0].text.split() else ""
    return is_plural(last)


_DIFFERENTIAL = re.compile(r"\b(or|versus|vs)\b|/", re.IGNORECASE)
_RELATION_END = re.compile(
    r"\b(compatible|consistent|suggestive|suggesting|concerning|representing|represents?|reflecting|reflects?|"
    r"likely|probably|possibly|may|could|due|secondary|related|from|of|which|that|than)\s*$",
    re.IGNORECASE,
)


def _refuse_relations(analysis: ReportAnalysis, segments: Sequence[Segment], drop: Sequence[bool]) -> None:
    """Refuse to cut a differential ("A or B") or a relation ("A compatible with B"): both readings change."""
    text = analysis.text
    for index, dropped in enumerate(drop):
        if not dropped:
            continue
        if all(m.assertion is Assertion.NEGATED for m in segments[index].mentions):
            continue  # "no A, B or C" is a list, not a differential
        neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(segments) and not drop[i]]
        for other in neighbours:
            separator = segments[max(index, other)].separator
            before = text[segments[min(index, other)].start : segments[min(index, other)].end]
            if _DIFFERENTIAL.search(separator) or _RELATION_END.search(before):
                raise RewriteFailed("target is one reading of a differential or relation")
    if drop[0] and len(segments) > 1:
        _, lead = _lead_of(analysis, segments[0], segments[0].mentions[0])
        words = _words(lead)
        if words and not (
            _EXISTENTIAL_RE.match(words) or _NEG_LEAD_RE.match(words) or _HEDGE_RE.match(words)
        ):
            raise RewriteFailed(f"cannot carry the lead {lead.strip()!r} over to the next list item")


def _refuse_shared_cues(
    analysis: ReportAnalysis, segments: Sequence[Segment], drop: Sequence[bool], removed: set
) -> None:
    """A kept finding whose cue ("... are within normal limits") sits in a dropped item would lose its meaning."""
    for index, dropped in enumerate(drop):
        if not dropped:
            continue
        segment = segments[index]
        lead_end, _ = _lead_of(analysis, segment, segment.mentions[0])
        for mention in analysis.mentions:
            if (
                id(mention) in removed
                or mention.cue is None
                or mention.sentence_index != segment.mentions[0].sentence_index
            ):
                continue
            if any(mention in seg.mentions for seg, d in zip(segments, drop, strict=False) if d):
                continue
            if segment.start <= mention.cue.start < segment.end and mention.cue.start >= lead_end:
                raise RewriteFailed("another finding's cue sits in the removed words")


def remove_from_sentence(analysis: ReportAnalysis, sentence: Sentence, remove: Sequence[Mention]) -> str:
    """The sentence body with the list items naming ``remove`` dropped ("" when nothing is left)."""
    start, body_end, _ = sentence_body(analysis, sentence)
    mentions = sorted(
        (m for m in analysis.mentions if m.sentence_index == sentence.index and start <= m.start < body_end),
        key=lambda m: m.start,
    )
    removed_ids = {id(m) for m in remove}
    segments = split_segments(analysis, start, body_end, mentions)
    drop = [any(id(m) in removed_ids for m in seg.mentions) for seg in segments]
    for seg, dropped in zip(segments, drop, strict=False):
        if dropped and any(id(m) not in removed_ids for m in seg.mentions):
            raise RewriteFailed("target entangled with another finding in one clause")
    _refuse_relations(analysis, segments, drop)
    _refuse_shared_cues(analysis, segments, drop, removed_ids)
    kept = [index for index, dropped in enumerate(drop) if not dropped]
    if not kept:
        return ""
    text = analysis.text
    pieces: list[str] = []
    had_conjunction = [bool(re.search(r"\b(and|or)\b", seg.separator, re.IGNORECASE)) for seg in segments]
    removed_conjunction = next(
        (re.search(r"\b(and|or)\b", segments[i].separator, re.IGNORECASE).group(1).lower()  # type: ignore[union-attr]
         for i, dropped in enumerate(drop) if dropped and had_conjunction[i]),
        None,
    )  # fmt: skip
    for position, index in enumerate(kept):
        segment = segments[index]
        body = text[segment.start : segment.end]
        if position == 0:
            lead_start, own_lead = _lead_of(analysis, segment, segment.mentions[0])
            own = _words(own_lead)
            if index > 0:
                _, first_lead = _lead_of(analysis, segments[0], segments[0].mentions[0])
                if own in ("without", "with"):
                    body = (
                        "no " + text[lead_start : segment.end]
                        if own == "without"
                        else text[lead_start : segment.end]
                    )
                elif not own and first_lead.strip():
                    plural = _segment_plural(analysis, segment)
                    lead = _agree(first_lead.strip(), plural)
                    np_text = text[lead_start : segment.end]
                    first_word = np_text.split()[0].lower() if np_text.split() else ""
                    head = segment.mentions[0].text.split()[-1].lower() if segment.mentions[0].text else ""
                    if (
                        _EXISTENTIAL_RE.match(_words(lead))
                        and not plural
                        and first_word not in ("a", "an", "the")
                        and head in COUNTABLE_HEADS
                    ):
                        np_text = with_article(np_text)
                    body = f"{lead} {np_text}"
            pieces.append(body)
            continue
        separator = segment.separator
        if drop[index - 1] and index - 1 > 0 and not had_conjunction[index]:
            separator = segments[index - 1].separator
        if drop[index - 1]:
            _, dropped_lead = _lead_of(analysis, segments[index - 1], segments[index - 1].mentions[0])
            _, own_lead = _lead_of(analysis, segment, segment.mentions[0])
            if _NEG_LEAD_RE.match(_words(dropped_lead)) and not own_lead.strip():
                body = f"{dropped_lead.strip()} {body}"  # "clear, without A or B" minus A: "clear, without B"
                separator = segments[index - 1].separator
        pieces.append(separator)
        pieces.append(body)
    if len(kept) < len(segments) and removed_conjunction and len(kept) > 1:
        separators = [i for i in range(1, len(pieces), 2)]
        last = separators[-1]
        if not re.search(r"\b(and|or)\b", pieces[last], re.IGNORECASE) and pieces[last].strip() == ",":
            pieces[last] = f", {removed_conjunction} " if len(kept) > 2 else f" {removed_conjunction} "
    if len(kept) == 2:
        pieces[1] = re.sub(r"^\s*,\s*(and|or)\s+$", r" \1 ", pieces[1], flags=re.IGNORECASE)
    result = "".join(pieces)
    last_kept = segments[kept[-1]]
    if drop[-1]:
        result += _shared_predicate(text, segments[-1], last_kept)
    joined_by_and = any(re.search(r"\band\b", seg.separator, re.IGNORECASE) for seg in segments)
    if len(kept) == 1 and joined_by_and and not _segment_plural(analysis, last_kept):
        result = _singular_verb(result, last_kept.mentions[-1].text)
    return result


_PREDICATE = re.compile(
    r"\s+(?:is|are|was|were|appears?|appeared|remains?|seems?|has|have|shows?|seen|noted|present|identified|"
    r"visualized|demonstrated|evident)\b.*",
    re.IGNORECASE | re.DOTALL,
)
_PLURAL_VERBS = {"are": "is", "were": "was", "appear": "appears", "remain": "remains", "have": "has",
                 "seem": "seems", "show": "shows", "demonstrate": "demonstrates"}  # fmt: skip
_PLURAL_VERB = re.compile(r"\b(" + "|".join(_PLURAL_VERBS) + r")\b", re.IGNORECASE)


def _shared_predicate(text: str, removed: Segment, kept: Segment) -> str:
    """The predicate a removed last item carried for the whole list ("A and B are present" minus B
    keeps "are present"), unless the kept item has a verb of its own."""
    tail = _PREDICATE.match(text, removed.mentions[-1].end, removed.end)
    if tail is None or _PREDICATE.search(text, kept.mentions[-1].end, kept.end):
        return ""
    return tail.group(0)


def _singular_verb(body: str, subject: str) -> str:
    """The list's plural verb made singular for the one item left ("A and B are normal" -> "B is normal")."""
    after = body.lower().rfind(subject.lower())
    after = 0 if after < 0 else after + len(subject)
    verb = _PLURAL_VERB.search(body, after)
    if verb is None:
        return body
    singular = _PLURAL_VERBS[verb.group(1).lower()]
    return body[: verb.start()] + _case_like(verb.group(1), singular) + body[verb.end() :]


def _changes_from(analysis: ReportAnalysis, edits: Sequence[SentenceEdit]) -> list[Change]:
    changes: list[Change] = []
    for edit in edits:
        if edit.added:
            changes.append(Change(edit.start, edit.end, "", edit.after, edit.sentence.index))
            continue
        change = minimal_change(analysis.text, edit.start, edit.end, edit.after, edit.sentence.index)
        if change is not None:
            changes.append(change)
    return changes


def _renumbered(analysis: ReportAnalysis, edits: list[SentenceEdit]) -> list[SentenceEdit]:
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
            marker = _ITEM_NUMBER.search(text, 0, sentence_body(analysis, sentence)[0])
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


def _finish(analysis: ReportAnalysis, edits: list[SentenceEdit], concept: str, detail=None) -> Plan:
    edits = edits + _renumbered(analysis, edits)
    changes = _changes_from(analysis, edits)
    if not changes:
        raise RewriteFailed("no edit possible")
    return Plan(changes, any(e.added for e in edits), concept, dict(detail or {}))


# --------------------------------------------------------------------------- negate


def _copula_frame(tokens: Sequence, mention: Mention) -> tuple[int, int | None, int] | None:
    """(copula, "not" or None, adjective) token positions of "X is (not) (mildly) enlarged" around a mention."""
    for adj in range(len(tokens)):
        if tokens[adj].lower not in PREDICATE_ADJECTIVES or tokens[adj].end < mention.start:
            continue
        position = adj - 1
        while position >= 0 and tokens[position].lower in ADVERBS:
            position -= 1
        negation = None
        if position >= 0 and tokens[position].lower == "not":
            negation = position
            position -= 1
            if position >= 0 and tokens[position].lower in THIRD_PERSON:
                position -= 1
        if position >= 0 and (
            tokens[position].lower in COPULA_NEGATION
            or negation is not None
            and tokens[position].lower in ("does", "do")
        ):
            return position, negation, adj
        return None
    return None


def _negate_copula(analysis: ReportAnalysis, sentence: Sentence, mention: Mention) -> SentenceEdit | None:
    """ "The heart is mildly enlarged." -> "The heart is not enlarged."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    tokens = tokenize(analysis.text, start, body_end)
    frame = _copula_frame(tokens, mention)
    if frame is None or frame[1] is not None:
        return None
    position, _, adj = frame
    copula = tokens[position]
    replace_from = copula.start
    negated = COPULA_NEGATION.get(copula.lower)
    if negated is None:
        return None
    if copula.lower == "be":
        if position == 0 or tokens[position - 1].lower not in ("may", "might", "could", "can"):
            return None
        replace_from = tokens[position - 1].start
    new_body = analysis.text[start:replace_from] + negated + " " + analysis.text[tokens[adj].start : body_end]
    return _replace_sentence_edit(analysis, sentence, new_body)


def _suffix_ok(analysis: ReportAnalysis, mention: Mention, body_end: int) -> bool:
    """What follows the finding keeps its meaning under "no": a place ("at the left base") or "is seen"."""
    words = [t.lower for t in tokenize(analysis.text, mention.end, body_end)]
    if not words:
        return True
    if words[0] in ("is", "are", "was", "were"):
        rest = [w for w in words[1:3] if w != "again"]
        return bool(rest) and rest[0] in COPULA_THEN_SEEN
    return words[0] in ACCEPTED_SUFFIX_WORDS


def _negate_np(analysis: ReportAnalysis, sentence: Sentence, mention: Mention) -> SentenceEdit | None:
    """ "There is a small left pleural effusion." -> "There is no left pleural effusion."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, start)
    lead = _words(analysis.text[start:np_begin])
    if mention.assertion is Assertion.UNCERTAIN:
        if _HEDGE_RE.match(lead):
            lead = ""
        elif lead.startswith("there ") and _EXISTENTIAL_RE.match(lead):
            lead = "there are" if lead.startswith("there are") else "there is"
        elif lead:
            return None
    if lead and not _EXISTENTIAL_RE.match(lead):
        return None
    if lead.startswith(("there may", "there might", "there could", "there appears", "there appear")):
        lead = "there is" if "appear " not in lead else "there are"
    if not _suffix_ok(analysis, mention, body_end):
        return None
    if mention.assertion is Assertion.UNCERTAIN and re.search(
        r"\b(versus|vs|or|likely|possibly|probably|may|could|suggest\w*|concerning|represent\w*)\b",
        analysis.text[mention.end : body_end],
        re.IGNORECASE,
    ):
        return None
    # radiologists deny a finding without its side: "No pleural effusion.", not "No left pleural effusion."
    kept = [w for w in _kept_modifiers(analysis, np_begin, mention.start) if w.lower() not in _DENIAL_DROPS]
    rest = re.sub(
        r"\b(is|are)\s+(?:again|still|now|also)\s+", r"\1 ", analysis.text[mention.start : body_end], count=1
    )
    rest = re.sub(r"\s*,?\s+with\b.*$", "", rest, flags=re.IGNORECASE | re.DOTALL)
    noun_phrase = " ".join([*kept, rest])
    if np_begin == start:
        noun_phrase = lower_first(noun_phrase)
    original_lead = analysis.text[start:np_begin].strip()
    if lead and _words(original_lead) == lead:
        new_body = f"{original_lead} no {noun_phrase}"
    elif lead:
        new_body = f"{lead} no {noun_phrase}"
    else:
        new_body = f"no {noun_phrase}"
    return _replace_sentence_edit(analysis, sentence, new_body)


NATURAL_NEGATIVES = {
    "Cardiomegaly": (
        "heart size is normal", "the heart is normal in size", "the heart is not enlarged", "normal heart size",
    ),
    "Enlarged Cardiomediastinum": (
        "the mediastinal contours are normal", "normal mediastinal contours", "the mediastinum is not widened",
    ),
}  # fmt: skip
"""How reports deny an enlarged organ: a normality statement, rarely "No cardiomegaly." (rules phrasing)."""


def _natural_negative(target: str, ctx: RewriteContext, key: object) -> str | None:
    choices = NATURAL_NEGATIVES.get(target)
    return None if choices is None else ctx.rng("natural", key, target).choice(choices)


NORMAL_IMPRESSIONS = (
    "no acute cardiopulmonary process",
    "no acute cardiopulmonary abnormality",
    "no acute cardiopulmonary disease",
    "no acute intrathoracic process",
)
"""What an impression says when nothing is present (rules phrasing; corpus phrasing draws the corpus's own)."""


def _summary_restatements(
    analysis: ReportAnalysis, by_sentence: dict[int, list[Mention]], target: str, ctx: RewriteContext
) -> dict[int, SentenceEdit]:
    """Impression sentences that restate a finding the findings section also states, edited by omission.

    An impression summarises what is present: a radiologist who sees no effusion denies it in the
    findings and leaves it out of the impression ("IMPRESSION: No pleural effusion." is rare in
    real reports and gives the variant away). An impression emptied that way reads
    "No acute cardiopulmonary process." when nothing else in the report is stated as present, and
    keeps the negated statement otherwise.
    """
    sections = {index: _sentence(analysis, index).section for index in by_sentence}
    summary = [i for i, section in sections.items() if section == "impression"]
    if not summary or all(section == "impression" for section in sections.values()):
        return {}
    edits: dict[int, SentenceEdit] = {}
    for index in summary:
        sentence = _sentence(analysis, index)
        others = [
            m
            for m in _others(analysis, sentence, by_sentence[index])
            if ctx.observation_of(m.concept) != target
        ]
        if others:
            edits[index] = _replace_sentence_edit(
                analysis, sentence, remove_from_sentence(analysis, sentence, by_sentence[index])
            )
        else:
            edits[index] = _delete_sentence_edit(analysis, sentence)
    impression = [s.index for s in analysis.sentences if s.section == "impression"]
    emptied = all(i in edits and edits[i].after == "" for i in impression)
    if emptied:
        present = any(
            m.assertion is not Assertion.NEGATED
            and not m.historical
            and ctx.observation_of(m.concept) != target
            for m in analysis.mentions
        )
        if present and ctx.phrases is None:
            return {}  # rules phrasing: keep the denial; corpus phrasing: an impression that restated only
            # the target has nothing left to summarise, whatever else the findings mention
        last = max(summary)
        others = {i: e for i, e in edits.items() if i != last}
        normal = ctx.normal_impression(analysis.report_id) or ctx.rng("normal", analysis.report_id).choice(
            NORMAL_IMPRESSIONS
        )
        others[last] = _replace_sentence_edit(analysis, _sentence(analysis, last), normal)
        return others
    return edits


_LIST_LEAD = re.compile(r"(?:^|\s)(?:no|without)$")
_LIST_BREAK = re.compile(r"[;:]|\b(but|however|although|except|with)\b", re.IGNORECASE)


def _denial_hosts(analysis: ReportAnalysis, sentence: Sentence, target: str, ctx: RewriteContext, most: int):
    """(sentence, its mentions) of the same section that deny 1 to ``most`` other findings and nothing else."""
    for host in analysis.sentences:
        if host.section != sentence.section or host.index == sentence.index:
            continue
        mentions = sorted(
            (m for m in analysis.mentions if m.sentence_index == host.index), key=lambda m: m.start
        )
        if (
            mentions
            and len(mentions) <= most
            and all(m.assertion is Assertion.NEGATED and not m.historical for m in mentions)
            and all(ctx.observation_of(m.concept) not in (target, None) for m in mentions)
        ):
            yield host, mentions


def _listed_denial(
    analysis: ReportAnalysis,
    sentence: Sentence,
    in_sentence: Sequence[Mention],
    target: str,
    ctx: RewriteContext,
) -> list[SentenceEdit] | None:
    """The denial joins a list of denied findings in the same section, as often as the corpus lists it.

    "There is a small left pleural effusion. No pneumothorax or consolidation." -> "No pleural
    effusion, pneumothorax or consolidation.": the mirror of ``affirm`` taking a finding out of
    such a list, so neither op is the one that leaves lists longer or shorter.
    """
    rate = ctx.phrases.list_rate(target) if ctx.phrases is not None else None
    if (
        not rate
        or sentence.section == "impression"
        or ctx.rng("list", analysis.report_id, target).random() >= rate
    ):
        return None
    if target in NORMALITY_SUBJECTS:
        return _normality_listed(analysis, sentence, target, ctx)
    mention = _merged(analysis, in_sentence)
    start, _, _ = sentence_body(analysis, sentence)
    core = _np_core(analysis, mention, start, keep_laterality=False)
    if not core or _LIST_BREAK.search(core):
        return None
    for host, mentions in _denial_hosts(analysis, sentence, target, ctx, most=4):
        body_start, body_end, _ = sentence_body(analysis, host)
        insert_at = np_start(analysis, mentions[0], body_start)
        if not _LIST_LEAD.search(_words(analysis.text[body_start:insert_at])):
            continue
        if _LIST_BREAK.search(analysis.text[body_start:body_end]):
            continue
        separator = ", " if len({ctx.observation_of(m.concept) for m in mentions}) > 1 else " or "
        text = analysis.text
        body = text[body_start:insert_at] + core + separator + text[insert_at:body_end]
        return [_delete_sentence_edit(analysis, sentence), _replace_sentence_edit(analysis, host, body)]
    return None


NORMALITY_SUBJECTS = {"Cardiomegaly": "heart size", "Enlarged Cardiomediastinum": "mediastinal contours"}
"""What a normality list names for a finding denied by being normal ("Heart size and X are normal")."""
_NORMAL_PREDICATE = re.compile(
    r"\s+(?P<verb>is|are|appears?|remains?)\s+(?:normal|within normal limits|unremarkable)\b", re.IGNORECASE
)
_PLURAL_OF = {singular: plural for plural, singular in _PLURAL_VERBS.items()} | {p: p for p in _PLURAL_VERBS}
"""A verb made plural (``_PLURAL_VERBS`` read backwards; a plural verb stays)."""


def _normality_listed(
    analysis: ReportAnalysis, sentence: Sentence, target: str, ctx: RewriteContext
) -> list[SentenceEdit] | None:
    """An enlarged heart or mediastinum denied inside the section's normality statement.

    "Mild cardiomegaly. Pulmonary vascularity is normal." -> "Heart size and pulmonary vascularity
    are normal.": the mirror of ``affirm`` taking the heart out of such a list.
    """
    text = analysis.text
    for host, mentions in _denial_hosts(analysis, sentence, target, ctx, most=1):
        body_start, body_end, _ = sentence_body(analysis, host)
        lead = text[body_start : mentions[0].start]
        predicate = _NORMAL_PREDICATE.match(text, mentions[0].end, body_end)
        if predicate is None or lead.strip().lower() not in ("", "the"):
            continue
        verb = predicate.group("verb")
        subject = f"{lead}{NORMALITY_SUBJECTS[target]} and {lower_first(mentions[0].text)}"
        plural = _case_like(verb, _PLURAL_OF[verb.lower()])
        body = (
            subject
            + text[mentions[0].end : predicate.start("verb")]
            + plural
            + text[predicate.end("verb") : body_end]
        )
        return [_delete_sentence_edit(analysis, sentence), _replace_sentence_edit(analysis, host, body)]
    return None


def propose_negate(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = target_mentions(analysis, target, ctx)
    change = [m for m in mentions if m.assertion is not Assertion.NEGATED and not m.historical]
    if not change:
        raise RewriteFailed("target not positive or hedged")
    edits: list[SentenceEdit] = []
    by_sentence = _by_sentence(change)
    summarised = _summary_restatements(analysis, by_sentence, target, ctx)
    denied_in: set[str | None] = set()  # sections whose denial is written: a finding is denied once
    for index, in_sentence in by_sentence.items():
        sentence = _sentence(analysis, index)
        others = _others(analysis, sentence, in_sentence)
        same_concept_negated = [m for m in others if ctx.observation_of(m.concept) == target]
        others = [m for m in others if ctx.observation_of(m.concept) != target]
        first = in_sentence[0]
        if index in summarised:
            edits.append(summarised[index])
            continue
        opening = _opens_section(analysis, sentence) if not others else False
        bank = _bank_statement(
            ctx, analysis, target, False, analysis.report_id, sentence.section, opening, mention=first
        )
        if bank is not None and sentence.section in denied_in:
            # a second statement of the finding in one section ("healing fracture of the 8th rib"): the
            # same corpus denial twice would read as a copy; the denial already written covers it
            edits.append(
                _replace_sentence_edit(
                    analysis, sentence, remove_from_sentence(analysis, sentence, in_sentence)
                )
                if others
                else _delete_sentence_edit(analysis, sentence)
            )
            continue
        if bank is not None:
            denied_in.add(sentence.section)
        listed = _listed_denial(analysis, sentence, in_sentence, target, ctx) if bank and not others else None
        if listed is not None:
            edits.extend(listed)
        elif bank is not None and not others:
            edits.append(_replace_sentence_edit(analysis, sentence, bank))
        elif not others and len(in_sentence) == 1 and not same_concept_negated:
            edit = _negate_copula(analysis, sentence, first)
            natural = _natural_negative(target, ctx, analysis.report_id)
            if edit is None and natural is not None:
                edit = _replace_sentence_edit(analysis, sentence, natural)
            edit = edit or _negate_np(analysis, sentence, first)
            if edit is None:
                start, _, _ = sentence_body(analysis, sentence)
                edit = _replace_sentence_edit(
                    analysis, sentence, "no " + _np_core(analysis, first, start, keep_laterality=False)
                )
            edits.append(edit)
        elif not others:
            start, _, _ = sentence_body(analysis, sentence)
            merged = _merged(analysis, in_sentence)
            if merged is not first:
                cores = [_np_core(analysis, merged, start, keep_laterality=False)]
            else:
                cores = _distinct(_np_core(analysis, m, start, keep_laterality=False) for m in in_sentence)
            edits.append(_replace_sentence_edit(analysis, sentence, "no " + _join_list(cores, "or")))
        else:
            start, _, _ = sentence_body(analysis, sentence)
            remaining = remove_from_sentence(analysis, sentence, in_sentence)
            edits.append(_replace_sentence_edit(analysis, sentence, remaining))
            statement = (
                bank
                or _natural_negative(target, ctx, analysis.report_id)
                or "no " + _np_core(analysis, first, start, keep_laterality=False)
            )
            edits.append(_append_sentence_edit(analysis, sentence, statement))
    return _finish(analysis, edits, change[0].concept)


# --------------------------------------------------------------------------- affirm


_ANATOMICAL = frozenset(
    {
        "pulmonary", "lung", "rib", "airspace", "air-space", "pleural", "interstitial", "alveolar", "lobar",
        "vascular", "cardiac", "mediastinal", "osseous", "basilar", "basal", "lobe", "upper", "lower", "middle",
        "apical", "perihilar", "hilar", "retrocardiac", "lingular", "clavicle", "clavicular", "vertebral",
    }
)  # fmt: skip
_SIDE_PLACES = {"Consolidation": "lower lobe", "Lung Opacity": "lower lobe", "Pneumonia": "lower lobe",
                "Atelectasis": "basilar", "Lung Lesion": "upper lobe", "Fracture": "rib"}  # fmt: skip


def _affirm_attributes(
    target: str, head: str, kept: Sequence[str], plural: bool, ctx: RewriteContext, key: str
) -> tuple[list[str], list[str]]:
    """(size words, side words) that make an affirmed finding specific and plausible."""
    size = [SIZED[target]] if target in SIZED else []
    words = {w.lower() for w in [*kept, *head.split()]}
    side: list[str] = []
    if target in LATERAL and not words & LATERALITY:
        side.append("bilateral" if plural else ctx.rng(key, target).choice(("left", "right")))
        place = _SIDE_PLACES.get(target)
        if (
            place
            and not words & set(place.split())
            and not words & {"lobe", "base", "basilar", "apex", "apical"}
        ):
            side.append(place)
    return size, side


def _positive_np(
    analysis: ReportAnalysis,
    mention: Mention,
    kept: Sequence[str],
    target: str,
    ctx: RewriteContext,
    key: str,
) -> tuple[str, bool, bool]:
    """(noun phrase, plural, countable) of the affirmed finding: size, descriptors, side, head."""
    head = _head_phrase(analysis, mention)
    last = head.split()[-1].lower() if head.split() else ""
    plural = is_plural(last)
    countable = last in COUNTABLE_HEADS or singular(last) in COUNTABLE_HEADS
    size, side = _affirm_attributes(target, head, kept, plural, ctx, key)
    quality = [w for w in kept if w.lower() not in _ANATOMICAL]
    anatomy = [w for w in kept if w.lower() in _ANATOMICAL]
    if len(head.split()) > 1 or anatomy:
        side = side[:1]
    return " ".join([*size, *quality, *side, *anatomy, head]), plural, countable


def _affirm_copula(
    analysis: ReportAnalysis, sentence: Sentence, mention: Mention, target: str
) -> SentenceEdit | None:
    """ "The heart is not enlarged." -> "The heart is mildly enlarged."; "Heart size is normal." likewise."""
    start, body_end, _ = sentence_body(analysis, sentence)
    tokens = tokenize(analysis.text, start, body_end)
    adverb = "mildly " if target in SIZED else ""
    frame = _copula_frame(tokens, mention)
    if frame is not None:
        position, negation, adj = frame
        if negation is None:
            return None
        copula = tokens[position]
        if copula.lower in ("does", "do"):
            verb = tokens[negation + 1].lower
            verb = THIRD_PERSON[verb] if copula.lower == "does" else verb
            head = analysis.text[start : copula.start] + f"{verb} "
        else:
            head = analysis.text[start : tokens[negation].start]
        return _replace_sentence_edit(
            analysis, sentence, head + adverb + analysis.text[tokens[adj].start : body_end]
        )
    if target not in ("Cardiomegaly", "Enlarged Cardiomediastinum"):
        return None
    after = analysis.text[mention.end : body_end]
    match = re.match(
        r"^(\s+(?:is|are|appears|remains)\s+)(normal(?: in size)?|within normal limits|unremarkable|not enlarged)\s*$",
        after,
        re.IGNORECASE,
    )
    if not match:
        return None
    verb = match.group(1)
    verb = " is " if verb.strip().lower() == "remains" else verb
    return _replace_sentence_edit(
        analysis, sentence, analysis.text[start : mention.end] + verb + "mildly enlarged"
    )


def _affirm_np(
    analysis: ReportAnalysis, sentence: Sentence, mention: Mention, target: str, ctx: RewriteContext, key: str
) -> SentenceEdit | None:
    """ "No pneumothorax." -> "Small right pneumothorax."; "There is no effusion." -> "There is a small left effusion."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, start)
    lead = _words(analysis.text[start:np_begin])
    suffix = analysis.text[mention.end : body_end]
    seen = _SEEN_SUFFIX_RE.match(suffix)
    if lead:
        match = _NEG_LEAD_RE.match(lead)
        if not match:
            return None
        pre = match.group("pre") or ""
    elif seen and seen.group("verb").lower() in COPULA_THEN_SEEN:
        pre = ""
        suffix = suffix[: seen.start("not")] + suffix[seen.end("not") :]
    else:
        return None
    if not _suffix_ok(analysis, mention, body_end) and not seen:
        return None
    if re.search(r"\b(no|not|without)\b", suffix, re.IGNORECASE):
        return None
    kept = [lower_first(word) for word in _kept_modifiers(analysis, np_begin, mention.start)]
    phrase, plural, countable = _positive_np(analysis, mention, kept, target, ctx, key)
    if phrase.split()[-1] != mention.text.split()[-1] and _head_phrase(analysis, mention) != lower_first(
        mention.text
    ):
        return None
    verb_follows = bool(re.match(r"^\s+(is|are|was|were)\b", suffix, re.IGNORECASE))
    if pre:
        pre = _agree(pre, plural)
        body = f"{pre} {with_article(phrase) if countable and not plural else phrase}"
    elif verb_follows and countable and not plural:
        body = with_article(phrase)
    else:
        body = phrase
    suffix = re.sub(
        r"^(\s+)(is|are)\b", lambda m: m.group(1) + ("are" if plural else "is"), suffix, flags=re.IGNORECASE
    )
    return _replace_sentence_edit(analysis, sentence, body + suffix)


def _affirmed_sentence(
    analysis: ReportAnalysis, mention: Mention, target: str, ctx: RewriteContext, key: str
) -> str:
    phrase, plural, countable = _positive_np(analysis, mention, [], target, ctx, key)
    if plural:
        return f"there are {phrase}"
    return f"there is {with_article(phrase) if countable else phrase}"


def propose_affirm(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = [m for m in target_mentions(analysis, target, ctx) if not m.historical]
    if not mentions or any(m.assertion is not Assertion.NEGATED for m in mentions):
        raise RewriteFailed("target not explicitly negated")
    key = analysis.report_id or analysis.text[:64]
    edits: list[SentenceEdit] = []
    stated_in: set[str | None] = set()  # sections whose affirmed statement is written
    # the first corpus statement: another section's restates it, never contradicts it
    written: str | None = None
    for index, in_sentence in _by_sentence(mentions).items():
        sentence = _sentence(analysis, index)
        others = [
            m for m in _others(analysis, sentence, in_sentence) if ctx.observation_of(m.concept) != target
        ]
        first = in_sentence[0]
        opening = _opens_section(analysis, sentence) if not others else False
        within = None if written is None else details(written)
        bank = _bank_statement(ctx, analysis, target, True, key, sentence.section, opening, within, first)
        if bank is None and written is not None:
            bank = _restatement(written)
        written = written or bank
        if bank is not None and sentence.section in stated_in:
            # a second denial in one section: the statement already written affirms it once
            remaining = remove_from_sentence(analysis, sentence, in_sentence) if others else ""
            edits.append(
                _replace_sentence_edit(analysis, sentence, remaining)
                if remaining.strip()
                else _delete_sentence_edit(analysis, sentence)
            )
            continue
        if bank is not None:
            stated_in.add(sentence.section)
            if others:
                remaining = remove_from_sentence(analysis, sentence, in_sentence)
                edits.append(_replace_sentence_edit(analysis, sentence, remaining))
                edits.append(_append_sentence_edit(analysis, sentence, bank))
            else:
                edits.append(_replace_sentence_edit(analysis, sentence, bank))
        elif not others and len(in_sentence) == 1:
            edit = _affirm_copula(analysis, sentence, first, target) or _affirm_np(
                analysis, sentence, first, target, ctx, key
            )
            edits.append(
                edit
                or _replace_sentence_edit(
                    analysis, sentence, _affirmed_sentence(analysis, first, target, ctx, key)
                )
            )
        elif not others:
            merged = _merged(analysis, in_sentence)
            edits.append(
                _replace_sentence_edit(
                    analysis, sentence, _affirmed_sentence(analysis, merged, target, ctx, key)
                )
            )
        else:
            remaining = remove_from_sentence(analysis, sentence, in_sentence)
            edits.append(_replace_sentence_edit(analysis, sentence, remaining))
            edits.append(
                _append_sentence_edit(
                    analysis, sentence, _affirmed_sentence(analysis, first, target, ctx, key)
                )
            )
    summary = _summarise_affirmed(analysis, mentions, edits[-1], target, ctx, key)
    plan = _finish(analysis, edits + ([summary] if summary else []), mentions[0].concept)
    plan.added_sentence = any(e.added for e in edits)  # location follows the statement, not its summary
    return plan


def _restatement(statement: str) -> str:
    """A statement as a summary restates it: "There is a small right effusion." -> "Small right effusion"."""
    body = re.sub(r"^there (is|are)\s+(an?\s+)?", "", statement.strip(" ."), flags=re.IGNORECASE)
    return capitalize_first(body) if body else body


def _summarise_affirmed(
    analysis: ReportAnalysis,
    mentions: Sequence[Mention],
    last: SentenceEdit,
    target: str,
    ctx: RewriteContext,
    key: str,
) -> SentenceEdit | None:
    """The impression names a finding the variant affirms in the findings, as a real report's would.

    Mirror of ``_summary_restatements``: a normal impression ("No acute cardiopulmonary process.")
    becomes the affirmed statement; an impression that lists other findings gains it at its end.
    With a phrase bank both happen as often as in the corpus's own reports that state the
    finding (an impression keeps saying "nothing acute" beside a chronic finding far more often
    than beside an effusion), and the statement is one the corpus writes in impressions.
    """
    impression = [s for s in analysis.sentences if s.section == "impression"]
    if not impression or any(_sentence(analysis, m.sentence_index).section == "impression" for m in mentions):
        return None
    statement = _restatement(last.after)
    if not statement or statement.count(".") or len(impression) > 4:
        return None
    with_mentions = {m.sentence_index for m in analysis.mentions}
    normal = (
        len(impression) == 1
        and impression[0].index not in with_mentions
        and NORMAL_SUMMARY.match(analysis.text[impression[0].start : impression[0].end])
    )
    if ctx.phrases is not None:
        if normal:
            alone = not any(
                m.assertion is Assertion.POSITIVE
                and not m.historical
                and ctx.observation_of(m.concept) != target
                for m in analysis.mentions
            )
            rate = ctx.phrases.keep_normal_rate(target, alone)
        else:
            rate = ctx.phrases.restate_rate(target)
        roll = ctx.rng("summary", key, target).random()
        if rate is not None and (roll < rate if normal else roll >= rate):
            return None
        # the impression restates the findings' statement: never another side, place, size or measure
        within = details(last.after)
        statement = (
            _bank_statement(ctx, analysis, target, True, key, "impression", None, within, mentions[0])
            or statement
        )
    if normal:
        return _replace_sentence_edit(analysis, impression[0], statement)
    return _append_sentence_edit(analysis, impression[-1], statement)


# --------------------------------------------------------------------------- omit


def propose_omit(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = target_mentions(analysis, target, ctx)
    stated = [m for m in mentions if m.assertion is not Assertion.NEGATED and not m.historical]
    if not stated:
        raise RewriteFailed("target not positive or hedged")
    edits: list[SentenceEdit] = []
    deleted: set[int] = set()
    for index, in_sentence in _by_sentence(mentions).items():
        sentence = _sentence(analysis, index)
        others = [
            m for m in _others(analysis, sentence, in_sentence) if ctx.observation_of(m.concept) != target
        ]
        remaining = remove_from_sentence(analysis, sentence, in_sentence) if others else ""
        if remaining.strip():
            edits.append(_replace_sentence_edit(analysis, sentence, remaining))
        else:
            deleted.add(index)
            edits.append(_delete_sentence_edit(analysis, sentence))
    edits = _drop_emptied_sections(analysis, edits, deleted)
    return _finish(analysis, edits, stated[0].concept)


def _drop_emptied_sections(
    analysis: ReportAnalysis, edits: list[SentenceEdit], deleted: set[int]
) -> list[SentenceEdit]:
    """A section whose every sentence was removed loses its header too (no dangling "IMPRESSION:")."""
    result = list(edits)
    for section in analysis.sections:
        if not section.title:
            continue
        inside = [s for s in analysis.sentences if section.start <= s.start < section.end]
        if not inside or any(s.index not in deleted for s in inside):
            continue
        title_at = analysis.text.rfind(section.title, 0, section.start + 1)
        start = title_at if title_at >= 0 else section.start
        end = max(s.end for s in inside)
        while start > 0 and analysis.text[start - 1] in " \t\n":
            start -= 1
        if start == 0:
            while end < len(analysis.text) and analysis.text[end] in " \t\n":
                end += 1
        result = [e for e in result if not (section.start <= e.sentence.start < section.end)]
        result.append(SentenceEdit(inside[0], start, end, ""))
    return result


# --------------------------------------------------------------------------- attribute swaps


def _case_like(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    return word[:1].upper() + word[1:] if template[:1].isupper() else word


def _attribute_mentions(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, attribute: str
) -> list[Mention]:
    return [
        m
        for m in target_mentions(analysis, target, ctx)
        if m.assertion is Assertion.POSITIVE and not m.historical and getattr(m.attributes, attribute) is not None
        and getattr(m.attributes, f"{attribute}_span") is not None
    ]  # fmt: skip


def _check_attribute_use(analysis: ReportAnalysis, target: str, ctx: RewriteContext, attribute: str) -> None:
    """One value across the target's statements, and a word no other stated finding leans on."""
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
        if getattr(mention.attributes, f"{attribute}_span") in spans:
            raise RewriteFailed(f"the {attribute} word is shared with another finding")


BILATERAL_SHARE = 1 / 3
"""Share of one-sided findings whose laterality variant makes them bilateral (the rest swap sides)."""


def propose_laterality(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = _attribute_mentions(analysis, target, ctx, "laterality")
    if not mentions:
        raise RewriteFailed("target has no laterality")
    _check_attribute_use(analysis, target, ctx, "laterality")
    value = mentions[0].attributes.laterality
    if value not in ("left", "right", "bilateral"):
        raise RewriteFailed(f"laterality {value!r} cannot be swapped")
    if value != "bilateral" and ctx.rng(analysis.report_id, target, "bilateral").random() < BILATERAL_SHARE:
        bilateral = _bilateral_changes(analysis, [m for m in mentions if m.attributes.laterality == value])
        if bilateral is not None:  # otherwise no grammatical bilateral form: swap the side instead
            return Plan(bilateral, False, mentions[0].concept, {"from": value, "to": "bilateral"})
    new_value = {"left": "right", "right": "left"}.get(value) or ctx.rng(
        analysis.report_id, target, "side"
    ).choice(("left", "right"))
    changes: dict[tuple[int, int], Change] = {}
    for mention in mentions:
        if mention.attributes.laterality != value:
            continue
        start, end = mention.attributes.laterality_span  # type: ignore[misc]
        before = analysis.text[start:end]
        word = before.lower()
        if word in SWAP_LATERALITY and value != "bilateral":
            after = SWAP_LATERALITY[word]
        elif word == "bilateral":
            after = new_value
        elif word in ("bibasilar", "bibasal"):
            after = f"{new_value} basilar"
        elif word == "biapical":
            after = f"{new_value} apical"
        elif word == "bilaterally":
            after = f"on the {new_value}"
        else:
            raise RewriteFailed(f"laterality word {before!r} cannot be swapped")
        changes[(start, end)] = Change(start, end, before, _case_like(before, after), mention.sentence_index)
        if value == "bilateral":
            changes.update(_singularize(analysis, mention, set(changes)))
    return Plan(
        sorted(changes.values(), key=lambda c: c.start),
        False,
        mentions[0].concept,
        {"from": value, "to": new_value},
    )


_SIDE_PLACE = re.compile(
    r"(?P<seen>\s+(?:is|was|are|were)\s+(?:again\s+)?(?:seen|noted|present|identified|demonstrated|visualized))?"
    r"\s+(?:in|at|within|involving|along|of)\s+(?P<the>the)\s+(?P<side>left|right)\b",
    re.IGNORECASE,
)
_SIDE_ONLY = re.compile(r"\s+on\s+the\s+(?P<side>left|right)(?:\s+side)?\b", re.IGNORECASE)
_SENTENCE_LEAD_ADVERBS = frozenset({"again", "still", "now", "also", "likely", "probably", "possibly"})
_ONE_SIDED_WORDS = frozenset({"cm", "mm", "measuring", "measures", "measured", "segment", "segmental"})
_FOLLOWERS = frozenset(
    {
        "are", "were", "which", "that", "may", "could", "likely", "consistent", "concerning", "suspicious",
        "compatible", "suggesting", "suggestive", "representing", "in", "at", "on", "of", "for", "as",
        "within", "along", "involving", "is", "was", "has", "remains", "persists", "appears", "seems",
        "seen", "noted", "identified", "present", "again", "also", "with", "without", "and", "or", "but",
        "have", "not", "now", "still", "from",
    }
)  # fmt: skip
"""Words that may follow a finding's noun phrase without extending it."""
_PLURAL_VERB_LEADS = frozenset({"there", "seen", "noted", "identified", "demonstrated", "redemonstrated"})
_CLAUSE_BREAKS = frozenset({",", ";", ":", "and", "but", "with", "without", "or"})


def _bilateral_changes(analysis: ReportAnalysis, mentions: Sequence[Mention]) -> list[Change] | None:
    """Edits making every one-sided statement bilateral, or None when one has no grammatical form."""
    changes: list[Change] = []
    for mention in mentions:
        edits = _make_bilateral(analysis, mention)
        if edits is None:
            return None
        changes.extend(edits)
    changes.sort(key=lambda c: (c.start, c.end))
    if any(right.start < left.end for left, right in zip(changes, changes[1:], strict=False)):
        return None
    return changes


def _make_bilateral(analysis: ReportAnalysis, mention: Mention) -> list[Change] | None:
    """ "There is a small left pleural effusion" -> "There are small bilateral pleural effusions";
    "consolidation in the left lower lobe" -> "consolidation in both lower lobes"; "effusion on the
    left" -> "bilateral effusions". Articles go, countable heads turn plural, verbs agree."""
    text = analysis.text
    sentence = _sentence(analysis, mention.sentence_index)
    s_start, body_end, _ = sentence_body(analysis, sentence)
    side_start, side_end = mention.attributes.laterality_span  # type: ignore[misc]
    begin = np_start(analysis, mention, s_start)
    head = re.search(r"([A-Za-z]+)$", mention.text)
    if head is None:
        return None
    head_start = mention.start + head.start()
    head_word = head.group(1)
    head_lower = singular(head_word).lower()
    if head_lower in BILATERAL_PLURAL_HEADS:
        pluralize = not is_plural(head_word)
    elif head_lower in BILATERAL_MASS_HEADS:
        pluralize = False
    else:
        return None
    np_tokens = tokenize(text, begin, mention.end)
    edits: list[tuple[int, int, str]] = []  # inside the noun phrase
    suffix_changes: list[Change] = []
    after_np = mention.end  # where the text following the noun phrase (and its place) starts
    side_word = text[side_start:side_end].lower()
    if begin <= side_start and side_end <= mention.start:
        if side_word not in SWAP_LATERALITY:
            return None
        following = tokenize(text, side_end, mention.end)
        if following and following[0].lower in ("middle", "-"):
            return None  # "right middle lobe": only one side has it
        edits.append((side_start, side_end, "bilateral"))
    elif side_start >= mention.end:
        place = _SIDE_PLACE.match(text, mention.end)
        only = _SIDE_ONLY.match(text, mention.end)
        if place is not None and place.start("side") == side_start:
            place_end = _both_places(analysis, place.end(), body_end)
            if place_end is None:
                return None
            words = text[place.end() : place_end].split()
            new_place = " ".join(["both", *words[:-1], plural(words[-1])])
            before = text[place.start("the") : place_end]
            suffix_changes.append(
                Change(place.start("the"), place_end, before, new_place, mention.sentence_index)
            )
            after_np = place_end
        elif only is not None and only.start("side") == side_start:
            suffix_changes.append(Change(only.start(), only.end(), only.group(), "", mention.sentence_index))
            after_np = only.end()
            insert_at = next(
                (t.start for t in np_tokens if t.lower not in ARTICLES | SEVERITY | TEMPORAL_WORDS),
                mention.start,
            )
            edits.append((insert_at, insert_at, "bilateral "))
        else:
            return None
    else:
        return None
    if _one_sided_lead(tokenize(text, s_start, begin)) or _one_sided_context(
        np_tokens, tokenize(text, after_np, body_end)
    ):
        return None
    for token in np_tokens:
        if token.lower in ("a", "an"):
            gap = re.match(r"\s*", text[token.end : mention.end])
            edits.append((token.start, token.end + (gap.end() if gap else 0), ""))
    if pluralize:
        plural_head = plural(head_word)
        edits.append(
            (head_start, mention.end, lower_first(plural_head) if head_start == begin else plural_head)
        )
    changes = list(suffix_changes)
    if edits:
        np_change = _rewrite_region(text, begin, mention.end, edits, mention.sentence_index)
        if np_change is None:
            return None
        changes.append(np_change)
    if pluralize:
        verbs = _plural_agreement(analysis, mention, s_start, begin, after_np, body_end)
        if verbs is None:
            return None
        changes.extend(verbs)
    return changes


def _both_places(analysis: ReportAnalysis, start: int, body_end: int) -> int | None:
    """End of "lower lobe" / "lung base" after a side word, when the place exists on both sides."""
    end = None
    for token in tokenize(analysis.text, start, body_end):
        word = token.lower
        if word in PLACE_MODIFIERS or word in BILATERAL_PLACES:
            end = token.end if word in BILATERAL_PLACES else None
            continue
        if end is None or word[:1].isalnum() and word not in _FOLLOWERS | _CLAUSE_BREAKS:
            return None
        return end
    return end


def _one_sided_lead(lead: Sequence) -> bool:
    """Words before the noun phrase that tie it to one thing: "a 2.5 cm vague | nodular density",
    "an 8mm | nodule", "superior segment | right lower lobe pneumonia"."""
    for token in reversed(lead):
        word = token.lower
        if word in _CLAUSE_BREAKS or word in PLURAL_VERBS or word in _PLURAL_VERB_LEADS or word in _FOLLOWERS:
            return False
        if word in ("a", "an", "one", "single") or word in _ONE_SIDED_WORDS or any(c.isdigit() for c in word):
            return True
    return False


def _one_sided_context(np_tokens: Sequence, rest: Sequence) -> bool:
    """The statement only reads right about one side: a measured lesion, a lobe segment, a side named
    again later ("measuring 3 cm in the right apex"), or a noun after the finding ("effusion collection")."""
    words = [t.lower for t in (*np_tokens, *rest)]
    if any(w in _ONE_SIDED_WORDS or any(ch.isdigit() for ch in w) for w in words):
        return True
    clause = list(itertools.takewhile(lambda w: w not in _CLAUSE_BREAKS, words[len(np_tokens) :]))
    if "left" in clause or "right" in clause:
        return True
    follower = rest[0].lower if rest else "."
    return follower[:1].isalnum() and follower not in _FOLLOWERS


def _rewrite_region(
    text: str, start: int, end: int, edits: Sequence[tuple[int, int, str]], sentence_index: int
) -> Change | None:
    """Apply in-region edits to ``text[start:end]``, keeping a capital at the front where there was one."""
    original = text[start:end]
    capital = original[:1].isupper()
    working = lower_first(original) if capital else original
    pieces, cursor = [], start
    for edit_start, edit_end, replacement in sorted(edits):
        if edit_start < cursor:
            return None
        pieces += [working[cursor - start : edit_start - start], replacement]
        cursor = edit_end
    pieces.append(working[cursor - start :])
    new = "".join(pieces)
    if capital:
        new = capitalize_first(new)
    return minimal_change(text, start, end, new, sentence_index)


def _plural_agreement(
    analysis: ReportAnalysis, mention: Mention, s_start: int, begin: int, after_np: int, body_end: int
) -> list[Change] | None:
    """Verbs made plural around a finding that became plural: "There is" before it, "is" right after it.
    None when some other singular verb in its clause may refer to it ("..., which is small")."""
    text = analysis.text
    changes = []
    lead = tokenize(text, s_start, begin)
    position = len(lead) - 1
    while position >= 0 and lead[position].lower in _SENTENCE_LEAD_ADVERBS:
        position -= 1
    verb_at = None
    if position >= 2 and lead[position].lower == "be" and lead[position - 1].lower == "to":
        verb_at = position - 2 if lead[position - 2].lower in ("appears", "seems") else None
    elif position >= 1 and lead[position].lower == "been":
        verb_at = position - 1 if lead[position - 1].lower == "has" else None
    elif position >= 0 and lead[position].lower in PLURAL_VERBS:
        verb_at = position
    if verb_at is not None:
        if verb_at == 0 or lead[verb_at - 1].lower not in _PLURAL_VERB_LEADS:
            return None  # "X is a left effusion": the verb agrees with something else
        verb = lead[verb_at]
        changes.append(
            Change(
                verb.start,
                verb.end,
                verb.text,
                _case_like(verb.text, PLURAL_VERBS[verb.lower]),
                mention.sentence_index,
            )
        )
    seen = re.match(r"\s+(is|was)\b", text[mention.end : after_np])
    rest = tokenize(text, mention.end if seen else after_np, body_end)
    for index, token in enumerate(rest):
        if token.lower in ("which", "that") and any(
            t.lower in PLURAL_VERBS for t in rest[index + 1 : index + 3]
        ):
            return None
    for index, token in enumerate(rest):
        word = token.lower
        if word in _CLAUSE_BREAKS:
            break
        if word in PLURAL_VERBS:
            if index:
                return None
            plural_verb = _case_like(token.text, PLURAL_VERBS[word])
            changes.append(Change(token.start, token.end, token.text, plural_verb, mention.sentence_index))
    return changes


def _singularize(analysis: ReportAnalysis, mention: Mention, taken: set) -> dict[tuple[int, int], Change]:
    """ "There are bilateral effusions" -> "There is a left effusion": number agreement after a swap to one side."""
    words = list(re.finditer(r"\S+", mention.text))
    if not words or not is_plural(words[-1].group()):
        return {}
    result: dict[tuple[int, int], Change] = {}
    head = words[-1]
    start, end = mention.start + head.start(), mention.start + head.end()
    result[(start, end)] = Change(start, end, head.group(), singular(head.group()), mention.sentence_index)
    sentence = _sentence(analysis, mention.sentence_index)
    s_start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, s_start)
    lead_tokens = tokenize(analysis.text, s_start, np_begin)
    if lead_tokens and lead_tokens[-1].lower == "are":
        verb = lead_tokens[-1]
        countable = singular(head.group()).lower() in COUNTABLE_HEADS
        result[(verb.start, verb.end)] = Change(
            verb.start, verb.end, verb.text, "is a" if countable else "is", mention.sentence_index
        )
    suffix_tokens = tokenize(analysis.text, mention.end, body_end)
    if suffix_tokens and suffix_tokens[0].lower == "are":
        verb = suffix_tokens[0]
        result[(verb.start, verb.end)] = Change(verb.start, verb.end, verb.text, "is", mention.sentence_index)
    return {key: value for key, value in result.items() if key not in taken}


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
        raise RewriteFailed(f"severity {before!r} is part of a range")
    if (preceding and preceding.group(1).lower() in _COMPARATIVES) or following in _CHANGE_WORDS:
        # "more marked on the right", "mildly increased opacity": it grades a comparison, not the finding
        raise RewriteFailed(f"severity {before!r} grades a comparison")
    grades = MIDDLE_GRADES.get(before.lower())
    if grades is None:
        swapped = SWAP_SEVERITY.get(before.lower())
        if swapped is None:
            raise RewriteFailed(f"severity {before!r} has no clear opposite")
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
        raise RewriteFailed(f"severity {before!r} {following} has no clear opposite")
    return pair[0 if lower else 1]


def propose_severity(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = _attribute_mentions(analysis, target, ctx, "severity")
    if not mentions:
        raise RewriteFailed("target has no severity")
    _check_attribute_use(analysis, target, ctx, "severity")
    value = mentions[0].attributes.severity
    lower = ctx.rng(analysis.report_id, target, "severity").random() < LOWER_GRADE_SHARE
    changes: dict[tuple[int, int], Change] = {}
    new_values: set[str] = set()
    for mention in mentions:
        if mention.attributes.severity != value:
            continue
        start, end = mention.attributes.severity_span  # type: ignore[misc]
        before = analysis.text[start:end]
        sentence = _sentence(analysis, mention.sentence_index)
        if _MEASURED.search(analysis.text, sentence.start, sentence.end):
            raise RewriteFailed("the finding's size is measured (a new grade would contradict it)")
        swapped = _severity_opposite(analysis, mention, lower)
        new_values.add(_SEVERITY_NORMAL.get(swapped, swapped))
        change_start, after = start, _case_like(before, swapped)
        article = re.search(r"\b(an?)\s+$", analysis.text[max(0, start - 4) : start], re.IGNORECASE)
        if article:
            change_start = start - (len(analysis.text[max(0, start - 4) : start]) - article.start())
            wanted = "an" if after[:1].lower() in "aeio" else "a"
            after = f"{_case_like(article.group(1), wanted)} {after}"
            before = analysis.text[change_start:end]
        changes[(change_start, end)] = Change(change_start, end, before, after, mention.sentence_index)
    if len(new_values) > 1:  # "moderate effusion ... moderately enlarged": one value must come out
        raise RewriteFailed(f"severity {value!r} would become {' and '.join(sorted(new_values))}")
    return Plan(
        sorted(changes.values(), key=lambda c: c.start),
        False,
        mentions[0].concept,
        {"from": str(value), "to": new_values.pop()},
    )


_SEVERITY_NORMAL = {"mildly": "mild", "severely": "severe", "minimally": "minimal", "markedly": "marked"}

PROPOSERS = {
    "negate": propose_negate,
    "affirm": propose_affirm,
    "omit": propose_omit,
    "laterality": propose_laterality,
    "severity": propose_severity,
}
