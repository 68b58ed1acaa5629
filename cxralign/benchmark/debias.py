"""Adversarial filtering of the balanced set: choose the variants text-only probes cannot tell apart.

The balanced set is a *subset* of the verified ``negate`` and ``affirm`` variants, equal per finding:
the filter chooses it and every verified variant stays in its op (Task A and the affirm figures are
text-solvable anyway and say so; the balanced headline is scored on the chosen subset only, the
``balanced`` column of the written rows).

Rules leave faint artefacts that no single rule fix removes: an affirmed statement lands in a
short normal report, a negated one in a long abnormal report, and a probe learns which words come
and go in which population. Following AFLite (Le Bras et al., ICML 2020, as used for WinoGrande),
each round fits the filter's probes (``FILTER_PROBES``: word n-grams, character n-grams, lengths
and negation counts; ``cxralign.benchmark.probes``) on balanced pairs of part of the ``negate`` +
``affirm`` pool and scores the rest (folds grouped by original report and patient), then leaves out
of the balanced set the variants they tell apart most surely.

It stops when the *maximum* over every probe, the ``sentinel`` it never drops by included, is at
most ``STOP_AT`` (below the 55% target, ``FILTER_TARGET``) on a fresh balanced sample of what is left, cross-validated on folds drawn
afresh (not the folds it dropped by), averaged over ``REPEATS`` draws; or when a drop would leave
fewer balanced pairs than ``keep_floor``: at least ``MIN_BALANCED`` (600) where the pool has
them. What is left is evened out per finding (the surplus op's rows drawn at random): that is the
balanced set (``FilterResult.selected``). Only ``negate`` and ``affirm`` rows are ever chosen.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from cxralign.benchmark.blind import BlindRow, pair_groups
from cxralign.benchmark.probes import FILTER_PROBES, PROBES, credit, held_out_margins, pair_features

FILTER_OPS = ("negate", "affirm")
FILTER_TARGET = 0.55
STOP_AT = 0.53
"""The filter aims below the target: a reviewer's probe on 600 pairs differs from ours by 1-2 points."""
MIN_BALANCED = 600
"""Balanced pairs the filter keeps where the pool has them (OpenI starts from about 1,300)."""
KEEP_SHARE = 0.35
"""On a smaller pool: keep at least this share of its balanced pairs."""
MIN_STEP, MAX_STEP = 0.03, 0.2
FOLDS = 4
PARTITIONS = 2
"""Fold partitions a round's scores average over (one partition's scores are noisy: which rows it
leaves out then depends on the draw more than on the rows)."""
REPEATS = 2
MAX_MEASURED = 3000
"""Balanced pairs a stopping measurement reads, at most (its cost does not grow with the corpus)."""
MIN_PAIRS = 20


@dataclass(frozen=True)
class FilterRound:
    pool: int
    balanced_pairs: int
    accuracy: float  # the maximum over probes, fresh folds
    probes: dict[str, float]
    dropped: int


@dataclass
class FilterResult:
    """The balanced set (``selected``: indices into the rows given, equal negate and affirm per
    finding), the pool rows the rounds left out of it (``dropped``; evening out per finding leaves
    out more) and how each round went."""

    selected: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    rounds: list[FilterRound] = field(default_factory=list)
    pool: int = 0
    floor: int = 0
    reached: bool | None = None  # None: not run (too few pairs, or one of the ops missing)

    def manifest(self) -> dict:
        def rounded(value):
            if isinstance(value, float):
                return round(value, 4)
            return {k: rounded(v) for k, v in value.items()} if isinstance(value, dict) else value

        return {
            "method": "aflite",
            "target": FILTER_TARGET,
            "stop_at": STOP_AT,
            "filter_probes": list(FILTER_PROBES),
            "measured_probes": list(PROBES),
            "pool": self.pool,
            "keep_balanced_pairs": self.floor,
            "dropped": len(self.dropped),
            "balanced_pairs": len(self.selected),
            "reached_target": self.reached,
            "rounds": [{k: rounded(v) for k, v in asdict(r).items()} for r in self.rounds],
        }


