"""The build's two parallel steps: analyse reports, then rewrite the chosen targets.

Worker processes hold one engine each; the main process makes every choice in
input order, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from cxralign.benchmark.selection import Candidate, candidates
from cxralign.reports.records import ReportAnalysis
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.records import Rejection, Variant

NOT_APPLICABLE = ("target has no", "no clear opposite", "cannot be swapped")
"""Reasons meaning the op does not apply to this report (no side to swap), not a failed rewrite."""

_CTX: RewriteContext | None = None
_SELECT: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
_KEPT: OrderedDict[str, ReportAnalysis] = OrderedDict()
KEPT_ANALYSES = 4096
"""Analyses a worker keeps between the analyse and rewrite steps (two batches)."""


def _init(seed: int, sections: object, phrases: object = None, select: tuple = ((), ())) -> None:
    global _CTX, _SELECT
    _CTX = RewriteContext.from_engine(seed=seed, sections=sections, phrases=phrases)
    _SELECT = select
    _KEPT.clear()


def _context() -> RewriteContext:
    if _CTX is None:
        raise RuntimeError("worker not initialised")
    return _CTX


def _analysis(text: str, report_id: str) -> ReportAnalysis:
    """The worker's own analysis of the report when it made it, else a fresh one (same result)."""
    analysis = _KEPT.pop(report_id, None)
    if analysis is None or analysis.text != text:
        analysis = _context().reanalyze(text, report_id)
    return analysis


def analyze_job(job: tuple[str, str]) -> tuple[dict, list[Candidate]]:
    """Labels and eligible targets of one report: a few hundred bytes back to the main process.

    The analysis itself stays in the worker for the rewrite step (pickling it to the main process
    and back cost as much as making it again, all of it in the single main process).
    """
    text, report_id = job
    ctx = _context()
    analysis = ctx.reanalyze(text, report_id)
    labels = ctx.labels(analysis)
    ops, findings = _SELECT
    found = candidates(analysis, labels, ctx.observation_of, ops, findings)
    if found:
        _KEPT[report_id] = analysis
        while len(_KEPT) > KEPT_ANALYSES:
            _KEPT.popitem(last=False)
    return labels, found


def bank_job(texts: list[str]) -> object:
    """The one-finding statements of some reports, as a small PhraseBank (not their analyses)."""
    from cxralign.rewrite.phrases import PhraseBank

    ctx = _context()
    return PhraseBank().add_all((ctx.reanalyze(text, None) for text in texts), ctx.observation_of)


@dataclass
class TargetOutcome:
    target: str
    present: bool
    variants: dict[str, Variant] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)


def rewrite_job(job: tuple[str, str, list[tuple[str, bool, tuple[str, ...]]]]) -> list[TargetOutcome]:
    text, report_id, targets = job
    ctx = _context()
    analysis = _analysis(text, report_id)
    outcomes = []
    for target, present, ops in targets:
        outcome = TargetOutcome(target, present)
        for op in ops:
            try:
                # the main process has the original text: do not send a copy per variant
                outcome.variants[op] = dataclasses.replace(rewrite(op, analysis, target, ctx), original="")
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

    def __init__(
        self,
        workers: int,
        seed: int,
        sections: object = None,
        phrases: object = None,
        select: tuple = ((), ()),
    ) -> None:
        self.workers = max(1, min(workers, os.cpu_count() or workers))
        self._pool = None
        _init(seed, sections, phrases, select)
        if self.workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = multiprocessing.get_context(method).Pool(
                self.workers, initializer=_init, initargs=(seed, sections, phrases, select)
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
