"""Error and awkward rates per op with Wilson 95% intervals.

The closed form (checked against ``scipy.stats.binomtest(...).proportion_ci(method="wilson")`` in the
tests) keeps scipy's second of import time out of the command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

from cxralign.audit.verdicts import VerdictFile

CONFIDENCE = 0.95
OVERALL = "all"


@dataclass(frozen=True)
class Rate:
    count: int
    n: int
    low: float | None
    high: float | None

    @property
    def value(self) -> float | None:
        return self.count / self.n if self.n else None

    def as_record(self) -> dict:
        rounded = [None if v is None else round(v, 4) for v in (self.value, self.low, self.high)]
        return {"count": self.count, "n": self.n, "rate": rounded[0], "ci95": rounded[1:]}

    def text(self) -> str:
        if not self.n:
            return "-"
        return f"{self.value * 100:.1f} [{self.low * 100:.1f}, {self.high * 100:.1f}]"


def wilson(count: int, n: int) -> Rate:
    """Wilson score interval: sound at 0 and n successes and for small n, unlike the normal one."""
    if n == 0:
        return Rate(count, n, None, None)
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    p = count / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return Rate(count, n, max(0.0, (centre - half) / scale), min(1.0, (centre + half) / scale))


@dataclass(frozen=True)
class OpScore:
    reviewed: int
    correct: int
    awkward: int
    wrong: int
    unreviewed: int
    error: Rate = field(init=False)
    awkward_rate: Rate = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "error", wilson(self.wrong, self.reviewed))
        object.__setattr__(self, "awkward_rate", wilson(self.awkward, self.reviewed))

    def as_record(self) -> dict:
        return {
            **{name: getattr(self, name) for name in ("reviewed", "correct", "awkward", "wrong", "unreviewed")},
            "error_rate": self.error.as_record(),
            "awkward_rate": self.awkward_rate.as_record(),
        }


@dataclass(frozen=True)
class AuditScore:
    """``per_op`` plus ``OVERALL``: the pooled sample (ops equally represented, not weighted by build size)."""

    per_op: dict[str, OpScore]

    @property
    def overall(self) -> OpScore:
        return self.per_op[OVERALL]


def _tally(verdicts: list[str | None]) -> OpScore:
    given = [v for v in verdicts if v is not None]
    return OpScore(
        reviewed=len(given),
        correct=given.count("correct"),
        awkward=given.count("awkward"),
        wrong=given.count("wrong"),
        unreviewed=len(verdicts) - len(given),
    )


def score_verdicts(verdicts: VerdictFile) -> AuditScore:
    by_op: dict[str, list[str | None]] = {}
    for item in verdicts.items:
        by_op.setdefault(item.op, []).append(item.verdict)
    per_op = {op: _tally(values) for op, values in sorted(by_op.items())}
    per_op[OVERALL] = _tally([item.verdict for item in verdicts.items])
    return AuditScore(per_op)
