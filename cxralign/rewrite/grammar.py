"""Shared grammar: noun phrases, leads, copula frames, and taking one item out of a listed sentence."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.edits import (
    RewriteFailed,
    case_like,
)
from cxralign.rewrite.spans import (
    Segment,
    is_measure_word,
    is_plural,
    lower_first,
    np_start,
    sentence_body,
    split_segments,
    tokenize,
    with_article,
)
from cxralign.rewrite.words import (
    ACCEPTED_SUFFIX_WORDS,
    ADVERBS,
    COPULA_NEGATION,
    COPULA_THEN_SEEN,
    COUNTABLE_HEADS,
    DENIAL_EXTENT,
    DROP_ON_NEGATE,
    EXISTENTIAL,
    HEDGE_LEADS,
    LATERALITY,
    NEGATION_LEADS,
    PLACE_AND_DESCRIPTOR,
    PREDICATE_ADJECTIVES,
    THIRD_PERSON,
)

EXISTENTIAL_RE = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, EXISTENTIAL), key=len, reverse=True)) + r")$"
)
HEDGE_RE = re.compile(r"^(" + "|".join(sorted(map(re.escape, HEDGE_LEADS), key=len, reverse=True)) + r")$")
NEG_LEAD_RE = re.compile(
    r"^(?:(?P<pre>there (?:is|are|was|were|has been|have been))\s+)?(?P<neg>"
    + "|".join(sorted(map(re.escape, NEGATION_LEADS), key=len, reverse=True))
    + r")$"
)


DENIAL_DROPS = LATERALITY | PLACE_AND_DESCRIPTOR | DENIAL_EXTENT
"""Dropped from a negated noun phrase: "small left basilar atelectasis" -> "no atelectasis"."""


def words_of(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+(?:[-/][a-z0-9]+)*", text.lower()))


_ANATOMY_HEADS = frozenset(
    {"heart", "size", "silhouette", "mediastinum", "contour", "contours", "shadow", "lungs"}
)
_CONCEPT_NOUNS = {"enlarged_cardiomediastinum": "mediastinal widening"}


def head_phrase(analysis: ReportAnalysis, mention: Mention) -> str:
    """The finding as a noun ("cardiomegaly" for "the heart is enlarged")."""
    words = mention.text.split()
    if not words or words[-1].lower() in PREDICATE_ADJECTIVES | _ANATOMY_HEADS or len(words) > 4:
        return _CONCEPT_NOUNS.get(mention.concept, mention.concept.replace("_", " "))
    return (
        lower_first(mention.text)
        if mention.text[:1].isupper() and not mention.text.isupper()
        else mention.text
    )


def np_core(analysis: ReportAnalysis, mention: Mention, floor: int, keep_laterality: bool = True) -> str:
    """Noun phrase without articles, size and time words: what follows "no"."""
    head = head_phrase(analysis, mention)
    if head != mention.text and head != lower_first(mention.text):
        words: list[str] = []
    else:
        start = np_start(analysis, mention, floor)
        words = kept_modifiers(analysis, start, mention.start)
    if not keep_laterality:
        words = [w for w in words if w.lower() not in DENIAL_DROPS]
    laterality = mention.attributes.laterality
    span = mention.attributes.laterality_span
    has_side = any(w.lower() in LATERALITY for w in words) or any(
        w in LATERALITY for w in head.lower().split()
    )
    if keep_laterality and laterality in ("left", "right", "bilateral") and not has_side and span is not None:
        words.insert(0, laterality)
    return lower_first(" ".join([*words, head]).strip())


def join_list(items: Sequence[str], conjunction: str) -> str:
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]


def kept_modifiers(analysis: ReportAnalysis, start: int, end: int) -> list[str]:
    """Modifiers that still make sense after "no": side and place, not size, time or article."""
    return [
        t.text
        for t in tokenize(analysis.text, start, end)
        if t.lower not in DROP_ON_NEGATE and not is_measure_word(t.text)
    ]


def distinct(phrases: Iterable[str]) -> list[str]:
    """Phrases once each, less those inside another ("nodular" beside "nodular density")."""
    unique = list(dict.fromkeys(phrases))
    return [p for p in unique if not any(q != p and f" {p.lower()} " in f" {q.lower()} " for q in unique)]


def merged_mention(analysis: ReportAnalysis, mentions: Sequence[Mention]) -> Mention:
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


def lead_of(analysis: ReportAnalysis, segment: Segment, first_mention: Mention) -> tuple[int, str]:
    start = np_start(analysis, first_mention, segment.start)
    return start, analysis.text[segment.start : start]


def agree(lead: str, plural: bool) -> str:
    lead = re.sub(r"\b(is|are)\b", "are" if plural else "is", lead, count=1, flags=re.IGNORECASE)
    return re.sub(
        r"\b(has|have) been\b", "have been" if plural else "has been", lead, count=1, flags=re.IGNORECASE
    )


def segment_plural(analysis: ReportAnalysis, segment: Segment) -> bool:
    start = np_start(analysis, segment.mentions[0], segment.start)
    first = tokenize(analysis.text, start, segment.mentions[0].end)
    if first and first[0].lower in ("a", "an"):
        return False
    last = segment.mentions[0].text.split()[-1] if segment.mentions[0].text.split() else ""
    return is_plural(last)


_DIFFERENTIAL = re.compile(r"\b(or|versus|vs)\b|/", re.IGNORECASE)
_RELATION_END = re.compile(
    r"\b(compatible|consistent|suggestive|suggesting|concerning|representing|represents?|reflecting|reflects?|"
    r"likely|probably|possibly|may|could|due|secondary|related|from|of|which|that|than|correspond\w*|correlat\w*)\s*$",
    re.IGNORECASE,
)


_REDACTED_RELATION = re.compile(
    r"\s*XXXX\s+(?:a|an|the|represents?|reflects?|is|are|due|related|secondary|calcified|granulom\w*)\b",
    re.IGNORECASE,
)
"""A list item opening with the corpus's anonymisation token before a verb, an article or a reading
("nodule, XXXX a granuloma", "opacity and XXXX reflects granuloma"): the token hides a hedge
("likely"), so the item is a reading of the one before it (not "XXXX on the right", a grade)."""


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
            after_text = text[segments[max(index, other)].start : segments[max(index, other)].end]
            if (
                _DIFFERENTIAL.search(separator)
                or _RELATION_END.search(before)
                or (other > index and _REDACTED_RELATION.match(after_text))
            ):
                raise RewriteFailed("target is one reading of a differential or relation")
    if drop[0] and len(segments) > 1:
        _, lead = lead_of(analysis, segments[0], segments[0].mentions[0])
        words = words_of(lead)
        if words and not (
            EXISTENTIAL_RE.match(words)
            or NEG_LEAD_RE.match(words)
            or HEDGE_RE.match(words)
            or _lead_goes_with_target(analysis, segments, drop, lead)
        ):
            raise RewriteFailed(f"cannot carry the lead {lead.strip()!r} over to the next list item")


def _lead_goes_with_target(
    analysis: ReportAnalysis, segments: Sequence[Segment], drop: Sequence[bool], lead: str
) -> bool:
    """A lead of the target's own words ("Persistent 8mm pneumothorax with a small effusion") goes with
    it when the next item stands on its own after "with" (it never took the lead)."""
    from cxralign.rewrite.vocabulary import EDIT_VOCABULARY, NUMBER, REPORT_WORDS, words

    kept = next((i for i, dropped in enumerate(drop) if not dropped), None)
    if kept is None:
        return False
    _, own_lead = lead_of(analysis, segments[kept], segments[kept].mentions[0])
    introduced = words_of(segments[kept].separator + " " + own_lead).split()
    if not introduced or introduced[0] != "with":  # "nodule without calcification": the rest qualifies it
        return False
    own = EDIT_VOCABULARY | REPORT_WORDS
    return all(w in own or NUMBER.fullmatch(w) for w in words(lead))


def _refuse_shared_cues(
    analysis: ReportAnalysis, segments: Sequence[Segment], drop: Sequence[bool], removed: set
) -> None:
    """A kept finding whose cue ("... are within normal limits") sits in a dropped item would lose its meaning."""
    for index, dropped in enumerate(drop):
        if not dropped:
            continue
        segment = segments[index]
        lead_end, _ = lead_of(analysis, segment, segment.mentions[0])
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
            lead_start, own_lead = lead_of(analysis, segment, segment.mentions[0])
            own = words_of(own_lead)
            if index > 0:
                _, first_lead = lead_of(analysis, segments[0], segments[0].mentions[0])
                if own in ("without", "with"):
                    body = (
                        "no " + text[lead_start : segment.end]
                        if own == "without"
                        else text[lead_start : segment.end]
                    )
                elif not own and first_lead.strip():
                    plural = segment_plural(analysis, segment)
                    lead = agree(first_lead.strip(), plural)
                    np_text = text[lead_start : segment.end]
                    first_word = np_text.split()[0].lower() if np_text.split() else ""
                    head = segment.mentions[0].text.split()[-1].lower() if segment.mentions[0].text else ""
                    if (
                        EXISTENTIAL_RE.match(words_of(lead))
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
            _, dropped_lead = lead_of(analysis, segments[index - 1], segments[index - 1].mentions[0])
            _, own_lead = lead_of(analysis, segment, segment.mentions[0])
            if NEG_LEAD_RE.match(words_of(dropped_lead)) and not own_lead.strip():
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
    if len(kept) == 1 and joined_by_and and not segment_plural(analysis, last_kept):
        result = _singular_verb(result, last_kept.mentions[-1].text)
    return result


_PREDICATE = re.compile(
    r"\s+(?:is|are|was|were|appears?|appeared|remains?|seems?|has|have|shows?|seen|noted|present|identified|"
    r"visualized|demonstrated|evident)\b.*",
    re.IGNORECASE | re.DOTALL,
)
SINGULAR_OF_PLURAL = {"are": "is", "were": "was", "appear": "appears", "remain": "remains", "have": "has",
                 "seem": "seems", "show": "shows", "demonstrate": "demonstrates"}  # fmt: skip
_PLURAL_VERB = re.compile(r"\b(" + "|".join(SINGULAR_OF_PLURAL) + r")\b", re.IGNORECASE)


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
    singular = SINGULAR_OF_PLURAL[verb.group(1).lower()]
    return body[: verb.start()] + case_like(verb.group(1), singular) + body[verb.end() :]


def copula_frame(tokens: Sequence, mention: Mention) -> tuple[int, int | None, int] | None:
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


def suffix_ok(analysis: ReportAnalysis, mention: Mention, body_end: int) -> bool:
    """What follows the finding keeps its meaning under "no": a place ("at the left base") or "is seen"."""
    words = [t.lower for t in tokenize(analysis.text, mention.end, body_end)]
    if not words:
        return True
    if words[0] in ("is", "are", "was", "were"):
        rest = [w for w in words[1:3] if w != "again"]
        return bool(rest) and rest[0] in COPULA_THEN_SEEN
    return words[0] in ACCEPTED_SUFFIX_WORDS


_PREFIX_JOINT = re.compile(r"^(?P<kept>.*?\w)\s*,?\s*(?:\bwith\b|\band\b|,)\s*$", re.IGNORECASE | re.DOTALL)


def kept_prefix(analysis: ReportAnalysis, sentence: Sentence, mentions: Sequence[Mention]) -> str | None:
    """Another statement the lexicon does not read, joined before the target's ("Low lung volumes
    with bibasilar atelectasis"): its words, kept as a sentence of their own; None when there is none."""
    from cxralign.rewrite.vocabulary import EDIT_VOCABULARY, REPORT_WORDS

    start, _, _ = sentence_body(analysis, sentence)
    begin = np_start(analysis, min(mentions, key=lambda m: m.start), start)
    match = _PREFIX_JOINT.match(analysis.text[start:begin])
    if match is None or _RELATION_END.search(match.group("kept")):
        return None
    kept = match.group("kept")
    content = [w for w in words_of(kept).split() if w not in EDIT_VOCABULARY and w not in REPORT_WORDS]
    return kept if content else None
