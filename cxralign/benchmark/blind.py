"""Text-only ("blind") baselines: can originals be told from variants without looking at the image?

A benchmark whose rewrites leave artefacts (always shorter, always one phrase)
can be solved from the text alone. Two baselines, both cross-validated with
items kept whole inside a fold:

* ``heuristic``: logistic regression on the length and negation-word count of a pair;
* ``ngram``: a bag of word 1-2-grams with logistic regression on single texts;
  ``pairwise`` accuracy asks whether it scores the original above its variant.

On the balanced set (negate + affirm, equal counts per finding) both should be
near 50%; above 60% the build summary flags the split.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

CHANCE_LIMIT = 0.60
MAX_PAIRS = 5000
_NEGATION = re.compile(r"\b(no|not|without|negative|free|absent|clear|normal)\b", re.IGNORECASE)


def _pair_features(first: str, second: str) -> list[float]:
    return [
        (len(first) - len(second)) / 100.0,
        float(len(_NEGATION.findall(first)) - len(_NEGATION.findall(second))),
    ]


def _folds(n: int, k: int) -> int:
    return max(2, min(k, n))


def heuristic_accuracy(pairs: Sequence[tuple[str, str]], seed: int = 0, folds: int = 5) -> float | None:
    """Pairwise accuracy of a length + negation-count rule fitted on the other folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import KFold

    if len(pairs) < 10:
        return None
    rng = random.Random(seed)
    features, labels = [], []
    for original, variant in pairs:
        if rng.random() < 0.5:
            features.append(_pair_features(original, variant))
            labels.append(1)
        else:
            features.append(_pair_features(variant, original))
            labels.append(0)
    x, y = np.asarray(features), np.asarray(labels)
    predicted = np.zeros_like(y)
    for train, test in KFold(_folds(len(y), folds), shuffle=True, random_state=seed).split(x):
        if len(set(y[train])) < 2:
            predicted[test] = y[train][0]
            continue
        model = LogisticRegression(solver="liblinear").fit(x[train], y[train])
        predicted[test] = model.predict(x[test])
    return float(accuracy_score(y, predicted))


def ngram_accuracy(
    pairs: Sequence[tuple[str, str]], seed: int = 0, folds: int = 5
) -> dict[str, float] | None:
    """Single-text and pairwise accuracy of a cross-validated bag-of-n-grams classifier."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import GroupKFold

    if len(pairs) < 10:
        return None
    texts = [t for pair in pairs for t in pair]
    labels = np.asarray([1, 0] * len(pairs))
    groups = np.repeat(np.arange(len(pairs)), 2)
    scores = np.zeros(len(texts))
    splitter = GroupKFold(n_splits=_folds(len(pairs), folds))
    for train, test in splitter.split(texts, labels, groups):
        vectorizer = CountVectorizer(
            ngram_range=(1, 2), min_df=2, max_features=50000, binary=True, lowercase=True
        )
        x_train = vectorizer.fit_transform([texts[i] for i in train])
        # logistic loss by SGD: exact solvers crawl here, because originals and variants share almost every n-gram
        model = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=30, tol=None, random_state=seed)
        model.fit(x_train, labels[train])
        scores[test] = model.decision_function(vectorizer.transform([texts[i] for i in test]))
    single = accuracy_score(labels, (scores > 0).astype(int))
    original_scores, variant_scores = scores[0::2], scores[1::2]
    pairwise = float(
        np.mean(original_scores > variant_scores) + 0.5 * np.mean(original_scores == variant_scores)
    )
    return {"accuracy": float(single), "pairwise_accuracy": pairwise}


def balanced_pairs(items: Sequence[dict], seed: int = 0) -> list[tuple[str, str]]:
    """Negate and affirm pairs in equal numbers per finding (the balanced control set)."""
    by_key: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for item in items:
        if item["op"] in ("negate", "affirm"):
            by_key[(item["target"], item["op"])].append((item["original"], item["variant"]))
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for target in sorted({t for t, _ in by_key}):
        negate, affirm = by_key[(target, "negate")], by_key[(target, "affirm")]
        n = min(len(negate), len(affirm))
        pairs += rng.sample(negate, n) + rng.sample(affirm, n)
    return pairs


def blind_baselines(items: Sequence[dict], ops: Sequence[str], seed: int = 0) -> dict[str, dict]:
    """Baselines per op and for the balanced negate + affirm set."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # tiny models: BLAS threads only contend (100x slower on a busy 2-core box)
        return _blind_baselines(items, ops, seed)


def _blind_baselines(items: Sequence[dict], ops: Sequence[str], seed: int) -> dict[str, dict]:
    rng = random.Random(seed)
    groups: dict[str, list[tuple[str, str]]] = {op: [] for op in ops}
    for item in items:
        if item["op"] in groups:
            groups[item["op"]].append((item["original"], item["variant"]))
    if "negate" in ops and "affirm" in ops:
        groups["balanced"] = balanced_pairs(items, seed)
    report: dict[str, dict] = {}
    for name, pairs in groups.items():
        if len(pairs) > MAX_PAIRS:
            pairs = rng.sample(pairs, MAX_PAIRS)
        ngram = ngram_accuracy(pairs, seed)
        result = {
            "pairs": len(pairs),
            "heuristic_accuracy": heuristic_accuracy(pairs, seed),
            "ngram_accuracy": None if ngram is None else ngram["accuracy"],
            "ngram_pairwise_accuracy": None if ngram is None else ngram["pairwise_accuracy"],
        }
        if name == "balanced":
            worst = max((v for k, v in result.items() if k != "pairs" and v is not None), default=None)
            result["near_chance"] = None if worst is None else worst <= CHANCE_LIMIT
        report[name] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items()}
    return report
