"""The five verified rewrite ops: propose exact edits, apply them, re-analyse, keep or reject."""

from __future__ import annotations

from cxralign.errors import ConfigError
from cxralign.reports.records import Assertion, ReportAnalysis
from cxralign.rewrite.affirm import propose_affirm
from cxralign.rewrite.coherence import scope_refusal
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.edits import Plan, RewriteFailed, target_mentions
from cxralign.rewrite.laterality import propose_laterality
from cxralign.rewrite.negate import propose_negate
from cxralign.rewrite.omit import propose_omit
from cxralign.rewrite.records import OPS, Variant
from cxralign.rewrite.severity import propose_severity
from cxralign.rewrite.spans import apply_changes
from cxralign.rewrite.verify import variant_failure

REDRAWS = 12
"""Corpus statements drawn after the first fails verification, before the rules phrasing is tried."""
PROPOSERS = {
    "negate": propose_negate,
    "affirm": propose_affirm,
    "omit": propose_omit,
    "laterality": propose_laterality,
    "severity": propose_severity,
}
"""One proposer per op: the exact edits it would make, before verification."""


class RewriteRejected(Exception):
    """A variant could not be made or failed verification."""

    def __init__(self, reason: str, text: str | None = None, stage: str = "proposal") -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text
        self.stage = (
            stage  # "proposal": no edit could be made; "verification": the edit changed the wrong thing
        )


def _location(analysis: ReportAnalysis, plan: Plan) -> str:
    """first / middle / last sentence of the report that was edited, or "add" for an added statement."""
    if plan.added_sentence:
        return "add"
    indices = sorted(s.index for s in analysis.sentences)
    first = min(change.sentence_index for change in plan.changes)
    if not indices or first == indices[0]:
        return "first"
    return "last" if first == indices[-1] else "middle"


def _target_present(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> bool:
    return any(
        m.assertion is Assertion.POSITIVE and not m.historical for m in target_mentions(analysis, target, ctx)
    )


def _verified(op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> tuple[Plan, str]:
    """The op's plan and the variant text, once every check passed."""
    try:
        plan = PROPOSERS[op](analysis, target, ctx)
    except RewriteFailed as failure:
        raise RewriteRejected(str(failure)) from None
    try:
        text = apply_changes(analysis.text, plan.changes)
    except ValueError as error:  # two statements about the target edited at overlapping spans
        raise RewriteRejected(str(error)) from None
    if not text.strip():
        raise RewriteRejected("nothing left after the edit", text)
    if text.strip() == analysis.text.strip():
        raise RewriteRejected("variant equals the original", text)
    reason = _failure(op, analysis, target, ctx, plan, text)
    if reason is not None:
        raise RewriteRejected(reason, text, stage="verification")
    return plan, text


def _failure(op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext, plan: Plan, text: str):
    """``variant_failure`` of the variant, worked out once per distinct edit of one original.

    Redrawing a refused corpus statement often draws the same statement again (a bank holds a few
    statements per finding); the verifier reads only the two texts and the edits, so its verdict
    on a repeated edit is the verdict it gave before.
    """
    cached = ctx._cache.get("verdicts")
    if cached is None or cached[0] is not analysis:
        cached = ctx._cache["verdicts"] = (analysis, {})
    key = (op, target, text, tuple(plan.changes), tuple(sorted(plan.detail.items())))
    verdicts = cached[1]
    if key not in verdicts:
        reanalysed = ctx.reanalyze(text, analysis.report_id)
        verdicts[key] = variant_failure(op, analysis, reanalysed, plan.changes, target, ctx, plan.detail)
    return verdicts[key]


def _redrawn(
    op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext, rejection: RewriteRejected
) -> tuple[Plan, str]:
    """After a corpus statement failed verification: other corpus draws, then the rules phrasing.

    Going straight to the rules phrasing wrote the same few templated statements ("There is a small
    left pleural effusion.") into many variants, which a text-only probe learns; the corpus's own
    statements vary as originals do. Every draw passes the whole verifier or is refused.
    """
    for draw in range(1, REDRAWS + 1):
        ctx.draw = draw
        try:
            return _verified(op, analysis, target, ctx)
        except RewriteRejected as again:
            if again.stage != "verification":
                break
        finally:
            ctx.draw = 0
    phrases, ctx.phrases = ctx.phrases, None  # no corpus statement passed: the rules phrasing may
    try:
        return _verified(op, analysis, target, ctx)
    except RewriteRejected:
        raise rejection from None
    finally:
        ctx.phrases = phrases


def rewrite(op: str, analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """Make one verified variant of ``analysis`` for ``op`` on the CheXpert observation ``target``.

    Raises ``RewriteRejected`` with a short reason when the op does not apply or
    the re-analysed variant changed something it should not have.
    """
    if op not in PROPOSERS:
        raise ConfigError(f"unknown rewrite op {op!r}; choose from {', '.join(OPS)}")
    ctx = ctx or RewriteContext.from_engine()
    refusal = scope_refusal(op, analysis, target, ctx)
    if refusal is not None:
        raise RewriteRejected(refusal)
    try:
        plan, text = _verified(op, analysis, target, ctx)
    except RewriteRejected as rejection:
        if rejection.stage != "verification" or ctx.phrases is None:
            raise
        plan, text = _redrawn(op, analysis, target, ctx, rejection)
    return Variant(
        op=op,
        target=target,
        target_concept=plan.concept,
        original=analysis.text,
        text=text,
        changes=tuple(plan.changes),
        location=_location(analysis, plan),
        target_present=_target_present(analysis, target, ctx),
        detail=plan.detail,
    )


def negate(analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """A present finding becomes absent ("small left effusion" -> "no left effusion")."""
    return rewrite("negate", analysis, target, ctx)


def affirm(analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """An explicitly absent finding becomes present, with plausible size and side."""
    return rewrite("affirm", analysis, target, ctx)


def omit(analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """Statements about the finding are removed; other findings in the same sentence stay."""
    return rewrite("omit", analysis, target, ctx)


def swap_laterality(analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """Left <-> right, or (for a seeded third of one-sided findings) one side -> bilateral; bilateral -> one side."""
    return rewrite("laterality", analysis, target, ctx)


def swap_severity(analysis: ReportAnalysis, target: str, ctx: RewriteContext | None = None) -> Variant:
    """Small <-> large, mild <-> severe."""
    return rewrite("severity", analysis, target, ctx)
