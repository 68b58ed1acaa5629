"""``build_benchmark``: any report corpus -> verified CXR-Align splits on disk."""

from __future__ import annotations

import functools
import itertools
import json
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from cxralign import __version__
from cxralign.benchmark.blind import BlindRow, baseline_cost, chosen_pairs, op_sets
from cxralign.benchmark.controls import CONTROL_POLICY, CORRELATED, assign_controls
from cxralign.benchmark.debias import FILTER_OPS, adversarial_filter, balanced_subset
from cxralign.benchmark.options import BuildOptions, BuildSummary
from cxralign.benchmark.pipeline import (
    Workers,
    analyze_job,
    bank_job,
    blind_job,
    chunked,
    phrases_job,
    preload_job,
    rewrite_job,
)
from cxralign.benchmark.refusals import (
    NOT_APPLICABLE,
    accounting,
    reason_kind,
    refusal_table,
    refusals_markdown,
)
from cxralign.benchmark.selection import PRESENT_OPS, TargetSelector
from cxralign.benchmark.sources import ACCESS, CREDENTIALED, hash_inputs, open_source
from cxralign.benchmark.splits import SplitAssigner, stratified_splits
from cxralign.benchmark.write import dataset_card, dump_json, official_json, write_parquet, write_text
from cxralign.benchmark.write import preload as preload_writer
from cxralign.errors import InputError
from cxralign.rewrite import strip_comparisons
from cxralign.utils.atomic import atomic_directory, atomic_write_text, check_output_dir
from cxralign.utils.gc import collector_paused
from cxralign.utils.hashing import sha256_bytes, sha256_json
from cxralign.vocab import CHEXPERT_14

FORMAT_VERSION = 1
CHUNK = 2048
ANALYSIS_CHUNK = 256
DATA_USE_NOTICE = (
    "This output contains report text derived from {name}. It stays under {name}'s data use agreement: "
    "do not share it, upload it or send it to online services."
)


def _slug(text: str) -> str:
    return "-".join(text.lower().replace("_", " ").split())


def _stated(labels: dict) -> tuple[str, ...]:
    return tuple(sorted(name for name, value in labels.items() if value in (1.0, -1.0)))


def build_benchmark(options: BuildOptions, progress=None, on_progress=None) -> BuildSummary:
    """Read the source, choose targets, rewrite and verify, split by patient, write ``options.out`` atomically."""
    options.validate()
    with collector_paused():
        return _build(options, progress, on_progress)


def _build(options: BuildOptions, progress, on_progress) -> BuildSummary:
    started = time.perf_counter()
    check_output_dir(options.out, options.overwrite)
    # the workers start first: they load what the build's tail needs while this process reads the corpus
    with Workers(options.workers, options.seed, select=(options.ops, options.findings)) as workers:
        workers.broadcast(preload_job)
        reader = open_source(
            options.source,
            options.root,
            images_root=options.images_root,
            text_column=options.text_column,
            id_column=options.id_column,
        )
        summary = BuildSummary(out=Path(options.out), access=ACCESS[options.source])
        summary.credentialed = options.source in CREDENTIALED
        main_pass = _Pass(options, summary, workers)
        phrases = _phrase_bank(options, reader, workers) if options.phrasing == "corpus" else None
        preload_writer()  # while the workers read the phrase bank's reports
        task = progress.add_task("building", total=len(reader)) if progress is not None else None

        def advance(reports: int) -> None:
            if progress is not None:
                progress.update(task, advance=reports)
            if on_progress is not None:
                on_progress(main_pass.counted)

        main_pass.run(reader, phrases, advance)
        _finish(options, summary, main_pass.tally, reader, main_pass.selector, main_pass.splitter, workers)
    summary.wall_time_s = round(time.perf_counter() - started, 3)
    if options.rejected is not None:
        lines = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in summary.rejections)
        atomic_write_text(options.rejected, lines)
    return summary


