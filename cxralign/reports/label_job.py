"""The labelling loop behind ``cxralign label``: report records in, CheXpert-style label CSV out.

Streams records through the report engine (order kept, several processes on
request), writes one row per report and, optionally, one JSON line per mention,
both atomically, and counts what a user needs to trust the output: mentions per
finding, how many were negated or uncertain, empty reports, skipped inputs and
decode repairs. The CLI only parses options, shows progress and prints the summary.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from cxralign.data.corpora import CorpusReader, ReportRecord
from cxralign.errors import ConfigError
from cxralign.reports.memo import BoundedCache
from cxralign.utils.atomic import atomic_path
from cxralign.vocab import vocabulary

ID_COLUMN = "filename"
"""Header of the first output column: OpenI uId, MIMIC study id, CheXpert Plus study or the CSV id."""


@dataclass
class FindingCounts:
    """Mention- and report-level counts for one observation of the output vocabulary."""

    mentions: int = 0
    positive: int = 0
    negated: int = 0
    uncertain: int = 0
    reports_positive: int = 0
    reports_negative: int = 0
    reports_uncertain: int = 0

    def share(self, assertion: str) -> float:
        """Share of this finding's mentions with the given assertion (0 when never mentioned)."""
        return getattr(self, assertion) / self.mentions if self.mentions else 0.0


@dataclass
class LabelSummary:
    """What one labelling run did; printed as a table by the CLI, returned to library callers."""

    vocab: str
    n_reports: int = 0
    n_empty: int = 0
    n_mentions: int = 0
    n_mentions_outside_vocab: int = 0
    findings: dict[str, FindingCounts] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    n_decode_replaced: int = 0
    decode_replaced_in: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def reports_per_second(self) -> float:
        return self.n_reports / self.seconds if self.seconds > 0 else 0.0


def format_label(value: float | None) -> str:
    """CheXpert labeler cell format: ``1.0`` / ``0.0`` / ``-1.0`` / blank."""
    return "" if value is None else f"{float(value):.1f}"


def _mention_json(mention: Any, labels: Sequence[str]) -> dict[str, Any]:
    cue = mention.cue
    attributes = mention.attributes
    return {
        "concept": mention.concept,
        "labels": list(labels),
        "text": mention.text,
        "start": mention.start,
        "end": mention.end,
        "sentence_index": mention.sentence_index,
        "section": mention.section,
        "decision": mention.assertion.value,
        "cue": None
        if cue is None
        else {"text": cue.text, "kind": cue.kind, "start": cue.start, "end": cue.end, "rule": cue.rule},
        "attributes": {
            "laterality": attributes.laterality,
            "severity": attributes.severity,
            "location": list(attributes.location),
        },
        "historical": mention.historical,
        "implied": mention.implied,
    }


@dataclass(frozen=True, slots=True)
class LabelledText:
    """What one report text gives, independent of its id: kept for exact duplicates, sent from workers."""

    values: tuple[float | None, ...]  # report labels in vocabulary order
    cells: tuple[str, ...]  # the same, formatted for the CSV
    counted: tuple[tuple[tuple[str, ...], str], ...]  # counted mentions: (observations, assertion)
    explain: tuple[str, ...]  # each mention as JSON, after the report id: '"concept": ...}'


REPORT_MEMO = 16_384
"""Distinct report texts whose results are kept (a few MB): an exact duplicate, about a fifth of real
reports, costs one lookup and no engine call."""
BATCH = 2_048
"""Reports read at a time: their distinct new texts go to the workers together, rows come out in order."""


