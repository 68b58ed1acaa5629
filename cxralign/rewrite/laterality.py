"""laterality: left <-> right, one side -> bilateral (a seeded share), bilateral -> one side."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.edits import (
    Plan,
    RewriteFailed,
    attribute_mentions,
    case_like,
    check_attribute_use,
    sentence_at,
)
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import RELATED_FINDINGS, ZONES
from cxralign.rewrite.sides import PLACE_SIDE_TARGETS, clear_sides, place_sides, refuse_scope, sign_sides
from cxralign.rewrite.spans import (
    capitalize_first,
    is_plural,
    lower_first,
    minimal_change,
    np_start,
    plural,
    sentence_body,
    singular,
    tokenize,
)
from cxralign.rewrite.words import (
    ARTICLES,
    BILATERAL_MASS_HEADS,
    BILATERAL_PLACES,
    BILATERAL_PLURAL_HEADS,
    COUNTABLE_HEADS,
    PLACE_MODIFIERS,
    PLURAL_VERBS,
    SEVERITY,
    SWAP_LATERALITY,
)
from cxralign.rewrite.words import TEMPORAL as TEMPORAL_WORDS

_PLURAL_PLACE = re.compile(
    r"\s+(?:(?:upper|middle|lower|mid)\s+)?(?P<places>lobes|bases|apices|lungs)\b", re.IGNORECASE
)
_SINGULAR_PLACES = {"lobes": "lobe", "bases": "base", "apices": "apex", "lungs": "lung"}
_PLURAL_QUANTIFIERS = frozenset(
    {"multiple", "several", "numerous", "few", "many", "scattered", "innumerable"}
)
BILATERAL_SHARE = 1 / 3
"""Share of one-sided findings whose laterality variant makes them bilateral (the rest swap sides)."""


def propose_laterality(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    mentions = attribute_mentions(analysis, target, ctx, "laterality")
    if not mentions:
        raise RewriteFailed("target has no laterality")
    value = mentions[0].attributes.laterality
    one_sided = value in ("left", "right")
    related = RELATED_FINDINGS.get(target, frozenset()) if one_sided else frozenset()
    check_attribute_use(analysis, target, ctx, "laterality", shared_with=related)
    if value not in ("left", "right", "bilateral"):
        raise RewriteFailed(f"laterality {value!r} cannot be swapped")
    refuse_scope(analysis, mentions, target, ctx)
    moved = _companions(analysis, target, ctx, mentions, value) if one_sided else []
    signs = sign_sides(analysis, target, ctx, mentions, value)
    clear = clear_sides(analysis, target, ctx, value) if one_sided else []
    if (
        value != "bilateral"
        and not moved  # a finding read two ways moves side together; no bilateral form of both
        and not signs  # nor a sign that names the side ("blunting of the left costophrenic angle")
        and not clear  # nor the other lung declared clear ("Clear left lung")
        and ctx.rng(analysis.report_id, target, "bilateral").random() < BILATERAL_SHARE
    ):
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
        changes[(start, end)] = Change(start, end, before, case_like(before, after), mention.sentence_index)
        if value == "bilateral":
            changes.update(_singularize(analysis, mention, set(changes)))
            place = _PLURAL_PLACE.match(analysis.text, end)
            if place is not None:  # "bilateral lower lobes" -> "left lower lobe": one side has one
                at = place.start("places")
                singular_place = _SINGULAR_PLACES[place.group("places").lower()]
                changes[(at, place.end())] = Change(
                    at, place.end(), place.group("places"), singular_place, mention.sentence_index
                )
    detail = {"from": value, "to": new_value}
    changes.update({(c.start, c.end): c for c in [*signs, *clear]})
    if value != "bilateral" and target in PLACE_SIDE_TARGETS:
        changes.update({(c.start, c.end): c for c in place_sides(analysis, target, ctx, mentions, value)})
    for mention in moved:
        start, end = mention.attributes.laterality_span  # type: ignore[misc]
        before = analysis.text[start:end]
        after = case_like(before, SWAP_LATERALITY[before.lower()])
        changes[(start, end)] = Change(start, end, before, after, mention.sentence_index)
    if moved:
        detail["companions"] = "|".join(sorted({m.concept for m in moved}))
    return Plan(sorted(changes.values(), key=lambda c: c.start), False, mentions[0].concept, detail)


def _zones(analysis: ReportAnalysis, mention: Mention) -> set[str]:
    """The lung zones named around a mention and its side word ("right lower lobe", "left base")."""
    side_start, side_end = mention.attributes.laterality_span  # type: ignore[misc]
    sentence = sentence_at(analysis, mention.sentence_index)
    start = max(sentence.start, min(side_start, mention.start))
    end = min(sentence.end, max(side_end, mention.end) + 24)
    words = re.findall(r"[a-z]+", analysis.text[start:end].lower())
    return {ZONES[w] for w in words if w in ZONES}


def _companions(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, mentions: Sequence[Mention], side: str
) -> list[Mention]:
    """Related findings stated on the old side in a zone where the target is (one lesion read two
    ways: "right basilar opacity" in the findings, "right basilar atelectasis" in the impression): they
    move side with it. Any such finding in another zone, or with a side word it shares, is not moved
    (the verifier then refuses the item)."""
    related = RELATED_FINDINGS.get(target, frozenset())
    zones = set().union(*(_zones(analysis, m) for m in mentions))
    target_spans = {m.attributes.laterality_span for m in mentions}
    new_side = SWAP_LATERALITY[side]
    if any(  # the zone already holds a related finding on the new side: two lesions, not one read twice
        ctx.observation_of(m.concept) in related | {target}
        and m.assertion is not Assertion.NEGATED
        and m.attributes.laterality in (new_side, "bilateral")
        and m.attributes.laterality_span is not None
        and _zones(analysis, m) & zones
        for m in analysis.mentions
    ):
        return []
    candidates = [
        m
        for m in analysis.mentions
        if ctx.observation_of(m.concept) in related
        and m.assertion is not Assertion.NEGATED
        and not m.historical
        and m.attributes.laterality == side
        and m.attributes.laterality_span is not None
    ]
    spans: dict[tuple[int, int], list[Mention]] = {}
    for mention in analysis.mentions:
        if mention.attributes.laterality_span is not None:
            spans.setdefault(mention.attributes.laterality_span, []).append(mention)
    moved = []
    for mention in candidates:
        span = mention.attributes.laterality_span
        word = analysis.text[span[0] : span[1]].lower()
        sharing = [m for m in spans[span] if m.assertion is not Assertion.NEGATED]
        if (
            word in SWAP_LATERALITY
            and (span in target_spans or _zones(analysis, mention) & zones)  # one side word: one lesion
            and all(m in candidates or m in mentions for m in sharing)
        ):
            moved.append(mention)
    return moved


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
    sentence = sentence_at(analysis, mention.sentence_index)
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
                case_like(verb.text, PLURAL_VERBS[verb.lower]),
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
            plural_verb = case_like(token.text, PLURAL_VERBS[word])
            changes.append(Change(token.start, token.end, token.text, plural_verb, mention.sentence_index))
    return changes


def _singularize(analysis: ReportAnalysis, mention: Mention, taken: set) -> dict[tuple[int, int], Change]:
    """ "There are bilateral effusions" -> "There is a left effusion": number agreement after a swap to one side."""
    words = list(re.finditer(r"\S+", mention.text))
    if not words or not is_plural(words[-1].group()):
        return {}
    s_start = sentence_body(analysis, sentence_at(analysis, mention.sentence_index))[0]
    lead = analysis.text[np_start(analysis, mention, s_start) : mention.start].lower().split()
    if set(lead) & _PLURAL_QUANTIFIERS:  # "multiple bilateral masses" -> "multiple left masses"
        return {}
    result: dict[tuple[int, int], Change] = {}
    head = words[-1]
    start, end = mention.start + head.start(), mention.start + head.end()
    result[(start, end)] = Change(start, end, head.group(), singular(head.group()), mention.sentence_index)
    sentence = sentence_at(analysis, mention.sentence_index)
    s_start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, s_start)
    side = mention.attributes.laterality_span
    if side is not None and s_start <= side[0] < np_begin:  # "There are bilateral | breast prostheses"
        np_begin = side[0]
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
