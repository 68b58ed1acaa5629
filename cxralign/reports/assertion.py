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


def decide(
    lower: str,
    text: str,
    cues: list[CueMatch],
    start: int,
    end: int,
    sentence_start: int,
) -> tuple[Assertion, Cue | None, bool]:
    """Assertion, deciding cue and historical flag of the mention at ``[start, end)``."""
    terminations = [c for c in cues if "termination" in c.kinds]
    best: tuple[int, Assertion, CueMatch, str] | None = None
    historical = False
    for cue in cues:
        if cue.end <= start:
            between = (cue.end, start)
            pre = True
        elif cue.start >= end:
            between = (end, cue.start)
            pre = False
        else:
            continue
        wanted = (
            ("negation_pre", "uncertainty_pre", "historical")
            if pre
            else ("negation_post", "uncertainty_post")
        )
        kinds = [k for k in cue.kinds if k in wanted]
        if not kinds:
            continue
        if any(t.start >= between[0] and t.end <= between[1] for t in terminations if t is not cue):
            continue
        barrier = _PRE_BARRIER if pre else _POST_BARRIER
        if barrier.search(lower, between[0], between[1]):
            continue
        words = _words(lower, between[0], between[1])
        if "historical" in kinds and words <= HISTORICAL_WINDOW:
            historical = True
        kinds = [k for k in kinds if k != "historical"]
        if not kinds or words > (PRE_WINDOW if pre else POST_WINDOW):
            continue
        distance = between[1] - between[0]
        kind = kinds[0]
        assertion = Assertion.NEGATED if kind.startswith("negation") else Assertion.UNCERTAIN
        candidate = (distance, assertion, cue, kind)
        if best is None or distance < best[0] or (distance == best[0] and assertion is Assertion.NEGATED):
            best = candidate
    if best is None:
        return Assertion.POSITIVE, None, historical
    _, assertion, cue, kind = best
    cue_kind = "negation" if kind.startswith("negation") else "uncertainty"
    return (
        assertion,
        Cue(text[cue.start : cue.end], cue_kind, cue.start, cue.end, kind + ":" + cue.phrase),
        historical,
    )
