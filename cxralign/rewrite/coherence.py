"""The verifier's clinical reading: signs and anaphors left behind, denials of another kind or with
details of their own, and the coherence rules of ``cxralign.rewrite.rules``; plus the items refused
before any variant is made (``scope_refusal``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cxralign.reports.records import Assertion, ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.form import (
    attribute_fragment,
    dependent_followers,
    lost_words,
    sentence_text,
    shifted,
    stated_signs,
    target_statements,
)
from cxralign.rewrite.negate_checks import negate_failure, negate_scope
from cxralign.rewrite.negate_rules import LIMITATION_MORE
from cxralign.rewrite.omit_rules import omit_failure
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import (
    ACUTE_DENIAL,
    ACUTE_FINDINGS,
    ANAPHORS,
    ANATOMY_SIDES,
    ASSOCIATED,
    ATTRIBUTED_AWAY,
    ATTRIBUTED_AWAY_ONLY,
    BORDERLINE,
    CARDIAC_CHAMBER,
    CAVEAT,
    CLEAR_LUNGS,
    CONTRADICTED_BY_DENIAL,
    COUNTED_ONE_SIDE,
    DENIAL_FAMILIES,
    DEPENDENT_STATEMENTS,
    DIRECTIONAL_SIGNS,
    GRADE_BOUNDS,
    GRADED_DENIAL,
    HEDGE_ONLY,
    HIGH_GRADES,
    INDICATION_QUESTION,
    INSERTED_ANAPHOR,
    LIMITATION,
    LOW_GRADE_WORDS,
    MEASURED,
    NORMAL_EXAM,
    NORMAL_STATEMENT,
    NOTHING_ACUTE,
    OLD_FINDING,
    OLD_LESION,
    OLD_ONLY,
    OLD_ONLY_TARGETS,
    OTHER_SITES,
    PARENCHYMAL,
    PRIOR_ONLY,
    QUALIFIED_DENIAL,
    REDACTED,
    RELATED_FINDINGS,
    RESOLVED,
    SEMICOLON_STATEMENT,
    SIDE_CLEAR,
    SIDE_COMPARISON,
    TARGET_GRADE_BOUNDS,
)
from cxralign.rewrite.statement_rules import KEPT_QUALIFIER
from cxralign.rewrite.vocabulary import (
    EDIT_VOCABULARY,
    NUMBER,
    REPORT_WORDS,
    TARGET_VOCABULARY,
    words,
)
from cxralign.rewrite.words import (
    LATERALITY,
    PLACE_MODIFIERS,
)


def scope_refusal(op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> str | None:
    """Why the item is refused before any variant is made (None: go on)."""
    if not analysis.sentences:
        return "report sections could not be parsed"
    if op == "affirm":
        return None
    stated = [m for m in target_statements(analysis, target, ctx) if m.assertion is not Assertion.NEGATED]
    current = [m for m in stated if not m.historical]
    if not stated:
        return None  # the proposer says why
    if not current or all(
        (m.assertion is Assertion.UNCERTAIN and CAVEAT.search(sentence_text(analysis, m.sentence_index)))
        or PRIOR_ONLY.search(sentence_text(analysis, m.sentence_index))
        or LIMITATION.search(sentence_text(analysis, m.sentence_index))
        or LIMITATION_MORE.search(sentence_text(analysis, m.sentence_index))
        for m in current
    ):
        return HEDGE_ONLY
    if all(ATTRIBUTED_AWAY.search(sentence_text(analysis, m.sentence_index)) for m in current):
        return ATTRIBUTED_AWAY_ONLY
    reason = negate_scope(analysis, target, ctx, stated, current) if op == "negate" else None
    if reason:
        return reason
    if op in ("negate", "omit") and any(
        sentence_text(analysis, m.sentence_index).rstrip().endswith(";") for m in current
    ):
        return SEMICOLON_STATEMENT
    if op in ("negate", "omit") and all(
        NORMAL_STATEMENT.search(sentence_text(analysis, m.sentence_index)) for m in current
    ):
        return "target stated only in a sentence that calls it normal"
    if op != "laterality" and all(
        BORDERLINE.search(sentence_text(analysis, m.sentence_index)) for m in current
    ):
        return "target stated only as borderline"
    sentences = {m.sentence_index for m in current}
    if op == "laterality":
        if any(SIDE_COMPARISON.search(sentence_text(analysis, i)) for i in sentences):
            return "both sides compared in one statement"
        for name, _start, end, index in stated_signs(analysis, target, ctx):
            if name not in DIRECTIONAL_SIGNS:
                continue
            beside = analysis.text[end : end + 24] if index in sentences else sentence_text(analysis, index)
            if re.search(r"\b(left|right)\b", beside, re.IGNORECASE):
                return f"a sign of the finding has a side ({name})"
    measured = sentences | {s.index for s in dependent_followers(analysis, sentences)}
    if op == "severity" and any(MEASURED.search(sentence_text(analysis, i)) for i in measured):
        return "the finding's size is measured (a new grade would contradict it)"
    if op == "severity" and (
        any(m.assertion is Assertion.NEGATED for m in target_statements(analysis, target, ctx))
        or any(BORDERLINE.search(sentence_text(analysis, m.sentence_index)) for m in stated)
    ):
        return "the report also calls the finding normal or borderline"
    return None


@dataclass(frozen=True)
class Candidate:
    """A variant under review: the op, the original and the re-analysed variant, the recorded edits."""

    op: str
    before: ReportAnalysis
    after: ReportAnalysis
    changes: Sequence[Change]
    target: str
    ctx: RewriteContext
    detail: dict[str, str] = field(default_factory=dict)


def content_failure(candidate: Candidate) -> str | None:
    """Other findings' words, inserted findings, signs and anaphors left, and the coherence rules."""
    op, before, after, changes = candidate.op, candidate.before, candidate.after, candidate.changes
    target, ctx, detail = candidate.target, candidate.ctx, candidate.detail
    lost = lost_words(before, changes, target, ctx, op)
    if lost:
        return f"words outside the target's statement removed ({', '.join(lost[:3])})"
    own_words = _own_words(after, target, ctx)
    for start, end, change in shifted(changes):
        if change.before == "" and any(
            start <= m.start < end and ctx.observation_of(m.concept) != target for m in after.mentions
        ):
            return "an inserted statement names another finding"
        if change.before == "" and INSERTED_ANAPHOR.search(change.after):
            return "an inserted statement points back at something"
        if op in ("affirm", "negate") and REDACTED.search(change.after) and not REDACTED.search(change.before):
            return "an inserted statement carries an anonymisation token"
        extra = sorted(
            w
            for w in set(words(change.after)) - own_words - REPORT_WORDS - set(words(before.text))
            if not NUMBER.fullmatch(w) and not set(w.split("/")) <= own_words
        )
        if (change.before == "" or op == "affirm") and extra:
            return f"an inserted statement carries words of its own ({', '.join(extra[:3])})"
    if op in ("negate", "omit"):
        reason = _left_behind(candidate)
        reason = reason or (omit_failure(before, after, changes, target, ctx) if op == "omit" else None)
        if reason:
            return reason
    if op == "negate":
        reason = _denial_kind(before, changes, target, ctx) or _denial_details(after, changes, target, ctx)
        if reason:
            return reason
        if target in OLD_ONLY_TARGETS and any(
            OLD_LESION.search(c.before) and QUALIFIED_DENIAL.search(c.after) for c in changes
        ):
            return OLD_ONLY
        reason = negate_failure(before, after, changes, target, ctx)
        if reason:
            return reason
    if op in ("negate", "omit"):
        reason = attribute_fragment(after, changes)
        if reason:
            return reason
    if op == "affirm":
        reason = _affirm_failure(before, after, changes, target, ctx)
        if reason:
            return reason
    if op == "laterality" and any(ANATOMY_SIDES.match(after.text, s) for s, _e, _c in shifted(changes)):
        return "the side swap moved the anatomy beside the finding"
    if op == "laterality":
        return _side_failure(after, target, ctx, detail or {}) or _side_contradiction(
            after, target, ctx, detail or {}
        )
    if op == "severity":
        return _grade_failure(after, target, ctx, detail or {})
    return None


