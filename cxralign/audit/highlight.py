"""Where a variant differs from its original, as tagged pieces of text for the review sheet.

The item's recorded ``changes`` say which spans the engine edited (shown lightly);
a word diff inside each span marks the words that actually changed (shown strongly).
When the changes do not reproduce the variant, a word diff of the whole text stands in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import NamedTuple

from cxralign.benchmark.schema import ChangeRecord

_WORDS = re.compile(r"\s+|\w+(?:['’]\w+)*|[^\w\s]")

SAME, EDITED, REMOVED, ADDED, GAP = "same", "edited", "removed", "added", "gap"


class Piece(NamedTuple):
    kind: str  # SAME outside any edit; EDITED kept inside an edited span; REMOVED / ADDED words; GAP marks a removal
    text: str


def _merge(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if piece.kind == GAP or not piece.text:
            if piece.kind == GAP and not (merged and merged[-1].kind == GAP):
                merged.append(piece)
            continue
        if merged and merged[-1].kind == piece.kind:
            merged[-1] = Piece(piece.kind, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return merged


def word_diff(before: str, after: str, kept: str = EDITED) -> tuple[list[Piece], list[Piece]]:
    """(original side, variant side) of one span; words both share are tagged ``kept``."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    left: list[Piece] = []
    right: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(Piece(kept, "".join(a[i1:i2])))
            right.append(Piece(kept, "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Piece(REMOVED, "".join(a[i1:i2])))
        if j2 > j1:
            right.append(Piece(ADDED, "".join(b[j1:j2])))
        elif i2 > i1:
            right.append(Piece(GAP, ""))
    return left, right


def _replays(original: str, variant: str, changes: Sequence[ChangeRecord]) -> bool:
    pieces, cursor = [], 0
    for change in sorted(changes, key=lambda c: c.start):
        if change.start < cursor or change.end > len(original):
            return False
        pieces += [original[cursor : change.start], change.after]
        cursor = change.end
    return "".join(pieces) + original[cursor:] == variant


def highlight(original: str, variant: str, changes: Sequence[ChangeRecord]) -> tuple[list[Piece], list[Piece]]:
    """Pieces of the original and of the variant, ready to render side by side."""
    if not changes or not _replays(original, variant, changes):
        left, right = word_diff(original, variant, kept=SAME)
        return _merge(left), _merge(right)
    left: list[Piece] = []
    right: list[Piece] = []
    cursor = 0
    for change in sorted(changes, key=lambda c: c.start):
        unchanged = original[cursor : change.start]
        left.append(Piece(SAME, unchanged))
        right.append(Piece(SAME, unchanged))
        span_left, span_right = word_diff(original[change.start : change.end], change.after)
        left += span_left
        right += span_right
        cursor = change.end
    left.append(Piece(SAME, original[cursor:]))
    right.append(Piece(SAME, original[cursor:]))
    return _merge(left), _merge(right)
