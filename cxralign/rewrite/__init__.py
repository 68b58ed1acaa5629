"""Negation-aware report rewriting: minimal, exact, verified edits that contradict a report.

Ops work on the report engine's analysis records (``cxralign.reports``) and
every variant is re-analysed before it is kept.
"""

from cxralign.rewrite.comparisons import strip_comparisons
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.ops import (
    RewriteRejected,
    affirm,
    negate,
    omit,
    rewrite,
    swap_laterality,
    swap_severity,
)
from cxralign.rewrite.records import OPS, Change, Rejection, Variant

__all__ = [
    "OPS",
    "Change",
    "Rejection",
    "RewriteContext",
    "RewriteRejected",
    "Variant",
    "affirm",
    "negate",
    "omit",
    "rewrite",
    "strip_comparisons",
    "swap_laterality",
    "swap_severity",
]
