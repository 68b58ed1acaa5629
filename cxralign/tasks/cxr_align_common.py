"""What both versions of the CXR-Align task share: reading a built benchmark, scoring it, credit rules.

A build (``cxralign build``) holds ``data/<op>/<split>.parquet``; ``score_split`` scores every
(item, op) row against its original report and the edited variant (cosine similarity of
normalised embeddings) and the control images' margins. :class:`CxrAlignBase` loads a build,
runs the scoring per split and leaves ``metrics_from_scores`` to each version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxralign.errors import InputError
from cxralign.tasks.base import RunContext, ScoredSplit, Task, TaskMetadata
from cxralign.tasks.embedding import embed_image_files, embed_text_list
from cxralign.tasks.metrics import (
    DEFAULT_BOOTSTRAP,
    Statistic,
    masked_mean_statistic,
    mean_metric,
    pairwise_credit,
)
from cxralign.tasks.results import MetricValue
from cxralign.utils.hashing import sha256_file, sha256_tree

Metrics = dict[str, MetricValue]

REQUIRED_COLUMNS = (
    "item_id",
    "image_id",
    "image_path",
    "has_image",
    "op",
    "target",
    "target_present",
    "original",
    "variant",
    "location",
    "control_image_ids",
)

OP_ALIASES = {
    "negation": ("negation", "negate", "negated", "neg"),
    "omission": ("omission", "omit", "omitted"),
    "affirmation": ("affirmation", "affirm", "affirmed"),
    "laterality": ("laterality", "swap_laterality", "laterality_swap"),
    "severity": ("severity", "swap_severity", "severity_swap"),
}
_CANONICAL = {alias: name for name, aliases in OP_ALIASES.items() for alias in aliases}
OP_ORDER = tuple(OP_ALIASES)
BALANCED_OPS = ("negation", "affirmation")
PAIR_CHANCE, ORDER_CHANCE, TOP1_CHANCE = 0.5, 1 / 6, 1 / 3
SHARED_HEADLINE = (
    "negation.accuracy",
    "omission.accuracy",
    "affirmation.accuracy",
    "laterality.accuracy",
    "severity.accuracy",
    "negation.grounded",
    "three_way.order",
)
"""Headline figures both versions report, in this order."""


def cxr_align_metadata(
    version: str, description: str, main_score: str, metrics: tuple[str, ...], headline: tuple[str, ...] = ()
) -> TaskMetadata:
    """The metadata every CXR-Align version shares (name, data kind, reference) around its own scores."""
    return TaskMetadata(
        name="cxr-align",
        version=version,
        description=description,
        main_score=main_score,
        datasets=("cxr-align",),
        metrics=metrics,
        headline=headline,
        reference="CXR-Align (negation, omission) extended with NegBench-style affirmation controls",
    )


def scoring_settings(config: dict[str, Any]) -> tuple[int, int, dict[str, float]]:
    """The seed, bootstrap count and blind baselines a result's config fixes for its metrics."""
    return int(config.get("seed", 0)), int(config.get("bootstrap", DEFAULT_BOOTSTRAP)), config.get("blind", {}) or {}


@dataclass
class OpPairs:
    """One op's scored pairs and the figures both CXR-Align versions derive from them alike."""

    op: str
    rows: pd.DataFrame

    def __post_init__(self) -> None:
        self.s_original = self.rows["s_original"].to_numpy()
        self.s_variant = self.rows["s_variant"].to_numpy()
        self.credit = pairwise_credit(self.s_original, self.s_variant)
        self.targets = self.rows["target"].to_numpy().astype(str)
        self.key = f"{self.op}.accuracy"

    def accuracy(self, seed: int, n_boot: int, blind: dict[str, float]) -> MetricValue | None:
        return mean_metric(
            self.credit, seed, self.key, chance=PAIR_CHANCE, blind=blind.get(self.key), n_boot=n_boot
        )

    def by_location(self, seed: int, n_boot: int) -> dict[str, MetricValue]:
        locations = self.rows["location"].to_numpy().astype(str)
        return group_metrics(self.credit, locations, seed, f"{self.key}/location", n_boot, PAIR_CHANCE)

    def grounded(self) -> np.ndarray:
        """Grounded credit per pair (NaN where the item has no controls)."""
        return grounded_credit(self.s_original, self.s_variant, self.rows["control_margins"])

    def margin(self, seed: int, n_boot: int) -> MetricValue | None:
        return mean_metric(self.s_original - self.s_variant, seed, f"{self.op}.margin", chance=0.0, n_boot=n_boot)


