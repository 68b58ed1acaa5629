"""The ablation grid: train each loss combination (for each seed), evaluate, write a table.

Rows follow the papers' ablations: plain CLIP, soft labels from text then text +
clinical similarity, negation hard negatives, both, + graph alignment, everything
(relational similarity included), and UMCL. Every row is trained from the same
base configuration and seed, evaluated by the registered tasks (CXR-Align on a
benchmark split; zero-shot AUROC and linear probe on a labelled dataset), and
summarised as mean ± sd over seeds in ``ablation.md`` and ``ablation.json``, with item-level
paired tests of every row against the first (``cxralign.train.ablation_stats``).

On phantoms each seed has its own data by default (``distinct_items``): seed ``s`` trains on
phantoms generated with ``phantom_seed + s`` and is evaluated on an independent phantom set and
benchmark generated with ``phantom_seed + 1000 + s``. All rows of one seed share its items (so rows
pair item by item); seeds differ in items as well as in initialisation, so the spread over seeds
includes the choice of data, not only of weights.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxralign.train.config import TrainConfig
from cxralign.utils.atomic import atomic_write_text


@dataclass(frozen=True)
class AblationRow:
    name: str
    losses: tuple[str, ...]
    soft: dict[str, float]


def ablation_rows(soft_weight: float = 0.2) -> list[AblationRow]:
    text = {"text_weight": soft_weight, "clinical_weight": 0.0, "relational_weight": 0.0}
    clinical = {"text_weight": soft_weight, "clinical_weight": soft_weight, "relational_weight": 0.0}
    full = {"text_weight": soft_weight, "clinical_weight": soft_weight, "relational_weight": soft_weight / 2}
    return [
        AblationRow("CLIP", ("clip",), {}),
        AblationRow("+soft text", ("clip", "soft"), text),
        AblationRow("+soft text+clinical", ("clip", "soft"), clinical),
        AblationRow("+negatives", ("clip", "neg"), {}),
        AblationRow("+soft text+clinical+negatives", ("clip", "soft", "neg"), clinical),
        AblationRow("+graph", ("clip", "soft", "neg", "graph"), clinical),
        AblationRow("full", ("clip", "soft", "neg", "graph"), full),
        AblationRow("UMCL", ("clip", "umcl"), {}),
    ]


def row_config(
    base: TrainConfig, row: AblationRow, seed: int, out: Path, cache_dir: Path, distinct_items: bool = False
) -> TrainConfig:
    data: dict = {"cache_dir": base.data.cache_dir or str(cache_dir)}
    if distinct_items and base.data.source == "phantoms":
        data["phantom_seed"] = base.data.phantom_seed + seed
    return base.derive(
        f"ablation row {row.name}",
        seed=seed,
        out=str(out),
        losses={"enabled": list(row.losses), "soft": row.soft},
        data=data,
        validation={"benchmark": None, "zero_shot": None},  # evaluated after training
    )


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "clip"


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """row -> metric -> {mean, sd, n} over seeds."""
    table: dict[str, dict[str, list[float]]] = {}
    for run in runs:
        for metric, value in run["metrics"].items():
            table.setdefault(run["row"], {}).setdefault(metric, []).append(value)
    return {
        row: {
            metric: {
                "mean": statistics.fmean(values),
                "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                "n": len(values),
            }
            for metric, values in metrics.items()
        }
        for row, metrics in table.items()
    }


COLUMNS = (
    ("cxr-align/balanced.accuracy", "balanced"),
    ("cxr-align/grounded.accuracy", "grounded"),
    ("cxr-align/negation.accuracy", "Task A (negation)"),
    ("cxr-align/omission.accuracy", "Task B (omission)"),
    ("cxr-align/laterality.accuracy", "laterality"),
    ("cxr-align/affirmation.accuracy", "affirmation"),
    ("cxr-align/negation.grounded", "negation grounded"),
    ("zeroshot/auroc.mean", "zero-shot AUROC"),
    ("linear-probe/auroc.mean@100%", "linear probe AUROC"),
)


def markdown_table(summary: dict[str, dict[str, dict[str, float]]], seeds: Sequence[int]) -> str:
    present = [(key, title) for key, title in COLUMNS if any(key in metrics for metrics in summary.values())]
    lines = [
        f"Mean ± sd over seeds (of {', '.join(str(s) for s in seeds)}; each row's number in `seeds`), x100.",
        "",
        "| row | seeds | " + " | ".join(title for _, title in present) + " |",
        "|---|---|" + "---|" * len(present),
    ]
    for row, metrics in summary.items():
        cells = []
        for key, _ in present:
            if key in metrics:
                stat = metrics[key]
                cells.append(f"{100 * stat['mean']:.1f} ± {100 * stat['sd']:.1f}")
            else:
                cells.append("-")
        runs = max((stat["n"] for stat in metrics.values()), default=0)
        lines.append(f"| {row} | {runs} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_ablation(
    base: TrainConfig,
    out: Path,
    *,
    seeds: Sequence[int] = (0,),
    benchmark: Path | None = None,
    labelled: Path | None = None,
    rows: Sequence[AblationRow] | None = None,
    train_fn: Callable[..., Any] | None = None,
    evaluate_fn: Callable[..., dict[str, float]] | None = None,
    log: Callable[[str], None] = print,
    distinct_items: bool = True,
    train_missing: bool = True,
) -> dict[str, Any]:
    """Train and evaluate every row for every seed; resumable (finished runs are reused).

    ``distinct_items`` (phantoms only, without a given benchmark): every seed trains and is
    evaluated on its own generated data (see the module docstring). ``train_missing=False`` only
    summarises the runs already finished (the tables say how many seeds each row has)."""
    from cxralign.train.model import ReferenceModel
    from cxralign.train.trainer import train
    from cxralign.train.validation import run_tasks

    train_fn = train_fn or train
    evaluate_fn = evaluate_fn or run_tasks
    out.mkdir(parents=True, exist_ok=True)
    independent = base.data.source == "phantoms" and benchmark is None and labelled is None
    distinct_items = distinct_items and independent
    eval_split = "train" if independent else "test"
    data_by_seed = {
        seed: _evaluation_data(base, out, benchmark, labelled, log, seed if distinct_items else 0)
        for seed in seeds
    }
    runs: list[dict[str, Any]] = []
    for row in rows or ablation_rows():
        for seed in seeds:
            seed_benchmark, seed_labelled = data_by_seed[seed]
            run_dir = out / "runs" / slug(row.name) / f"seed-{seed}"
            done = run_dir / "evaluation.json"
            if done.is_file():
                runs.append(json.loads(done.read_text()))
                log(f"{row.name} seed {seed}: reusing {done}")
                continue
            if not train_missing:
                log(f"{row.name} seed {seed}: not run (left out of the tables)")
                continue
            config = row_config(base, row, seed, run_dir, out / "prepared", distinct_items)
            started = time.perf_counter()
            if not (run_dir / "model" / "reference_config.json").is_file():
                train_fn(config)
            seconds = time.perf_counter() - started
            model = ReferenceModel.from_pretrained(run_dir / "model").eval()
            metrics = evaluate_fn(
                model,
                run_dir / "results",
                benchmark=str(seed_benchmark) if seed_benchmark else None,
                benchmark_split=eval_split,
                labelled=str(seed_labelled) if seed_labelled else None,
                labelled_split=eval_split,
                tasks=("cxr-align", "zeroshot", "linear-probe"),
                seed=seed,
                label=f"reference:{slug(row.name)}-seed{seed}",
            )
            record = {
                "row": row.name,
                "seed": seed,
                "losses": list(row.losses),
                "soft": row.soft,
                "train_seconds": seconds,
                "train_phantom_seed": config.data.phantom_seed if independent else None,
                "benchmark": str(seed_benchmark) if seed_benchmark else None,
                "metrics": metrics,
            }
            atomic_write_text(done, json.dumps(record, indent=2))
            runs.append(record)
            log(f"{row.name} seed {seed}: " + ", ".join(f"{k}={v:.3f}" for k, v in sorted(metrics.items())))
    summary = summarise(runs)
    from cxralign.train.ablation_stats import paired_markdown, paired_tests

    names = [row.name for row in rows or ablation_rows()]
    paired = paired_tests(out, names, seeds, slug, baseline=names[0])
    payload = {
        "seeds": list(seeds),
        "distinct_items": distinct_items,
        "base_config": base.record(),
        "runs": runs,
        "summary": summary,
        "paired": paired,
    }
    atomic_write_text(out / "ablation.json", json.dumps(payload, indent=2))
    table = markdown_table(summary, seeds)
    atomic_write_text(
        out / "ablation.md", table + ("\n" + paired_markdown(paired, names[0]) if paired else "")
    )
    return payload


def _evaluation_data(
    base: TrainConfig,
    out: Path,
    benchmark: Path | None,
    labelled: Path | None,
    log: Callable[[str], None],
    offset: int = 0,
) -> tuple[Path | None, Path | None]:
    """Default evaluation data on phantoms: an independently generated phantom set
    (phantom seed + 1000 + ``offset``) and a CXR-Align benchmark built from it.

    None of its studies is seen in training, so CXR-Align and zero-shot use its large
    ``train`` split (hundreds of items rather than the few dozen of a test split) and
    the linear probe fits on its train split and scores its test split.
    """
    if base.data.source != "phantoms" or (benchmark is not None and labelled is not None):
        return benchmark, labelled
    from cxralign.train.data import generate_phantoms

    held_out = base.data.model_copy(update={"phantom_seed": base.data.phantom_seed + 1000 + offset})
    phantoms = generate_phantoms(held_out, out / "prepared")
    labelled = labelled or phantoms
    if benchmark is None:
        benchmark = out / f"benchmark-s{held_out.phantom_seed}"
        if not (benchmark / "manifest.json").is_file():
            from cxralign.benchmark.build import BuildOptions, build_benchmark

            log(f"building a CXR-Align benchmark from {phantoms}")
            build_benchmark(BuildOptions(source="phantoms", root=phantoms, out=benchmark, overwrite=True))
    return benchmark, labelled