class _Pass:
    """The main pass: analyses queued ahead, targets chosen and outcomes counted in input order.

    The workers run their jobs in the order they were queued: analyses of batches 1 and 2, rewrites
    of batch 1, analyses of batch 3, rewrites of batch 2, ... This process chooses the targets of
    batch k (and queues its rewrites) before it counts the outcomes of batch k - 1, so a worker that
    finishes its part of a batch early always has the next job waiting instead of idling until the
    other worker's last result of that batch is in.
    """

    def __init__(self, options: BuildOptions, summary: BuildSummary, workers: Workers) -> None:
        self.options, self.summary, self.workers = options, summary, workers
        self.tally = _Tally()
        self.selector = TargetSelector(options.seed, options.per_report, options.max_per_finding)
        self.splitter = SplitAssigner()
        self.present_ops = tuple(op for op in options.ops if op in PRESENT_OPS)
        self.opposite = options.opposite and {"negate", "affirm"} <= set(options.ops)
        self.counted = 0  # reports whose outcomes are counted

    def run(self, reader, phrases, advance) -> None:
        """Every batch of ``reader`` through analysis, choice and rewriting; ``phrases()`` (when
        given) is the phrase bank, sent to the workers before their first rewrite."""
        analyses = (self.analyse(batch) for batch in chunked(iter(reader), CHUNK))
        ahead = deque(islice(analyses, 1))
        ready = self.workers.broadcast(phrases_job, phrases()) if phrases is not None else None
        ahead.extend(islice(analyses, 1))
        behind = None  # the batch whose rewrites are counted next: (reports, owners, outcomes)
        while ahead:
            batch, texts, analysed = ahead.popleft()
            jobs, owners, routes = self.choose(batch, texts, list(analysed))
            if ready is not None:
                ready()  # queued right behind the first analyses: raises here if a worker failed it
                ready = None
            outcomes = self.workers.map(rewrite_job, jobs, chunksize=64, routes=routes)
            rewrites = (len(batch), owners, outcomes)
            ahead.extend(islice(analyses, 1))
            if behind is not None:
                self.count(behind, advance)
            behind = rewrites
        if behind is not None:
            self.count(behind, advance)

    def analyse(self, batch: list) -> tuple:
        """Queue a batch's analyses; the workers make them while this process handles earlier batches."""
        texts = [strip_comparisons(r.text) if self.options.strip_comparisons else r.text for r in batch]
        jobs = list(zip(texts, (r.report_id for r in batch), strict=False))
        return batch, texts, self.workers.map(analyze_job, jobs, chunksize=ANALYSIS_CHUNK)

    def choose(self, batch: list, texts: list[str], analysed: list) -> tuple[list, list, list]:
        """Targets of one analysed batch in input order: (rewrite jobs, their owners, their workers)."""
        summary, tally = self.summary, self.tally
        jobs, owners, routes = [], [], []
        for position, (record, text, (labels, found)) in enumerate(zip(batch, texts, analysed, strict=False)):
            summary.reports_read += 1
            tally.reports_digest.append(sha256_bytes(f"{record.report_id}\0{record.text}".encode()))
            patient_key = record.patient_id or f"report:{record.report_id}"
            self.splitter.observe(patient_key, (record.meta or {}).get("split"))
            if not found:
                summary.no_eligible_finding += 1
                continue
            summary.eligible += 1
            chosen = self.selector.choose(record.report_id, found)
            if not chosen:
                continue
            targets = [(c.target, c.present, self.present_ops if c.present else ("affirm",)) for c in chosen]
            for extra in self.selector.opposite(record.report_id, found, chosen) if self.opposite else ():
                # for the balanced set: negate / affirm of the same report
                targets.append((extra.target, extra.present, ("negate",) if extra.present else ("affirm",)))
            jobs.append((text, record.report_id, targets))
            owners.append((record, labels, text))
            routes.append(self.workers.route(position, ANALYSIS_CHUNK))  # where its analysis is kept
        return jobs, owners, routes

    def count(self, rewrites: tuple, advance) -> None:
        """Items, rejections and counts of one batch's rewrites, in input order."""
        reports, owners, outcomes_of = rewrites
        tally, options = self.tally, self.options
        for (record, labels, text), outcomes in zip(owners, outcomes_of, strict=False):
            for outcome in outcomes:
                for rejection in outcome.rejections:
                    counter = tally.rejected if rejection.stage == "verification" else tally.unsupported
                    counter[(rejection.op, rejection.target)] += 1
                    tally.refused[(rejection.op, reason_kind(rejection.reason))] += 1
                    if options.rejected is not None:
                        self.summary.rejections.append(rejection.to_dict())
                tally.attempted.update([r.op for r in outcome.rejections] + list(outcome.not_applicable))
                tally.attempted.update(list(outcome.variants))
                for op in outcome.not_applicable:
                    tally.not_applicable[op] += 1
                    tally.refused[(op, NOT_APPLICABLE)] += 1
                if not outcome.variants:
                    continue
                tally.items.append(_item(record, labels, outcome, text))
                for op in outcome.variants:
                    tally.variants[(op, outcome.target)] += 1
        self.counted += reports
        advance(reports)


