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

    def __init__(self, seed: int = 0, per_report: int = 1, max_per_finding: int | None = None) -> None:
        self.seed = seed
        self.per_report = per_report
        self.max_per_finding = max_per_finding
        self.counts: Counter[tuple[str, bool]] = Counter()
        self.capped = 0

    def choose(self, report_id: str, found: Sequence[Candidate]) -> list[Candidate]:
        open_ = [
            c
            for c in found
            if self.max_per_finding is None or self.counts[(c.target, c.present)] < self.max_per_finding
        ]
        if found and not open_:
            self.capped += 1
        chosen: list[Candidate] = []
        for candidate in self._ranked(report_id, open_):
            if any(c.target == candidate.target for c in chosen):
                continue
            chosen.append(candidate)
            self.counts[(candidate.target, candidate.present)] += 1
            if len(chosen) >= self.per_report:
                break
        return chosen

    def _ranked(self, report_id: str, open_: list[Candidate]) -> list[Candidate]:
        """``open_`` by (items so far, seeded hash): the hash, a SHA-256, is made only to break a
        tie, which most reports (one candidate, or one with the fewest items) do not have."""

        def count(candidate: Candidate) -> int:
            return self.counts[(candidate.target, candidate.present)]

        ranked: list[Candidate] = []
        for _, group in groupby(sorted(open_, key=count), key=count):
            tied = list(group)
            ranked += (
                sorted(tied, key=lambda c: _tiebreak(self.seed, report_id, c)) if len(tied) > 1 else tied
            )
        return ranked
