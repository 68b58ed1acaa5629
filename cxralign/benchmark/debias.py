"""Adversarial filtering of the balanced set: drop the variants a text-only classifier spots.

Rules leave faint artefacts that no single rule fix removes: an affirmed statement lands in a
short normal report, a negated one in a long abnormal report, and a bag of n-grams learns which
words come and go in which population. Following AFLite (Le Bras et al., ICML 2020, as used for
WinoGrande), the filter fits the blind n-gram classifier on part of the ``negate`` + ``affirm``
pool and scores the rest (cross-fitted by patient group), then drops the variants it tells apart
most surely, round by round, until its held-out accuracy on the balanced set (single text and
pairwise) is at most ``FILTER_TARGET``. The build's own blind baselines are then measured afresh on
what is left. Only ``negate`` and ``affirm`` variants are dropped, never a report's other ops.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from cxralign.benchmark.blind import BlindRow, hash_texts, ngram_classifier, pair_groups

FILTER_OPS = ("negate", "affirm")
FILTER_TARGET = 0.55
"""Stop once held-out accuracy is at most this (below the 60% flag, to leave room for the
fresh measurement's sampling error of 1-2 points)."""
MAX_DROPPED = 0.7
"""Never drop more than this share of the pool: past it the split says it is not near chance."""
MIN_STEP, MAX_STEP, STEP_DIVISOR = 0.03, 0.25, 1
FOLDS = 4
TRAIN_PAIRS = 4000
"""Balanced pairs a round's classifier is fitted on, at most (the fit's cost does not grow with the corpus)."""
MIN_PAIRS = 20

Fitter = Callable[[list], Iterable[tuple[np.ndarray, float]]]
Hasher = Callable[[list[str]], Callable[[], object]]
"""Starts hashing texts into n-gram rows and returns a function that waits for the matrix."""


@dataclass(frozen=True)
class FilterRound:
    pool: int
    accuracy: float
    pairwise_accuracy: float
    dropped: int


@dataclass
class FilterResult:
    """Which pool rows were dropped (indices into the rows given) and how each round went."""

    dropped: list[int] = field(default_factory=list)
    rounds: list[FilterRound] = field(default_factory=list)
    pool: int = 0
    reached: bool | None = None  # None: not run (too few pairs, or one of the ops missing)

    def manifest(self) -> dict:
        return {
            "method": "aflite",
            "target": FILTER_TARGET,
            "pool": self.pool,
            "dropped": len(self.dropped),
            "reached_target": self.reached,
            "rounds": [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(r).items()}
                for r in self.rounds
            ],
        }


def fit_job(job: tuple) -> tuple[np.ndarray, float]:
    """Weights of the blind classifier (``ngram_classifier``) on one round's training pairs."""
    from threadpoolctl import threadpool_limits

    x, y, seed = job
    with threadpool_limits(1):
        model = ngram_classifier(seed).fit(x, y)
    return model.coef_.ravel(), float(model.intercept_[0])


def hash_job(texts: list[str]) -> tuple:
    """``hash_texts`` of some texts as column indices, row pointers and width only (every value is
    1): a third of the CSR for a worker to send back. ``stacked`` puts the parts together."""
    matrix = hash_texts(texts).tocsr()
    return matrix.indices, matrix.indptr, matrix.shape[1]


def stacked(parts: Iterable[tuple]):
    """One CSR matrix of binary rows from ``hash_job`` parts, in order."""
    from scipy import sparse

    matrices = [
        sparse.csr_matrix(
            (np.ones(indices.size, np.float32), indices, indptr), shape=(indptr.size - 1, width)
        )
        for indices, indptr, width in parts
    ]
    return sparse.vstack(matrices, format="csr")


def _serial(jobs: list) -> Iterable[tuple[np.ndarray, float]]:
    return map(fit_job, jobs)


def _hash_here(texts: list[str]) -> Callable[[], object]:
    matrix = hash_texts(texts)
    return lambda: matrix


