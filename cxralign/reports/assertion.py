"""Assertion of a mention from the cues around it: NegEx-style scopes with radiology rules.

A *pre* cue ("no", "possible") reaches forward, a *post* cue ("is absent", "cannot be excluded")
backward, each within one sentence, up to a termination ("but", "however", "there is" ...) and a
word window. When several cues reach a mention, the closest decides, so "no pneumothorax, possible
small effusion" negates the pneumothorax and leaves the effusion uncertain. Pseudo-cues ("no change",
"not only") are matched as longer phrases and so never act as the cue they contain. Lists work
because a pre-negation's scope runs on through commas and "or": "no effusion, pneumothorax, or
consolidation" negates all three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxralign.reports.lexicon import Lexicon, normalise_cue
from cxralign.reports.records import Assertion, Cue

PRE_WINDOW = 14
"""Most words between a pre cue and the mention it reaches (long radiology lists stay in scope)."""
POST_WINDOW = 6
"""Most words between a mention and a post cue that reaches back to it."""
HISTORICAL_WINDOW = 5
_WORD = re.compile(r"[a-z0-9_]+")
_POST_BARRIER = re.compile(r"[,:;(]")
_PRE_BARRIER = re.compile(
    r"[:;()]|(?:,|\band\b)\s+(?:the|this|these|there|he|she|it|patient|his|her|which)\b"
)


@dataclass(frozen=True, slots=True)
class CueMatch:
    start: int
    end: int
    phrase: str
    kinds: tuple[str, ...]


def find_cues(lexicon: Lexicon, lower: str, start: int, end: int) -> list[CueMatch]:
    """Every cue phrase in ``lower[start:end]``, longest phrase first at each position."""
    known = lexicon.cue_matches  # written form -> (phrase, kinds), filled as forms are met
    out: list[CueMatch] = []
    for match in lexicon.cue_re.finditer(lower, start, end):
        written = match.group()
        entry = known.get(written)
        if entry is None:
            phrase = normalise_cue(written)
            entry = (phrase, tuple(lexicon.cue_kinds.get(phrase, ())))
            if len(known) < 50_000:  # bounded: odd whitespace gives new written forms
                known[written] = entry
        out.append(CueMatch(match.start(), match.end(), entry[0], entry[1]))
    return out


def _words(lower: str, a: int, b: int) -> int:
    return len(_WORD.findall(lower, a, b))


def _reaches(lower: str, cue: CueMatch, end: int, terminations: list[CueMatch], pre: bool) -> int | None:
    """Words from ``cue`` forward to ``end`` (pre) or back from ``end`` (post), None when scope is cut."""
    between = (cue.end, end) if pre else (end, cue.start)
    if any(t.start >= between[0] and t.end <= between[1] for t in terminations if t is not cue):
        return None
    if (_PRE_BARRIER if pre else _POST_BARRIER).search(lower, between[0], between[1]):
        return None
    return _words(lower, between[0], between[1])


_PRE_KINDS = ("negation_pre", "uncertainty_pre", "history_pre", "historical")
_POST_KINDS = ("negation_post", "uncertainty_post", "history_post")
_ASSERTION = {
    "negation": Assertion.NEGATED,
    "uncertainty": Assertion.UNCERTAIN,
    "history": Assertion.POSITIVE,
}
_ALTERNATIVES = frozenset({"versus", "vs", "vs."})
"""Hedges that join two named findings: they lean only where no weaker hedge reaches the pair."""
_CUE_KIND = {"negation": "negation", "uncertainty": "uncertainty", "history": "historical"}


def decide(
    lower: str,
    text: str,
    cues: list[CueMatch],
    start: int,
    end: int,
    sentence_start: int,
    negated_through: frozenset[str] = frozenset(),
    leaning: frozenset[str] = frozenset(),
) -> tuple[Assertion, Cue | None, bool]:
    """Assertion, deciding cue and historical flag of the mention at ``[start, end)``.

    The closest cue that reaches the mention decides (a negation wins a tie). A *history* cue ("history
    of", "on the prior CT") decides like the others: the mention stays positive, is marked historical and
    carries a cue of kind "historical" (no current label), unless a negation reaches the history cue ("no
    history of X" denies X). An uncertainty cue in ``negated_through``
    ("suggest", "suspicious for") that a negation itself reaches is denied with it: "no consolidation to
    suggest pneumonia" negates the pneumonia. "Versus" only joins alternatives: when a hedge that is not
    in ``leaning`` also reaches the mention ("may represent A versus B", "question A versus B"), that
    hedge decides.
    """
    terminations = [c for c in cues if "termination" in c.kinds]
    best: tuple[int, Assertion, CueMatch, str] | None = None
    possible: tuple[int, Assertion, CueMatch, str] | None = None  # the closest hedge that only raises it
    historical = False
    for cue in cues:
        if cue.end <= start:
            pre = True
        elif cue.start >= end:
            pre = False
        else:
            continue
        kinds = [k for k in cue.kinds if k in (_PRE_KINDS if pre else _POST_KINDS)]
        if not kinds:
            continue
        words = _reaches(lower, cue, start if pre else end, terminations, pre)
        if words is None:
            continue
        if "historical" in kinds and words <= HISTORICAL_WINDOW:
            historical = True
        kinds = [k for k in kinds if k != "historical"]
        if not kinds or words > (PRE_WINDOW if pre else POST_WINDOW):
            continue
        if kinds[0].startswith("history") and (
            words > HISTORICAL_WINDOW or "," in lower[cue.end : start] if pre else words > HISTORICAL_WINDOW
        ):  # "history of A, now with B": the history names A only
            continue
        if kinds[0] == "history_post" and any(t.start >= cue.end for t in terminations):
            continue  # "the nodule seen on the prior CT is stable": the sentence goes on about today's film
        distance = start - cue.end if pre else cue.start - end
        kind = kinds[0]
        assertion = _ASSERTION[kind.partition("_")[0]]
        if best is None or distance < best[0] or (distance == best[0] and assertion is Assertion.NEGATED):
            best = (distance, assertion, cue, kind)
        if (
            assertion is Assertion.UNCERTAIN
            and cue.phrase not in leaning
            and (possible is None or distance < possible[0])
        ):
            possible = (distance, assertion, cue, kind)
    if best is None:
        return Assertion.POSITIVE, None, historical
    if best[1] is Assertion.UNCERTAIN and best[2].phrase in _ALTERNATIVES and possible is not None:
        best = possible
    _, assertion, cue, kind = best
    if (kind == "uncertainty_pre" and cue.phrase in negated_through) or kind == "history_pre":
        denial = _denial_reaching(lower, cues, cue, terminations)
        if denial is not None:
            assertion, cue, kind = Assertion.NEGATED, denial, "negation_pre"
    family = kind.partition("_")[0]
    historical = historical or family == "history"
    return (
        assertion,
        Cue(text[cue.start : cue.end], _CUE_KIND[family], cue.start, cue.end, kind + ":" + cue.phrase),
        historical,
    )


def _denial_reaching(
    lower: str, cues: list[CueMatch], target: CueMatch, terminations: list[CueMatch]
) -> CueMatch | None:
    """The closest forward negation whose scope reaches the cue ``target`` ("no X to [suggest] Y").

    Across a comma only an infinitive ("to suggest") still hangs on the denied sign: in "no
    pneumothorax, findings suggest pneumonia" the second clause is asserted on its own.
    """
    found = None
    infinitive = lower.endswith("to ", 0, target.start)
    for cue in cues:
        if cue.end > target.start or "negation_pre" not in cue.kinds:
            continue
        if not infinitive and "," in lower[cue.end : target.start]:
            continue
        words = _reaches(lower, cue, target.start, terminations, True)
        if words is not None and words <= PRE_WINDOW:
            found = cue
    return found