@dataclass
class _Tally:
    """What the rewrite loop accumulates for the output and the summary."""

    items: list[dict] = field(default_factory=list)
    reports_digest: list[str] = field(default_factory=list)
    variants: Counter = field(default_factory=Counter)  # (op, finding) -> verified variants
    rejected: Counter = field(default_factory=Counter)  # (op, finding) -> failed verification
    unsupported: Counter = field(default_factory=Counter)  # (op, finding) -> no edit possible
    not_applicable: Counter = field(default_factory=Counter)  # op -> reports it does not apply to
    refused: Counter = field(default_factory=Counter)  # (op, reason kind) -> n
    attempted: Counter = field(default_factory=Counter)  # op -> (report, finding) pairs tried


def _finish(options: BuildOptions, summary: BuildSummary, tally: _Tally, reader, selector, splitter, workers):
    """Splits, controls, blind baselines (fitted by the workers) and every output file."""
    items = tally.items
    summary.reports_skipped = len(getattr(reader, "skipped", ()))
    summary.capped = selector.capped
    without_image = sum(1 for item in items if not item["has_image"])
    if options.require_images and without_image:
        raise InputError(
            f"{without_image} of {len(items)} items have no image (--require-images); "
            "pass the images root with --images or drop --require-images for text-only items"
        )
    if not items:
        raise InputError(
            f"no items: {summary.reports_read} reports read, none had an eligible finding that could be rewritten"
        )
    # first the per-op blind baselines: the idle workers fit them while this process runs the blind
    # filter, then splits and writes (they do not depend on the balanced set; one generator draws
    # the per-op pairs, then the balanced set's, as ``blind_sets`` does)
    draws = random.Random(options.seed)
    per_op = op_sets(_blind_rows(items, options.ops), options.ops, draws)
    costs = [baseline_cost(keyed) for keyed in per_op.values()]
    routes = workers.spread(costs)
    loads = [0.0] * workers.workers
    for route, cost in zip(routes, costs, strict=True):
        loads[route] += cost
    jobs = [(name, keyed, options.seed) for name, keyed in per_op.items()]
    op_baselines = workers.map(blind_job, jobs, chunksize=1, routes=routes)
    balanced = _balanced_set(items, options, summary)
    summary.items = len(items)
    summary.without_image = without_image
    balanced_job = [("balanced", chosen_pairs(balanced, draws), options.seed)]
    balanced_baseline = workers.map(blind_job, balanced_job, chunksize=1, routes=[loads.index(min(loads))])
    stratified = _stratified(items, splitter)
    for item in items:
        key = item["_patient_key"]
        item["split"] = stratified[key] if key in stratified else splitter.assign(key)
    summary.variants = _nested(tally.variants)
    summary.rejected = _nested(tally.rejected)
    summary.unsupported = _nested(tally.unsupported)
    summary.not_applicable = dict(sorted(tally.not_applicable.items()))
    summary.refused = refusal_table(tally.refused)
    summary.attempted = dict(sorted(tally.attempted.items()))
    rows_by_op = _rows_by_op(items, options)
    summary.splits = {op: dict(Counter(row["split"] for row in rows)) for op, rows in rows_by_op.items()}

    def blind() -> dict[str, dict]:
        summary.blind = dict(zip([*per_op, "balanced"], itertools.chain(op_baselines, balanced_baseline), strict=True))
        return summary.blind

    _write(options, summary, rows_by_op, reader, tally.reports_digest, blind)


def _stratified(items: list[dict], splitter) -> dict[str, str]:
    """Splits of the patients without a source split, stratified by (finding, op)."""
    cells: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        if not splitter.has_source_split(item["_patient_key"]):
            balanced = item.get("_balanced", ())
            cells[item["_patient_key"]].update((item["target"], op, op in balanced) for op in item["variants"])
    return stratified_splits(cells, splitter.fractions)


def _balanced_set(items: list[dict], options: BuildOptions, summary: BuildSummary) -> list[BlindRow]:
    """Choose the balanced set among the negate / affirm variants (the blind filter, see
    ``cxralign.benchmark.debias``; without it, equal counts per finding drawn at random) and mark
    its variants (``item["_balanced"]``: their ops). Every verified variant stays in its op."""
    owners = _variant_owners(items, tuple(op for op in options.ops if op in FILTER_OPS))
    rows = [_blind_row(item, op) for item, op in owners]
    if options.blind_filter:
        sample = _filter_sample(len(rows), options.seed)
        result = adversarial_filter(rows if sample is None else [rows[i] for i in sample], options.seed)
        summary.blind_filter, selected = result.manifest(), result.selected
        if sample is not None:  # the balanced set is chosen among the sampled rows only
            selected = [sample[index] for index in selected]
            summary.blind_filter["sampled"] = {"rows": len(sample), "of": len(rows), "seed": options.seed + 2}
    else:
        selected = balanced_subset(rows, options.seed)
    chosen: Counter = Counter()
    for index in selected:
        item, op = owners[index]
        item.setdefault("_balanced", set()).add(op)
        chosen[(op, item["target"])] += 1
    summary.balanced = _nested(chosen)
    return [rows[index] for index in selected]


