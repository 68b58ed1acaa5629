"""The training step's fast paths (cached tokens, length buckets, one prompt per distinct label set)
give the losses and gradients the former step gave.

``fixtures/train/step_golden.json`` holds, per loss setting, the total loss and the summed
absolute gradient of every parameter group, recorded from the step as it was before these
paths existed (tokenising every batch, rendering one prompt per row), on the fixed model
and batch built below.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cxralign.train import objective as objective_module
from cxralign.train.config import LossConfig
from cxralign.train.data import Collator, PreparedData
from cxralign.train.model import ReferenceModel, ReferenceModelConfig
from cxralign.train.objective import Objective, TrainStep, encode_by_length
from cxralign.train.tokenizer import train_wordpiece

GOLDEN_PATH = Path(__file__).parent / "fixtures" / "train" / "step_golden.json"
SETTINGS = ("clip", "clip,neg", "clip,umcl", "clip,neg,umcl", "clip,soft,neg")
REPORTS = [
    "Small left pleural effusion. Heart size is normal.",
    "Small right pleural effusion. Heart size is normal.",
    "No pleural effusion. Heart size is normal.",
    "Cardiomegaly. No pleural effusion. Lungs are clear without consolidation or edema.",
    "Mild pulmonary edema. Small bilateral pleural effusions. The cardiac silhouette is enlarged.",
    "Right upper lobe consolidation. No pneumothorax.",
    None,  # a label-only sample
    "No acute cardiopulmonary process.",
]
VARIANTS = [
    ["No pleural effusion. Heart size is normal.", "Small right pleural effusion. Heart size is normal."],
    ["No pleural effusion. Heart size is normal."],
    [],
    ["Cardiomegaly. Pleural effusion. Lungs are clear without consolidation or edema."],
    ["No pulmonary edema. Small bilateral pleural effusions. The cardiac silhouette is enlarged."],
    ["No right upper lobe consolidation. No pneumothorax."],
    [],
    [],
]
LABEL_KEYS = [3, 3, 0, 5, 11, 64, 3, 0]  # repeated label sets, as in any real batch


@functools.lru_cache(maxsize=1)
def shared_tokenizer():  # noqa: ANN201
    texts = [r for r in REPORTS if r] + [v for vs in VARIANTS for v in vs]
    return train_wordpiece(texts * 2, 200)


def prepared_data() -> PreparedData:
    n = len(REPORTS)
    return PreparedData(
        sample_ids=[f"s{i}" for i in range(n)],
        reports=list(REPORTS),
        clinical=(np.arange(n * 14).reshape(n, 14) % 3 == 0).astype(np.float32),
        label_key=np.array(LABEL_KEYS, dtype=np.int64),
        label_vocab=(
            "Atelectasis",
            "Cardiomegaly",
            "Consolidation",
            "Edema",
            "Pleural Effusion",
            "Pneumonia",
            "Pneumothorax",
        ),
        triple_ids=[[1, 2], [1], [], [3], [2, 3], [1], [], [2]],
        graph_key=np.array([1, 2, 3, 1, 4, 5, -1, 6], dtype=np.int64),
        triple_vocab=["a", "b", "c"],
        variants=[list(v) for v in VARIANTS],
    )


def build_case(losses: list[str]):  # noqa: ANN201
    """(step module, objective, collated batch) on a seeded tiny model; nothing random afterwards."""
    tokenizer = shared_tokenizer()
    config = ReferenceModelConfig(
        image_tower="tiny-cnn",
        image_tower_kwargs={"widths": [4, 8], "grid": 2},
        image_size=16,
        text_hidden_size=16,
        text_layers=2,
        text_heads=2,
        text_intermediate_size=32,
        text_dropout=0.0,
        vocab_size=200,
        context_length=16,  # the longest reports are truncated (counted)
        embed_dim=8,
    )
    torch.manual_seed(0)
    model = ReferenceModel(config, tokenizer).train()
    data = prepared_data()
    n = len(REPORTS)
    loss_config = LossConfig(
        enabled=losses, negatives={"count": 2}, soft={"text_weight": 0.3, "clinical_weight": 0.2}
    )
    torch.manual_seed(1)
    step = TrainStep(model, loss_config, data).train()
    negatives = loss_config.negatives.count if loss_config.uses("neg") else 0
    collator = Collator(data, tokenizer, config.context_length, negatives, seed=5)
    pixels = torch.randn(n, 1, 16, 16, generator=torch.Generator().manual_seed(2))
    batch = collator([(0, i, pixels[i]) for i in range(n)])
    return step, Objective(loss_config), batch


def measure(losses: list[str], bucket_rows: tuple[int, ...] = (28,)) -> list[dict[str, object]]:
    """Loss and per-group gradient sums of one step, once per length-bucket size (same model and batch)."""
    step, objective, batch = build_case(losses)
    results = []
    for rows in bucket_rows:
        objective_module.ROWS_PER_LENGTH_BUCKET, saved = rows, objective_module.ROWS_PER_LENGTH_BUCKET
        try:
            step.zero_grad(set_to_none=True)
            loss, _ = objective(step(batch), batch, 0.5)
            loss.backward()
        finally:
            objective_module.ROWS_PER_LENGTH_BUCKET = saved
        grads: dict[str, float] = {}
        for name, parameter in step.named_parameters():
            if parameter.grad is not None:
                parts = name.split(".")
                group = ".".join(parts[:2]) if parts[0] == "model" else parts[0]
                grads[group] = grads.get(group, 0.0) + parameter.grad.abs().sum().item()
        results.append({"loss": loss.item(), "grads": grads, "truncated": batch.n_truncated})
    return results


@pytest.mark.parametrize("setting", SETTINGS)
def test_step_reproduces_the_recorded_losses_and_gradients(setting: str) -> None:
    expected = json.loads(GOLDEN_PATH.read_text())[setting]
    for got in measure(setting.split(","), bucket_rows=(28, 3)):  # 3: the 8-16 texts go in length buckets
        assert got["truncated"] == expected["truncated"]
        assert got["loss"] == pytest.approx(expected["loss"], rel=1e-5)
        assert sorted(got["grads"]) == sorted(expected["grads"])
        for group, value in expected["grads"].items():
            assert got["grads"][group] == pytest.approx(value, rel=1e-4, abs=1e-7), group


@pytest.mark.parametrize("context_length", [8, 16, 200])
def test_cached_tokens_equal_one_tokenizer_call(context_length: int) -> None:
    tokenizer = shared_tokenizer()
    collator = Collator(prepared_data(), tokenizer, context_length, 0, seed=0)
    texts = [r or "" for r in REPORTS] + VARIANTS[0] + [REPORTS[0]]  # a repeat, and an empty text
    for _ in range(2):  # the second call reads the cache only
        ids, mask, truncated = collator._tokenize(texts)
        expected = tokenizer(
            texts, padding="longest", truncation=True, max_length=context_length, return_tensors="pt"
        )
        assert torch.equal(ids, expected["input_ids"]) and torch.equal(mask, expected["attention_mask"])
        whole = tokenizer(texts, truncation=False)["input_ids"]
        assert truncated == sum(len(row) > context_length for row in whole)
    assert len(collator._tokens) == len(set(texts))


def test_length_buckets_embed_each_row_as_one_call_does() -> None:
    model = build_case(["clip"])[0].model
    generator = torch.Generator().manual_seed(3)
    lengths = torch.randint(2, 16, (40,), generator=generator)
    mask = (torch.arange(16) < lengths[:, None]).long()
    ids = torch.randint(5, len(shared_tokenizer()), (40, 16), generator=generator) * mask
    whole = model.encode_text(ids, mask)
    (whole * torch.linspace(-1, 1, whole.numel()).view_as(whole)).sum().backward()
    expected_grads = [p.grad.clone() for p in model.text_tower.parameters()]
    model.zero_grad()
    bucketed = encode_by_length(model.encode_text, ids, mask)
    (bucketed * torch.linspace(-1, 1, whole.numel()).view_as(whole)).sum().backward()
    assert torch.allclose(bucketed, whole, atol=1e-5)
    for got, expected in zip([p.grad for p in model.text_tower.parameters()], expected_grads, strict=True):
        assert torch.allclose(got, expected, atol=1e-5, rtol=1e-4)
    left = mask.flip(1)  # left padding: one call, nothing cut
    assert torch.equal(
        encode_by_length(lambda i, m: m.sum(1, keepdim=True), ids, left), left.sum(1, keepdim=True)
    )


if __name__ == "__main__":  # regenerate the fixture (only from the former step, see the docstring)
    golden = {setting: measure(setting.split(","))[0] for setting in SETTINGS}
    GOLDEN_PATH.write_text(json.dumps(golden, indent=1, sort_keys=True))
