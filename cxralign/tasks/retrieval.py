"""Image-to-report and report-to-image retrieval over the full gallery.

Every query is ranked against the whole split, never against its batch. Rule
for identical report texts (common for normal studies): texts are compared
after collapsing whitespace and case, and every gallery item whose report is
identical to the query's own counts as a hit, so a model is never penalised for
ranking one of several indistinguishable reports first. The rank of a query is
1 + the number of non-hits scored at least as high as its best hit (ties count
against the model, so a constant scorer cannot look good).

Metrics per direction: R@1/5/10, median rank and MRR, each with the chance
level of a random ranking given the query's number of hits and the gallery size.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset
from cxralign.errors import InputError
from cxralign.tasks.base import (
    ACCEPTED,
    Metrics,
    PerGroup,
    RunContext,
    ScoredSplit,
    Task,
    TaskMetadata,
    Verdict,
)
from cxralign.tasks.embedding import embed_text_list
from cxralign.tasks.metrics import (
    DEFAULT_BOOTSTRAP,
    Statistic,
    bootstrap_statistic_ci,
    masked_mean_statistic,
    mean_metric,
)
from cxralign.tasks.registry import register_task
from cxralign.tasks.results import MetricValue
from cxralign.tasks.shared import eval_splits, image_embeddings

DIRECTIONS = ("image_to_text", "text_to_image")
KS = (1, 5, 10)


def normalise_report(text: str) -> str:
    return " ".join(str(text).lower().split())


def first_hit_ranks(
    queries: np.ndarray,
    gallery: np.ndarray,
    query_groups: np.ndarray,
    gallery_groups: np.ndarray,
    chunk: int = 1024,
) -> np.ndarray:
    """Rank of the best-scored hit for every query over the whole gallery (pessimistic ties)."""
    ranks = np.empty(len(queries), dtype=np.int64)
    gallery32 = np.ascontiguousarray(gallery, dtype=np.float32)
    for start in range(0, len(queries), chunk):
        sims = np.asarray(queries[start : start + chunk], dtype=np.float32) @ gallery32.T
        hits = query_groups[start : start + chunk, None] == gallery_groups[None, :]
        best = np.where(hits, sims, -np.inf).max(axis=1)
        ranks[start : start + chunk] = 1 + ((sims >= best[:, None]) & ~hits).sum(axis=1)
    return ranks


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln  # imported when used (start-up of evaluations without retrieval)

    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def chance_recall(k: int, n_hits: np.ndarray, gallery: np.ndarray) -> float:
    """Mean over queries of P(a hit in the top k) under a random ranking."""
    n_hits, gallery = np.asarray(n_hits, dtype=np.float64), np.asarray(gallery, dtype=np.float64)
    room = np.maximum(gallery - n_hits, k)  # where fewer than k non-hits exist a hit is certain (miss = 0)
    miss = np.exp(_log_comb(room, np.full_like(room, k)) - _log_comb(gallery, np.full_like(gallery, k)))
    miss = np.where(gallery - n_hits >= k, miss, 0.0)
    return float(np.mean(1.0 - miss))


def chance_mrr(n_hits: np.ndarray, gallery: np.ndarray) -> float:
    """Mean over queries of E[1 / rank of first hit] under a random ranking."""
    out = []
    for m, n in set(zip(np.asarray(n_hits).tolist(), np.asarray(gallery).tolist(), strict=True)):
        r = np.arange(1, n - m + 2, dtype=np.float64)
        p = np.exp(_log_comb(n - r, np.full_like(r, m - 1)) - _log_comb(np.float64(n), np.float64(m)))
        out.append(((m, n), float((p / r).sum())))
    table = dict(out)
    return float(
        np.mean(
            [
                table[(m, n)]
                for m, n in zip(np.asarray(n_hits).tolist(), np.asarray(gallery).tolist(), strict=True)
            ]
        )
    )


@register_task
class RetrievalTask(Task):
    metadata = TaskMetadata(
        name="retrieval",
        version="1.0",
        description="Image-to-report and report-to-image retrieval over the full split: R@1/5/10, median rank, MRR.",
        main_score="image_to_text.R@10",
        datasets=("mimic-cxr", "chexpert-plus", "openi", "phantoms", "csv"),
        splits=("test",),
        metrics=tuple(f"{d}.{m}" for d in DIRECTIONS for m in ("R@1", "R@5", "R@10", "median_rank", "mrr")),
        reference="CLIP_benchmark retrieval, with full-gallery ranking and an identical-report rule",
    )

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]) -> tuple[Metrics, PerGroup]:
        seed, n_boot = int(config.get("seed", 0)), int(config.get("bootstrap", DEFAULT_BOOTSTRAP))
        metrics: Metrics = {}
        for direction in DIRECTIONS:
            rows = scores[scores["direction"] == direction]
            if rows.empty:
                continue
            ranks = rows["rank"].to_numpy(dtype=np.float64)
            hits, gallery = rows["n_hits"].to_numpy(), rows["gallery_size"].to_numpy()
            for k in KS:
                key = f"{direction}.R@{k}"
                metrics[key] = mean_metric(
                    (ranks <= k).astype(float),
                    seed,
                    key,
                    chance=chance_recall(k, hits, gallery),
                    n_boot=n_boot,
                )
            key = f"{direction}.mrr"
            metrics[key] = mean_metric(
                1.0 / ranks, seed, key, chance=chance_mrr(hits, gallery), n_boot=n_boot
            )
            order = np.argsort(ranks, kind="mergesort")

            def weighted_median(w, order=order, sorted_ranks=ranks[order]):
                cumulative = np.cumsum(w[:, order], axis=1)
                index = (cumulative >= cumulative[:, -1:] / 2).argmax(axis=1)
                return sorted_ranks[index]

            lo, hi = bootstrap_statistic_ci(
                weighted_median, len(ranks), seed, f"{direction}.median_rank", n_boot
            )
            metrics[f"{direction}.median_rank"] = MetricValue(
                value=float(np.median(ranks)),
                ci_low=lo,
                ci_high=hi,
                n=len(ranks),
                chance=float(np.median((gallery + 1) / (hits + 1))),
            )
        return metrics, {}

    def paired_statistics(
        self, scores: pd.DataFrame, config: dict[str, Any]
    ) -> tuple[pd.Series, dict[str, Statistic]]:
        keys = scores["direction"] + "|" + scores["item_id"]
        ranks = scores["rank"].to_numpy(dtype=float)
        stats = {}
        for direction in sorted(set(scores["direction"])):
            mask = (scores["direction"] == direction).to_numpy().astype(float)
            for k in KS:
                stats[f"{direction}.R@{k}"] = masked_mean_statistic(mask, (ranks <= k).astype(float))
            stats[f"{direction}.mrr"] = masked_mean_statistic(mask, 1.0 / ranks)
        return keys.reset_index(drop=True), stats

    def accepts(self, model: Any, data: DownstreamDataset) -> Verdict:
        return ACCEPTED if data.has_reports else Verdict(False, "no report texts")

    def run(self, ctx: RunContext) -> list[ScoredSplit]:
        data: DownstreamDataset = ctx.data
        if not data.has_reports:
            raise InputError(f"dataset {ctx.dataset} has no report texts, so retrieval cannot run on it")
        out = []
        for split in eval_splits(data, ctx):
            started = time.perf_counter()
            frame = data.split(split)
            frame = frame[
                frame["report"].notna() & (frame["report"].astype(str).str.strip() != "")
            ].reset_index(drop=True)
            if frame.empty:
                continue
            images = image_embeddings(ctx, data, frame, split)
            stats: dict[str, int] = {}
            texts = embed_text_list(
                ctx.model, list(frame["report"].astype(str)), cache=ctx.cache, stats=stats
            )
            _, groups = np.unique([normalise_report(t) for t in frame["report"]], return_inverse=True)
            n_hits = np.bincount(groups)[groups]
            chunk = int(ctx.options.get("retrieval_chunk", 1024))
            parts = []
            for direction, q, g in (("image_to_text", images, texts), ("text_to_image", texts, images)):
                ranks = first_hit_ranks(q, g, groups, groups, chunk)
                parts.append(
                    pd.DataFrame(
                        {
                            "direction": direction,
                            "item_id": frame["item_id"].astype(str),
                            "rank": ranks,
                            "n_hits": n_hits,
                            "gallery_size": len(frame),
                        }
                    )
                )
            config = {
                "seed": ctx.seed,
                "bootstrap": ctx.bootstrap,
                "identical_reports": "any identical report is a hit",
                "ties": "counted against the model",
                "texts_truncated": stats.get("texts_truncated", 0),
                "items_without_report": int(data.split(split)["report"].isna().sum()),
                "data_options": data.options,
            }
            out.append(
                ScoredSplit(
                    ctx.dataset,
                    data.hash(),
                    split,
                    pd.concat(parts, ignore_index=True),
                    config,
                    timings={"score_s": time.perf_counter() - started},
                )
            )
        return out
