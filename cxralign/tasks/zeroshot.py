"""Zero-shot classification: binary, multi-label (per-class and mean AUROC) and multi-class.

The prompt policy comes from the model's card (see :mod:`cxralign.tasks.prompts`)
and is recorded, with every prompt text, in the result's config. When the
dataset has a validation split, per-class F1 thresholds are chosen there and
only applied to the test split.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset
from cxralign.tasks.base import Metrics, PerGroup, RunContext, ScoredSplit, TaskMetadata
from cxralign.tasks.classification import (
    best_f1_threshold,
    classification_metrics,
    score_table,
)
from cxralign.tasks.embedding import embed_text_list, normalise
from cxralign.tasks.prompts import build_prompts, load_prompt_file, policy_from_card
from cxralign.tasks.registry import register_task
from cxralign.tasks.shared import (
    CLASSIFICATION_DATASETS,
    ClassificationTask,
    data_config,
    eval_splits,
    image_embeddings,
)


def _mean_direction(embeddings: np.ndarray) -> np.ndarray:
    return normalise(embeddings.mean(axis=0, keepdims=True))[0]


def class_scores(
    ctx: RunContext, images: np.ndarray, classes: tuple[str, ...], kind: str, prompt_config: dict
) -> np.ndarray:
    """(N, C) zero-shot scores under the recorded prompt policy."""
    style = prompt_config["style"]
    prompts = prompt_config["prompts"]
    texts = sorted({t for cls in classes for side in ("positive", "negative") for t in prompts[cls][side]})
    table = dict(zip(texts, embed_text_list(ctx.model, texts, cache=ctx.cache), strict=True))

    def direction(cls: str, side: str) -> np.ndarray:
        chosen = prompts[cls][side][:1] if style == "single" else prompts[cls][side]
        return _mean_direction(np.stack([table[t] for t in chosen]))

    positive = np.stack([direction(cls, "positive") for cls in classes])
    sims = images.astype(np.float64) @ positive.T.astype(np.float64)
    scale = float(prompt_config["logit_scale"])
    if style == "pair":
        negative = np.stack([direction(cls, "negative") for cls in classes])
        neg_sims = images.astype(np.float64) @ negative.T.astype(np.float64)
        margin = scale * (sims - neg_sims)
        if kind == "multiclass":
            return _softmax(margin)
        return 1.0 / (1.0 + np.exp(-margin))  # softmax over (positive, negative)
    return _softmax(scale * sims) if kind == "multiclass" else sims


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@register_task
class ZeroShotTask(ClassificationTask):
    metadata = TaskMetadata(
        name="zeroshot",
        version="1.0",
        description="Zero-shot classification from prompts: per-class and mean AUROC / AP (binary, multi-label), "
        "accuracy and balanced accuracy (multi-class).",
        main_score="auroc.mean",
        datasets=CLASSIFICATION_DATASETS,
        metrics=("auroc.mean", "ap.mean", "f1.mean", "accuracy", "balanced_accuracy"),
        reference="CLIP_benchmark zero-shot; CheXzero positive/negative prompt softmax",
    )

    def delong_classes(self, config: dict[str, Any]) -> list[str]:
        return [] if config.get("kind") == "multiclass" else list(config["classes"])

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        return classification_metrics(scores, config)

    def run(self, ctx: RunContext) -> list[ScoredSplit]:
        data: DownstreamDataset = ctx.data
        style, pos_t, neg_t = policy_from_card(getattr(ctx.model, "card", None))
        style = ctx.options.get("prompt_style") or style
        user = load_prompt_file(ctx.options["prompts"]) if ctx.options.get("prompts") else None
        prompts = build_prompts(data.classes, pos_t, neg_t, user)
        prompt_config = {
            "style": style,
            "logit_scale": float(ctx.model.logit_scale),
            "prompts": {
                c: {"positive": list(p.positive), "negative": list(p.negative)} for c, p in prompts.items()
            },
        }
        thresholds = None
        if data.kind != "multiclass" and "valid" in data.splits:
            valid = data.split("valid")
            v_scores = class_scores(
                ctx, image_embeddings(ctx, data, valid, "valid"), data.classes, data.kind, prompt_config
            )
            v_labels = data.labels(valid)
            thresholds = {
                c: best_f1_threshold(v_labels[:, k], v_scores[:, k]) for k, c in enumerate(data.classes)
            }
        out = []
        for split in eval_splits(data, ctx):
            started = time.perf_counter()
            frame = data.split(split)
            scores = class_scores(
                ctx, image_embeddings(ctx, data, frame, split), data.classes, data.kind, prompt_config
            )
            config = {
                "seed": ctx.seed,
                "bootstrap": ctx.bootstrap,
                **data_config(data),
                "prompt_policy": prompt_config,
                "thresholds": thresholds,
                "threshold_split": "valid" if thresholds else None,
            }
            out.append(
                ScoredSplit(
                    ctx.dataset,
                    data.hash(),
                    split,
                    score_table(list(frame["item_id"]), data.classes, scores, data.labels(frame)),
                    config,
                    timings={"score_s": time.perf_counter() - started},
                )
            )
        return out