def keep_floor(balanced_pairs: int) -> int:
    """Balanced pairs the filter never goes below."""
    return min(balanced_pairs, max(MIN_BALANCED, math.ceil(KEEP_SHARE * balanced_pairs)))


def balanced_count(alive: np.ndarray, ops: np.ndarray, targets: np.ndarray) -> int:
    """Pairs of the balanced set of ``alive`` (2 x the smaller op, summed over findings)."""
    cells = Counter(zip(targets[alive].tolist(), ops[alive].tolist(), strict=True))
    return sum(2 * min(cells[(t, "negate")], cells[(t, "affirm")]) for t in {t for t, _ in cells})


def balanced_rows(alive: np.ndarray, ops: np.ndarray, targets: np.ndarray, rng) -> np.ndarray:
    """Rows of ``alive`` with ``negate`` and ``affirm`` in equal numbers per finding (sorted)."""
    chosen = []
    for target in sorted(set(targets[alive].tolist())):
        of_target = alive[targets[alive] == target]
        negate, affirm = of_target[ops[of_target] == "negate"], of_target[ops[of_target] == "affirm"]
        n = min(len(negate), len(affirm))
        chosen += [rng.choice(negate, n, replace=False), rng.choice(affirm, n, replace=False)]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.intp)


def balanced_subset(rows: Sequence[BlindRow], seed: int = 0) -> list[int]:
    """Without the filter: ``negate`` and ``affirm`` rows drawn at random, equal per finding."""
    pool = np.asarray([i for i, row in enumerate(rows) if row[0] in FILTER_OPS], dtype=np.intp)
    ops = np.asarray([rows[i][0] for i in pool])
    targets = np.asarray([rows[i][1] for i in pool])
    chosen = balanced_rows(np.arange(len(pool)), ops, targets, np.random.default_rng(seed))
    return sorted(pool[chosen].tolist())


def adversarial_filter(rows: Sequence[BlindRow], seed: int = 0) -> FilterResult:
    """The balanced set: ``negate`` / ``affirm`` rows left out until every probe is near chance on it."""
    pool = np.asarray([i for i, row in enumerate(rows) if row[0] in FILTER_OPS], dtype=np.intp)
    result = FilterResult(pool=len(pool))
    ops = np.asarray([rows[i][0] for i in pool])
    targets = np.asarray([rows[i][1] for i in pool])
    everything = np.arange(len(pool))
    pairs = [(rows[i][2], rows[i][3]) for i in pool]
    groups = pair_groups(pairs, [rows[i][4] for i in pool])
    enough = {"negate", "affirm"} <= set(ops.tolist()) and balanced_count(everything, ops, targets) >= MIN_PAIRS
    alive = everything
    if enough and len(set(groups.tolist())) >= FOLDS:
        alive = _rounds(result, pairs, groups, ops, targets, seed)
    chosen = balanced_rows(alive, ops, targets, np.random.default_rng(seed + 1))
    result.selected = sorted(pool[chosen].tolist())
    result.dropped = sorted(set(pool.tolist()) - set(pool[alive].tolist()))
    return result


def _rounds(result: FilterResult, pairs, groups, ops, targets, seed: int) -> np.ndarray:
    """AFLite rounds over the pool; the positions still in it at the end."""
    from threadpoolctl import threadpool_limits

    everything = np.arange(len(pairs))
    result.floor = keep_floor(balanced_count(everything, ops, targets))
    rng = np.random.default_rng(seed)
    with threadpool_limits(1):  # small fits: BLAS threads only contend on a busy machine
        diffs = {name: _csr(pair_features(probe, pairs)) for name, probe in PROBES.items()}
        alive = everything
        for number in itertools.count():  # it ends: a round drops at least one row, or stops
            measured = _measure(diffs, alive, ops, targets, groups, rng, seed + 1000 * (number + 1))
            worst = max(measured.values())
            n_balanced = balanced_count(alive, ops, targets)
            order = None
            if worst > STOP_AT:
                above = [name for name in FILTER_PROBES if measured[name] > STOP_AT] or list(FILTER_PROBES)
                told = _told(diffs, alive, ops, targets, groups, rng, seed + number, above)
                step = min(MAX_STEP, max(MIN_STEP, worst - STOP_AT))
                order = _droppable(alive, told, ops, targets, math.ceil(step * len(alive)), result.floor)
            if order is None or not len(order):
                result.rounds.append(FilterRound(len(alive), n_balanced, worst, measured, 0))
                result.reached = worst <= FILTER_TARGET
                return alive
            result.rounds.append(FilterRound(len(alive), n_balanced, worst, measured, len(order)))
            alive = np.delete(alive, order)
    raise AssertionError("unreachable")


