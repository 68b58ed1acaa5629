"""Helpers the downstream tasks share (zero-shot, retrieval, linear probe, fine-tune).

Task modules import these from here and never from each other: which splits a task scores,
the image embeddings of one split, what a result records about its data, the label
fractions and seeds trained tasks run at, and the skeleton of a trained task (``TrainedTask``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset
from cxralign.errors import InputError
from cxralign.tasks.base import Metrics, PerGroup, RunContext, ScoredSplit, Task, TaskMetadata
from cxralign.tasks.classification import classification_statistics, score_table
from cxralign.tasks.embedding import embed_image_files
from cxralign.tasks.metrics import Statistic
from cxralign.tasks.probe_metrics import probe_metrics

CLASSIFICATION_DATASETS = (
    "mimic-cxr",
    "chexpert",
    "chexpert-5x200",
    "chexpert-plus",
    "nih-cxr14",
    "rsna-pneumonia",
    "siim-pneumothorax",
    "vindr-cxr",
    "openi",
    "phantoms",
    "csv",
    "imagefolder",
)
DEFAULT_FRACTIONS = (0.01, 0.1, 1.0)
DEFAULT_SEEDS = 3


def image_embeddings(ctx: RunContext, data: DownstreamDataset, frame: pd.DataFrame, split: str) -> np.ndarray:
    """Normalised image embeddings of ``frame``'s rows (cached under the dataset's hash and split)."""
    return embed_image_files(
        ctx.model,
        data.image_sources(frame),
        list(frame["item_id"]),
        batch_size=ctx.batch_size,
        cache=ctx.cache,
        dataset_hash=data.hash(),
        split=split,
    )


def data_config(data: DownstreamDataset) -> dict[str, Any]:
    """What a result records about its dataset: kind, classes, load options and the loader's notes."""
    return {
        "kind": data.kind,
        "classes": list(data.classes),
        "data_options": data.options,
        "data_notes": {k: v for k, v in data.notes.items()},
    }


def eval_splits(data: DownstreamDataset, ctx: RunContext) -> list[str]:
    """The requested splits the dataset has (``test`` by default), else its last split."""
    wanted = ctx.options.get("splits") or ["test"]
    found = [s for s in wanted if s in data.splits]
    return found or [data.splits[-1]]


def require_splits(data: DownstreamDataset, name: str) -> None:
    """Trained tasks fit on ``train`` and select on ``valid``: one error line when either is missing."""
    missing = [s for s in ("train", "valid") if s not in data.splits]
    if missing:
        raise InputError(
            f"dataset {name} has no {' or '.join(missing)} split; trained tasks need train and valid"
        )


def subsample(labels: np.ndarray, fraction: float, seed: int, kind: str) -> np.ndarray:
    """Indices of a seeded training subset; multi-class keeps at least one example per class."""
    n = len(labels)
    if fraction >= 1.0:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    k = max(1, int(round(fraction * n)))
    if kind == "multiclass":
        classes = np.argmax(labels, axis=1)
        first = [rng.choice(np.flatnonzero(classes == c)) for c in np.unique(classes)]
        rest = rng.permutation(np.setdiff1d(np.arange(n), first))[: max(0, k - len(first))]
        return np.sort(np.r_[first, rest]).astype(int)
    return np.sort(rng.permutation(n)[:k])


def fraction_runs(ctx: RunContext) -> list[tuple[float, int]]:
    """Every (label fraction, seed) a trained task runs; 100% once, since every seed sees the same data."""
    fractions = tuple(ctx.options.get("fractions", DEFAULT_FRACTIONS))
    n_seeds = int(ctx.options.get("n_seeds", DEFAULT_SEEDS))
    return [(f, ctx.seed + s) for f in fractions for s in (range(1) if f >= 1.0 else range(n_seeds))]


def fraction_config(ctx: RunContext) -> dict[str, Any]:
    """The label fractions and seed count a trained task ran, as recorded in its result config."""
    return {
        "fractions": sorted({f for f, _ in fraction_runs(ctx)}),
        "n_seeds": int(ctx.options.get("n_seeds", DEFAULT_SEEDS)),
    }


