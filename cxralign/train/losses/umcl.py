"""UMCL: image-text-label contrast with labels rendered as text through learnable prompts.

A label set {c_1, ..., c_m} is rendered CoOp-style as the token sequence

    [CLS] ctx_1 ... ctx_M  <names of c_1..c_m joined by ", ">  [SEP]      (position "front")

where ctx are M learnable vectors in the text tower's word-embedding space ("end"
puts them after the names, "middle" splits them around the names); the text tower
and projection embed it like a report. With Y_ij ∝ 1[labels_i = labels_j] (UniCL),

    L_umcl = ½ [ CE(s u_i·l_j, Y) + CE(s l_i·u_j, Y) ]

and the image-text term uses Y instead of the identity (pairs sharing a label set
are positives: fewer false negatives). Label-only samples (images with labels, no
report) use their rendered label text in place of a report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from cxralign.train.losses.batch import GlobalView, LossBatch, gathered
from cxralign.train.losses.clip import soft_cross_entropy
from cxralign.train.losses.targets import multi_positive_targets

NO_FINDING_TEXT = "no finding"


def label_set_key(row: Sequence[float] | torch.Tensor, threshold: float = 0.5) -> int:
    """Bitmask id of the positive labels in a label vector (0 = empty set = no finding)."""
    key = 0
    for index, value in enumerate(row):
        if float(value) >= threshold:
            key |= 1 << index
    return key


class LabelPromptEncoder(nn.Module):
    """Learnable context vectors + class-name tokens -> (inputs_embeds, attention_mask) for the text tower."""

    def __init__(
        self,
        class_names: Sequence[str],
        word_embeddings: nn.Embedding,
        tokenize: Callable[[str], list[int]],
        *,
        context_length: int = 8,
        position: str = "front",
        cls_id: int | None = None,
        sep_id: int | None = None,
        max_length: int = 64,
    ) -> None:
        super().__init__()
        if position not in {"front", "middle", "end"}:
            raise ValueError(f"prompt position must be front, middle or end, not {position!r}")
        if context_length < 1:
            raise ValueError("prompt context length must be >= 1")
        self.class_names = [name.lower() for name in class_names]
        self.position = position
        self.max_length = max_length
        hidden = word_embeddings.embedding_dim
        self.context = nn.Parameter(torch.randn(context_length, hidden) * 0.02)
        self._word_embeddings = [word_embeddings]  # shared with the text tower; not re-registered
        self._tokenize = tokenize
        self._special = (cls_id, sep_id)
        self._layouts: dict[int, tuple[list[int], list[int]]] = {}

    def _layout(self, key: int) -> tuple[list[int], list[int]]:
        """(word id or -1, context index or -1) per position of the prompt of label set ``key`` (cached)."""
        if key not in self._layouts:
            names = [name for index, name in enumerate(self.class_names) if key >> index & 1]
            name_ids = self._tokenize(", ".join(names) if names else NO_FINDING_TEXT)
            context = [(-1, slot) for slot in range(self.context.shape[0])]
            named = [(word, -1) for word in name_ids]
            half = len(context) // 2
            body = {
                "front": context + named,
                "end": named + context,
                "middle": context[:half] + named + context[half:],
            }[self.position]
            cls_id, sep_id = self._special
            words = ([] if cls_id is None else [cls_id]) + [word for word, _ in body]
            slots = ([] if cls_id is None else [-1]) + [slot for _, slot in body]
            if sep_id is not None:
                words.append(sep_id)
                slots.append(-1)
            self._layouts[key] = (words[: self.max_length], slots[: self.max_length])
        return self._layouts[key]

    def forward(self, keys: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts of the label sets ``keys``: two gathers, no loop over positions.

        The trainer passes each distinct key of a batch once, so the text tower embeds
        every label set once however many rows share it.
        """
        layouts = [self._layout(int(key)) for key in keys]
        length = max(len(words) for words, _ in layouts)
        words = torch.tensor([w + [-1] * (length - len(w)) for w, _ in layouts], device=self.context.device)
        slots = torch.tensor([c + [-1] * (length - len(c)) for _, c in layouts], device=self.context.device)
        mask = ((words >= 0) | (slots >= 0)).long()
        inputs = self._word_embeddings[0](words.clamp_min(0))
        inputs = torch.where((slots >= 0)[..., None], self.context[slots.clamp_min(0)], inputs)
        inputs = inputs * mask[..., None].to(inputs.dtype)  # padding positions are zeros
        return inputs, mask


def label_targets(batch: LossBatch, view: GlobalView) -> torch.Tensor:
    """UniCL targets of this rank's rows over the global batch."""
    if batch.label_key is None:
        raise ValueError("UMCL needs label-set keys in the batch")
    if "label_targets" not in view.cache:  # the image-text term and UMCL share them
        keys_all = gathered(view, "label_key", batch.label_key, grad=False)
        assert keys_all is not None
        view.cache["label_targets"] = multi_positive_targets(batch.label_key, keys_all, view.offset)
    targets = view.cache["label_targets"]
    assert targets is not None
    return targets


class UMCLLoss(nn.Module):
    """Image↔rendered-label term with label-set positives (the image-text term lives in the objective)."""

    def forward(
        self, batch: LossBatch, view: GlobalView, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        if batch.label_text is None:
            raise ValueError("UMCL needs rendered label-text features in the batch")
        targets = label_targets(batch, view) if targets is None else targets
        label_all = gathered(view, "label_text", batch.label_text, grad=True)
        assert label_all is not None
        scale = batch.logit_scale
        per_row_il = soft_cross_entropy(scale * batch.image @ label_all.T, targets)
        per_row_li = soft_cross_entropy(scale * batch.label_text @ view.image.T, targets)
        return 0.5 * (view.row_mean(per_row_il) + view.row_mean(per_row_li))
