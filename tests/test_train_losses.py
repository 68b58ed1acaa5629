"""Each loss on small cases computed by hand (or by open_clip's reference implementation)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cxralign.train.losses import (
    ClipLoss,
    GraphAlignmentLoss,
    LabelPromptEncoder,
    LossBatch,
    SoftLabelTargets,
    UMCLLoss,
    contrastive_loss,
    gather_view,
    hard_negative_logits,
    multi_positive_targets,
    soft_label_schedule,
)
from cxralign.train.losses.umcl import label_set_key

IMAGE = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
TEXT = torch.tensor([[1.0, 0.0], [0.6, 0.8]])


def _ce(logits: list[float], target: int) -> float:
    return -logits[target] + math.log(sum(math.exp(x) for x in logits))


def _soft_ce(logits: list[float], targets: list[float]) -> float:
    lse = math.log(sum(math.exp(x) for x in logits))
    return -sum(t * (x - lse) for x, t in zip(logits, targets, strict=False))


def _batch(**extra) -> LossBatch:
    return LossBatch(image=IMAGE.clone(), text=TEXT.clone(), logit_scale=torch.tensor(1.0), **extra)


def test_clip_loss_matches_hand_computation() -> None:
    i2t = (_ce([1.0, 0.6], 0) + _ce([0.0, 0.8], 1)) / 2
    t2i = (_ce([1.0, 0.0], 0) + _ce([0.6, 0.8], 1)) / 2
    assert ClipLoss()(_batch()).item() == pytest.approx((i2t + t2i) / 2, abs=1e-6)


def test_clip_loss_matches_open_clip() -> None:
    open_clip_loss = pytest.importorskip("open_clip.loss")
    torch.manual_seed(0)
    image = F.normalize(torch.randn(8, 16), dim=-1)
    text = F.normalize(torch.randn(8, 16), dim=-1)
    scale = torch.tensor(14.3)
    expected = open_clip_loss.ClipLoss()(image, text, scale)
    assert ClipLoss()(LossBatch(image=image, text=text, logit_scale=scale)).item() == pytest.approx(
        expected.item(), abs=1e-5
    )


def test_soft_labels_with_zero_weights_are_infonce() -> None:
    torch.manual_seed(1)
    batch = LossBatch(
        image=F.normalize(torch.randn(6, 8), dim=-1),
        text=F.normalize(torch.randn(6, 8), dim=-1),
        logit_scale=torch.tensor(10.0),
        clinical=torch.randint(0, 2, (6, 14)).float(),
        relational=torch.rand(6, 30),
        progress=0.7,
    )
    view = gather_view(batch)
    targets = SoftLabelTargets(0.0, 0.0, 0.0)(batch, view)
    assert targets is None
    plain = ClipLoss()(batch)
    explicit_identity = contrastive_loss(batch, view, targets=torch.eye(6))
    assert explicit_identity.item() == pytest.approx(plain.item(), abs=1e-6)
    # weights > 0 but the schedule has not started: still InfoNCE
    early = LossBatch(**{**batch.__dict__, "progress": 0.0})
    assert SoftLabelTargets(0.3, 0.3, 0.3, schedule="linear", warmup_fraction=0.5)(early, view) is None


def test_soft_label_targets_hand_case_clinical() -> None:
    batch = _batch(clinical=torch.tensor([[1.0, 0.0], [1.0, 0.0]]), progress=1.0)
    view = gather_view(batch)
    targets = SoftLabelTargets(clinical_weight=0.5, clinical_temperature=0.1, schedule="constant")(
        batch, view
    )
    # identical label vectors: P = uniform over both; T = 0.5 I + 0.5 P
    assert torch.allclose(targets, torch.tensor([[0.75, 0.25], [0.25, 0.75]]))
    loss = contrastive_loss(batch, view, targets)
    i2t = (_soft_ce([1.0, 0.6], [0.75, 0.25]) + _soft_ce([0.0, 0.8], [0.25, 0.75])) / 2
    t2i = (_soft_ce([1.0, 0.0], [0.75, 0.25]) + _soft_ce([0.6, 0.8], [0.25, 0.75])) / 2
    assert loss.item() == pytest.approx((i2t + t2i) / 2, abs=1e-6)


def test_soft_label_text_similarity_is_stop_gradient_and_temperatured() -> None:
    text = TEXT.clone().requires_grad_(True)
    batch = LossBatch(image=IMAGE, text=text, logit_scale=torch.tensor(1.0), progress=1.0)
    view = gather_view(batch)
    targets = SoftLabelTargets(text_weight=1.0, text_temperature=0.5, schedule="constant")(batch, view)
    assert not targets.requires_grad
    # cos(t0, t1) = 0.6: row softmax of [1, 0.6] / 0.5
    p = math.exp(2.0) / (math.exp(2.0) + math.exp(1.2))
    assert torch.allclose(targets, torch.tensor([[p, 1 - p], [1 - p, p]]), atol=1e-6)


def test_all_zero_label_vectors_keep_self_target() -> None:
    batch = _batch(clinical=torch.zeros(2, 3), progress=1.0)
    targets = SoftLabelTargets(clinical_weight=1.0, clinical_temperature=0.1, schedule="constant")(
        batch, gather_view(batch)
    )
    assert targets[0, 0] > 0.99 and targets[1, 1] > 0.99


def test_soft_label_schedule_shapes() -> None:
    assert soft_label_schedule(0.1, "linear", 0.2) == pytest.approx(0.5)
    assert soft_label_schedule(0.1, "cosine", 0.2) == pytest.approx(0.5)
    assert soft_label_schedule(0.05, "cosine", 0.2) == pytest.approx(0.5 * (1 - math.cos(math.pi / 4)))
    assert soft_label_schedule(0.9, "linear", 0.2) == 1.0
    assert soft_label_schedule(0.0, "constant", 0.2) == 1.0
    with pytest.raises(ValueError):
        SoftLabelTargets(0.6, 0.6)


def test_hard_negatives_enter_image_to_text_only() -> None:
    negatives = torch.tensor([[[0.8, 0.6]], [[0.0, -1.0]]])
    mask = torch.tensor([[True], [False]])
    batch = _batch()
    view = gather_view(batch)
    extra = hard_negative_logits(batch.image, negatives, mask, batch.logit_scale, weight=2.0)
    loss = contrastive_loss(batch, view, extra_image_to_text=extra)
    # image 0 gets its negative (logit 0.8 + log 2); image 1's negative is masked out
    i2t = (_ce([1.0, 0.6, 0.8 + math.log(2.0)], 0) + _ce([0.0, 0.8], 1)) / 2
    t2i = (_ce([1.0, 0.0], 0) + _ce([0.6, 0.8], 1)) / 2  # unchanged by negatives
    assert loss.item() == pytest.approx((i2t + t2i) / 2, abs=1e-6)


def test_hard_negative_gradient_reaches_images_not_text_to_image_rows() -> None:
    text = TEXT.clone().requires_grad_(True)
    image = IMAGE.clone().requires_grad_(True)
    negatives = torch.tensor([[[0.8, 0.6]], [[0.6, 0.8]]], requires_grad=True)
    batch = LossBatch(image=image, text=text, logit_scale=torch.tensor(1.0))
    view = gather_view(batch)
    extra = hard_negative_logits(image, negatives, torch.ones(2, 1, dtype=torch.bool), batch.logit_scale)
    logits_i2t = torch.cat([batch.logit_scale * image @ view.text.T, extra], 1)
    i2t_only = F.cross_entropy(logits_i2t, torch.arange(2))
    t2i_only = F.cross_entropy(batch.logit_scale * text @ view.image.T, torch.arange(2))
    total = contrastive_loss(batch, view, extra_image_to_text=extra)
    assert total.item() == pytest.approx(0.5 * (i2t_only + t2i_only).item(), abs=1e-6)
    total.backward()
    assert negatives.grad is not None and negatives.grad.abs().sum() > 0


def test_all_masked_negatives_equal_plain_clip() -> None:
    batch = _batch()
    extra = hard_negative_logits(batch.image, torch.randn(2, 3, 2), torch.zeros(2, 3, dtype=torch.bool), 1.0)
    assert contrastive_loss(batch, gather_view(batch), extra_image_to_text=extra).item() == pytest.approx(
        ClipLoss()(batch).item(), abs=1e-6
    )


def test_multi_positive_targets() -> None:
    keys = torch.tensor([3, 3, 0, -1])
    targets = multi_positive_targets(keys, keys, 0)
    expected = torch.tensor(
        [[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]],
    )
    assert torch.allclose(targets, expected)


def test_graph_alignment_hand_case() -> None:
    graph = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    image = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    keys = torch.tensor([7, 7, -1])  # third sample has no graph: not a row, not a column
    batch = LossBatch(image=image, text=image, logit_scale=torch.tensor(1.0), graph=graph, graph_key=keys)
    loss = GraphAlignmentLoss(temperature=1.0)(batch, gather_view(batch))
    # rows 0 and 1 share a graph: targets [.5, .5] over columns 0, 1
    ig0 = _soft_ce([1.0, 1.0], [0.5, 0.5])
    ig1 = _soft_ce([0.0, 0.0], [0.5, 0.5])
    gi0 = _soft_ce([1.0, 0.0], [0.5, 0.5])
    gi1 = _soft_ce([1.0, 0.0], [0.5, 0.5])
    expected = ((ig0 + gi0) / 2 + (ig1 + gi1) / 2) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_label_set_key_and_umcl_hand_case() -> None:
    assert label_set_key([0.0, 1.0, 1.0]) == 6
    assert label_set_key([0.0, 0.0]) == 0
    label_text = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    batch = _batch(label_text=label_text, label_key=torch.tensor([5, 5]))
    loss = UMCLLoss()(batch, gather_view(batch))
    # image rows vs label columns, both positives (same label set)
    il = (_soft_ce([1.0, 1.0], [0.5, 0.5]) + _soft_ce([0.0, 0.0], [0.5, 0.5])) / 2
    li = (_soft_ce([1.0, 0.0], [0.5, 0.5]) + _soft_ce([1.0, 0.0], [0.5, 0.5])) / 2
    assert loss.item() == pytest.approx((il + li) / 2, abs=1e-6)


@pytest.mark.parametrize("position", ["front", "middle", "end"])
def test_label_prompt_layout(position: str) -> None:
    embedding = nn.Embedding(10, 4)
    vocab = {"effusion": [5], "edema": [6], "no": [7], "finding": [8], ",": [9]}

    def tokenize(text: str) -> list[int]:
        return [i for word in text.replace(",", " ,").split() for i in vocab[word]]

    encoder = LabelPromptEncoder(
        ["Edema", "Effusion"], embedding, tokenize, context_length=2, position=position, cls_id=1, sep_id=2
    )
    inputs, mask = encoder([0b11, 0])
    assert mask.tolist() == [[1] * 7, [1] * 6 + [0]]  # cls + ctx(2) + "edema , effusion" + sep; "no finding"
    names = embedding(torch.tensor([6, 9, 5]))
    at = {"front": 3, "middle": 2, "end": 1}[position]
    assert torch.allclose(inputs[0, at : at + 3], names)
    assert torch.allclose(inputs[0, 0], embedding.weight[1]) and torch.allclose(
        inputs[0, 6], embedding.weight[2]
    )
    # the context vectors are the only parameters and receive gradients
    assert [name for name, _ in encoder.named_parameters()] == ["context"]
    inputs.sum().backward()
    assert encoder.context.grad is not None