def score_fractions(
    ctx: RunContext,
    data: DownstreamDataset,
    test: pd.DataFrame,
    y_train: np.ndarray,
    fit: Callable[[np.ndarray, int], tuple[np.ndarray, dict[str, Any]]],
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Train at every (label fraction, seed) and score the test split: the loop trained tasks share.

    ``fit(rows, seed)`` trains on the training rows ``rows`` and returns the test scores and what
    to log about the run; the log is keyed ``"fraction/seed"``.
    """
    parts, log = [], {}
    for fraction, seed in fraction_runs(ctx):
        rows = subsample(np.nan_to_num(y_train), fraction, seed, data.kind)
        scores, info = fit(rows, seed)
        log[f"{fraction:g}/{seed}"] = {**info, "n_train": int(len(rows))}
        parts.append(
            score_table(
                list(test["item_id"]),
                data.classes,
                scores,
                data.labels(test),
                fraction=float(fraction),
                seed=int(seed),
            )
        )
    return pd.concat(parts, ignore_index=True), log


def trained_metadata(name: str, description: str, metrics: tuple[str, ...], reference: str) -> TaskMetadata:
    """The metadata trained tasks share: image-only, classification data, fitted on train, scored at 100%."""
    return TaskMetadata(
        name=name,
        version="1.0",
        description=description,
        main_score="auroc.mean@100%",
        modalities=("image",),
        datasets=CLASSIFICATION_DATASETS,
        trained=True,
        metrics=metrics,
        reference=reference,
    )


class ClassificationTask(Task):
    """A task scored per class on a downstream dataset: paired statistics over its score table."""

    def paired_statistics(
        self, scores: pd.DataFrame, config: dict[str, Any]
    ) -> tuple[pd.Series, dict[str, Statistic]]:
        return classification_statistics(scores, config)


class TrainedTask(ClassificationTask):
    """What the linear probe and the fine-tune share: features of train and valid once, then for
    every scored split one fit per (label fraction, seed), recorded with the same config layout.

    A subclass gives ``settings`` (its options, recorded before the fractions), ``features``
    (what it trains on for a split's rows), ``fit`` (one run: test scores and a log) and
    ``fit_config`` (what the run chose, recorded after the fractions).
    """

    timing = "fit_s"  # the ScoredSplit timing key

    def settings(self, ctx: RunContext) -> dict[str, Any]:
        raise NotImplementedError

    def features(self, ctx: RunContext, data: DownstreamDataset, frame: pd.DataFrame, split: str) -> Any:
        raise NotImplementedError

    def fit(
        self,
        ctx: RunContext,
        settings: dict[str, Any],
        train: tuple[Any, np.ndarray],
        valid: tuple[Any, np.ndarray],
        x_test: Any,
        seed: int,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def fit_config(self, log: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        return probe_metrics(scores, config)

    def run(self, ctx: RunContext) -> list[ScoredSplit]:
        data: DownstreamDataset = ctx.data
        require_splits(data, ctx.dataset)
        settings = self.settings(ctx)
        train, valid = data.split("train"), data.split("valid")
        x_train = self.features(ctx, data, train, "train")
        x_val = self.features(ctx, data, valid, "valid")
        y_train, y_val = data.labels(train), data.labels(valid)
        out = []
        for split in eval_splits(data, ctx):
            started = time.perf_counter()
            test = data.split(split)
            x_test = self.features(ctx, data, test, split)
            scores, log = score_fractions(
                ctx,
                data,
                test,
                y_train,
                lambda rows, seed, x_test=x_test: self.fit(
                    ctx, settings, (x_train[rows], y_train[rows]), (x_val, y_val), x_test, seed
                ),
            )
            config = {
                "seed": ctx.seed,
                "bootstrap": ctx.bootstrap,
                **data_config(data),
                **settings,
                **fraction_config(ctx),
                **self.fit_config(log),
            }
            timings = {self.timing: time.perf_counter() - started}
            out.append(ScoredSplit(ctx.dataset, data.hash(), split, scores, config, timings=timings))
        return out
