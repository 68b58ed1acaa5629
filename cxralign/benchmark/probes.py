"""Text-only probes: can a classifier that never sees the image tell an original from its variant?

Each probe reads a pair as the difference of its two texts' features, shown in a random order,
and a logistic regression learns which side is the original; accuracy is measured on held-out
folds grouped by original report (a report, and every pair sharing a text or a patient with it,
is never both fitted and scored). Probes differ in what they see:

* ``word``: binary word 1-2-grams (what an independent reviewer reaches for first);
* ``char``: binary character 2-5-grams within word boundaries (spelling, punctuation, morphology);
* ``lexical``: lengths (characters, words, sentences) and negation-word counts;
* ``phrase``: TF-IDF word 1-3-grams with a weakly regularised fit (phrases across sentence edges);
* ``sentinel``: TF-IDF character 3-6-grams across word and sentence boundaries, a linear SVM
  (hinge loss). The blind filter is never tuned on it (``FILTER_PROBES``): it stands in for the
  probe a reviewer brings, with its own tokenisation, weighting and solver.

The build stores every probe's accuracy per op and on the balanced set in the manifest, prints
them and warns above ``WARN_ABOVE``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

WARN_ABOVE = 0.55
FOLDS = 5
NEGATION = re.compile(r"\b(no|not|without|negative|free|absent|clear|normal|unremarkable|resolved)\b", re.I)

Featurizer = Callable[[Sequence[str]], object]
"""Texts -> one feature row per text (dense or sparse)."""


def _word(texts: Sequence[str]):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(ngram_range=(1, 2), binary=True, lowercase=True).fit_transform(texts)


def _char_hasher():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), n_features=2**20, binary=True, norm=None, alternate_sign=False
    )


def _char(texts: Sequence[str]):
    """``_char_hasher().transform(texts)``, hashed word by word: the same matrix, several times faster.

    ``char_wb`` n-grams never cross a space, so a text's binary row is the union of its words'
    rows; a corpus repeats its words far more than its texts, so each distinct word is hashed once.
    """
    from scipy import sparse

    split = [text.lower().split() for text in texts]
    vocabulary: dict[str, int] = {}
    for text_words in split:
        for word in text_words:
            vocabulary.setdefault(word, len(vocabulary))
    if not vocabulary:
        return _char_hasher().transform(texts)
    hashed = _char_hasher().transform(list(vocabulary))  # one row per distinct word
    indptr = np.fromiter(itertools.accumulate((len(w) for w in split), initial=0), np.int64, len(split) + 1)
    columns = np.fromiter((vocabulary[w] for text_words in split for w in text_words), np.int64, indptr[-1])
    occurs = sparse.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(len(texts), len(vocabulary)))
    rows = sparse.csr_matrix(occurs @ sparse.csr_matrix(hashed))
    rows.sum_duplicates()  # sorted indices, as the hasher gives them
    rows.data.fill(1)
    return type(hashed)(rows)


def _lexical(texts: Sequence[str]):
    rows = [
        [len(t) / 100.0, len(t.split()) / 20.0, t.count(".") / 2.0, float(len(NEGATION.findall(t)))]
        for t in texts
    ]
    return np.asarray(rows, dtype=np.float64)


def _phrase(texts: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=1).fit_transform(texts)


def _sentinel(texts: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, min_df=2).fit_transform(texts)


@dataclass(frozen=True)
class Probe:
    name: str
    featurize: Featurizer
    c: float = 1.0  # inverse regularisation of the logistic regression
    solver: str = "liblinear"  # "sgd": logistic loss by SGD (an exact fit crawls on character n-grams)
    loss: str = "log_loss"  # of the "sgd" solver ("hinge": a linear SVM)

    def classifier(self, seed: int):
        from sklearn.linear_model import LogisticRegression, SGDClassifier

        if self.solver == "sgd":
            return SGDClassifier(loss=self.loss, alpha=1.0 / (self.c * 1000), max_iter=20, tol=None, random_state=seed)
        return LogisticRegression(C=self.c, solver=self.solver, max_iter=200)


PROBES: dict[str, Probe] = {
    probe.name: probe
    for probe in (
        Probe("word", _word, solver="sgd"),
        Probe("char", _char, c=0.3, solver="sgd"),
        Probe("lexical", _lexical, c=10.0),
        Probe("phrase", _phrase, c=10.0, solver="sgd"),
        Probe("sentinel", _sentinel, c=3.0, solver="sgd", loss="hinge"),
    )
}
FILTER_PROBES = ("word", "char", "lexical", "phrase")
"""The probes the blind filter chooses the balanced set by; ``sentinel`` only measures."""


def pair_features(probe: Probe, pairs: Sequence[tuple[str, str]]):
    """(original features - variant features) per pair, each text featurised once."""
    texts = list(dict.fromkeys(t for pair in pairs for t in pair))
    position = {text: row for row, text in enumerate(texts)}
    features = probe.featurize(texts)
    original = features[[position[a] for a, _ in pairs]]
    variant = features[[position[b] for _, b in pairs]]
    return original - variant


def oriented(diff, seed: int):
    """Each pair shown in a random order: (features, label 1 when the original is first)."""
    rng = np.random.default_rng(seed)
    sign = np.where(rng.random(diff.shape[0]) < 0.5, 1.0, -1.0)
    from scipy import sparse

    flipped = sparse.diags(sign) @ diff if sparse.issparse(diff) else diff * sign[:, None]
    return flipped, (sign > 0).astype(int)


def held_out_margins(probe: Probe, diff, groups: np.ndarray, seed: int, folds: int = FOLDS) -> np.ndarray:
    """Per pair, the held-out decision value for "the original is the first text" (> 0: told apart)."""
    from sklearn.model_selection import GroupKFold

    x, y = oriented(diff, seed)
    margins = np.zeros(diff.shape[0])
    n_groups = len(set(groups.tolist()))
    splitter = GroupKFold(n_splits=max(2, min(folds, n_groups)))
    for train, test in splitter.split(x, y, _shuffled(groups, seed)):
        if len(set(y[train].tolist())) < 2:
            continue
        model = probe.classifier(seed).fit(x[train], y[train])
        sign = np.where(y[test] == 1, 1.0, -1.0)
        margins[test] = model.decision_function(x[test]) * sign
    return margins


def _shuffled(groups: np.ndarray, seed: int) -> np.ndarray:
    """Group ids renamed at random, so that the folds depend on the seed (GroupKFold is deterministic)."""
    unique, codes = np.unique(groups, return_inverse=True)
    return np.random.default_rng(seed + 7919).permutation(len(unique))[codes]


def credit(margins: np.ndarray) -> np.ndarray:
    """1 told apart, 0 told the wrong way, 0.5 undecided."""
    return np.where(margins > 0, 1.0, np.where(margins < 0, 0.0, 0.5))


def probe_accuracies(
    pairs: Sequence[tuple[str, str]],
    groups: np.ndarray,
    seed: int = 0,
    probes: Sequence[str] = tuple(PROBES),
    diffs: dict | None = None,
) -> dict[str, float] | None:
    """Held-out accuracy of each probe on these pairs (``None`` below 10 pairs or two groups);
    ``diffs``: each probe's ``pair_features`` of these pairs, made once for several seeds."""
    if len(pairs) < 10 or len(set(groups.tolist())) < 2:
        return None
    out = {}
    for name in probes:
        diff = diffs[name] if diffs is not None else pair_features(PROBES[name], pairs)
        out[name] = float(credit(held_out_margins(PROBES[name], diff, groups, seed)).mean())
    return out
