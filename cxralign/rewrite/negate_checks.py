"""The verifier's negate-only reading (issue 14, fourth review): a denial that names another site or only
a borderline grade, another reading of the denied finding left at its place, a device part or an
"otherwise" left pointing at nothing, and a denial that covers only one kind of what was stated.

Each check reads a table of ``cxralign.rewrite.rules``; ``negate`` uses the same tables to avoid
proposing what these refuse (bank denials of another site or a borderline grade, "otherwise" dropped).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.form import sentence_text, shifted, target_statements
from cxralign.rewrite.negate_rules import (
    BORDERLINE_DENIAL,
    CHRONIC_LUNG_DISEASE,
    DENIAL_OTHER_SITE,
    DENIAL_SITES,
    DEVICE_LEFT_UNDENIED,
    DEVICE_PARAPHRASE,
    DEVICE_PARAPHRASE_LEFT,
    DEVICE_PARTS,
    DIFFUSE_STATED,
    DOUBLED_LINK,
    FIXED_FRACTURE,
    FIXED_FRACTURE_STATED,
    FOCAL_DENIAL,
    FOCAL_FOR_DIFFUSE,
    KEPT_READING,
    KEPT_READINGS,
    LIST_BROKEN,
    LIST_NUMBER,
    LUNG_OBSERVATIONS,
    MORE_OF,
    MORE_OF_LEFT,
    NOT_A_DEVICE,
    NOT_A_DEVICE_ONLY,
    OTHER_DEVICES,
    OTHER_STUDY,
    OTHER_STUDY_STATED,
    OTHERWISE_LEFT,
    OUTSIDE_CHEST,
    PLACE_LEFT,
    POSTSURGICAL,
    QUALIFIED_DENIAL_ONLY,
    QUALIFIED_ONLY,
    REMAINDER,
    RESOLVED_ONLY,
    SUBHEADING,
    SUBHEADING_LOST,
    ZONE_GROUPS,
)
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import (
    BORDERLINE,
    CAVEAT,
    CHANGE_ONLY,
    DENIAL_FAMILIES,
    DEPENDENT_OPENING,
    NOTHING_ACUTE,
    OTHER_SITES,
    RESOLVED,
    SIGNS,
)
from cxralign.rewrite.vocabulary import words

LUNG_WORD = re.compile(r"\blungs?\b", re.IGNORECASE)


def sites(text: str) -> set[str]:
    """The body sites a statement names ("left 7th rib" -> {"rib"})."""
    named = set(words(text))
    return {site for site, names in DENIAL_SITES.items() if named & names}


def stated(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> list[Mention]:
    """The target's current statements (not denied, not about a prior study)."""
    return [
        m
        for m in target_statements(analysis, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    ]


def stated_sites(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> set[str]:
    """The sites of every sentence that states the target: a denial may name these and no other."""
    found: set[str] = set()
    for mention in stated(analysis, target, ctx):
        found |= sites(sentence_text(analysis, mention.sentence_index))
    return found


def denial_ok(text: str, allowed_sites: set[str]) -> bool:
    """Whether a drawn denial names no other site, is not a borderline grade and makes no second
    statement after a comma ("Heart size within normal limits, stable mediastinal and hilar contours")."""
    return not (sites(text) - allowed_sites) and BORDERLINE.search(text) is None and "," not in text


def negate_failure(
    before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """Why a negate variant is refused by this module's rules (None: go on)."""
    allowed = stated_sites(before, target, ctx)
    for change in changes:
        other = sites(change.after) - sites(change.before) - allowed
        if other:
            return f"{DENIAL_OTHER_SITE} ({', '.join(sorted(other))})"
        if BORDERLINE.search(change.after) and not BORDERLINE.search(change.before):
            return BORDERLINE_DENIAL
    said = " ".join(sentence_text(before, m.sentence_index) for m in stated(before, target, ctx))
    for change in changes:
        qualifier = None if NOTHING_ACUTE.search(change.after) else QUALIFIED_ONLY.search(change.after)
        if qualifier and not re.search(rf"\b{qualifier.group(0)}\b", said + " " + change.before, re.IGNORECASE):
            return f"{QUALIFIED_DENIAL_ONLY} ({qualifier.group(0).lower()})"
    diffuse = any(DIFFUSE_STATED.search(sentence_text(before, m.sentence_index)) for m in stated(before, target, ctx))
    if diffuse and any(FOCAL_DENIAL.search(c.after) and not FOCAL_DENIAL.search(c.before) for c in changes):
        return FOCAL_FOR_DIFFUSE
    return (
        _mixed_kinds(before, after, target, ctx)
        or _kept_reading(before, after, target, ctx)
        or _device_part_left(before, changes, target, ctx)
        or otherwise_failure(before, after, changes, target, ctx)
        or _more_of_them(before, after, target, ctx)
        or _subheading_lost(changes)
        or _device_statement_left(before, after, changes, target, ctx)
        or _place_left(before, after, changes)
        or _list_broken(before, after)
        or _fragment_left(after, changes)
    )


def _list_broken(before: ReportAnalysis, after: ReportAnalysis) -> str | None:
    """ "IMPRESSION: 1. Prominent mediastinum. May be due to fat. 2. Clear lungs." -> "IMPRESSION: May be
    due to fat. 1. Clear lungs.": the list no longer opens with its number."""
    for section in before.sections:
        if not LIST_NUMBER.match(before.text[section.start : section.end].removeprefix(section.title)):
            continue
        for kept in after.sections:
            body = after.text[kept.start : kept.end].removeprefix(kept.title)
            numbered_later = re.search(r"(?:^|\s)\d{1,2}[.)]\s", body) is not None
            if kept.name == section.name and body.strip() and not LIST_NUMBER.match(body) and numbered_later:
                return LIST_BROKEN
    return None


def _device_statement_left(
    before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """A denied device taking another statement along, or still stated in words the lexicon lacks."""
    if target != "Support Devices":
        return None
    if any(POSTSURGICAL.search(c.before) and not POSTSURGICAL.search(c.after) for c in changes):
        return "another statement goes with the denied device"
    for name, pattern in SIGNS.get(target, ()):
        if name in OTHER_DEVICES and any(re.search(pattern, c.before, re.IGNORECASE) and not re.search(pattern, c.after, re.IGNORECASE) for c in changes):
            return "another statement goes with the denied device"
    denials = {m.sentence_index for m in target_statements(after, target, ctx) if m.assertion is Assertion.NEGATED}
    denied = {p.rstrip("s") for i in denials for w in words(sentence_text(after, i)) for p in re.split(r"[/-]", w)}
    for mention in stated(before, target, ctx):
        named = words(mention.text)
        if named and not {w.rstrip("s") for w in re.split(r"[/-]", named[-1])} & denied:
            return f"{DEVICE_LEFT_UNDENIED} ({named[-1]})"
    if DEVICE_PARAPHRASE.search(after.text):
        return DEVICE_PARAPHRASE_LEFT
    return None


def _place_left(before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change]) -> str | None:
    """ "Opacity involving the right middle lobe and lingula compatible with ..." -> "Lingula compatible
    with ...": an edited sentence left opening with a place word it did not open with."""
    edited = {c.sentence_index for c in changes if c.before and c.after}
    for index in edited:
        opening = words(sentence_text(before, index))[:1]
        for sentence in after.sentences:
            if not (sentence.start <= _shifted_start(changes, index, before) < sentence.end):
                continue
            first = words(after.text[sentence.start : sentence.end])[:2]
            if (
                len(first) == 2
                and first[:1] != opening
                and first[0] in ZONE_GROUPS
                and first[1] in DEPENDENT_OPENING | {"is", "are", "with", "which"}
            ):
                return PLACE_LEFT
            if first[:1] != opening and first[:1] in (["without"], ["with"]):
                return "a fragment is left (opening with a preposition)"

    return None


def _fragment_left(after: ReportAnalysis, changes: Sequence[Change]) -> str | None:
    """ "Stable cardiomegaly with without overt edema.", "Stable.": an edited sentence left with two link
    words side by side or only a change word."""
    for start, end, change in shifted(changes):
        if change.before.strip() and CHANGE_ONLY.match(change.after.strip()):
            return "a fragment is left (a lone link or change word)"
        for sentence in after.sentences:
            if sentence.start <= max(start, end - 1) and min(start, end) <= sentence.end:
                text = after.text[sentence.start : sentence.end]
                if DOUBLED_LINK.search(text) or CHANGE_ONLY.match(text.strip()):
                    return "a fragment is left (a lone link or change word)"
    return None


def _shifted_start(changes: Sequence[Change], index: int, before: ReportAnalysis) -> int:
    """Where sentence ``index`` of the original starts in the variant."""
    start = next(s.start for s in before.sentences if s.index == index)
    start += len(before.text[start:]) - len(before.text[start:].lstrip())
    return start + sum(len(c.after) - (c.end - c.start) for c in changes if c.end <= start)


def _more_of_them(
    before: ReportAnalysis, after: ReportAnalysis, target: str, ctx: RewriteContext
) -> str | None:
    """ "No fracture. ... no additional acute fractures are seen.": more of a finding the report now denies."""
    heads = {words(m.text)[-1].rstrip("s") for m in stated(before, target, ctx) if words(m.text)}
    for head in sorted(heads):
        if len(head) > 2 and re.search(
            rf"{MORE_OF.pattern}\s+(?:\w+\s+){{0,2}}{re.escape(head)}", after.text, MORE_OF.flags
        ):
            return MORE_OF_LEFT
    return None


def _subheading_lost(changes: Sequence[Change]) -> str | None:
    """ "Left shoulder: There is a clavicle fracture." -> "No fracture.": the sub-heading goes with the edit."""
    for change in changes:
        if SUBHEADING.search(change.before) and not SUBHEADING.search(change.after):
            return SUBHEADING_LOST
    return None


def _mixed_kinds(
    before: ReportAnalysis, after: ReportAnalysis, target: str, ctx: RewriteContext
) -> str | None:
    """A denial of one kind where the report stated another too ("interstitial prominence" denied as
    "No focal airspace disease" because a caveat named an infiltrate)."""
    families = DENIAL_FAMILIES.get(target)
    if not families:
        return None
    asserted = [
        m
        for m in stated(before, target, ctx)
        if not (m.assertion is Assertion.UNCERTAIN and CAVEAT.search(sentence_text(before, m.sentence_index)))
    ]
    original = {name for name, members in families for m in asserted if set(words(m.text)) & members}
    already = Counter(
        m.text.lower() for m in target_statements(before, target, ctx) if m.assertion is Assertion.NEGATED
    )
    new_denials = (
        Counter(
            m.text.lower() for m in target_statements(after, target, ctx) if m.assertion is Assertion.NEGATED
        )
        - already
    )
    denial = {name for name, members in families for text in new_denials if set(words(text)) & members}
    if original and denial and original - denial:
        missing = ", ".join(sorted(original - denial))
        return f"the denial names another kind of finding ({', '.join(sorted(denial))} for {missing})"
    return None


def _zones(mention: Mention) -> set[str]:
    named = set(words(" ".join(mention.attributes.location))) | set(words(mention.text))
    return {ZONE_GROUPS[w] for w in named if w in ZONE_GROUPS}


def same_place(a: Mention, b: Mention) -> bool:
    """Whether two statements may be of one lesion: no opposite sides, and shared zones where both name one."""
    sides = {a.attributes.laterality, b.attributes.laterality}
    if sides == {"left", "right"}:
        return False
    za, zb = _zones(a), _zones(b)
    return not (za and zb) or bool(za & zb)


def _kept_reading(
    before: ReportAnalysis, after: ReportAnalysis, target: str, ctx: RewriteContext
) -> str | None:
    if target == "Lung Opacity" and CHRONIC_LUNG_DISEASE.search(after.text):
        return f"{KEPT_READING} (chronic lung disease)"
    denied = stated(before, target, ctx)
    anywhere, same_sentence = KEPT_READINGS.get(target, (frozenset(), frozenset()))
    for concept in {m.concept for m in denied} & set(KEPT_READINGS):
        anywhere, same_sentence = anywhere | KEPT_READINGS[concept][0], same_sentence | KEPT_READINGS[concept][1]
    if not denied or not (anywhere or same_sentence):
        return None
    kept = [m for m in after.mentions if m.assertion is not Assertion.NEGATED and not m.implied]
    for mention in kept:
        observation = ctx.observation_of(mention.concept)
        if observation in anywhere and any(same_place(mention, t) for t in denied):
            return f"{KEPT_READING} ({observation})"
    sentences = _statements_of(before, {t.sentence_index for t in denied})
    kept_texts = {(m.concept, m.text.lower()) for m in kept}
    for mention in before.mentions:
        observation = ctx.observation_of(mention.concept)
        if (
            observation in same_sentence
            and mention.sentence_index in sentences
            and mention.assertion is not Assertion.NEGATED
            and (mention.concept, mention.text.lower()) in kept_texts
            and any(same_place(mention, t) for t in denied)
        ):
            return f"{KEPT_READING} ({observation})"
    return None


def _statements_of(analysis: ReportAnalysis, indices: set[int]) -> set[int]:
    """The sentences of the statements that hold ``indices``: a sentence ending in a semicolon and the
    one after it are one statement ("Streaky bibasilar opacities; the appearance suggests atelectasis.")."""
    order = sorted(analysis.sentences, key=lambda s: s.start)
    joined = set(indices)
    for previous, sentence in zip(order, order[1:], strict=False):
        if analysis.text[previous.start : previous.end].rstrip().endswith(";"):
            if sentence.index in joined:
                joined.add(previous.index)
            elif previous.index in joined:
                joined.add(sentence.index)
    return joined


def _device_part_left(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """ "No catheter. The tip is in the superior vena cava.": the part of a denied device stays."""
    if target != "Support Devices":
        return None
    statements = {m.sentence_index for m in stated(before, target, ctx)}
    order = sorted(before.sentences, key=lambda s: s.start)
    for previous, sentence in zip(order, order[1:], strict=False):
        if previous.index not in statements or sentence.section != previous.section:
            continue
        if any(c.start < sentence.end and sentence.start < c.end for c in changes):
            continue
        text = before.text[sentence.start : sentence.end].strip().lower()
        if any(re.match(rf"{re.escape(part)}\b", text) for part in DEVICE_PARTS):
            return "a device part is left after the device is denied"
    return None


def positive_left(
    analysis: ReportAnalysis, section: str | None, target: str, ctx: RewriteContext, lungs: bool = False
) -> bool:
    """Whether a section states a finding other than the target (what an "otherwise" contrasts with);
    ``lungs``: a finding of the lungs or pleura ("The lungs are otherwise clear")."""
    return any(
        m.section == section
        and (not lungs or ctx.observation_of(m.concept) in LUNG_OBSERVATIONS)
        and m.assertion is not Assertion.NEGATED
        and not m.implied
        and ctx.observation_of(m.concept) != target
        for m in analysis.mentions
    )


def otherwise_failure(
    before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """ "The lungs are otherwise clear." left in a section the denial emptied of findings."""
    sections = {m.section for m in stated(before, target, ctx)}
    for sentence in after.sentences:
        text = after.text[sentence.start : sentence.end].strip()
        lungs = LUNG_WORD.search(text) is not None
        if sentence.section not in sections or positive_left(after, sentence.section, target, ctx, lungs):
            continue
        if re.search(r"\botherwise\b", text, re.IGNORECASE) or REMAINDER.match(text):
            return OTHERWISE_LEFT
    return None


def negate_scope(
    analysis: ReportAnalysis, target: str, ctx: RewriteContext, stated: Sequence[Mention], current: Sequence[Mention]
) -> str | None:
    """Why negate refuses the item before any variant is made: the target stated only as an exam marker
    or as resolved, also as seen on another study, as a fixed fracture or one outside the chest."""
    def said(mention: Mention) -> str:
        return sentence_text(analysis, mention.sentence_index)

    if target == "Support Devices" and all(
        NOT_A_DEVICE.search(analysis.text[max(0, m.start - 40) : m.end]) for m in current
    ):
        return NOT_A_DEVICE_ONLY
    if any(OTHER_STUDY.search(said(m)) for m in stated):
        return OTHER_STUDY_STATED
    if target == "Fracture" and any(FIXED_FRACTURE.search(said(m)) for m in current):
        return FIXED_FRACTURE_STATED
    if target == "Fracture" and any(set(words(said(m))) & OTHER_SITES for m in current):
        return OUTSIDE_CHEST
    if all(RESOLVED.search(said(m)) for m in current):
        return RESOLVED_ONLY
    return None