class _Engine:
    """The report engine with the lexicon and vocabulary this run uses."""

    def __init__(
        self,
        vocab: str,
        sections: Sequence[str] | None,
        lexicon: str | os.PathLike[str] | None,
        explain: bool = False,
    ):
        from cxralign.reports import Engine, load_lexicon

        self.vocab = vocab
        self.observations = vocabulary(vocab)
        self.explain = explain
        self.lexicon = load_lexicon(lexicon)
        self.engine = Engine(lexicon=self.lexicon, sections=tuple(sections) if sections else None)
        self._labels_of: dict[str, tuple[str, ...]] = {}

    def labels_of(self, concept: str) -> tuple[str, ...]:
        """Vocabulary observations a lexicon concept counts towards (cached; empty when none)."""
        found = self._labels_of.get(concept)
        if found is None:
            try:
                label = self.lexicon.concept(concept).label(self.vocab)
            except Exception:  # a concept the lexicon does not know: count it outside the vocabulary
                label = None
            found = self._labels_of[concept] = (label,) if label else ()
        return found

    def report_labels(self, analysis: Any) -> dict[str, float | None]:
        return self.engine.report_labels(analysis, self.vocab)

    def label(self, text: str) -> LabelledText:
        """Labels, counted mentions and (with --explain) mention lines of one non-empty report text."""
        analysis = self.engine.analyze(text)
        counted = []
        explain = []
        for mention in analysis.mentions:
            labels = self.labels_of(mention.concept)
            if self.explain:
                explain.append(json.dumps(_mention_json(mention, labels), ensure_ascii=False)[1:])
            if not mention.implied:  # a denial read off "lungs are clear": explained, not counted
                counted.append((labels, mention.assertion.value))
        labels = self.report_labels(analysis)
        values = tuple(labels.get(name) for name in self.observations)
        return LabelledText(values, tuple(map(format_label, values)), tuple(counted), tuple(explain))


_WORKER: _Engine | None = None


def _init_worker(vocab: str, sections: Sequence[str] | None, lexicon: Any, explain: bool) -> None:
    global _WORKER
    _WORKER = _Engine(vocab, sections, lexicon, explain)


def _label_texts(texts: list[str]) -> list[LabelledText]:
    assert _WORKER is not None
    return [_WORKER.label(text) for text in texts]


def _check_paths(out: Path, explain: Path | None, inputs: Sequence[Path]) -> None:
    if out.is_dir():
        raise ConfigError(f"--out {out} is a directory; give a file name such as labels.csv")
    if explain is not None and explain.resolve() == out.resolve():
        raise ConfigError("--explain and --out name the same file")
    for path in inputs:
        for target in (out, explain):
            if target is not None and path.exists() and target.resolve() == path.resolve():
                raise ConfigError(f"{target} is the input; write the output to another file")


def label_corpus(
    records: CorpusReader | Iterable[ReportRecord],
    out: str | os.PathLike[str],
    *,
    vocab: str = "chexpert",
    sections: Sequence[str] | None = None,
    workers: int = 1,
    explain: str | os.PathLike[str] | None = None,
    lexicon: str | os.PathLike[str] | None = None,
    on_report: Callable[[], None] | None = None,
) -> LabelSummary:
    """Label every report of ``records`` and write ``out`` (CSV) and ``explain`` (JSONL) atomically.

    ``on_report`` is called once per written row (progress bars). An empty or
    whitespace-only report gets an all-blank row: nothing was said, so nothing is
    labelled, not even "No Finding". If anything fails or the run is interrupted,
    neither output file is touched.
    """
    observations = vocabulary(vocab)
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    out_path = Path(out)
    explain_path = Path(explain) if explain is not None else None
    source_path = getattr(records, "path", None)
    _check_paths(out_path, explain_path, [source_path] if source_path is not None else [])
    engine = _Engine(vocab, sections, lexicon, explain_path is not None)
    summary = LabelSummary(vocab=vocab, findings={name: FindingCounts() for name in observations})
    memo = BoundedCache(REPORT_MEMO)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        csv_file = stack.enter_context(
            open(stack.enter_context(atomic_path(out_path)), "w", newline="", encoding="utf-8")
        )
        explain_file = None
        if explain_path is not None:
            explain_file = stack.enter_context(
                open(stack.enter_context(atomic_path(explain_path)), "w", encoding="utf-8")
            )
        pool = _pool(stack, workers, vocab, sections, lexicon, explain_path is not None)
        writer = csv.writer(csv_file)
        writer.writerow([ID_COLUMN, *observations])
        blank = ("",) * len(observations)
        pending = None  # the batch the workers are labelling while the one before it is written
        for batch in _batches_and_end(records):
            submitted = None if batch is None else _submit(batch, engine, memo, pool, workers, pending)
            if pending is not None:
                done, results = _finish(pending, engine, memo)
                for record in done:
                    result = results.get(record.text)
                    _count_report(record, result, summary, explain_file)
                    writer.writerow([record.report_id, *(blank if result is None else result.cells)])
                    if on_report is not None:
                        on_report()
            pending = submitted
    summary.seconds = time.perf_counter() - started
    if isinstance(records, CorpusReader):
        summary.skipped = list(records.skipped)
        summary.n_decode_replaced = records.n_decode_replaced
        summary.decode_replaced_in = list(records.decode_replaced_in)
    return summary