FILTER_POOL = 8000
"""Negate + affirm variants the blind filter reads at most: its rounds fit probes on the whole pool
in this process (about 6 ms CPU a row, more than the rest of the build per report at scale), while
its guarantee (every probe near chance at >= 600 balanced pairs) needs only a few thousand. A larger
pool is sampled (seeded, in order); the balanced set is then chosen among the sampled variants."""


def _filter_sample(pool: int, seed: int) -> list[int] | None:
    """Sorted positions of the rows the blind filter reads (``None``: all of them)."""
    if pool <= FILTER_POOL:
        return None
    import numpy as np

    return np.sort(np.random.default_rng(seed + 2).choice(pool, FILTER_POOL, replace=False)).tolist()


def _variant_owners(items: list[dict], ops: tuple[str, ...]) -> list[tuple[dict, str]]:
    """(item, op) of every variant of ``ops``, op by op in ``ops`` order as the rows are written."""
    return [(item, op) for op in ops for item in items if op in item["variants"]]


def _blind_row(item: dict, op: str) -> BlindRow:
    return (op, item["target"], item["original"], item["variants"][op].text, item["_patient_key"])


def _blind_rows(items: list[dict], ops: tuple[str, ...]) -> list[BlindRow]:
    """What the blind baselines read of each output row, without the splits (so the baselines can
    start before the rows are made)."""
    return [_blind_row(item, op) for item, op in _variant_owners(items, ops)]


BANK_REPORTS = 5000


def _phrase_bank(options: BuildOptions, reader, workers: Workers) -> Callable[[], object]:
    """One-finding statements of the first ``BANK_REPORTS`` reports (a deterministic pre-pass).

    The workers count them (and send back counts, not analyses) ahead of the first analyses;
    calling the result waits for their counts and merges them in order. It reads them from the
    build's own reader (a table source is parsed once, not twice); inputs it skips are forgotten
    again, so the main pass counts each skipped input once.
    """
    from cxralign.rewrite.phrases import PhraseBank

    skipped_before = len(reader.skipped)
    records = list(islice(iter(reader), BANK_REPORTS))
    del reader.skipped[skipped_before:]
    texts = [strip_comparisons(r.text) if options.strip_comparisons else r.text for r in records]
    parts = workers.map(bank_job, list(chunked(texts, 250)), chunksize=1)

    def merged() -> PhraseBank:
        bank = PhraseBank()
        for part in parts:
            bank.merge(part)
        return bank

    return merged


def _nested(counter: Counter) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = defaultdict(dict)
    for (op, target), n in sorted(counter.items()):
        nested[op][target] = n
    return dict(nested)


def _item(record, labels: dict, outcome, original: str) -> dict:
    labels_json, stated = _label_columns(tuple(labels.items()))
    has_image = bool(record.image_paths)
    image_path = record.image_paths[0] if has_image else None
    return {
        "item_id": f"{record.report_id}/{_slug(outcome.target)}",
        "patient_id": record.patient_id,
        "study_id": record.study_id,
        "image_id": record.image_ids[0] if record.image_ids else None,
        "image_path": image_path,
        "has_image": has_image,
        "target": outcome.target,
        "target_present": outcome.present,
        "labels": labels_json,
        "_stated": stated,
        "_patient_key": record.patient_id or f"report:{record.report_id}",
        "original": original,
        "variants": outcome.variants,
    }


@functools.lru_cache(maxsize=4096)
def _label_columns(labels: tuple[tuple[str, float | None], ...]) -> tuple[str, tuple[str, ...]]:
    """(labels as JSON, stated findings) of one report's labels (floats or None), made once per
    distinct set: reports share a few thousand sets, and the JSON cost 10 us an item."""
    as_dict = dict(labels)
    return json.dumps({name: as_dict.get(name) for name in CHEXPERT_14}), _stated(as_dict)


