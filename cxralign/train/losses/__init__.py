"""Training objectives of the reference model, one module per idea (see docs/losses.md).

- :mod:`.clip` symmetric InfoNCE, exact under data parallelism;
- :mod:`.soft_labels` dynamic soft targets from text, clinical and relational similarity;
- :mod:`.hard_negatives` verified negated reports as extra image-to-text candidates;
- :mod:`.graph_alignment` image embeddings aligned with finding-graph embeddings;
- :mod:`.umcl` labels rendered through learnable prompts, UniCL-style multi-positive contrast.
"""

from cxralign.train.losses.batch import GlobalView, LossBatch, gather_view
from cxralign.train.losses.clip import ClipLoss, contrastive_loss, soft_cross_entropy
from cxralign.train.losses.graph_alignment import GraphAlignmentLoss, GraphEncoder
from cxralign.train.losses.hard_negatives import hard_negative_logits
from cxralign.train.losses.soft_labels import SoftLabelTargets, soft_label_schedule
from cxralign.train.losses.targets import multi_positive_targets
from cxralign.train.losses.umcl import LabelPromptEncoder, UMCLLoss

__all__ = [
    "ClipLoss",
    "GlobalView",
    "GraphAlignmentLoss",
    "GraphEncoder",
    "LabelPromptEncoder",
    "LossBatch",
    "SoftLabelTargets",
    "UMCLLoss",
    "contrastive_loss",
    "gather_view",
    "hard_negative_logits",
    "multi_positive_targets",
    "soft_cross_entropy",
    "soft_label_schedule",
]