def _csr(matrix):
    from scipy import sparse

    return sparse.csr_matrix(matrix)


def _measure(diffs, alive, ops, targets, groups, rng, seed) -> dict[str, float]:
    """Each probe's held-out accuracy on fresh balanced samples of ``alive`` (fresh folds), averaged."""
    totals: dict[str, float] = dict.fromkeys(PROBES, 0.0)
    for repeat in range(REPEATS):
        chosen = balanced_rows(alive, ops, targets, rng)
        if len(chosen) > MAX_MEASURED:
            chosen = np.sort(rng.choice(chosen, MAX_MEASURED, replace=False))
        for name, diff in diffs.items():
            margins = held_out_margins(PROBES[name], diff[chosen], groups[chosen], seed + repeat)
            totals[name] += float(credit(margins).mean()) / REPEATS
    return totals


def _told(diffs, alive, ops, targets, groups, rng, seed, probes) -> np.ndarray:
    """Per alive row, the mean held-out probability of telling it apart of ``probes`` (the filter
    probes still above ``STOP_AT``, so a round works on what is left to remove).

    Folds are grouped; each fold is scored by probes fitted on balanced pairs of the others, in
    ``PARTITIONS`` different partitions into folds.
    """
    from sklearn.model_selection import GroupKFold

    from cxralign.benchmark.probes import oriented

    told = np.zeros(len(alive))
    folds = [
        fold
        for partition in range(PARTITIONS)
        for fold in GroupKFold(n_splits=FOLDS).split(alive, groups=_renamed(groups[alive], seed + 7777 * partition))
    ]
    for train, test in folds:
        chosen = balanced_rows(alive[train], ops, targets, rng)
        if len(chosen) < 4:
            chosen = alive[train]
        for name in probes:
            x, y = oriented(diffs[name][chosen], seed)
            if len(set(y.tolist())) < 2:
                continue
            model = PROBES[name].classifier(seed).fit(x, y)
            margin = model.decision_function(diffs[name][alive[test]])  # original first: > 0 is told
            told[test] += 1.0 / (1.0 + np.exp(-np.clip(margin, -30, 30))) / len(probes) / PARTITIONS
    return told


def _renamed(groups: np.ndarray, seed: int) -> np.ndarray:
    unique, codes = np.unique(groups, return_inverse=True)
    return np.random.default_rng(seed).permutation(len(unique))[codes]


def _droppable(alive, told, ops, targets, n: int, floor: int) -> np.ndarray:
    """Positions in ``alive`` of up to ``n`` rows to drop, most surely told first, keeping the
    balanced set at ``floor`` pairs or more (a row of a finding's larger op costs nothing)."""
    cells = Counter(zip(targets[alive].tolist(), ops[alive].tolist(), strict=True))
    pairs = balanced_count(alive, ops, targets)
    other = {"negate": "affirm", "affirm": "negate"}
    chosen = []
    for position in np.lexsort((alive, -told)):
        if len(chosen) >= n or told[position] <= 0.5:
            break
        cell = (targets[alive[position]], ops[alive[position]])
        costs = 2 if cells[cell] <= cells[(cell[0], other[cell[1]])] else 0
        if pairs - costs < floor:
            continue
        cells[cell] -= 1
        pairs -= costs
        chosen.append(position)
    return np.asarray(chosen, dtype=np.intp)
