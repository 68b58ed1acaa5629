"""The build's shortcuts give exactly what the long way gives (they exist for speed only)."""

from __future__ import annotations

import numpy as np

from cxralign.benchmark.probes import _char, _char_hasher
from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, rewrite
from cxralign.rewrite import ops as rewrite_ops
from cxralign.rewrite.form import stated_signs

TEXTS = [
    "FINDINGS: Small left pleural effusion. No pneumothorax.\nIMPRESSION: Effusion.",
    "FINDINGS: Small left pleural effusion.  No pneumothorax.\n\nIMPRESSION:  effusion",
    "Heart size is normal.\tLungs are clear.",
    "",
    "   ",
    "İLERİ Straße café: a\u00a0b\u2003c, x",
    "Large right pneumothorax with mediastinal shift to the left.",
]


def test_char_features_word_by_word_equal_the_hasher():
    expected, got = _char_hasher().transform(TEXTS), _char(TEXTS)
    assert type(got) is type(expected) and got.shape == expected.shape and got.dtype == expected.dtype
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
    assert got.indices.dtype == expected.indices.dtype and got.has_sorted_indices


def test_a_repeated_edit_is_verified_once(monkeypatch):
    calls = []
    real = rewrite_ops.variant_failure

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(rewrite_ops, "variant_failure", counting)
    ctx = RewriteContext.from_engine(seed=0)
    analysis = analyze(TEXTS[0])
    first = rewrite("negate", analysis, "Pleural Effusion", ctx)
    again = rewrite("negate", analysis, "Pleural Effusion", ctx)
    assert first == again and calls == ["negate"]
    rewrite("negate", analyze(TEXTS[1]), "Pleural Effusion", ctx)  # another original: verified afresh
    assert calls == ["negate", "negate"]


def test_signs_found_once_per_sentence_are_found_as_before():
    ctx = RewriteContext.from_engine(seed=0)
    analysis = analyze(TEXTS[-1])
    signs = list(stated_signs(analysis, "Pneumothorax", ctx))
    assert [name for name, *_ in signs] == ["mediastinal shift"]
    _, start, end, _ = signs[0]
    assert analysis.text[start:end].lower() == "mediastinal shift"
    assert list(stated_signs(analysis, "Pneumothorax", ctx)) == signs
