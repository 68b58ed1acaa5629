"""Importing this module registers every built-in task."""

from cxralign.tasks import cxr_align, cxr_align_headline, finetune, linear_probe, retrieval, zeroshot  # noqa: F401
