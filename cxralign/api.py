"""The Python entry points: evaluate a model (or several) in one call, tabulate, build, load.

Every stage of ``make demo`` has a function here (``label``, ``phantoms``, ``build``,
``train_reference``, ``evaluate``, ``submit``, ``render_leaderboard``); each calls the same
library code as its CLI command and writes the same files.

``cxralign.evaluate`` is ``cxralign eval`` as a function: it takes the same model
specs, or a model the caller already holds in memory, runs the same tasks through
the same runner and returns the same ``TaskResult`` records (and writes the same
files when ``out`` is given). Under ``torchrun`` it shards the embedding work;
rank 0 gets the results, the other ranks an empty list.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxralign.errors import ConfigError, CxrAlignError

if TYPE_CHECKING:
    import pandas as pd

    from cxralign.benchmark import BuildSummary
    from cxralign.reports.label_job import LabelSummary
    from cxralign.tasks.results import TaskResult
    from cxralign.train.trainer import TrainSummary

ModelLike = Any  # a spec string, an ImageTextModel, (open_clip model, preprocess, tokenizer), (HF model, processor), (images_fn, texts_fn)
DataLike = Mapping[str, str | os.PathLike[str]] | Sequence[str]


class EvaluationFailed(CxrAlignError):
    """Some (task, dataset) failed; the ones that worked are in ``results`` (and on disk when ``out`` was given)."""

    def __init__(self, message: str, results: list[TaskResult]) -> None:
        super().__init__(message)
        self.results = results


def _data_specs(data: DataLike | None) -> list:
    from cxralign.tasks.runner import DataSpec

    if not data:
        raise ConfigError(
            'no data: pass data={"cxr-align": "path/to/build"} (or "phantoms": DIR, "chexpert": ROOT, ...)'
        )
    if isinstance(data, Mapping):
        return [DataSpec.parse(f"{name}={os.fspath(path)}") for name, path in data.items()]
    if isinstance(data, str):
        return [DataSpec.parse(data)]
    return [DataSpec.parse(item) for item in data]


def _task_names(tasks: str | Sequence[str]) -> list[str]:
    from cxralign.tasks.runner import SUITES, resolve_tasks

    if isinstance(tasks, str):
        return (
            resolve_tasks(None, tasks) if tasks in SUITES and "," not in tasks else resolve_tasks(tasks, None)
        )
    return resolve_tasks(",".join(tasks), None)


def _models(model: ModelLike | list[ModelLike]) -> list[ModelLike]:
    """A list of models (the list form); a tuple is one in-memory model's parts."""
    return list(model) if isinstance(model, list) else [model]


