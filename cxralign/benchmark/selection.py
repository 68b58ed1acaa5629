"""Target choice: one (or a few) findings per report, stratified by finding and presence, with caps.

Choices are made in input order from running counts, so the same inputs and
seed always give the same items, whatever the number of worker processes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import NamedTuple

from cxralign.reports.records import Assertion, ReportAnalysis
from cxralign.vocab import CHEXPERT_14

PRESENT_OPS = ("negate", "omit", "laterality", "severity")
ABSENT_OPS = ("affirm",)
TARGETS: tuple[str, ...] = tuple(name for name in CHEXPERT_14 if name != "No Finding")
OPPOSITE_CAP = 1000
"""Opposite targets (``TargetSelector.opposite``) per (finding, presence), at most: enough for a
balanced set of OpenI's size on every finding the corpus has, a bounded cost on a large corpus."""
OPPOSITE_PRESENT = 5
"""Stated findings a report may give ``negate`` in all (first choice included): the balanced set
needs negate items, and a report's other stated findings are the ones most like its first."""


class Candidate(NamedTuple):
    """A finding a report can be rewritten about (a tuple: it crosses from worker to main process per
    report, and a tuple pickles several times faster than a slotted dataclass)."""

    target: str
    present: bool


def candidates(
    analysis: ReportAnalysis,
    labels: Mapping[str, float | None],
    observation_of,
    ops: Sequence[str],
    findings: Sequence[str],
) -> list[Candidate]:
    """Findings a report can be rewritten about: stated present (for negate/omit/...) or explicitly absent (affirm)."""
    want_present = any(op in PRESENT_OPS for op in ops)
    want_absent = "affirm" in ops
    current = [m for m in analysis.mentions if not m.implied and not m.historical]
    explicit_negated = {observation_of(m.concept) for m in current if m.assertion is Assertion.NEGATED}
    stated_positive = {observation_of(m.concept) for m in current if m.assertion is Assertion.POSITIVE}
    found: list[Candidate] = []
    for target in findings:
        value = labels.get(target)
        if value == 1.0 and want_present and target in stated_positive:
            found.append(Candidate(target, True))
        elif value == 0.0 and want_absent and target in explicit_negated:
            found.append(Candidate(target, False))
    return found


def _tiebreak(seed: int, report_id: str, candidate: Candidate) -> bytes:
    return hashlib.sha256(f"{seed}:{report_id}:{candidate.target}:{candidate.present}".encode()).digest()


class TargetSelector:
    """Greedy stratification: pick the candidate whose (finding, presence) has the fewest items so far."""

    def __init__(
        self, seed: int = 0, per_report: int = 1, max_per_finding: int | None = None, opposite_cap: int = OPPOSITE_CAP
    ) -> None:
        self.seed = seed
        self.per_report = per_report
        self.max_per_finding = max_per_finding
        self.opposite_cap = opposite_cap
        self.counts: Counter[tuple[str, bool]] = Counter()
        self.opposite_counts: Counter[tuple[str, bool]] = Counter()
        self.capped = 0

    def choose(self, report_id: str, found: Sequence[Candidate]) -> list[Candidate]:
        open_ = [c for c in found if self._under_cap(c)]
        if found and not open_:
            self.capped += 1
        chosen: list[Candidate] = []
        for candidate in self._ranked(report_id, open_, self.counts):
            if any(c.target == candidate.target for c in chosen):
                continue
            chosen.append(candidate)
            self.counts[(candidate.target, candidate.present)] += 1
            if len(chosen) >= self.per_report:
                break
        return chosen

    def opposite(self, report_id: str, found: Sequence[Candidate], chosen: Sequence[Candidate]) -> list[Candidate]:
        """Extra targets for the balanced set, rewritten with ``negate`` (present) or ``affirm``
        (absent) only: one absent finding where every choice is stated, and stated findings up to
        ``OPPOSITE_PRESENT`` present targets per report in all.

        The balanced set then has negate and affirm variants of the *same* reports, so a text
        probe cannot tell the two ops apart by the report around the edit (long abnormal reports
        against short normal ones), and negate, the scarcer op (its precision rules refuse most),
        gets every stated finding of a report, not one. Its own running counts (capped at
        ``opposite_cap`` per finding and presence) leave the first choices, and so every other
        op's items, as they are without it, except under ``max_per_finding``, which counts both.
        """
        if not chosen:
            return []
        taken = {c.target for c in chosen}
        extra: list[Candidate] = []
        if all(c.present for c in chosen):
            extra += self._open(report_id, found, taken, present=False)[:1]
        room = OPPOSITE_PRESENT - sum(c.present for c in chosen)
        if room > 0:
            extra += self._open(report_id, found, taken, present=True)[:room]
        for candidate in extra:
            self.opposite_counts[candidate] += 1
        return extra

    def _open(self, report_id: str, found: Sequence[Candidate], taken: set[str], present: bool) -> list[Candidate]:
        open_ = [
            c
            for c in found
            if c.present is present and c.target not in taken and self.opposite_counts[c] < self.opposite_cap
            and self._under_cap(c)
        ]  # fmt: skip
        return self._ranked(report_id, open_, self.opposite_counts) if open_ else []

    def _under_cap(self, candidate: Candidate) -> bool:
        """Below ``max_per_finding``, which counts first choices and extra targets together."""
        if self.max_per_finding is None:
            return True
        return self.counts[candidate] + self.opposite_counts[candidate] < self.max_per_finding

    def _ranked(self, report_id: str, open_: list[Candidate], counts: Counter) -> list[Candidate]:
        """``open_`` by (items so far, seeded hash): the hash, a SHA-256, is made only to break a
        tie, which most reports (one candidate, or one with the fewest items) do not have."""

        def count(candidate: Candidate) -> int:
            return counts[(candidate.target, candidate.present)]

        ranked: list[Candidate] = []
        for _, group in groupby(sorted(open_, key=count), key=count):
            tied = list(group)
            ranked += (
                sorted(tied, key=lambda c: _tiebreak(self.seed, report_id, c)) if len(tied) > 1 else tied
            )
        return ranked
