"""The verifier: re-analyse a variant and keep it only if exactly the intended thing changed, in the
lexicon's reading (here) and in the text's and the clinic's (``form``, ``coherence``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from cxralign.reports.records import Assertion, ReportAnalysis
from cxralign.rewrite.coherence import Candidate, content_failure
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.form import anatomy_failure, form_failure, shifted, stated_signs, target_statements
from cxralign.rewrite.omit_rules import attached_attributes
from cxralign.rewrite.phrases import malformed
from cxralign.rewrite.records import Change

_IGNORED_LABELS = ("No Finding",)


def _others_signature(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Counter:
    """Every non-target mention as (concept, assertion, historical, laterality, severity).

    Side and size of a denied finding carry no meaning ("no pneumothorax or large effusion" lends
    "large" to the pneumothorax), so they are compared only for stated findings.
    """
    signs = [(start, end) for _name, start, end, _index in stated_signs(analysis, target, ctx)]
    return Counter(
        _signature_key(m)
        for m in analysis.mentions
        if ctx.observation_of(m.concept) != target
        and not (  # a sign of the target the lexicon reads as a concept of its own ("blunting") goes with it
            ctx.observation_of(m.concept) is None and any(s <= m.start and m.end <= e for s, e in signs)
        )
    )


def _signature_key(m) -> tuple:
    return (m.concept, m.assertion, m.historical) + (
        (None, None) if m.assertion is Assertion.NEGATED else (m.attributes.laterality, m.attributes.severity)
    )


def _moved_companions(signature: Counter, detail: dict[str, str] | None) -> Counter:
    """The other mentions a laterality plan moved with the target (related findings of one lesion,
    ``detail["companions"]``) expected on the new side; every other mention unchanged."""
    companions = set(filter(None, (detail or {}).get("companions", "").split("|")))
    if not companions:
        return signature
    old, new = (detail or {}).get("from"), (detail or {}).get("to")
    moved: Counter = Counter()
    for key, n in signature.items():
        concept, assertion, historical, side, severity = key
        if concept in companions and side == old and assertion is not Assertion.NEGATED and not historical:
            key = (concept, assertion, historical, new, severity)
        moved[key] += n
    return moved


def _label(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _current(analysis: ReportAnalysis, target: str, ctx: RewriteContext):
    return [
        m
        for m in analysis.mentions
        if ctx.observation_of(m.concept) == target and not m.historical and not m.implied
    ]


def _original_facts(before: ReportAnalysis, target: str, ctx: RewriteContext) -> tuple[dict, Counter]:
    """Labels and other-mention signature of the original, worked out once for all its variants."""
    cached = ctx._cache.get("original")
    if cached is None or cached[0] is not before:
        labels = {k: _label(v) for k, v in ctx.labels(before).items() if k not in _IGNORED_LABELS}
        cached = ctx._cache["original"] = (before, labels, {})
    signatures = cached[2]
    if target not in signatures:
        signatures[target] = _others_signature(before, target, ctx)
    return cached[1], signatures[target]


def verification_failure(
    op: str,
    before: ReportAnalysis,
    after: ReportAnalysis,
    target: str,
    ctx: RewriteContext,
    detail: dict[str, str] | None = None,
) -> str | None:
    """Why the variant fails (None when it passes)."""
    labels_before, others_before = _original_facts(before, target, ctx)
    if op == "omit":  # an attribute inside the target's noun phrase ("calcified nodule") goes with it
        others_before = others_before - Counter(_signature_key(m) for m in attached_attributes(before, target, ctx))
    labels_after = {k: _label(v) for k, v in ctx.labels(after).items() if k not in _IGNORED_LABELS}
    for name, value in labels_before.items():
        if name != target and labels_after.get(name) != value:
            return f"other finding changed: {name} {value} -> {labels_after.get(name)}"
    if _moved_companions(others_before, detail) != _others_signature(after, target, ctx):
        return "other mentions changed"
    old, new = labels_before.get(target), labels_after.get(target)
    mentions = _current(after, target, ctx)
    if op == "negate":
        if new != 0.0 or any(m.assertion is not Assertion.NEGATED for m in mentions):
            return f"target not negated (label {new})"
    elif op == "affirm":
        if new != 1.0 or any(m.assertion is not Assertion.POSITIVE for m in mentions):
            return f"target not affirmed (label {new})"
    elif op == "omit":
        if new is not None or any(
            ctx.observation_of(m.concept) == target and not m.implied for m in after.mentions
        ):
            return f"target still mentioned (label {new})"
    elif op in ("laterality", "severity"):
        if new != old:
            return f"target label changed {old} -> {new}"
        attribute = op
        wanted_from, wanted_to = (detail or {}).get("from"), (detail or {}).get("to")
        old_values = Counter(getattr(m.attributes, attribute) for m in _current(before, target, ctx))
        new_values = Counter(getattr(m.attributes, attribute) for m in mentions)
        if not wanted_to or new_values.get(wanted_to, 0) == 0:
            return f"target {attribute} not changed to {wanted_to}"
        expected = old_values.copy()
        moved = expected.pop(wanted_from, 0)
        expected[wanted_to] += moved
        if +expected != +new_values:
            return f"target {attribute} changed unexpectedly"
        assertions_before = Counter(m.assertion for m in _current(before, target, ctx))
        if assertions_before != Counter(m.assertion for m in mentions):
            return "target assertion changed"
    else:
        raise ValueError(op)
    return None


def variant_failure(
    op: str,
    before: ReportAnalysis,
    after: ReportAnalysis,
    changes: Sequence[Change],
    target: str,
    ctx: RewriteContext,
    detail: dict[str, str] | None = None,
) -> str | None:
    """Every check a variant must pass, lexicon first, then the text and the clinical rules (None: kept).

    ``changes`` are the recorded edits: outside them nothing may differ, and within them only the
    target's own statement may go (``cxralign.rewrite.form``, ``cxralign.rewrite.coherence``).
    """
    return (
        verification_failure(op, before, after, target, ctx, detail)
        or form_failure(before, after, changes)
        or content_failure(Candidate(op, before, after, changes, target, ctx, dict(detail or {})))
        or (anatomy_failure(before, after) if op == "laterality" else None)
        or (_malformed_statement(after, changes, target, ctx) if op == "affirm" else None)
    )


def _malformed_statement(
    after: ReportAnalysis, changes: Sequence[Change], target: str, ctx: RewriteContext
) -> str | None:
    """An edited sentence that states the affirmed finding and is no sentence ("There is endotracheal.")."""
    spans = [(start, end) for start, end, _change in shifted(changes)]
    stating = {
        m.sentence_index for m in target_statements(after, target, ctx) if m.assertion is Assertion.POSITIVE
    }
    for sentence in after.sentences:
        if sentence.index not in stating or not any(
            start <= sentence.end and sentence.start <= end for start, end in spans
        ):
            continue
        body = re.sub(r"^\W*\(?\d{1,2}[.)]\s+", "", after.text[sentence.start : sentence.end]).rstrip(
            ".!? \n"
        )
        reason = malformed(body)
        if reason:
            return f"the affirmed statement is malformed ({reason})"
    return None
