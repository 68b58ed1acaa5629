"""What the engine found in recently read sentences, so a repeated sentence is read once.

Report corpora repeat sentences verbatim (about 60% of OpenI's sentences repeat an earlier
one, even when only the last 4,096 distinct sentences are remembered) and a rewrite's variants
repeat all but the edited sentence. The engine reads every sentence on its own, so what it finds
depends on the sentence's text alone: a remembered result is exact, not an approximation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from cxralign.reports.records import Mention, make_attributes, make_cue, make_mention

MEMO_SENTENCES = 4096
"""Distinct sentences remembered per engine (a few MB). Kept small on purpose: large enough for the
repetition of real corpora and of a report's variants, too small to be flattered by a benchmark
corpus that replicates a few thousand reports."""

Found = tuple[Mention, ...]
"""Mentions of one sentence, with offsets into the sentence, index 0 and no section."""
Place = tuple[int, int, str]
"""Where a sentence sits in a report: (start offset, sentence index, section)."""


class BoundedCache:
    """A least-recently-used dict of at most ``size`` entries (nothing kept when ``size <= 0``).

    An ``OrderedDict``: a hit moves its entry to the end and an eviction takes the first in
    constant time (a plain dict re-inserted on every hit leaves holes that finding the oldest
    entry had to skip, a measurable share of a worker's time).
    """

    __slots__ = ("size", "_entries")

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key):
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 - try is cheaper than contextlib.suppress on this hot path
                self._entries.move_to_end(key)
            except KeyError:  # evicted meanwhile by another thread: the value is still right
                pass
        return value

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        self._entries[key] = value
        if len(self._entries) > self.size:
            try:  # noqa: SIM105 - as above
                self._entries.popitem(last=False)
            except KeyError:  # emptied meanwhile by a concurrent eviction
                pass

    def clear(self) -> None:
        self._entries.clear()


class SentenceMemo(BoundedCache):
    """A bounded least-recently-used map from sentence text to the mentions read in it.

    Each entry also keeps its mentions as last placed in a report: a variant's sentences before
    the edit sit where the original's did and reuse those very records, without a copy. An entry
    is ``[Found or None, Place or None, placed mentions]``.
    """

    __slots__ = ()

    def __init__(self, size: int = MEMO_SENTENCES) -> None:
        super().__init__(size)

    def place(self, text: str, where: Place, read: Callable[[str], Found]) -> tuple[Mention, ...]:
        """The mentions of sentence ``text`` at ``where``, read with ``read`` if not remembered."""
        entry = self.get(text)
        if entry is None:
            entry = [read(text), None, ()]
            self.put(text, entry)
        found, placed_at, placed = entry
        if found == () or placed_at == where:
            return placed
        if found is None:  # remembered from an analysis: back to sentence offsets first
            found = entry[0] = tuple(shift_mention(m, -placed_at[0], 0, "") for m in placed)
        start, index, section = where
        placed = tuple(shift_mention(m, start, index, section) for m in found)
        entry[1], entry[2] = where, placed
        return placed

    def remember(self, text: str, where: Place, placed: tuple[Mention, ...]) -> None:
        """Record a sentence's mentions as an analysis by the same engine placed them."""
        entry = self.get(text)
        if entry is None:
            entry = [None if placed else (), None, ()]
            self.put(text, entry)
        if placed:
            entry[1], entry[2] = where, placed


def shift_mention(mention: Mention, offset: int, index: int, section: str) -> Mention:
    """The mention moved by ``offset`` characters into sentence ``index`` of ``section``."""
    cue = mention.cue
    if cue is not None and offset:
        cue = make_cue(cue.text, cue.kind, cue.start + offset, cue.end + offset, cue.rule)
    attributes = mention.attributes
    if offset and (attributes.laterality_span is not None or attributes.severity_span is not None):
        attributes = make_attributes(
            attributes.laterality,
            attributes.severity,
            attributes.location,
            _shift_span(attributes.laterality_span, offset),
            _shift_span(attributes.severity_span, offset),
        )
    return make_mention(
        mention.concept,
        mention.text,
        mention.start + offset,
        mention.end + offset,
        index,
        section,
        mention.assertion,
        cue,
        attributes,
        mention.historical,
        mention.implied,
    )  # fmt: skip


def _shift_span(span: tuple[int, int] | None, offset: int) -> tuple[int, int] | None:
    return None if span is None else (span[0] + offset, span[1] + offset)
