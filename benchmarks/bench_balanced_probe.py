"""A reviewer's probe of a build's balanced set, written apart from the build's own probes.

Issue 16 judges the balanced set (rows flagged ``balanced``) with a text-only probe it does not
show: word 1-2-grams, binary, pair differences shown in a random order, logistic regression,
5 folds grouped by original text. This script is that probe as the issue describes it (scikit-learn's
``CountVectorizer``, ``LogisticRegression``, ``GroupKFold``; nothing from ``cxralign``), averaged over
several draws of pair orders and fold assignments, with a Wilson 95% interval over the pairs.

    python benchmarks/bench_balanced_probe.py BUILD_DIR [--draws 10]

It reads the build's parquet files only (the report text never leaves the machine).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def balanced_pairs(build: Path) -> list[tuple[str, str]]:
    """(original, variant) of every row flagged ``balanced`` in a build directory."""
    import pyarrow.parquet as pq

    pairs = []
    for path in sorted((build / "data").glob("*/*.parquet")):
        table = pq.read_table(path, columns=["original", "variant", "balanced"]).to_pydict()
        pairs += [(o, v) for o, v, b in zip(table["original"], table["variant"], table["balanced"], strict=True) if b]
    return pairs


def reviewer_accuracy(pairs: list[tuple[str, str]], seed: int) -> float:
    """Held-out accuracy of binary word 1-2-gram differences, random flips, logistic regression,
    ``GroupKFold(5)`` by original text (group ids shuffled by ``seed``)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(seed)
    vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True).fit([t for pair in pairs for t in pair])
    diff = vectorizer.transform([o for o, _ in pairs]) - vectorizer.transform([v for _, v in pairs])
    flip = rng.random(len(pairs)) < 0.5
    sign = np.where(flip, -1.0, 1.0)
    from scipy import sparse

    x = sparse.diags(sign) @ diff
    y = (~flip).astype(int)
    originals = sorted({o for o, _ in pairs})
    ids = dict(zip(originals, rng.permutation(len(originals)), strict=True))
    groups = np.asarray([ids[o] for o, _ in pairs])
    correct = np.zeros(len(pairs))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = LogisticRegression(max_iter=1000).fit(x[train], y[train])
        correct[test] = model.predict(x[test]) == y[test]
    return float(correct.mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args(argv)
    pairs = balanced_pairs(args.build)
    if len(pairs) < 20:
        print(f"error: {args.build} has {len(pairs)} balanced pairs (need 20)", file=sys.stderr)
        return 2
    from scipy.stats import binomtest

    runs = [reviewer_accuracy(pairs, seed) for seed in range(args.draws)]
    mean = float(np.mean(runs))
    ci = binomtest(round(mean * len(pairs)), len(pairs)).proportion_ci(method="wilson")
    print(
        f"balanced pairs {len(pairs)}; reviewer probe {100 * mean:.1f}% "
        f"(mean of {args.draws} draws, 95% CI {100 * ci.low:.1f}-{100 * ci.high:.1f}%; "
        f"draws {100 * min(runs):.1f}-{100 * max(runs):.1f}%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
