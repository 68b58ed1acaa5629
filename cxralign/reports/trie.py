"""Compile many phrases into one prefix-factored regular expression.

Python's ``re`` tries the branches of an alternation one by one at every position; with hundreds of
phrases that dominates the engine's run time. Factoring common prefixes into a trie leaves a handful
of one-character tests per position, and ordering longer continuations first keeps the longest match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Atom = str  # an escaped regex fragment: one literal character, "\s+", or a final suffix
_END = "\x00"


def _atoms(phrase: str) -> list[Atom]:
    atoms: list[Atom] = []
    for i, word in enumerate(phrase.split()):
        if i:
            atoms.append(r"\s+")
        atoms.extend(re.escape(ch) for ch in word)
    return atoms


def trie_regex(entries: Iterable[tuple[str, str]]) -> str:
    """A regex matching any phrase; ``entries`` are (phrase, suffix) where suffix ends the phrase.

    The suffix is raw regex appended after the phrase's last character (a word boundary, an optional
    plural, a wildcard ending or a marker group).
    """
    root: dict[str, dict] = {}
    for phrase, suffix in entries:
        node = root
        for atom in _atoms(phrase):
            node = node.setdefault(atom, {})
        node.setdefault(_END, {})[suffix] = {}
    return _render(root)


def _render(node: dict[str, dict]) -> str:
    branches = []
    ends = node.get(_END, {})
    for atom in sorted(k for k in node if k != _END):
        branches.append(atom + _render(node[atom]))
    # longer continuations first, then the phrase ending here (in insertion order: first entry wins)
    branches.extend(ends)
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
