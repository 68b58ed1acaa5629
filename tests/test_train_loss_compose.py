"""The composed objective (one class per loss, weighted sum) reproduces the former if-chain exactly.

``fixtures/train/objective_golden.json`` holds the totals, parts and image-gradient sums that
the former ``Objective`` (an if-chain over the enabled losses) computed on the fixed tensors
below, recorded before it was removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from cxralign.train.config import LossConfig
from cxralign.train.losses.compose import LOSSES, MODIFIERS, ContrastiveLoss, WeightedLossSum
from cxralign.train.objective import Objective

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "train" / "objective_golden.json").read_text())
PRODUCED_BY = {"negatives": "neg", "graph": "graph", "label_text": "umcl"}  # what TrainStep emits when on


def fixed_inputs(seed: int = 7) -> tuple[dict[str, torch.Tensor], SimpleNamespace]:
    g = torch.Generator().manual_seed(seed)
    b, d, k, c, v = 6, 8, 2, 5, 7
    features = {
        "image": F.normalize(torch.randn(b, d, generator=g), dim=-1),
        "text": F.normalize(torch.randn(b, d, generator=g), dim=-1),
        "negatives": F.normalize(torch.randn(b, k, d, generator=g), dim=-1),
        "graph": F.normalize(torch.randn(b, d, generator=g), dim=-1),
        "label_text": F.normalize(torch.randn(b, d, generator=g), dim=-1),
        "logit_scale": torch.tensor(14.0),
    }
    batch = SimpleNamespace(
        clinical=(torch.rand(b, c, generator=g) > 0.5).float(),
        relational=(torch.rand(b, v, generator=g) > 0.6).float(),
        negative_mask=torch.tensor([[1, 1], [1, 0], [0, 0], [1, 1], [1, 0], [1, 1]], dtype=torch.bool),
        graph_key=torch.tensor([3, 3, -1, 5, 7, 5]),
        label_key=torch.tensor([0, 2, 2, 1, 0, 4]),
    )
    return features, batch


@pytest.mark.parametrize("enabled", sorted(GOLDEN))
def test_composed_objective_equals_the_former_if_chain(enabled: str) -> None:
    names = enabled.split(",")
    features, batch = fixed_inputs()
    features = {k: t for k, t in features.items() if k not in PRODUCED_BY or PRODUCED_BY[k] in names}
    features["image"].requires_grad_(True)
    total, parts = Objective(LossConfig(enabled=names))(features, batch, 0.5)
    total.backward()
    expected = GOLDEN[enabled]
    assert total.item() == pytest.approx(expected["total"], rel=1e-6, abs=1e-7)
    assert {k: v.item() for k, v in parts.items()} == pytest.approx(expected["parts"], rel=1e-6, abs=1e-7)
    assert features["image"].grad.abs().sum().item() == pytest.approx(expected["grad"], rel=1e-5)


def test_every_configured_loss_is_a_term_or_a_modifier() -> None:
    from cxralign.train.config import LOSS_NAMES

    assert sorted([*LOSSES, *MODIFIERS]) == sorted(LOSS_NAMES)


def test_weights_come_from_the_config() -> None:
    config = LossConfig(enabled=["clip", "graph", "umcl"], graph={"weight": 0.25}, umcl={"weight": 2.0})
    terms = WeightedLossSum.from_config(config).terms
    assert [(part, weight) for part, weight, _ in terms] == [
        ("contrastive", 1.0),
        ("graph", 0.25),
        ("umcl", 2.0),
    ]
    assert isinstance(terms[0][2], ContrastiveLoss) and terms[0][2].multi_positive
