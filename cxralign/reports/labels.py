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


def hedge_strength(mention: Mention, lexicon: Lexicon) -> str:
    """Whether the deciding hedge leans towards the finding ("probable"): "leaning", else "possible"."""
    cue = mention.cue
    phrase = cue.rule.partition(":")[2] if cue is not None else ""
    return "leaning" if phrase in lexicon.leaning else "possible"


def aggregate_labels(
    mentions: Iterable[Mention], lexicon: Lexicon, vocab: str = "chexpert", *, include_implied: bool = False
) -> dict[str, float | None]:
    """Labels in ``cxralign.vocab`` order; implied denials ("lungs are clear") count only on request."""
    names = vocabulary(vocab)
    labels: dict[str, float | None] = dict.fromkeys(names)
    policy = lexicon.uncertain_labels.get(vocab, {})
    blocked = False
    for mention in mentions:
        if mention.implied and not include_implied:
            continue
        concept = lexicon.concepts.get(mention.concept)
        if concept is None:
            continue
        cue = mention.cue
        if cue is not None and cue.kind == "historical":  # "history of X", "X on the prior CT"
            continue
        if concept.blocks_no_finding and mention.assertion is not Assertion.NEGATED:
            blocked = True
        label = concept.label(vocab)
        if label is None or label not in labels:
            continue
        value = _RANK[mention.assertion]
        if value == UNCERTAIN:
            value = policy.get(hedge_strength(mention, lexicon), UNCERTAIN)
        elif concept.indirect and value == POSITIVE:  # "blunting": an effusion or pleural thickening
            value = policy.get("indirect", UNCERTAIN)
        if value is None:  # raised only as a possibility: left blank in this vocabulary
            continue
        if _ORDER[value] > _ORDER[labels[label]]:
            labels[label] = value
    if "No Finding" in labels:
        labels["No Finding"] = None if blocked else POSITIVE
    return labels
