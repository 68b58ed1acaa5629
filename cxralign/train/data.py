"""Training data: samples from phantoms / CSV / MIMIC, prepared label and graph arrays, batches.

``prepare_data`` turns samples into arrays the losses read (clinical label
vectors, label-set keys, graph triple ids and keys, hard-negative texts);
``TrainingDataset`` serves preprocessed images by index and ``Collator`` builds a
:class:`TrainBatch` (tokenising reports and variants). Batches are requested as
``(epoch, index)`` pairs so the random choice of variants is a pure function of
the seed, the epoch and the sample: resuming reproduces it exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console

from cxralign.errors import InputError
from cxralign.train.annotate import Annotator, EngineAnnotator, ReportAnnotation, annotate_cached
from cxralign.train.config import DataConfig, LossConfig
from cxralign.train.losses.umcl import label_set_key
from cxralign.utils.hashing import sha256_json
from cxralign.vocab import CHEXPERT_14, vocabulary

_console = Console(stderr=True)


@dataclass
class TrainSample:
    sample_id: str
    image: Any  # path, bytes or PIL image: anything cxralign.data.images.load_image reads
    report: str | None  # None for label-only samples
    labels: dict[str, float | None] | None = None  # given labels (label-only samples)


# -- sources ------------------------------------------------------------------------------------------


def _phantom_image(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("bytes") or value.get("path")
    return value


def load_phantom_samples(path: str | Path, split: str) -> list[TrainSample]:
    from cxralign.data.phantoms import load_phantoms

    rows = load_phantoms(path, split)
    samples = []
    for row in rows:
        row = row if isinstance(row, dict) else vars(row)
        samples.append(TrainSample(str(row["sample_id"]), _phantom_image(row["image"]), str(row["report"])))
    return samples


def generate_phantoms(config: DataConfig, cache_dir: Path) -> Path:
    """Generate (once) the phantom dataset the config describes; returns its directory."""
    from cxralign.data.phantoms import write_phantom_dataset

    target = (
        cache_dir / f"phantoms-n{config.phantom_count}-s{config.phantom_seed}-px{config.phantom_image_size}"
    )
    if not target.exists():
        write_phantom_dataset(
            target, config.phantom_count, seed=config.phantom_seed, size=config.phantom_image_size
        )
    return target


def load_corpus_samples(source: str, path: str, image_root: str | None) -> list[TrainSample]:
    """CSV (image_path + report columns) or a MIMIC-CXR tree with its JPEG images; one sample per image."""
    from cxralign.data.corpora import read_corpus

    reader = read_corpus(source, path, images_root=image_root if source == "mimic" else None)
    base = Path(image_root) if image_root else Path(path).parent
    samples: list[TrainSample] = []
    without_image = 0
    for record in reader:
        if not record.image_paths:
            without_image += 1
            continue
        for index, image_path in enumerate(record.image_paths):
            resolved = Path(image_path) if Path(image_path).is_absolute() else base / image_path
            suffix = f"#{index}" if len(record.image_paths) > 1 else ""
            samples.append(TrainSample(f"{record.report_id}{suffix}", str(resolved), record.text))
    if without_image:
        _console.print(f"[yellow]{without_image} report(s) without an image were not used for training[/]")
    if reader.skipped:
        _console.print(
            f"[yellow]{len(reader.skipped)} input(s) could not be read, e.g. {reader.skipped[0]}[/]"
        )
    return samples


def load_label_only_samples(csv_path: str, image_root: str | None, vocab: Sequence[str]) -> list[TrainSample]:
    """A CSV of images with label columns (1 / 0 / -1 / blank) and no reports."""
    import pandas as pd

    try:
        frame = pd.read_csv(csv_path)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read label-only CSV {csv_path}: {error}") from error
    path_column = next((c for c in ("image_path", "path_to_image", "Path") if c in frame.columns), None)
    if path_column is None:
        raise InputError(f"label-only CSV {csv_path} needs an image_path column")
    present = [name for name in vocab if name in frame.columns]
    if not present:
        raise InputError(
            f"label-only CSV {csv_path} has none of the label columns ({', '.join(vocab[:3])}, ...)"
        )
    base = Path(image_root) if image_root else Path(csv_path).parent
    samples = []
    for row_index, row in frame.iterrows():
        labels = {name: (None if pd.isna(row.get(name)) else float(row[name])) for name in vocab}
        image = Path(str(row[path_column]))
        samples.append(
            TrainSample(
                f"{Path(csv_path).stem}:{row_index}",
                str(image if image.is_absolute() else base / image),
                None,
                labels,
            )
        )
    return samples


def load_samples(config: DataConfig, cache_dir: Path, vocab: Sequence[str]) -> list[TrainSample]:
    if config.source == "phantoms":
        path = Path(config.path) if config.path else generate_phantoms(config, cache_dir)
        samples = load_phantom_samples(path, config.train_split)
    else:
        if not config.path:
            raise InputError(f"data.path is required for data.source {config.source}")
        samples = load_corpus_samples(config.source, config.path, config.image_root)
    if config.max_samples is not None:
        samples = samples[: config.max_samples]
    for extra in config.label_only:
        samples += load_label_only_samples(extra, config.image_root, vocab)
    if len(samples) < 2:
        raise InputError(
            f"only {len(samples)} training sample(s) found; contrastive training needs at least 2"
        )
    return samples


# -- prepared arrays ------------------------------------------------------------------------------------


def encode_labels(
    labels: dict[str, float | None] | None, vocab: Sequence[str], uncertain_value: float
) -> np.ndarray:
    """CheXpert-style values -> [0, 1] vector: positive 1, uncertain ``uncertain_value``, else 0."""
    vector = np.zeros(len(vocab), dtype=np.float32)
    if labels:
        for index, name in enumerate(vocab):
            value = labels.get(name)
            if value is None:
                continue
            vector[index] = 1.0 if value == 1 else uncertain_value if value == -1 else 0.0
    return vector


@dataclass
class PreparedData:
    """Per-sample arrays the collator slices; index i is sample i."""

    sample_ids: list[str]
    reports: list[str | None]
    clinical: np.ndarray  # (N, 14) float32
    label_key: np.ndarray  # (N,) int64, -1 = unknown
    label_vocab: tuple[str, ...]
    triple_ids: list[list[int]]  # 1-based ids into triple_vocab
    graph_key: np.ndarray  # (N,) int64, -1 = no graph (label-only)
    triple_vocab: list[str]
    variants: list[list[str]]

    @property
    def relational_dim(self) -> int:
        return len(self.triple_vocab) + 1


def _graph_key(triples: Sequence[str]) -> int:
    return int(sha256_json(sorted(triples))[:15], 16)


def prepare_data(
    samples: Sequence[TrainSample],
    losses: LossConfig,
    cache_dir: Path | None,
    annotator: Annotator | None = None,
    triple_vocab: list[str] | None = None,
) -> PreparedData:
    """Annotate reports (cached) and build the arrays; ``triple_vocab`` fixes the graph vocabulary on resume."""
    umcl_vocab = vocabulary(losses.umcl.vocabulary)
    extra_vocab = losses.umcl.vocabulary if losses.umcl.vocabulary != "chexpert" else None
    ops = losses.negatives.ops
    if annotator is None:
        engine = EngineAnnotator(ops, extra_vocab=extra_vocab)
        annotator, describe = engine, engine.describe()
    else:
        describe = {
            "annotator": getattr(annotator, "__qualname__", type(annotator).__name__),
            "ops": list(ops),
        }
    reports = [sample.report for sample in samples]
    annotations: list[ReportAnnotation | None] = annotate_cached(reports, annotator, cache_dir, describe)
    uncertain = losses.soft.uncertain_value
    clinical = np.stack(
        [
            encode_labels(a.labels if a else s.labels, CHEXPERT_14, uncertain)
            for s, a in zip(samples, annotations, strict=True)
        ]
    )
    label_key = np.full(len(samples), -1, dtype=np.int64)
    for index, (sample, annotation) in enumerate(zip(samples, annotations, strict=True)):
        labels = (annotation.extra_labels or annotation.labels) if annotation else sample.labels
        if labels is not None:
            vector = encode_labels(labels, umcl_vocab, uncertain)
            label_key[index] = label_set_key(vector, losses.umcl.positive_threshold)
    if triple_vocab is None:
        triple_vocab = sorted({t for a in annotations if a for t in a.triples})
    index_of = {triple: i + 1 for i, triple in enumerate(triple_vocab)}
    triple_ids = [[index_of[t] for t in a.triples if t in index_of] if a else [] for a in annotations]
    graph_key = np.array([_graph_key(a.triples) if a else -1 for a in annotations], dtype=np.int64)
    variants = [[text for op in ops for text in a.variants.get(op, [])] if a else [] for a in annotations]
    return PreparedData(
        sample_ids=[s.sample_id for s in samples],
        reports=reports,
        clinical=clinical,
        label_key=label_key,
        label_vocab=tuple(umcl_vocab),
        triple_ids=triple_ids,
        graph_key=graph_key,
        triple_vocab=list(triple_vocab),
        variants=variants,
    )


# -- images -------------------------------------------------------------------------------------------


class TrainingDataset(torch.utils.data.Dataset):
    """Preprocessed image tensors by index (decoded once into memory when ``cache`` is set)."""

    def __init__(self, samples: Sequence[TrainSample], preprocess: Any, cache: bool) -> None:
        self.samples = list(samples)
        self.preprocess = preprocess
        self._cache: torch.Tensor | None = None
        if cache:
            self._cache = torch.stack([self._load(i) for i in range(len(self.samples))])

    def _load(self, index: int) -> torch.Tensor:
        from cxralign.data.images import load_image

        sample = self.samples[index]
        try:
            return self.preprocess(load_image(sample.image))
        except InputError as error:
            raise InputError(f"sample {sample.sample_id}: {error}") from error

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, key: tuple[int, int]) -> tuple[int, int, torch.Tensor]:
        epoch, index = key
        pixels = self._cache[index] if self._cache is not None else self._load(index)
        return epoch, index, pixels


# -- batches ------------------------------------------------------------------------------------------


@dataclass
class TrainBatch:
    indices: torch.Tensor  # (b,) dataset indices
    pixels: torch.Tensor
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    has_report: torch.Tensor  # (b,) bool
    clinical: torch.Tensor  # (b, C)
    relational: torch.Tensor  # (b, V) bag of triples
    triple_ids: torch.Tensor  # (b, L) padded with 0
    graph_key: torch.Tensor
    label_key: torch.Tensor
    negative_input_ids: torch.Tensor | None  # (n, T): only the variants that exist (n = negative_mask.sum())
    negative_attention_mask: torch.Tensor | None
    negative_mask: torch.Tensor | None  # (b, K) True where row b has a k-th variant
    n_truncated: int

    def to(self, device: torch.device) -> TrainBatch:
        moved = {
            f.name: getattr(self, f.name).to(device, non_blocking=True)
            if isinstance(getattr(self, f.name), torch.Tensor)
            else getattr(self, f.name)
            for f in fields(self)
        }
        return TrainBatch(**moved)


class Collator:
    """(epoch, index, pixels) items -> TrainBatch; picks up to ``negatives`` variants per report."""

    def __init__(
        self,
        data: PreparedData,
        tokenizer: Any,
        context_length: int,
        negatives: int,
        seed: int,
        negative_fraction: float = 1.0,
    ) -> None:
        self.data = data
        self.negative_fraction = negative_fraction
        self.tokenizer = tokenizer
        self.context_length = context_length
        self.negatives = negatives
        self.seed = seed
        self._tokens: dict[str, tuple[np.ndarray, bool]] = {}  # text -> (ids, was cut): see _tokenize
        self._pad_id = int(tokenizer.pad_token_id or 0)

    def _tokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Padded ids, attention mask and the number of texts cut at ``context_length``.

        Each distinct text is tokenised once per run (reports and variants recur every
        epoch) and kept as an int32 array; a batch only pads the cached rows, giving what
        one ``tokenizer(texts, padding="longest", truncation=True)`` call gives.
        """
        missing = [text for text in dict.fromkeys(texts) if text not in self._tokens]
        if missing:
            self._tokens.update(zip(missing, self._encode(missing), strict=True))
        rows = [self._tokens[text] for text in texts]
        length = max(len(ids) for ids, _ in rows)
        input_ids = np.full((len(rows), length), self._pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(rows), length), dtype=np.int64)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        for row, (ids, _) in enumerate(rows):
            span = slice(length - len(ids), length) if left else slice(0, len(ids))
            input_ids[row, span] = ids
            attention_mask[row, span] = 1
        n_truncated = sum(truncated for _, truncated in rows)
        return torch.from_numpy(input_ids), torch.from_numpy(attention_mask), n_truncated

    def _encode(self, texts: list[str]) -> list[tuple[np.ndarray, bool]]:
        """(truncated ids, was cut) per text, from one tokenizer call (overflow rows mark a cut)."""
        if not getattr(self.tokenizer, "is_fast", False):  # slow tokenizers have no overflow mapping
            full = self.tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
            cut = self.tokenizer(texts, truncation=True, max_length=self.context_length)["input_ids"]
            return [
                (np.asarray(ids, np.int32), len(whole) > self.context_length)
                for ids, whole in zip(cut, full, strict=True)
            ]
        encoded = self.tokenizer(
            texts, truncation=True, max_length=self.context_length, return_overflowing_tokens=True
        )
        out: list[tuple[np.ndarray, bool]] = []
        for ids, owner in zip(encoded["input_ids"], encoded["overflow_to_sample_mapping"], strict=True):
            if owner == len(out):
                out.append((np.asarray(ids, np.int32), False))
            else:  # an overflow row of the text before
                out[owner] = (out[owner][0], True)
        return out

    def _pick_variants(self, epoch: int, index: int) -> list[str]:
        pool = self.data.variants[index]
        rng = random.Random(f"{self.seed}:{epoch}:{index}")
        if self.negative_fraction < 1.0 and rng.random() >= self.negative_fraction:
            return []
        if len(pool) <= self.negatives:
            return list(pool)
        return rng.sample(pool, self.negatives)

    def __call__(self, items: list[tuple[int, int, torch.Tensor]]) -> TrainBatch:
        data = self.data
        indices = [index for _, index, _ in items]
        reports = [data.reports[i] or "" for i in indices]
        input_ids, attention_mask, n_truncated = self._tokenize(reports)
        relational = torch.zeros(len(indices), data.relational_dim)
        longest = max([len(data.triple_ids[i]) for i in indices] + [1])
        triple_ids = torch.zeros(len(indices), longest, dtype=torch.long)
        for row, i in enumerate(indices):
            ids = data.triple_ids[i]
            if ids:
                relational[row, ids] = 1.0
                triple_ids[row, : len(ids)] = torch.tensor(ids)
        negative_ids = negative_attention = negative_mask = None
        if self.negatives:
            chosen = [self._pick_variants(epoch, index) for epoch, index, _ in items]
            negative_mask = torch.zeros(len(indices), self.negatives, dtype=torch.bool)
            flat: list[str] = []  # no padding texts: reports without variants cost nothing
            for row, texts in enumerate(chosen):
                negative_mask[row, : len(texts)] = True
                flat += texts
            if flat:
                negative_ids, negative_attention, neg_truncated = self._tokenize(flat)
                n_truncated += neg_truncated
        return TrainBatch(
            indices=torch.tensor(indices, dtype=torch.long),
            pixels=torch.stack([pixels for _, _, pixels in items]),
            input_ids=input_ids,
            attention_mask=attention_mask,
            has_report=torch.tensor([data.reports[i] is not None for i in indices]),
            clinical=torch.from_numpy(data.clinical[indices]),
            relational=relational,
            triple_ids=triple_ids,
            graph_key=torch.from_numpy(data.graph_key[indices]),
            label_key=torch.from_numpy(data.label_key[indices]),
            negative_input_ids=negative_ids,
            negative_attention_mask=negative_attention,
            negative_mask=negative_mask,
            n_truncated=n_truncated,
        )
