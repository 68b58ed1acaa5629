"""Sentence splitting tuned to radiology reports.

Rules, in order: a blank line ends a sentence; a numbered item ("1. ", "2) ") starts one; a
semicolon ends one; ".", "!" or "?" followed by space ends one unless the word before is a known
abbreviation or the next word starts in lower case; a single line break inside a sentence (line
wrapping) does not end it. De-identification masks ("___", "XXXX") are treated as words.
"""

from __future__ import annotations

import re

from cxralign.reports.records import Section, Sentence

ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "dr", "mr", "mrs", "ms", "vs", "e.g", "i.e", "approx", "appt", "apt", "fig", "figs", "no", "nos",
        "st", "etc", "cf", "al", "ca", "incl", "min", "max", "hr", "hrs", "pt", "pts", "resp", "ap", "pa",
        "lat", "ant", "post", "sup", "inf", "sr", "jr", "prof", "dept", "a.m", "p.m", "u.s", "mt", "ft",
        "in", "d", "l", "r",
    }
)  # fmt: skip
"""Words after which a period does not end a sentence."""

_BREAK = re.compile(
    r"""
    (?=[\s;\d])  # every break starts at whitespace, ";" or a digit: one test rejects most positions
    (?:
      (?P<blank>\n[ \t]*\n\s*)                                   # blank line
    | (?P<semi>;\s*)                                             # semicolon
    | (?P<stop>(?<=[\w)\]"'%][.!?])(?:[ \t]+|[ \t]*\n[ \t]*)(?=\S))  # terminal punctuation, space, text
    | (?P<number>(?:(?<=\s)|^)(?=\d{1,2}[.)][ \t]+\S))           # numbered item "2. " / "2) "
    | (?P<newline>\n[ \t]*(?=[-*\u2022]\s|\d{1,2}[.)]\s|[A-Z][A-Z ]{2,}:))  # bullet, item or header on next line
    )
    """,
    re.VERBOSE,
)
_ENUMERATOR = re.compile(r"\s*(?:\d{1,2}[.)]|[-*\u2022])[ \t]+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_ALNUM = re.compile(r"[^\W_]")


def _is_abbreviation_stop(text: str, punct_end: int) -> bool:
    """True when the "." ending at ``punct_end`` belongs to an abbreviation or a decimal, not a sentence end."""
    if text[punct_end - 1] != ".":
        return False
    tail = text[max(0, punct_end - 12) : punct_end]
    match = _WORD_BEFORE.search(tail)
    if match and match.group(1).lower() in ABBREVIATIONS:
        word = match.group(1).lower()
        if word in {"a.m", "p.m", "etc"}:  # often the last word of a sentence: split before a capital
            nxt = text[punct_end : punct_end + 3].lstrip()
            return not nxt or not nxt[0].isupper()
        if word in {"no", "in", "post", "lat", "d", "l", "r"}:
            # ordinary words too: only an abbreviation when a number or lower-case word follows
            nxt = text[punct_end : punct_end + 3].lstrip()
            return bool(nxt) and (nxt[0].isdigit() or nxt[0].islower())
        return True
    return False


def _cut_points(text: str, start: int, end: int) -> list[int]:
    """Offsets inside [start, end) where a new sentence begins."""
    cuts: list[int] = []
    for match in _BREAK.finditer(text, start, end):
        kind = match.lastgroup
        if kind == "stop":
            if _is_abbreviation_stop(text, match.start()):
                continue
            nxt = text[match.end()] if match.end() < end else ""
            # "heart size normal. lungs clear" still splits; "p.o. daily" does not (abbreviation list)
            if (
                nxt.islower()
                and text[match.start() - 1] == "."
                and _looks_like_initialism(text, match.start())
            ):
                continue
        cuts.append(match.end())
    return cuts


def _looks_like_initialism(text: str, punct_end: int) -> bool:
    # "p.o." / "b.i.d." : single letters separated by periods
    return bool(re.search(r"(?:^|[\s(])(?:[A-Za-z]\.){2,}$", text[max(0, punct_end - 10) : punct_end]))


def section_spans(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence of ``text[start:end]``, offsets into ``text``.

    Reads nothing after ``end`` and at most ``CONTEXT`` characters before ``start``.
    """
    spans: list[tuple[int, int, str]] = []
    bounds = [start, *_cut_points(text, start, end), end]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b <= a:
            continue
        enumerator = _ENUMERATOR.match(text, a, b)
        if enumerator:
            a = enumerator.end()
        piece = text[a:b]
        body = piece.strip()
        if not body or _ALNUM.search(body) is None:
            continue
        a += len(piece) - len(piece.lstrip())
        spans.append((a, a + len(body), body))
    return spans


CONTEXT = 12
"""Characters before a section that its splitting may look at (an abbreviation just before it)."""


def split_sentences(text: str, sections: tuple[Section, ...], first_index: int = 0) -> list[Sentence]:
    """Sentences of the given sections, numbered from ``first_index``, spans into ``text``."""
    sentences: list[Sentence] = []
    index = first_index
    for section in sections:
        for a, b, body in section_spans(text, section.start, section.end):
            sentences.append(Sentence(index, a, b, section.name, body))
            index += 1
    return sentences