def evaluate(
    model: ModelLike | list[ModelLike],
    tasks: str | Sequence[str] = "cxr-align",
    data: DataLike | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    name: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    batch_size: int = 64,
    seed: int = 0,
    bootstrap: int = 1000,
    cache: bool | str | os.PathLike[str] = True,
    resume: bool = False,
    options: Mapping[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    html: bool = False,
) -> list[TaskResult]:
    """Evaluate one model, or a list of models, and return their ``TaskResult`` records.

    ``model`` is any of: a spec string as the CLI takes (``"open_clip:ViT-B-32@/ckpt.pt"``);
    an ``ImageTextModel``; an in-memory open_clip model as ``(model, preprocess, tokenizer)``;
    a Hugging Face ``CLIPModel`` / ``AutoModel`` as ``(model, processor)`` or
    ``(model, image_processor, tokenizer)``; or two callables ``(images_fn, texts_fn)``
    (``(N, C, H, W)`` preprocessed tensor -> ``(N, D)``, ``list[str]`` -> ``(N, D)``) with
    ``name=``. A list evaluates each in turn, preparing every dataset once.

    ``tasks`` is a task name, a comma list, a suite (``quick``) or a list; ``data`` maps
    ``LOADER`` (or ``LABEL:LOADER``) to a path, as ``--data`` does. With ``out`` the same
    files as ``cxralign eval`` are written there; without, they go to a temporary folder that is
    removed (the records stay; their per-item score files do not).
    ``cache``: True for the default embedding cache, False for none, or a directory.
    A failed (task, dataset) raises :class:`EvaluationFailed` after the others ran. Under
    ``torchrun`` every rank embeds its shard; rank 0 returns the results, the others ``[]``.
    ``html=True`` (with ``out``) also writes each model's ``report.html``, as the CLI does; a
    report that cannot be drawn gives a ``RuntimeWarning`` and the results are returned.
    """
    from cxralign.data.downstream import LoadOptions
    from cxralign.models import EmbeddingCache
    from cxralign.models.wrapped import as_model
    from cxralign.tasks.runner import DEFAULT_TASK_OPTIONS, join_process_group, run_models

    models = _models(model)
    if name is not None and len(models) > 1:
        raise ConfigError("name= names one model; give a list of models their names through their specs")
    specs = _data_specs(data)
    task_names = _task_names(tasks)
    _, device = join_process_group(device)  # under torchrun: shard the embedding over the ranks
    results: list[TaskResult] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cxralign-results-") as scratch:
        runs = run_models(
            models,
            lambda item: as_model(item, name=name, device=device, precision=precision),
            specs,
            Path(out) if out is not None else Path(scratch),
            task_names,
            seed=seed,
            batch_size=batch_size,
            cache=None if cache is False else EmbeddingCache(None if cache is True else cache),
            bootstrap=bootstrap,
            resume=resume,
            load_options=LoadOptions(seed=seed),  # the CLI's defaults, so the run keys agree
            task_options={**DEFAULT_TASK_OPTIONS, **dict(options or {})},
            log=log or (lambda message: None),
        )
    for evaluation, outcomes in runs:
        if html and out is not None and any(o.results for o in outcomes):
            from cxralign.tasks.html_report import write_html_report

            try:
                write_html_report(Path(out), evaluation.info.spec, outcomes)
            except Exception as error:  # as the CLI: the results are written; a plot must not lose them
                warnings.warn(
                    f"HTML report not written for {evaluation.info.spec}: {type(error).__name__}: {error}",
                    RuntimeWarning,
                    stacklevel=2,
                )
        for outcome in outcomes:
            results.extend(outcome.results)
            if outcome.status == "failed":
                failures.append(
                    f"{evaluation.info.spec}: {outcome.task} on {outcome.dataset}: {outcome.message}"
                )
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise EvaluationFailed(failures[0] + more, results)
    return results


def results_table(results: Sequence[TaskResult], *, metrics: str = "main") -> pd.DataFrame:
    """One row per (model, task, dataset, split, metric) with the value and its 95% interval.

    ``metrics="main"`` keeps each task's headline metric; ``"all"`` every metric.
    """
    import pandas as pd

    if metrics not in ("main", "all"):
        raise ConfigError(f"metrics= takes 'main' or 'all', got {metrics!r}")
    rows = []
    for result in results:
        for metric_name, metric in result.metrics.items():
            if metrics == "main" and metric_name != result.main_score:
                continue
            rows.append(
                {
                    "model": result.model.spec,
                    "task": result.task,
                    "dataset": result.dataset,
                    "split": result.split,
                    "metric": metric_name,
                    "value": metric.value,
                    "ci_low": metric.ci_low,
                    "ci_high": metric.ci_high,
                    "n": metric.n,
                    "chance": metric.chance,
                }
            )
    columns = ["model", "task", "dataset", "split", "metric", "value", "ci_low", "ci_high", "n", "chance"]
    return pd.DataFrame(rows, columns=columns)


def build(
    source: str,
    root: str | os.PathLike[str],
    out: str | os.PathLike[str],
    **options: Any,
) -> BuildSummary:
    """``cxralign build`` as a function: CXR-Align splits from a report corpus (see ``BuildOptions``)."""
    from cxralign.benchmark import BuildOptions, build_benchmark

    return build_benchmark(BuildOptions(source=source, root=Path(root), out=Path(out), **options))


def load_benchmark(root: str | os.PathLike[str], op: str = "negation", split: str = "test") -> Any:
    """One op's split of a built benchmark as a ``datasets.Dataset`` (images as an ``Image`` feature)."""
    from cxralign.benchmark import load_benchmark as load

    return load(root, op, split)


def label(
    input: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    *,
    source: str | None = None,
    **options: Any,
) -> LabelSummary:
    """``cxralign label`` as a function: one CSV row of labels per report (see ``label_corpus``).

    ``options`` go to the corpus reader (``text_column``, ``id_column``, ...) or to the labeller
    (``vocab``, ``sections``, ``workers``, ``explain``, ``lexicon``).
    """
    from cxralign.data.corpora import read_corpus
    from cxralign.reports.label_job import label_corpus

    labeller = {
        k: options.pop(k) for k in ("vocab", "sections", "workers", "explain", "lexicon") if k in options
    }
    return label_corpus(read_corpus(source, input, **options), out, **labeller)


def phantoms(out: str | os.PathLike[str], n: int, **options: Any) -> dict[str, Any]:
    """``cxralign data phantoms`` as a function: ``n`` phantom studies at ``out``; returns the manifest."""
    from cxralign.data.phantoms.dataset import write_phantom_dataset

    return write_phantom_dataset(out, n, **options)


def train_reference(
    *,
    preset: str | None = "tiny-cpu",
    config_file: str | os.PathLike[str] | None = None,
    overrides: Sequence[Mapping[str, Any]] = (),
    resume: bool = False,
) -> TrainSummary:
    """``cxralign train-reference`` as a function: the preset, then the YAML file, then each override.

    >>> train_reference(overrides=[{"data": {"source": "phantoms"}}, {"out": "runs/clip"}])  # doctest: +SKIP
    """
    from cxralign.train.config import build_config
    from cxralign.train.trainer import train
    from cxralign.train.validation import TaskValidator

    settings = build_config(preset=preset, config_file=config_file, overrides=[dict(o) for o in overrides])
    validator = TaskValidator(settings.validation, Path(settings.out), settings.seed)
    return train(settings, resume=resume, validator=validator if validator.enabled else None)


def submit(
    results_dir: str | os.PathLike[str],
    name: str,
    out: str | os.PathLike[str],
    *,
    model_name: str | None = None,
    datasets: Sequence[str | os.PathLike[str]] = (),
    overwrite: bool = False,
    **card: Any,
) -> Path:
    """``cxralign leaderboard submit`` as a function; ``card`` holds the other ``CardOverrides`` fields
    (``version``, ``weights``, ``parameter_count``, ``licence``, ``training_datasets``, ``citation``)."""
    from cxralign.leaderboard import CardOverrides, Registry, assemble_submission

    registry = Registry.default([Path(d) for d in datasets])
    overrides = CardOverrides(name=model_name, **card)
    return assemble_submission(
        Path(results_dir), name, Path(out), overrides, overwrite=overwrite, registry=registry
    )


def render_leaderboard(
    submissions: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    datasets: Sequence[str | os.PathLike[str]] = (),
    reported: bool = True,
) -> Path:
    """``cxralign leaderboard render`` as a function: validate every submission, write the site; its index."""
    from cxralign.leaderboard import Registry
    from cxralign.leaderboard import render_leaderboard as render

    index, _ = render(
        Path(submissions),
        Path(out),
        registry=Registry.default([Path(d) for d in datasets]),
        include_reported=reported,
    )
    return index