def scored_ops(scores: pd.DataFrame, metrics: Metrics) -> Iterator[OpPairs]:
    """Each op's scored pairs in ``OP_ORDER`` (affirmation only on findings absent from the image, a
    control), after recording how many items were scored and how many were text-only."""
    scored = scores[scores["scored"].astype(bool)]
    metrics["items.scored"] = MetricValue(value=float(len(scored)), n=len(scores))
    metrics["items.text_only_skipped"] = MetricValue(value=float((~scores["scored"].astype(bool)).sum()))
    for op in sorted(set(scored["op"]), key=lambda o: (OP_ORDER.index(o) if o in OP_ORDER else 99, o)):
        rows = scored[scored["op"] == op]
        if op == "affirmation":
            rows = rows[~rows["target_present"].astype(bool)]
        if not rows.empty:
            yield OpPairs(op, rows)


def canonical_op(op: str) -> str:
    """``negate`` / ``negated`` / ``negation`` -> ``negation``; unknown ops are kept as written."""
    return _CANONICAL.get(str(op).lower(), str(op).lower())


@dataclass(frozen=True)
class BuiltBenchmark:
    """A ``cxralign build`` output on disk, as the CXR-Align tasks run on it."""

    root: Path

    def hash(self) -> str:
        """sha256 over every file under ``data/`` (what ``--resume`` keys a run on)."""
        return sha256_tree(self.root / "data")


# --------------------------------------------------------------------------- reading a built benchmark


def available_splits(root: str | Path) -> list[str]:
    data_dir = Path(root) / "data"
    return sorted({p.stem for p in data_dir.glob("*/*.parquet")})


