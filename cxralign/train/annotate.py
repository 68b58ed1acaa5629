"""Report annotations the losses need, computed once per dataset and cached.

From each report the report engine gives clinical label vectors and the
finding-attribute graph; the rewriting engine gives verified contradicting
variants (negated, and optionally omitted / side- or severity-swapped) used as
hard negatives. Annotating is the slow part of data preparation, so the result is
cached on disk keyed by the reports' hash and the options.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cxralign.utils.atomic import atomic_write_text
from cxralign.utils.hashing import sha256_json

ANNOTATION_VERSION = 1


@dataclass
class ReportAnnotation:
    """What the losses read about one report."""

    labels: dict[str, float | None]  # CheXpert-14 -> 1 / 0 / -1 / None
    triples: list[str]  # finding graph as "concept|relation|value" strings
    variants: dict[str, list[str]] = field(default_factory=dict)  # op -> verified variant texts
    extra_labels: dict[str, float | None] | None = None  # the UMCL vocabulary when not CheXpert

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportAnnotation:
        return cls(**data)


Annotator = Callable[[Sequence[str]], list[ReportAnnotation]]


def graph_triples(analysis: Any) -> list[str]:
    """The finding-attribute graph of a report analysis as sorted, de-duplicated triples."""
    triples: set[str] = set()
    for mention in analysis.mentions:
        if getattr(mention, "historical", False):
            continue
        concept = mention.concept
        triples.add(f"{concept}|assertion|{mention.assertion.value}")
        attributes = mention.attributes
        if attributes.laterality:
            triples.add(f"{concept}|laterality|{attributes.laterality}")
        if attributes.severity:
            triples.add(f"{concept}|severity|{attributes.severity}")
        for location in attributes.location:
            triples.add(f"{concept}|location|{location}")
    return sorted(triples)


class EngineAnnotator:
    """Annotate with cxralign's report engine and rewriting engine."""

    def __init__(self, ops: Sequence[str] = ("negate",), extra_vocab: str | None = None) -> None:
        self.ops = tuple(ops)
        self.extra_vocab = extra_vocab

    def describe(self) -> dict[str, Any]:
        from cxralign import __version__

        return {
            "annotator": "engine",
            "ops": self.ops,
            "extra_vocab": self.extra_vocab,
            "version": __version__,
        }

    def _variants(self, analysis: Any, labels: dict[str, float | None], ctx: Any) -> dict[str, list[str]]:
        """Every verified variant per op, one per finding the op applies to (rejections are expected)."""
        from cxralign.rewrite import RewriteRejected, rewrite

        variants: dict[str, list[str]] = {}
        for op in self.ops:
            wanted = (0.0,) if op == "affirm" else (1.0, -1.0)
            texts = []
            for target, value in labels.items():
                if target == "No Finding" or value not in wanted:
                    continue
                try:
                    texts.append(rewrite(op, analysis, target, ctx).text)
                except RewriteRejected:
                    continue
            variants[op] = texts
        return variants

    def __call__(self, reports: Sequence[str]) -> list[ReportAnnotation]:
        from cxralign.reports import analyze_many, report_labels
        from cxralign.rewrite import RewriteContext

        ctx = RewriteContext.from_engine()
        out: list[ReportAnnotation] = []
        for analysis in analyze_many(list(reports)):
            labels = report_labels(analysis, vocab="chexpert")
            variants = self._variants(analysis, labels, ctx)
            out.append(
                ReportAnnotation(
                    labels=labels,
                    triples=graph_triples(analysis),
                    variants=variants,
                    extra_labels=report_labels(analysis, vocab=self.extra_vocab)
                    if self.extra_vocab
                    else None,
                )
            )
        return out


def annotate_cached(
    reports: Sequence[str | None], annotator: Annotator, cache_dir: Path | None, describe: dict[str, Any]
) -> list[ReportAnnotation | None]:
    """Annotate the non-empty reports, reusing ``cache_dir/annotations-<hash>.json`` when present."""
    texts = [text for text in reports if text]
    key = sha256_json(
        {
            "v": ANNOTATION_VERSION,
            "describe": describe,
            "reports": hashlib.sha256("\x00".join(texts).encode()).hexdigest(),
        }
    )[:16]
    cache_file = cache_dir / f"annotations-{key}.json" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        annotations = [ReportAnnotation.from_json(item) for item in json.loads(cache_file.read_text())]
    else:
        annotations = annotator(texts)
        if len(annotations) != len(texts):
            raise RuntimeError(f"annotator returned {len(annotations)} annotations for {len(texts)} reports")
        if cache_file is not None:
            atomic_write_text(cache_file, json.dumps([asdict(a) for a in annotations]))
    iterator = iter(annotations)
    return [next(iterator) if text else None for text in reports]
