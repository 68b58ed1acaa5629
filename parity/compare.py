"""The cxralign half: load each upstream checkpoint through the zoo spec and compare outputs.

A check names its card, how the spec points at the saved checkpoint, the upstream module and
environment, and its tolerances. Tolerances are 1e-5 in fp32 unless a check states otherwise
(``notes`` says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from parity.inputs import model_images, read_texts
from parity.record import load_upstream

TOLERANCE = 1e-5


@dataclass(frozen=True)
class Check:
    card: str
    spec: Callable[[Path], str]
    upstream: str
    env: str = "default"
    zero_shot: str = "logits"  # logits: scale * cosine per positive prompt; pair: P(positive); cosine
    normalised_embeddings: bool = False  # upstream exposes only unit-length embeddings
    tolerances: dict[str, float] = field(default_factory=dict)
    trust_checkpoint: bool = False


@dataclass
class Row:
    model: str
    package: str
    what: str
    diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(self.diff <= self.tolerance)


def _tolerance(check: Check, what: str, upstream: np.ndarray) -> float:
    """1e-5 for values of order one; scaled by the largest upstream magnitude above that (fp32 is relative)."""
    base = check.tolerances.get(what, TOLERANCE)
    return base * max(1.0, float(np.max(np.abs(upstream))) if upstream.size else 1.0)


CHECKS = [
    Check(
        "openai-clip-vit-b-32",
        lambda w: f"open_clip:ViT-B-32-quickgelu@{w / 'openai-clip' / 'ViT-B-32.pt'}",
        "parity.upstream_clip",
    ),
    Check(
        "chexzero",
        lambda w: f"zoo:chexzero@{w / 'openai-clip' / 'ViT-B-32.pt'}",
        "parity.upstream_clip",
        zero_shot="pair",
    ),
    Check(
        "medclip-vit",
        lambda w: f"zoo:medclip-vit@{w / 'medclip-vit'}?text={w / 'hf' / 'bert'}&vision={w / 'hf' / 'swin'}",
        "parity.upstream_medclip",
        env="transformers4",
    ),
    Check(
        "medclip-resnet",
        lambda w: f"zoo:medclip-resnet@{w / 'medclip-resnet'}?text={w / 'hf' / 'bert'}",
        "parity.upstream_medclip",
        env="transformers4",
    ),
    Check("biomedclip", lambda w: f"zoo:biomedclip@{w / 'biomedclip'}", "parity.upstream_biomedclip"),
    Check(
        "biovil", lambda w: f"zoo:biovil@{w / 'biovil'}", "parity.upstream_biovil", "transformers4", "cosine"
    ),
    Check(
        "biovil-t",
        lambda w: f"zoo:biovil-t@{w / 'biovil-t'}",
        "parity.upstream_biovil",
        "transformers4",
        "cosine",
    ),
]


def _max_diff(ours: np.ndarray, upstream: np.ndarray) -> float:
    ours, upstream = np.asarray(ours, dtype=np.float64), np.asarray(upstream, dtype=np.float64)
    if ours.shape != upstream.shape and upstream.ndim == 3 and upstream.shape[0] == 1:
        upstream = np.broadcast_to(upstream, ours.shape)  # a 1-channel upstream the model repeats to 3
    if ours.shape != upstream.shape:
        return float("inf")
    return float(np.max(np.abs(ours - upstream))) if ours.size else 0.0


def _token_diff(ours: np.ndarray, upstream: np.ndarray) -> float:
    """Ids over upstream's width; our extra columns (fixed-length padding) must be padding only."""
    width = upstream.shape[1]
    if ours.shape[1] < width:
        return float("inf")
    extra = ours[:, width:]
    pad_ok = extra.size == 0 or np.all(extra == extra.flat[0])
    return _max_diff(ours[:, :width], upstream) if pad_ok else float("inf")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _zero_shot(check: Check, model, images: np.ndarray, prompts: dict, classes: list[str]) -> np.ndarray:
    """Our zero-shot path (the eval's own ``class_scores``) under the card's prompts."""
    from cxralign.tasks.zeroshot import class_scores

    context = SimpleNamespace(model=model, cache=None)
    unit = _unit(images.astype(np.float64)).astype(np.float32)
    if check.zero_shot == "pair":
        config = {"style": "pair", "prompts": prompts, "logit_scale": model.logit_scale}
        return class_scores(context, unit, tuple(classes), "multilabel", config)
    config = {"style": "single", "prompts": prompts, "logit_scale": model.logit_scale}
    cosine = class_scores(context, unit, tuple(classes), "multilabel", config)
    return cosine if check.zero_shot == "cosine" else model.logit_scale * cosine


def compare_check(check: Check, work: Path) -> list[Row]:
    from cxralign.models import load_model

    upstream, meta = load_upstream(work / check.card)
    texts = read_texts(work)
    model = load_model(check.spec(work), device="cpu", trust_checkpoint=check.trust_checkpoint)
    transform = model.image_transform()
    rows: list[Row] = []

    def add(what: str, diff: float, reference: np.ndarray) -> None:
        if what == "token ids":
            tolerance = 0.0
        elif "embeddings" in what:  # fp32 error grows with the values: scaled above magnitude one
            tolerance = _tolerance(check, what, reference)
        else:
            tolerance = check.tolerances.get(what, TOLERANCE)
        rows.append(Row(check.card, meta["package"], what, diff, tolerance))

    pixels = {name: transform(image) for name, image in model_images(work).items()}
    for name, tensor in pixels.items():
        add(
            f"pixels ({name})",
            _max_diff(tensor.numpy(), upstream[f"pixels/{name}"]),
            upstream[f"pixels/{name}"],
        )
    images = model.encode_images(torch.stack(list(pixels.values())))
    texts_emb = model.encode_texts(texts["texts"])
    if check.normalised_embeddings:
        images, texts_emb = _unit(images), _unit(texts_emb)
    add("image embeddings", _max_diff(images, upstream["image_embeddings"]), upstream["image_embeddings"])
    tokens = model.tokenize(texts["texts"]).input_ids.numpy()
    add("token ids", _token_diff(tokens, upstream["token_ids"]), upstream["token_ids"])
    add("text embeddings", _max_diff(texts_emb, upstream["text_embeddings"]), upstream["text_embeddings"])
    ours = _zero_shot(
        check,
        model,
        model.encode_images(torch.stack(list(pixels.values()))),
        texts["prompts"][check.card],
        texts["classes"],
    )
    add(f"zero-shot ({check.zero_shot})", _max_diff(ours, upstream["zero_shot"]), upstream["zero_shot"])
    return rows
