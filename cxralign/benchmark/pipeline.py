"""The build's two parallel steps: analyse reports, then rewrite the chosen targets.

Worker processes hold one engine each; the main process makes every choice in
input order, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from cxralign.benchmark.selection import Candidate, candidates
from cxralign.reports.records import ReportAnalysis
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.records import Rejection, Variant
from cxralign.utils.gc import freeze_loaded

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
    if multiprocessing.parent_process() is not None:  # a worker: its engine stays for good
        freeze_loaded()


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


def preload_job(_: object = None) -> None:
    """Import what the blind baselines need (about 1.5 s of scikit-learn and SciPy) ahead of time.

    Sent to every worker when the build starts, while the main process reads the corpus: done
    there, it is off the build's tail, where it delayed the first baseline of each worker.
    """
    from cxralign.benchmark.blind import preload

    preload()


def phrases_job(phrases: object) -> None:
    """Give this worker's context the phrase bank (built after the workers started)."""
    _context().phrases = phrases


def bank_job(texts: list[str]) -> object:
    """The one-finding statements of some reports, as a small PhraseBank (not their analyses)."""
    from cxralign.rewrite.phrases import PhraseBank

    ctx = _context()
    return PhraseBank().add_all((ctx.reanalyze(text, None) for text in texts), ctx.observation_of)


class VariantRow(NamedTuple):
    """What the output keeps of a verified variant: small to send back, changes already as JSON."""

    target_concept: str
    text: str
    location: str
    changes: str

    @classmethod
    def of(cls, variant: Variant) -> VariantRow:
        changes = json.dumps([c.to_dict() for c in variant.changes], sort_keys=True, ensure_ascii=False)
        return cls(variant.target_concept, variant.text, variant.location, changes)


def blind_job(job: tuple[str, list, int]) -> dict:
    """One group's blind baselines (see ``cxralign.benchmark.blind``)."""
    from cxralign.benchmark.blind import blind_baseline

    return blind_baseline(*job)


@dataclass
class TargetOutcome:
    target: str
    present: bool
    variants: dict[str, VariantRow] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)


def rewrite_job(job: tuple[str, str, list[tuple[str, bool, tuple[str, ...]]]]) -> list[TargetOutcome]:
    text, report_id, targets = job
    ctx = _context()
    analysis = _analysis(text, report_id)
    if ctx.remember is not None:
        ctx.remember(analysis)
    outcomes = []
    for target, present, ops in targets:
        outcome = TargetOutcome(target, present)
        for op in ops:
            try:
                outcome.variants[op] = VariantRow.of(rewrite(op, analysis, target, ctx))
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


def _run_chunk(function, jobs: list) -> list:
    return [function(job) for job in jobs]


class Workers:
    """Worker processes (or the main process when ``workers <= 1``) with the engine loaded once each.

    Each worker is its own single-process pool, so a job can be sent to a chosen worker: a report's
    rewrite goes where its analysis was made and is kept (``route``), instead of being analysed
    again by whichever worker is free.
    """

    def __init__(
        self,
        workers: int,
        seed: int,
        sections: object = None,
        phrases: object = None,
        select: tuple = ((), ()),
    ) -> None:
        self.workers = max(1, min(workers, os.cpu_count() or workers))
        self._pools: list = []
        _init(seed, sections, phrases, select)
        if self.workers > 1:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            self._pools = [
                context.Pool(1, initializer=_init, initargs=(seed, sections, phrases, select))
                for _ in range(self.workers)
            ]

    def broadcast(self, function, argument: object = None) -> Callable[[], list]:
        """Queue ``function(argument)`` on every worker (behind the jobs queued there already).

        Returns a function that waits for all of them and gives their results: a worker runs its
        jobs in order, so a job queued after this one sees what it did even without that wait.
        """
        if not self._pools:
            result = function(argument)
            return lambda: [result]
        pending = [pool.apply_async(function, (argument,)) for pool in self._pools]
        return lambda: [result.get() for result in pending]

    def spread(self, costs: Sequence[float]) -> list[int]:
        """Routes that give the workers about equal work: the costliest job first, each to the worker
        with the least so far (a few unequal jobs taking turns can leave one worker idle at the end)."""
        loads = [0.0] * self.workers
        routes = [0] * len(costs)
        for job in sorted(range(len(costs)), key=lambda i: -costs[i]):
            worker = loads.index(min(loads))
            routes[job] = worker
            loads[worker] += costs[job]
        return routes

    def route(self, position: int, chunksize: int) -> int:
        """The worker for the job at ``position`` of a batch: runs of ``chunksize`` jobs take turns."""
        return (position // chunksize) % self.workers

    def map(
        self, function, jobs: Sequence, chunksize: int = 32, routes: Sequence[int] | None = None
    ) -> Iterator:
        """``function`` over ``jobs`` in input order; ``routes`` names each job's worker (default: take turns)."""
        if not self._pools:
            return map(function, jobs)
        routes = routes if routes is not None else [self.route(i, chunksize) for i in range(len(jobs))]
        queued: list[list[int]] = [[] for _ in self._pools]
        for position, worker in enumerate(routes):
            queued[worker].append(position)
        pending = []
        for worker, positions in enumerate(queued):
            for part in chunked(positions, chunksize):
                chunk = [jobs[i] for i in part]
                pending.append((part, self._pools[worker].apply_async(_run_chunk, (function, chunk))))
        return _in_order(len(jobs), pending)

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
        for pool in self._pools:
            pool.join()
        self._pools = []

    def terminate(self) -> None:
        for pool in self._pools:
            pool.terminate()
        for pool in self._pools:
            pool.join()
        self._pools = []

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.terminate()


def _in_order(n: int, pending: list) -> Iterator:
    results: list = [None] * n
    for positions, result in pending:
        for position, value in zip(positions, result.get(), strict=True):
            results[position] = value
    yield from results


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
