"""The build's two parallel steps: analyse reports, then rewrite the chosen targets.

Worker processes hold one engine each; the main process makes every choice in
input order, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from cxralign.reports.records import ReportAnalysis
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.records import Rejection, Variant

NOT_APPLICABLE = ("target has no", "no clear opposite", "cannot be swapped")
"""Reasons meaning the op does not apply to this report (no side to swap), not a failed rewrite."""

_CTX: RewriteContext | None = None
_SECTIONS: object = None


def _init(seed: int, sections: object, phrases: object = None) -> None:
    global _CTX, _SECTIONS
    _CTX = RewriteContext.from_engine(seed=seed, sections=sections, phrases=phrases)
    _SECTIONS = sections


def _context() -> RewriteContext:
    if _CTX is None:
        raise RuntimeError("worker not initialised")
    return _CTX


def analyze_job(job: tuple[str, str]) -> tuple[ReportAnalysis, dict]:
    text, report_id = job
    ctx = _context()
    analysis = ctx.reanalyze(text, report_id)
    return analysis, ctx.labels(analysis)


@dataclass
class TargetOutcome:
    target: str
    present: bool
    variants: dict[str, Variant] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)


def rewrite_job(job: tuple[ReportAnalysis, list[tuple[str, bool, tuple[str, ...]]]]) -> list[TargetOutcome]:
    analysis, targets = job
    ctx = _context()
    outcomes = []
    for target, present, ops in targets:
        outcome = TargetOutcome(target, present)
        for op in ops:
            try:
                outcome.variants[op] = rewrite(op, analysis, target, ctx)
            except RewriteRejected as rejected:
                if any(marker in rejected.reason for marker in NOT_APPLICABLE):
                    outcome.not_applicable.append(op)
                    continue
                outcome.rejections.append(
                    _rejection(op, target, analysis, ctx, rejected.reason, rejected.text, rejected.stage)
                )
            except Exception as error:  # a rule bug on one report must not stop a 200,000-report build
                reason = f"internal error: {type(error).__name__}: {error}"
                outcome.rejections.append(_rejection(op, target, analysis, ctx, reason, None, "proposal"))
        outcomes.append(outcome)
    return outcomes


def _rejection(op, target, analysis, ctx, reason, text, stage) -> Rejection:
    concept = next((m.concept for m in analysis.mentions if ctx.observation_of(m.concept) == target), "")
    return Rejection(op, target, concept, analysis.report_id, reason, analysis.text, text, stage)


class Workers:
    """A process pool (or the main process when ``workers <= 1``) with the engine loaded once per worker."""

    def __init__(self, workers: int, seed: int, sections: object = None, phrases: object = None) -> None:
        self.workers = max(1, min(workers, os.cpu_count() or workers))
        self._pool = None
        _init(seed, sections, phrases)
        if self.workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = multiprocessing.get_context(method).Pool(
                self.workers, initializer=_init, initargs=(seed, sections, phrases)
            )

    def map(self, function, jobs: Sequence, chunksize: int = 32) -> Iterator:
        if self._pool is None:
            return map(function, jobs)
        return self._pool.imap(function, jobs, chunksize=chunksize)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def terminate(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.terminate()


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
