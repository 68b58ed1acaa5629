"""Phantom phrase templates (finding_phrases.yaml) write what the per-finding writer functions wrote."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np

from cxralign.data.phantoms.phrasing import POSITIVE_PHRASES, _Writer
from cxralign.data.phantoms.spec import FINDINGS, Finding

# sha256 over every sentence of the grid below and the RNG draw after it, computed with the
# former phrase-writer functions (main at 1d61239) before they became templates.
RECORDED = "9cbab853b0287ceeee1b72743f77208350fd5ab063e88b94e759c3c9b1f2c03a"
EXTRA = {"air_bronchograms": True, "tip_above_carina_cm": 5, "route": "subclavian", "leads": 1, "rib": 4}


def _grid():
    for name in FINDINGS:
        for severity, side, location, subtype, uncertain, impression, extra in itertools.product(
            [None, "mild", "moderate", "severe"],
            [None, "left", "right", "bilateral"],
            [None, "apical", "lingula", "right lower lobe"],
            [None, "patchy", "plate-like", "endotracheal_tube", "central_line", "pacemaker", "displaced"],
            [False, True],
            [False, True],
            [{}, EXTRA],
        ):
            finding = Finding(
                name=name,
                severity=severity,
                laterality=side,
                location=location,
                subtype=subtype,
                uncertain=uncertain,
                size_cm=2.5 if extra else None,
                extra=extra,
            )
            yield finding, impression


def written_digest() -> str:
    digest = hashlib.sha256()
    for seed, (finding, impression) in enumerate(_grid()):
        rng = np.random.default_rng(seed)
        text = POSITIVE_PHRASES[finding.name][0](_Writer(rng), finding, impression)
        digest.update(f"{text}|{rng.random()!r}\n".encode())
    return digest.hexdigest()


def test_the_templates_write_the_recorded_sentences_with_the_same_draws() -> None:
    assert written_digest() == RECORDED


def test_every_finding_ends_with_a_case_that_always_matches() -> None:
    for name, (writer, _group) in POSITIVE_PHRASES.items():
        assert "when" not in writer.cases[-1], name
        assert all(("pick" in case) != ("say" in case) for case in writer.cases), name