def _rows_by_op(items: list[dict], options: BuildOptions) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {op: [] for op in options.ops}
    for item in items:
        shared = dict(item)  # what the rows of an item's variants share
        del shared["variants"]
        balanced = shared.pop("_balanced", ())
        for op, variant in item["variants"].items():
            rows[op].append(
                dict(
                    shared,
                    op=op,
                    balanced=op in balanced,
                    target_concept=variant.target_concept,
                    variant=variant.text,
                    location=variant.location,
                    changes=variant.changes,
                )
            )
    by_split: dict[str, list[dict]] = defaultdict(list)  # controls are drawn from a split's every op
    for op_rows in rows.values():
        for row in op_rows:
            by_split[row["split"]].append(row)
    for split_rows in by_split.values():
        assign_controls(split_rows, options.seed, options.controls)
    return {op: op_rows for op, op_rows in rows.items() if op_rows}


def _write(options: BuildOptions, summary: BuildSummary, rows_by_op, reader, reports_digest, blind) -> None:
    """Every output file into a temporary directory renamed at the end; ``blind()`` is awaited last."""
    name = {"mimic": "MIMIC-CXR", "chexpert-plus": "CheXpert Plus"}.get(options.source, options.source)
    notice = (
        DATA_USE_NOTICE.format(name=name) if summary.credentialed else f"Source licence: {summary.access}."
    )
    with atomic_directory(options.out, overwrite=options.overwrite) as tmp:
        files: dict[str, list[str]] = {}
        for op, rows in sorted(rows_by_op.items()):
            by_split: dict[str, list[dict]] = defaultdict(list)
            for row in rows:
                by_split[row["split"]].append(row)
            for split, split_rows in sorted(by_split.items()):
                write_parquet(tmp / "data" / op / f"{split}.parquet", split_rows)
                files.setdefault(op, []).append(split)
        images = getattr(reader, "images", None)
        if images:
            wanted = sorted(
                {row["image_id"] for rows in rows_by_op.values() for row in rows if row["has_image"]}
            )
            (tmp / "images").mkdir()
            for image_id in wanted:
                (tmp / "images" / f"{image_id}.png").write_bytes(images[image_id])
        write_text(tmp / "cxr-align.json", dump_json(official_json(rows_by_op, options.source)))
        write_text(
            tmp / "README.md",
            dataset_card(f"CXR-Align ({name})", files, summary.splits, options.source, summary.access, notice)
            + refusals_markdown(summary.attempted, summary.refused, summary.splits),
        )
        blind()
        write_text(tmp / "manifest.json", dump_json(_manifest(options, summary, reports_digest)))


def _manifest(options: BuildOptions, summary: BuildSummary, reports_digest: list[str]) -> dict:
    from cxralign.reports import load_lexicon

    lexicon = load_lexicon()
    lexicon_version = getattr(lexicon, "version", None)
    return {
        "format": "cxralign-benchmark",
        "format_version": FORMAT_VERSION,
        "toolkit": {
            "cxralign": __version__,
            "lexicon": lexicon_version,
            "lexicon_sha256": _lexicon_hash(lexicon),
        },
        "source": options.source,
        "access": "credentialed" if summary.credentialed else summary.access,
        "data_use": DATA_USE_NOTICE.format(name=options.source) if summary.credentialed else None,
        "inputs": hash_inputs(options.source, options.root),
        "reports_sha256": sha256_json(reports_digest),
        "options": options.manifest_options(),
        "counts": summary.manifest_counts(),
        "rejections": {"verification": summary.rejected, "unsupported": summary.unsupported},
        "refusals": {
            "by_reason": summary.refused,
            "accounting": accounting(summary.attempted, summary.refused, summary.splits),
        },
        "verification_pass_rate": _pass_rates(summary),
        "controls": {"policy": CONTROL_POLICY, "per_item": options.controls, "correlated": _correlated()},
        "blind_filter": summary.blind_filter or None,
        "blind_baselines": summary.blind,
    }


def _correlated() -> dict[str, list[str]]:
    return {finding: sorted(others) for finding, others in sorted(CORRELATED.items())}


def _pass_rates(summary: BuildSummary) -> dict[str, float | None]:
    """Per op: verified variants / (verified + failed verification)."""
    rates: dict[str, float | None] = {}
    for op in sorted(set(summary.variants) | set(summary.rejected)):
        kept = sum(summary.variants.get(op, {}).values())
        failed = sum(summary.rejected.get(op, {}).values())
        rates[op] = round(kept / (kept + failed), 4) if kept + failed else None
    return rates


def _lexicon_hash(lexicon) -> str | None:
    path = getattr(lexicon, "path", None)
    if path and Path(path).exists():
        return sha256_bytes(Path(path).read_bytes())
    from importlib.resources import files

    try:
        return sha256_bytes(files("cxralign.reports").joinpath("lexicon.yaml").read_bytes())
    except (FileNotFoundError, ModuleNotFoundError):
        return None