def _pool(stack: contextlib.ExitStack, workers: int, *init: Any) -> Any:
    """A pool of ``workers`` processes that each build the engine once (None for one worker)."""
    if workers <= 1:
        return None
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    return stack.enter_context(
        context.Pool(min(workers, os.cpu_count() or workers), initializer=_init_worker, initargs=init)
    )


def _batches_and_end(records: Iterable[ReportRecord]) -> Iterator[list[ReportRecord] | None]:
    """Lists of ``BATCH`` records, then None (the signal to finish the last one)."""
    remaining = iter(records)
    while batch := list(islice(remaining, BATCH)):
        yield batch
    yield None


_Pending = tuple[list[ReportRecord], dict[str, Any], list[str], Any]
"""A submitted batch: its records, results by text (None: not yet known), the texts sent, the job."""


def _submit(
    batch: list[ReportRecord], engine: _Engine, memo: BoundedCache, pool: Any, workers: int, before: Any
) -> _Pending:
    """Look the batch's texts up; send the new ones to the workers (or label them here with one worker).

    A text already sent with the batch ``before`` is not sent again: it is in the memo once that batch
    is finished, which happens before this one is.
    """
    in_flight = set(before[2]) if before is not None else ()
    found: dict[str, Any] = {}
    todo: list[str] = []
    for record in batch:
        text = record.text
        if text in found or not text.strip():
            continue
        found[text] = memo.get(text)
        if found[text] is None and text not in in_flight:
            todo.append(text)
    if pool is None or len(todo) < 2 * workers:
        return batch, found, todo, [engine.label(text) for text in todo]
    step = -(-len(todo) // (2 * workers))
    chunks = [todo[i : i + step] for i in range(0, len(todo), step)]
    return batch, found, todo, pool.map_async(_label_texts, chunks, chunksize=1)


def _finish(pending: _Pending, engine: _Engine, memo: BoundedCache) -> tuple[list[ReportRecord], dict]:
    """Wait for a submitted batch; remember its new results; fill in the texts the batch before sent."""
    batch, found, todo, job = pending
    computed = job if isinstance(job, list) else [result for chunk in job.get() for result in chunk]
    for text, result in zip(todo, computed, strict=True):
        found[text] = result
        memo.put(text, result)
    for text, result in found.items():
        if result is None:
            found[text] = memo.get(text) or engine.label(text)
    return batch, found


def _count_report(
    record: ReportRecord, result: LabelledText | None, summary: LabelSummary, explain_file: Any
) -> None:
    """Update the summary with one report (an empty one has no result and gets a blank row)."""
    summary.n_reports += 1
    if result is None:
        summary.n_empty += 1
        return
    if explain_file is not None and result.explain:
        head = '{"report_id": ' + json.dumps(record.report_id, ensure_ascii=False) + ", "
        explain_file.write("".join(head + line + "\n" for line in result.explain))
    findings = summary.findings
    for labels, assertion in result.counted:
        summary.n_mentions += 1
        if not labels:
            summary.n_mentions_outside_vocab += 1
        for label in labels:
            counts = findings[label]
            counts.mentions += 1
            setattr(counts, assertion, getattr(counts, assertion) + 1)
    for name, value in zip(findings, result.values, strict=True):
        if value is None:
            continue
        counts = findings[name]
        if value > 0:
            counts.reports_positive += 1
        elif value < 0:
            counts.reports_uncertain += 1
        else:
            counts.reports_negative += 1
