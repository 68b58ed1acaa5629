"""Aggregate mentions into report labels with the CheXpert labeler's rules.

Per observation: any positive mention gives 1.0, else any uncertain gives -1.0, else any negated
gives 0.0, else blank (None). A present *indirect* sign (``indirect: true`` in the lexicon, e.g.
costophrenic blunting for Effusion) counts as uncertain, not positive. "No Finding" is 1.0 only when
no mention of a finding that blocks it (every concept except support devices) is positive or
uncertain, and blank otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from cxralign.reports.lexicon import Lexicon
from cxralign.reports.records import Assertion, Mention
from cxralign.vocab import NEGATIVE, POSITIVE, UNCERTAIN, vocabulary

_RANK = {Assertion.NEGATED: NEGATIVE, Assertion.UNCERTAIN: UNCERTAIN, Assertion.POSITIVE: POSITIVE}
_ORDER = {None: 0, NEGATIVE: 1, UNCERTAIN: 2, POSITIVE: 3}


def aggregate_labels(
    mentions: Iterable[Mention], lexicon: Lexicon, vocab: str = "chexpert", *, include_implied: bool = False
) -> dict[str, float | None]:
    """Labels in ``cxralign.vocab`` order; implied denials ("lungs are clear") count only on request."""
    names = vocabulary(vocab)
    labels: dict[str, float | None] = dict.fromkeys(names)
    blocked = False
    for mention in mentions:
        if mention.implied and not include_implied:
            continue
        concept = lexicon.concepts.get(mention.concept)
        if concept is None:
            continue
        if concept.blocks_no_finding and mention.assertion is not Assertion.NEGATED:
            blocked = True
        label = concept.label(vocab)
        if label is None or label not in labels:
            continue
        value = _RANK[mention.assertion]
        if concept.indirect and value == POSITIVE:  # "blunting": an effusion or pleural thickening
            value = UNCERTAIN
        if _ORDER[value] > _ORDER[labels[label]]:
            labels[label] = value
    if "No Finding" in labels:
        labels["No Finding"] = None if blocked else POSITIVE
    return labels
