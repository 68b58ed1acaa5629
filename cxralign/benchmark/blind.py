"""Text-only ("blind") baselines: can originals be told from variants without looking at the image?

A benchmark whose rewrites leave artefacts (always shorter, always one phrase)
can be solved from the text alone. Two baselines, both cross-validated with
GroupKFold: a pair's group is its patient, merged with every other pair that
shares a report text, so neither a patient nor an identical report is ever
both trained on and tested (templated corpora repeat whole reports):

* ``heuristic``: logistic regression on the length and negation-word count of a pair;
* ``ngram``: a bag of word 1-2-grams with logistic regression on single texts;
  ``pairwise`` accuracy asks whether it scores the original above its variant.

The build itself reports the probe ensemble of ``cxralign.benchmark.probes`` per op and on the
balanced set (the negate + affirm rows the blind filter chose, equal counts per finding; the rows
flagged ``balanced``), where every probe should be near 50%: there it is the mean over
``BALANCED_DRAWS`` fold draws, and above 55% the build warns. The two baselines here stay as
library functions.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

CHANCE_LIMIT = 0.60
MAX_PAIRS = 5000
_NEGATION = re.compile(r"\b(no|not|without|negative|free|absent|clear|normal)\b", re.IGNORECASE)


def preload() -> None:
    """Import the scikit-learn parts the baselines use (a build's workers do it before they are needed)."""
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import threadpoolctl  # noqa: F401


def _pair_features(first: str, second: str, negations: dict[str, int]) -> list[float]:
    return [(len(first) - len(second)) / 100.0, float(negations[first] - negations[second])]


def _distinct(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The texts of ``pairs``, each once: a report is the original of several pairs, and a build's
    sets repeat a quarter to half of their texts, so per-text work is done once a text."""
    return list(dict.fromkeys(text for pair in pairs for text in pair))


def hash_texts(texts: Sequence[str]):
    """Binary word 1-2-grams hashed to 2**18 columns, a row per text (nothing to fit: chunks of
    texts can be hashed apart, by different workers, and stacked)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        ngram_range=(1, 2), n_features=2**18, binary=True, norm=None, alternate_sign=False, lowercase=True
    ).transform(texts)


def ngram_classifier(seed: int):
    """The blind n-gram classifier: logistic loss by SGD (exact solvers crawl here, because
    originals and variants share almost every n-gram). The blind filter fits the same one."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=30, tol=None, random_state=seed)


def _hashed_ngrams(pairs: Sequence[tuple[str, str]]):
    """``hash_texts`` rows of every text of ``pairs`` (original, variant, ...).

    Each distinct text is tokenised once and its row repeated: the rows are the very rows a
    transform of every text gives (same values, same order), so the fits are the same.
    """
    distinct = _distinct(pairs)
    position = {text: row for row, text in enumerate(distinct)}
    rows = np.asarray([position[text] for pair in pairs for text in pair], dtype=np.intp)
    return hash_texts(distinct)[rows]


def pair_groups(pairs: Sequence[tuple[str, str]], keys: Sequence[str] | None = None) -> np.ndarray:
    """One group id per pair: pairs of one patient (``keys``) or sharing any text fall in one group."""
    parent = list(range(len(pairs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, str], int] = {}
    for i, (original, variant) in enumerate(pairs):
        names = [("text", original), ("text", variant)]
        if keys is not None:
            names.append(("key", keys[i]))
        for name in names:
            j = first_seen.setdefault(name, i)
            parent[find(i)] = find(j)
    return np.asarray([find(i) for i in range(len(pairs))])


def _group_folds(groups: np.ndarray, k: int):
    from sklearn.model_selection import GroupKFold

    return GroupKFold(n_splits=max(2, min(k, len(set(groups.tolist())))))


def heuristic_accuracy(
    pairs: Sequence[tuple[str, str]], seed: int = 0, folds: int = 5, groups: np.ndarray | None = None
) -> float | None:
    """Pairwise accuracy of a length + negation-count rule fitted on the other folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score

    if len(pairs) < 10:
        return None
    rng = random.Random(seed)
    negations = {text: len(_NEGATION.findall(text)) for text in _distinct(pairs)}
    features, labels = [], []
    for original, variant in pairs:
        if rng.random() < 0.5:
            features.append(_pair_features(original, variant, negations))
            labels.append(1)
        else:
            features.append(_pair_features(variant, original, negations))
            labels.append(0)
    x, y = np.asarray(features), np.asarray(labels)
    groups = pair_groups(pairs) if groups is None else groups
    if len(set(groups.tolist())) < 2:
        return None
    predicted = np.zeros_like(y)
    for train, test in _group_folds(groups, folds).split(x, y, groups):
        if len(set(y[train])) < 2:
            predicted[test] = y[train][0]
            continue
        model = LogisticRegression(solver="liblinear").fit(x[train], y[train])
        predicted[test] = model.predict(x[test])
    return float(accuracy_score(y, predicted))


def ngram_accuracy(
    pairs: Sequence[tuple[str, str]], seed: int = 0, folds: int = 5, groups: np.ndarray | None = None
) -> dict[str, float] | None:
    """Single-text and pairwise accuracy of a cross-validated bag-of-n-grams classifier."""
    from sklearn.metrics import accuracy_score

    if len(pairs) < 10:
        return None
    texts = [t for pair in pairs for t in pair]
    labels = np.asarray([1, 0] * len(pairs))
    pair_group = pair_groups(pairs) if groups is None else groups
    if len(set(pair_group.tolist())) < 2:
        return None
    groups = np.repeat(pair_group, 2)
    scores = np.zeros(len(texts))
    x = _hashed_ngrams(pairs)  # no vocabulary to fit: the texts are tokenised once, not once per fold
    for train, test in _group_folds(pair_group, folds).split(texts, labels, groups):
        model = ngram_classifier(seed).fit(x[train], labels[train])
        scores[test] = model.decision_function(x[test])
    single = accuracy_score(labels, (scores > 0).astype(int))
    original_scores, variant_scores = scores[0::2], scores[1::2]
    pairwise = float(
        np.mean(original_scores > variant_scores) + 0.5 * np.mean(original_scores == variant_scores)
    )
    return {"accuracy": float(single), "pairwise_accuracy": pairwise}


def _patient(item: dict) -> str:
    return str(item.get("_patient_key") or item.get("patient_id") or item.get("item_id") or id(item))


BlindRow = tuple[str, str, str, str, str]
"""What the baselines read of an output row: (op, target, original, variant, patient)."""


def _blind_row(item: dict) -> BlindRow:
    return (item["op"], item["target"], item["original"], item["variant"], _patient(item))


def balanced_pairs(items: Sequence[dict], seed: int = 0) -> list[tuple[str, str, str]]:
    """(original, variant, patient) of the balanced set: the rows flagged ``balanced`` where the
    items carry the flag, else negate and affirm drawn in equal numbers per finding."""
    if any(item.get("balanced") is not None for item in items):
        return [(item["original"], item["variant"], _patient(item)) for item in items if item.get("balanced")]
    return _balanced(map(_blind_row, items), seed)


def _balanced(rows: Iterable[BlindRow], seed: int) -> list[tuple[str, str, str]]:
    by_key: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for op, target, original, variant, patient in rows:
        if op in ("negate", "affirm"):
            by_key[(target, op)].append((original, variant, patient))
    rng = random.Random(seed)
    pairs: list[tuple[str, str, str]] = []
    for target in sorted({t for t, _ in by_key}):
        negate, affirm = by_key[(target, "negate")], by_key[(target, "affirm")]
        n = min(len(negate), len(affirm))
        pairs += rng.sample(negate, n) + rng.sample(affirm, n)
    return pairs


def blind_groups(
    items: Sequence[dict], ops: Sequence[str], seed: int = 0
) -> dict[str, list[tuple[str, str, str]]]:
    """(original, variant, patient) per op and for the balanced set, at most ``MAX_PAIRS`` each (seeded)."""
    flagged = any(item.get("balanced") is not None for item in items)
    balanced = [_blind_row(item) for item in items if item.get("balanced")] if flagged else None
    return blind_sets([_blind_row(item) for item in items], ops, seed, balanced)


def blind_sets(
    rows: Sequence[BlindRow], ops: Sequence[str], seed: int = 0, balanced: Sequence[BlindRow] | None = None
) -> dict[str, list[tuple[str, str, str]]]:
    """``blind_groups`` of rows already reduced to what the baselines read (a build makes them
    straight from its items, without a dict per row); ``balanced``: the balanced set's rows where
    it was chosen (by the blind filter), else it is drawn here."""
    rng = random.Random(seed)
    groups = op_sets(rows, ops, rng)
    if balanced is not None:
        groups["balanced"] = chosen_pairs(balanced, rng)
    elif "negate" in ops and "affirm" in ops:
        groups["balanced"] = capped(_balanced(rows, seed), rng)
    return groups


def op_sets(
    rows: Sequence[BlindRow], ops: Sequence[str], rng: random.Random
) -> dict[str, list[tuple[str, str, str]]]:
    """Each op's (original, variant, patient) pairs, at most ``MAX_PAIRS`` drawn with ``rng`` in
    ``ops`` order (a build draws the balanced set's pairs after them, from the same ``rng``)."""
    groups: dict[str, list[tuple[str, str, str]]] = {op: [] for op in ops}
    for op, _, original, variant, patient in rows:
        if op in groups:
            groups[op].append((original, variant, patient))
    return {op: capped(keyed, rng) for op, keyed in groups.items()}


def chosen_pairs(balanced: Sequence[BlindRow], rng: random.Random) -> list[tuple[str, str, str]]:
    """The chosen balanced set's pairs, at most ``MAX_PAIRS`` drawn with ``rng``."""
    return capped([(original, variant, patient) for _, _, original, variant, patient in balanced], rng)


def capped(keyed: list[tuple[str, str, str]], rng: random.Random) -> list[tuple[str, str, str]]:
    """``keyed``, or ``MAX_PAIRS`` of it drawn with ``rng`` where it has more."""
    return rng.sample(keyed, MAX_PAIRS) if len(keyed) > MAX_PAIRS else keyed


def baseline_cost(keyed: Sequence[tuple[str, str, str]]) -> int:
    """Roughly what ``blind_baseline`` costs on these pairs: fitting grows with the pairs, tokenising
    with the distinct texts (to share a build's sets out evenly between its workers)."""
    return len(keyed) + len(_distinct([(original, variant) for original, variant, _ in keyed]))


BALANCED_DRAWS = 5
"""Fold draws the balanced set's final check averages over (one draw differs from the next by 1-3
points at 600 pairs, more than the margin to the 55% target)."""


def blind_baseline(name: str, keyed: Sequence[tuple[str, str, str]], seed: int = 0) -> dict:
    """Every probe's held-out accuracy on one group's pairs (``cxralign.benchmark.probes``), and
    their maximum (a job of its own: groups run in parallel in a build).

    On the balanced set each probe's figure is the mean over ``BALANCED_DRAWS`` draws of folds
    and pair orders (seeds the blind filter never used), with the highest single draw
    (``max_single_draw``) and a 95% interval of the highest mean over the pairs
    (``max_ci95``); ``near_chance`` says whether the highest mean is at most ``WARN_ABOVE``.
    """
    from threadpoolctl import threadpool_limits

    from cxralign.benchmark.probes import PROBES, WARN_ABOVE, pair_features, probe_accuracies

    draws = BALANCED_DRAWS if name == "balanced" else 1
    with threadpool_limits(1):  # tiny models: BLAS threads only contend (100x slower on a busy 2-core box)
        pairs = [(original, variant) for original, variant, _ in keyed]
        pair_group = pair_groups(pairs, [key for _, _, key in keyed])
        # the features do not depend on the draw: made once, not once per draw (same matrices)
        diffs = (
            {probe: pair_features(PROBES[probe], pairs) for probe in PROBES}
            if draws > 1 and len(pairs) >= 10
            else None
        )
        runs = [
            probe_accuracies(pairs, pair_group, seed + 7001 * draw, diffs=diffs) or {}
            for draw in range(draws)
        ]
    accuracies = {probe: float(np.mean([run[probe] for run in runs])) for probe in runs[0]}
    result: dict = {"pairs": len(pairs), **{f"{probe}_accuracy": v for probe, v in accuracies.items()}}
    result["max_accuracy"] = max(accuracies.values()) if accuracies else None
    if name == "balanced":
        worst = result["max_accuracy"]
        result["draws"] = draws
        result["max_single_draw"] = max((v for run in runs for v in run.values()), default=None)
        result["max_ci95"] = None if worst is None else list(_wilson(worst, len(pairs)))
        result["near_chance"] = None if worst is None else worst <= WARN_ABOVE
    return {k: _rounded(v) for k, v in result.items()}


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    return [_rounded(v) for v in value] if isinstance(value, list) else value


def _wilson(share: float, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a share of ``n`` pairs."""
    from scipy.stats import binomtest

    interval = binomtest(round(share * n), n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def blind_baselines(items: Sequence[dict], ops: Sequence[str], seed: int = 0) -> dict[str, dict]:
    """Baselines per op and for the balanced negate + affirm set."""
    return {name: blind_baseline(name, keyed, seed) for name, keyed in blind_groups(items, ops, seed).items()}