def _affirm_failure(
    before: ReportAnalysis, after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """An affirmed statement the rest of the report or the denial it replaces does not allow."""
    reason = _affirm_incoherence(after, target, ctx) or _affirm_kind(before, changes, target, ctx)
    if reason:
        return reason
    if any(BORDERLINE.search(c.after) for c in changes):
        return "the affirmed finding is only borderline"
    if any(KEPT_QUALIFIER.search(c.before) and not KEPT_QUALIFIER.search(c.after) for c in changes if c.after):
        return "the affirmed finding drops the qualifier the report denies (displaced)"
    if any(RESOLVED.search(c.after) and not RESOLVED.search(c.before) for c in changes):
        return "the affirmed statement says the finding resolved"
    if _impression_says(before, changes, NORMAL_EXAM):
        return "the impression still calls the study normal"
    old = any(OLD_FINDING.search(c.after) for c in changes)
    if old and any(ACUTE_DENIAL.search(c.before) for c in changes if OLD_FINDING.search(c.after)):
        return "the affirmed finding is old where the report denies only an acute one"
    airspace = dict(DENIAL_FAMILIES.get("Lung Opacity", ())).get("airspace", frozenset())
    acute = target in ACUTE_FINDINGS or (  # an airspace opacity is acute; scarring is not
        target == "Lung Opacity" and any(set(words(c.after)) & airspace for c in changes)
    )
    if acute and not old and _impression_says(before, changes, NOTHING_ACUTE):
        return "the impression still says nothing acute"
    return None


def _impression_says(before: ReportAnalysis, changes: Sequence[Change], pattern: re.Pattern) -> bool:
    """Whether an impression sentence the edit left alone matches ``pattern`` ("No acute disease.")."""
    changed = {c.sentence_index for c in changes if c.before}
    return any(
        sentence.section == "impression"
        and sentence.index not in changed
        and pattern.search(before.text[sentence.start : sentence.end]) is not None
        for sentence in before.sentences
    )


def _own_words(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> set[str]:
    """Words a statement of the target may use: the shared edit vocabulary and the target's own."""
    own = set(EDIT_VOCABULARY) | TARGET_VOCABULARY.get(target, frozenset())
    for mention in target_statements(analysis, target, ctx):
        own.update(words(mention.text))
    return own


def _affirm_incoherence(after: ReportAnalysis, target: str, ctx: RewriteContext) -> str | None:
    """An affirmed finding beside a denial that rules it out, or under "the lungs are clear"."""
    ruled_out = CONTRADICTED_BY_DENIAL.get(target, frozenset())
    for mention in after.mentions:
        if mention.assertion is Assertion.NEGATED and ctx.observation_of(mention.concept) in ruled_out:
            return f"the report still denies {ctx.observation_of(mention.concept)}, which the finding implies"
    sides = {
        m.attributes.laterality
        for m in target_statements(after, target, ctx)
        if m.assertion is Assertion.POSITIVE and m.attributes.laterality in ("left", "right", "bilateral")
    }
    if len(sides) > 1:
        return f"the affirmed finding is stated on different sides ({', '.join(sorted(sides))})"
    grades = {
        m.attributes.severity
        for m in target_statements(after, target, ctx)
        if m.assertion is Assertion.POSITIVE and m.attributes.severity is not None
    }
    if len(grades) > 1:
        return f"the affirmed finding is graded differently ({', '.join(sorted(map(str, grades)))})"
    if target in PARENCHYMAL and CLEAR_LUNGS.search(after.text):
        return "the report still says the lungs are clear"
    return None


def _side_contradiction(
    after: ReportAnalysis, target: str, ctx: RewriteContext, detail: dict[str, str]
) -> str | None:
    """The new side denied or declared clear, or a related finding left on the old side."""
    old, new = detail.get("from"), detail.get("to")
    sides = ("left", "right", "bilateral") if new == "bilateral" else (new, "bilateral")
    for mention in target_statements(after, target, ctx):
        if mention.assertion is Assertion.NEGATED and mention.attributes.laterality in sides:
            return f"the report denies the finding on the {mention.attributes.laterality}"
    for side in ("left", "right") if new == "bilateral" else (new,):
        if re.search(SIDE_CLEAR.format(side=side), after.text, re.IGNORECASE):
            return f"the report says the {side} lung is clear"
    related = RELATED_FINDINGS.get(target, frozenset())
    for mention in after.mentions:
        if (
            mention.assertion is not Assertion.NEGATED
            and ctx.observation_of(mention.concept) in related
            and mention.attributes.laterality == old
        ):
            return f"a related finding stays on the {old}"
    return None


def _left_behind(candidate: Candidate) -> str | None:
    """A sign, an anaphor, a recommendation or an indication left about the denied or removed finding."""
    op, before, after, changes = candidate.op, candidate.before, candidate.after, candidate.changes
    target, ctx = candidate.target, candidate.ctx
    for name, *_ in stated_signs(after, target, ctx):
        return f"a sign of the finding stays ({name})"
    changed = {c.sentence_index for c in changes} | {
        s.index for s in before.sentences for c in changes if c.start <= s.start and s.end <= c.end
    }
    stated = {
        m.sentence_index
        for m in target_statements(before, target, ctx)
        if m.assertion is not Assertion.NEGATED and not m.historical
    }
    removed = {  # a sign sentence that went with the finding leaves its follower pointing at nothing too
        s.index for s in before.sentences for c in changes if c.start <= s.start and s.end <= c.end and not c.after
    }
    order = sorted(before.sentences, key=lambda s: s.start)
    for previous, sentence in zip(order, order[1:], strict=False):
        text = before.text[sentence.start : sentence.end].strip().lower()
        body = sentence.start + before.text[sentence.start : sentence.end].lower().find(text[:8])
        renumbered_only = all(c.end <= body or c.start >= sentence.end for c in changes)
        if previous.index not in stated | removed or (sentence.index in changed and not renumbered_only):
            continue
        if text.startswith("otherwise") and previous.index not in removed:
            continue  # "Low lung volumes. Otherwise, no acute disease.": the kept statement is what it contrasts with
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
        stated_words = {w for m in target_statements(before, target, ctx) for w in words(m.text)}
        stated_words |= {w for m in target_statements(before, target, ctx) for w in words(sentence_text(before, m.sentence_index))}
        heads = {words(m.text)[-1] for m in target_statements(before, target, ctx) if words(m.text)}
        outside = _outside(before.text, covered)
        for head in heads:
            for match in re.finditer(rf"\b{re.escape(head)}", outside, re.IGNORECASE):
                if INDICATION_QUESTION.search(outside[max(0, match.start() - 30) : match.start()]):
                    continue  # "rule out pneumothorax": the indication asks, it does not state
                qualifier = re.search(r"([a-z]+)\s+$", outside[max(0, match.start() - 20) : match.start()].lower())
                if qualifier and qualifier.group(1) in OTHER_SITES and qualifier.group(1) not in stated_words:
                    continue  # "pericardial effusion", "wrist fracture": another finding of that name
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


def _outside(text: str, covered: Sequence[tuple[int, int]]) -> str:
    pieces, cursor = [], 0
    for start, end in sorted(covered):
        pieces.append(text[cursor:start])
        cursor = max(cursor, end)
    pieces.append(text[cursor:])
    return " ".join(pieces)


def _affirm_kind(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """An affirmed statement of another kind than the denial it replaces ("no focal airspace
    opacities" -> "lingular scarring"): the original never denied it, so nothing is contradicted."""
    families = DENIAL_FAMILIES.get(target)
    if not families:
        return None
    denied = {
        name
        for name, members in families
        for m in target_statements(before, target, ctx)
        if m.assertion is Assertion.NEGATED and set(words(m.text)) & members
    }
    affirmed = {name for name, members in families for c in changes if set(words(c.after)) & members}
    if denied and affirmed and not denied & affirmed:
        return f"the affirmed finding is another kind ({', '.join(sorted(affirmed))} for {', '.join(sorted(denied))})"
    return None


def _denial_kind(
    before: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    families = DENIAL_FAMILIES.get(target)
    if not families:
        return None
    stated = [
        m
        for m in target_statements(before, target, ctx)
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
    mentions = target_statements(after, target, ctx)
    if old == "bilateral":
        return _bilateral_failure(after, mentions, [m.attributes.laterality_span for m in after.mentions if m not in mentions])
    if old not in ("left", "right"):
        return None
    others = [m.attributes.laterality_span for m in after.mentions if m not in mentions]
    companions = set(filter(None, detail.get("companions", "").split("|")))
    moved = [m for m in after.mentions if m.concept in companions and m.attributes.laterality == detail.get("to")]
    for index in {m.sentence_index for m in [*mentions, *moved] if m.assertion is not Assertion.NEGATED}:
        for sentence in after.sentences:
            if sentence.index != index:
                continue
            # a related finding moved with the target: the old side must be gone from its sentences
            tied = bool(companions) or ASSOCIATED.search(after.text[sentence.start : sentence.end]) is not None
            for match in re.finditer(rf"\b{old}\b", after.text[sentence.start : sentence.end], re.IGNORECASE):
                at = sentence.start + match.start()
                if CARDIAC_CHAMBER.match(after.text, sentence.start + match.end()):
                    continue  # "the right atrium" is anatomy, not the side of the finding
                if tied or not any(span and span[0] <= at < span[1] for span in others):
                    return f"the old side ({old}) is still stated beside the finding"
    return None


def _bilateral_failure(after: ReportAnalysis, mentions: Sequence, others: Sequence) -> str | None:
    """A finding made one-sided from bilateral beside a count ("two") or a finding tied to it that
    stays bilateral ("bilateral opacities due to ... effusion")."""
    for index in {m.sentence_index for m in mentions if m.assertion is not Assertion.NEGATED}:
        text = sentence_text(after, index)
        if COUNTED_ONE_SIDE.search(text):
            return "a count is left before a finding made one-sided"
        start = next(s.start for s in after.sentences if s.index == index)
        tied = ASSOCIATED.search(text) is not None
        for match in re.finditer(r"\bbilateral\w*|\bbi(?:basil|apic|bas)\w*|\bboth\b", text, re.IGNORECASE):
            at = start + match.start()
            if tied or not any(span and span[0] <= at < span[1] for span in others):
                return "the old side (bilateral) is still stated beside the finding"
    return None


def _grade_failure(
    after: ReportAnalysis, target: str, ctx: RewriteContext, detail: dict[str, str]
) -> str | None:
    """A new grade the report's other words deny: a bounding word beside it, a sign still graded the
    old way, or clear lungs beside a severe lung finding."""
    new, old = (detail.get("to") or "").lower(), (detail.get("from") or "").lower()
    bounds = {**GRADE_BOUNDS, **TARGET_GRADE_BOUNDS.get(target, {})}
    for index in {m.sentence_index for m in target_statements(after, target, ctx)}:
        sentence_words = set(words(sentence_text(after, index)))
        for word, admitted in bounds.items():
            if word in sentence_words and new not in admitted and word != new:
                return f"grade {new!r} contradicts {word!r} beside it"
    for name, _start, _end, index in stated_signs(after, target, ctx):
        text = sentence_text(after, index)
        if (old and re.search(rf"\b{old[:4]}\w*", text, re.IGNORECASE)) or (
            new in HIGH_GRADES and LOW_GRADE_WORDS.search(text)
        ):
            return f"a sign of the finding keeps the old grade ({name})"
    if (
        new in HIGH_GRADES
        and target in PARENCHYMAL
        and CLEAR_LUNGS.search(after.text.replace("otherwise ", ""))
    ):
        return "a severe lung finding beside clear lungs"
    return None