def adversarial_filter(
    rows: Sequence[BlindRow],
    seed: int = 0,
    hasher: Hasher = _hash_here,
    fitter: Fitter = _serial,
) -> FilterResult:
    """Drop ``negate`` / ``affirm`` rows until the blind classifier is near chance on the balanced set.

    ``hasher`` hashes texts into n-gram rows and ``fitter`` fits a list of fit jobs (both
    replaceable by parallel versions: the result does not depend on who runs them).
    """
    pool = np.asarray([i for i, row in enumerate(rows) if row[0] in FILTER_OPS], dtype=np.intp)
    result = FilterResult(pool=len(pool))
    ops = np.asarray([rows[i][0] for i in pool])
    if not ({"negate", "affirm"} <= set(ops.tolist())):
        return result
    targets = np.asarray([rows[i][1] for i in pool])
    rng = np.random.default_rng(seed)
    if len(_balanced(np.arange(len(pool)), ops, targets, rng)) < MIN_PAIRS:
        return result
    pairs = [(rows[i][2], rows[i][3]) for i in pool]
    texts = list(dict.fromkeys(text for pair in pairs for text in pair))
    hashed = hasher(texts)  # under way while the groups are made
    groups = pair_groups(pairs, [rows[i][4] for i in pool])
    if len(set(groups.tolist())) < FOLDS:
        return result
    position = {text: k for k, text in enumerate(texts)}
    features = hashed().tocsr()
    original = np.asarray([position[a] for a, _ in pairs], dtype=np.intp)
    variant = np.asarray([position[b] for _, b in pairs], dtype=np.intp)

    alive = np.arange(len(pool))
    for number in itertools.count():  # it ends: a round drops at least one row, within a finite budget
        s_orig, s_var = _cross_fit(
            features, original, variant, alive, ops, targets, groups, rng, seed + number, fitter
        )
        measured = np.isin(alive, _balanced(alive, ops, targets, rng))
        single = float(((s_orig[measured] > 0).mean() + (s_var[measured] < 0).mean()) / 2)
        pairwise = float((s_orig[measured] > s_var[measured]).mean())
        worst = max(single, pairwise)
        budget = int(MAX_DROPPED * len(pool)) - (len(pool) - len(alive))
        if worst <= FILTER_TARGET or budget <= 0:
            result.rounds.append(FilterRound(len(alive), single, pairwise, 0))
            result.reached = worst <= FILTER_TARGET
            break
        step = min(MAX_STEP, max(MIN_STEP, (worst - FILTER_TARGET) / STEP_DIVISOR))
        n = min(budget, math.ceil(step * len(alive)))
        told = ((s_orig > 0).astype(float) + (s_var < 0) + (s_orig > s_var)) / 3
        order = np.lexsort((alive, -(s_orig - s_var), -told))[:n]
        result.rounds.append(FilterRound(len(alive), single, pairwise, n))
        result.dropped += pool[alive[order]].tolist()
        alive = np.delete(alive, order)
    return result


def _balanced(alive: np.ndarray, ops: np.ndarray, targets: np.ndarray, rng) -> np.ndarray:
    """Pool rows of ``alive`` with ``negate`` and ``affirm`` in equal numbers per finding (sorted)."""
    chosen = []
    for target in sorted(set(targets[alive].tolist())):
        of_target = alive[targets[alive] == target]
        negate, affirm = of_target[ops[of_target] == "negate"], of_target[ops[of_target] == "affirm"]
        n = min(len(negate), len(affirm))
        chosen += [rng.choice(negate, n, replace=False), rng.choice(affirm, n, replace=False)]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.intp)


def _cross_fit(features, original, variant, alive, ops, targets, groups, rng, seed, fitter):
    """Held-out scores of every alive row's original and variant: each fold scored by a classifier
    fitted on balanced pairs of the other folds (groups keep a patient and a shared text together)."""
    from sklearn.model_selection import GroupKFold

    folds = list(GroupKFold(n_splits=FOLDS).split(alive, groups=groups[alive]))
    jobs = []
    for train, _ in folds:
        chosen = _balanced(alive[train], ops, targets, rng)
        if not len(chosen):  # a fold without both ops of any finding: its pairs as they are
            chosen = alive[train]
        if len(chosen) > TRAIN_PAIRS:
            chosen = np.sort(rng.choice(chosen, TRAIN_PAIRS, replace=False))
        x = features[np.concatenate([original[chosen], variant[chosen]])]
        jobs.append((x, np.r_[np.ones(len(chosen)), np.zeros(len(chosen))], seed))
    s_orig, s_var = np.zeros(len(alive)), np.zeros(len(alive))
    for (_, test), (coef, intercept) in zip(folds, fitter(jobs), strict=True):
        scores = features @ coef + intercept  # every text at once: cheaper than picking rows out first
        s_orig[test], s_var[test] = scores[original[alive[test]]], scores[variant[alive[test]]]
    return s_orig, s_var