def read_split(root: str | Path, split: str) -> pd.DataFrame:
    """All ops of one split of a ``cxralign build`` output, with a clear error for another layout."""
    base = Path(root)
    data_dir = base / "data"
    expected = data_dir / "<op>" / f"{split}.parquet"
    if not data_dir.is_dir():
        raise InputError(
            f"{base} is not a CXR-Align benchmark: expected {expected} (the output of `cxralign build`)"
        )
    files = sorted(data_dir.glob(f"*/{split}.parquet"))
    if not files:
        found = ", ".join(available_splits(base)) or "none"
        raise InputError(
            f"no CXR-Align split {split!r} in {base}: expected {expected} (splits found: {found})"
        )
    frames = []
    for path in files:
        frame = pd.read_parquet(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(f"{path} lacks CXR-Align column(s): {', '.join(missing)}")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def split_hash(root: str | Path, split: str) -> str:
    """sha256 over the split's Parquet files (relative name and content)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((Path(root) / "data").glob(f"*/{split}.parquet")):
        digest.update(f"{path.parent.name}/{path.name}\0{sha256_file(path)}".encode())
    return digest.hexdigest()


def read_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root) / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON: {error}") from None


def blind_baselines(manifest: dict[str, Any], split: str) -> dict[str, float]:
    """Text-only baselines from the build manifest, as ``{"<op>.accuracy": value}``.

    ``cxralign build`` writes ``blind_baselines: {op: {heuristic_accuracy,
    ngram_accuracy, ngram_pairwise_accuracy, pairs}}``; the figure shown beside
    ``<op>.accuracy`` is the strongest of those text-only accuracies. Plain
    ``{op: value}`` and either shape nested under the split name are accepted too.
    """
    raw = manifest.get("blind_baselines", manifest.get("blind", {})) or {}
    if isinstance(raw, dict) and isinstance(raw.get(split), dict):
        raw = raw[split]
    out: dict[str, float] = {}
    if not isinstance(raw, dict):
        return out
    for key, value in raw.items():
        op = canonical_op(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[f"{op}.accuracy"] = float(value)
        elif isinstance(value, dict):
            accuracies = [
                float(v)
                for k, v in value.items()
                if ("accuracy" in k or k in ("win_rate", "share", "value"))
                and isinstance(v, int | float)
                and not isinstance(v, bool)
            ]
            if accuracies:
                out[f"{op}.accuracy"] = max(accuracies)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- scoring


def _resolve_image(root: Path, path: Any) -> Path | None:
    if path is None or (isinstance(path, float) and np.isnan(path)) or str(path) == "":
        return None
    candidate = Path(str(path))
    return candidate if candidate.is_absolute() else root / candidate


def _as_id_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [value]
    return [str(v) for v in list(value)]


def score_split(
    frame: pd.DataFrame,
    root: str | Path,
    ctx: RunContext,
    dataset_hash: str,
    split: str,
    stats: dict | None = None,
) -> pd.DataFrame:
    """One row per (item, op): similarities to original and variant, and the control images' margins."""
    root = Path(root)
    frame = frame.copy()
    frame["op"] = frame["op"].map(canonical_op)
    frame["_path"] = [_resolve_image(root, p) for p in frame["image_path"]]
    frame["_scored"] = frame["has_image"].fillna(False).astype(bool) & frame["_path"].notna()
    image_paths: dict[str, Path] = {}
    for image_id, path, scored in zip(frame["image_id"], frame["_path"], frame["_scored"], strict=True):
        if scored:
            image_paths.setdefault(str(image_id), path)
    controls = [_as_id_list(v) for v in frame["control_image_ids"]]
    unresolved = [sum(c not in image_paths for c in ids) for ids in controls]
    controls = [[c for c in ids if c in image_paths] for ids in controls]

    image_ids = sorted(image_paths)
    image_emb = embed_image_files(
        ctx.model,
        [image_paths[i] for i in image_ids],
        image_ids,
        batch_size=ctx.batch_size,
        cache=ctx.cache,
        dataset_hash=dataset_hash,
        split=split,
    )
    texts = sorted(set(frame["original"].astype(str)) | set(frame["variant"].astype(str)))
    text_emb = embed_text_list(ctx.model, texts, cache=ctx.cache, stats=stats)
    image_index = {i: k for k, i in enumerate(image_ids)}
    text_index = {t: k for k, t in enumerate(texts)}

    def sim(images: np.ndarray, text_rows: np.ndarray) -> np.ndarray:
        return np.einsum(
            "ij,ij->i", image_emb[images].astype(np.float64), text_emb[text_rows].astype(np.float64)
        )

    scored = frame["_scored"].to_numpy()
    rows_img = np.array([image_index.get(str(i), -1) for i in frame["image_id"]])
    orig = np.array([text_index[str(t)] for t in frame["original"]])
    var = np.array([text_index[str(t)] for t in frame["variant"]])
    s_orig = np.full(len(frame), np.nan)
    s_var = np.full(len(frame), np.nan)
    if scored.any():
        s_orig[scored] = sim(rows_img[scored], orig[scored])
        s_var[scored] = sim(rows_img[scored], var[scored])
    lengths = np.array([len(c) if ok else 0 for c, ok in zip(controls, scored, strict=True)])
    flat_img = np.array(
        [image_index[cid] for ids, ok in zip(controls, scored, strict=True) if ok for cid in ids], dtype=int
    )
    flat_row = np.repeat(np.arange(len(frame)), lengths)
    margins = sim(flat_img, orig[flat_row]) - sim(flat_img, var[flat_row]) if flat_img.size else np.zeros(0)
    split_at = np.cumsum(lengths)[:-1]
    control_margins = [list(map(float, m)) for m in np.split(margins, split_at)] if len(frame) else []

    out = pd.DataFrame(
        {
            "item_id": frame["item_id"].astype(str),
            "image_id": frame["image_id"].astype(str),
            "op": frame["op"].astype(str),
            "target": frame["target"].astype(str),
            "location": frame["location"].fillna("").astype(str),
            "target_present": frame["target_present"].fillna(False).astype(bool),
            "scored": scored,
            "s_original": s_orig,
            "s_variant": s_var,
            "control_margins": control_margins,
            "n_controls_unresolved": np.asarray(unresolved, dtype=np.int64),
            "balanced": _balanced_flags(frame),
        }
    )
    return out.sort_values(["op", "item_id", "image_id"], kind="mergesort").reset_index(drop=True)


def _balanced_flags(frame: pd.DataFrame) -> np.ndarray:
    """Per row: in the balanced set (the build's ``balanced`` column; a build without it: every
    negation and affirmation row, as such builds defined the set)."""
    default = frame["op"].isin(BALANCED_OPS).to_numpy()
    if "balanced" not in frame.columns:
        return default
    flags = frame["balanced"]
    return np.where(flags.isna().to_numpy(), default, flags.fillna(False).astype(bool).to_numpy())


# --------------------------------------------------------------------------- metrics


def grounded_credit(s_original: np.ndarray, s_variant: np.ndarray, control_margins: pd.Series) -> np.ndarray:
    """Per row: share of control images whose margin the true image's margin beats (ties one half); NaN without controls."""
    out = np.full(len(s_original), np.nan)
    for k, (a, b, controls) in enumerate(zip(s_original, s_variant, control_margins, strict=True)):
        controls = np.asarray(controls if controls is not None else [], dtype=np.float64)
        if controls.size:
            out[k] = pairwise_credit(np.full(controls.size, a - b), controls).mean()
    return out


def order_credit(original: np.ndarray, omitted: np.ndarray, negated: np.ndarray) -> np.ndarray:
    """Probability that a random tie-break ranks original > omitted > negated."""
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (original, omitted, negated))
    inverted = (a < b) | (b < c) | (a < c)
    ties = (a == b).astype(int) + (b == c).astype(int)
    credit = np.select([ties == 0, ties == 1], [1.0, 0.5], default=1 / 6)
    return np.where(inverted, 0.0, credit)


def top1_credit(original: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """1 / (number tied) when the original is the highest, else 0."""
    a = np.asarray(original, dtype=np.float64)
    rest = np.vstack([np.asarray(o, dtype=np.float64) for o in others])
    best = (a >= rest).all(axis=0)
    return np.where(best, 1.0 / (1 + (rest == a).sum(axis=0)), 0.0)


def group_metrics(
    values: np.ndarray, groups: np.ndarray, seed: int, key: str, n_boot: int, chance: float
) -> dict[str, MetricValue]:
    out: dict[str, MetricValue] = {}
    for group in sorted(set(groups.tolist())):
        mask = groups == group
        metric = mean_metric(values[mask], seed, f"{key}={group}", chance=chance, n_boot=n_boot)
        if metric is not None:
            out[str(group) or "(none)"] = metric
    return out


def three_way_metrics(scores: pd.DataFrame, seed: int, n_boot: int, blind: dict[str, float]) -> Metrics:
    """Original > omitted > negated on the scored items that have both a negate and an omit row."""
    scored = scores[scores["scored"].astype(bool)]
    keys = ["item_id", "image_id"]
    neg = scored[scored["op"] == "negation"].drop_duplicates(keys)
    omit = scored[scored["op"] == "omission"].drop_duplicates(keys)
    joined = neg.merge(omit, on=keys, suffixes=("_neg", "_omit"))
    if joined.empty:
        return {}
    original = joined["s_original_neg"].to_numpy()
    omitted, negated = joined["s_variant_omit"].to_numpy(), joined["s_variant_neg"].to_numpy()
    credits = {
        "three_way.order": (order_credit(original, omitted, negated), ORDER_CHANCE),
        "three_way.top1": (top1_credit(original, omitted, negated), TOP1_CHANCE),
    }
    return {
        key: mean_metric(values, seed, key, chance=chance, blind=blind.get(key), n_boot=n_boot)
        for key, (values, chance) in credits.items()
    }


def cxr_align_statistics(scores: pd.DataFrame) -> tuple[pd.Series, dict[str, Statistic]]:
    """Paired-comparison statistics: each op's accuracy (affirmation on findings absent from the image)."""
    scores = scores[scores["scored"].astype(bool)]
    keep = ~((scores["op"] == "affirmation") & scores["target_present"].astype(bool))
    scores = scores[keep]
    keys = scores["op"] + "|" + scores["item_id"] + "|" + scores["image_id"]
    credit = pairwise_credit(scores["s_original"].to_numpy(), scores["s_variant"].to_numpy())
    stats = {
        f"{op}.accuracy": masked_mean_statistic((scores["op"] == op).to_numpy().astype(float), credit)
        for op in sorted(set(scores["op"]))
    }
    return keys.reset_index(drop=True), stats


class CxrAlignBase(Task):
    """Loading and scoring a build, per split; each version defines its metadata and metrics."""

    def load_data(self, loader: str, path: Path, options: Any = None) -> BuiltBenchmark:
        if not available_splits(path):
            read_split(path, "test")  # raises the layout error
        return BuiltBenchmark(Path(path))

    def run(self, ctx: RunContext) -> list[ScoredSplit]:
        """Score every requested split of the benchmark ``ctx.data``."""
        root = ctx.data.root
        wanted = ctx.options.get("splits") or list(self.metadata.splits)
        found = available_splits(root)
        if not found:
            read_split(root, wanted[0])  # raises the layout error
        splits = [s for s in wanted if s in found] or found
        manifest = read_manifest(root)
        out = []
        for split in splits:
            started = time.perf_counter()
            frame = read_split(root, split)
            dataset_hash = split_hash(root, split)
            stats: dict[str, int] = {}
            scores = score_split(frame, root, ctx, dataset_hash, split, stats)
            config = {
                "seed": ctx.seed,
                "bootstrap": ctx.bootstrap,
                "similarity": "cosine",
                "ties": "one half",
                "affirmation_rows": "target_present == false",
                "blind": blind_baselines(manifest, split),
                "texts_truncated": stats.get("texts_truncated", 0),
                "benchmark_version": manifest.get("version") or manifest.get("cxralign_version"),
            }
            out.append(
                ScoredSplit(
                    dataset=ctx.dataset,
                    dataset_hash=dataset_hash,
                    split=split,
                    scores=scores,
                    config=config,
                    timings={"score_s": time.perf_counter() - started},
                )
            )
        return out

    def paired_statistics(
        self, scores: pd.DataFrame, config: dict[str, Any]
    ) -> tuple[pd.Series, dict[str, Statistic]]:
        return cxr_align_statistics(scores)
