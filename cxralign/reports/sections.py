"""Split a report into titled sections (MIMIC-CXR free text, converted OpenI / CheXpert Plus text).

A header is a known title at the start of a line followed by a colon ("FINDINGS:", "Impression:",
"PA AND LATERAL CHEST:"...). Text before the first header is a "preamble"; a report without any
header is one "text" section. Which sections the engine reads is chosen by ``select_sections``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from cxralign.reports.records import Section, make_section

SECTION_ALIASES: dict[str, str] = {
    "findings": "findings",
    "finding": "findings",
    "findings and impression": "impression",
    "findings/impression": "impression",
    "impression": "impression",
    "impressions": "impression",
    "conclusion": "impression",
    "conclusions": "impression",
    "summary": "impression",
    "opinion": "impression",
    "interpretation": "impression",
    "diagnosis": "impression",
    "final impression": "impression",
    "comparison": "comparison",
    "comparisons": "comparison",
    "comparison study": "comparison",
    "prior": "comparison",
    "priors": "comparison",
    "indication": "indication",
    "indications": "indication",
    "clinical indication": "indication",
    "reason for exam": "indication",
    "reason for examination": "indication",
    "reason for study": "indication",
    "reason": "indication",
    "clinical information": "indication",
    "clinical info": "indication",
    "clinical details": "indication",
    "clinical data": "indication",
    "clinical notes": "indication",
    "clinical question": "indication",
    "question": "indication",
    "history": "history",
    "clinical history": "history",
    "medical history": "history",
    "hx": "history",
    "technique": "technique",
    "techniques": "technique",
    "procedure": "technique",
    "views": "technique",
    "exam": "examination",
    "examination": "examination",
    "examinations": "examination",
    "study": "examination",
    "type of examination": "examination",
    "notification": "notification",
    "recommendation": "recommendation",
    "recommendations": "recommendation",
    "addendum": "addendum",
    "wet read": "wet read",
    "final report": "final report",
    "report": "text",
}
"""Header titles (lower case, without colon) and the normalised section name they start."""

DEFAULT_SECTIONS: tuple[str, ...] = ("findings", "impression")
NON_CLINICAL: frozenset[str] = frozenset(
    {
        "comparison",
        "indication",
        "history",
        "technique",
        "examination",
        "notification",
        "recommendation",
        "wet read",
    }
)
"""Sections skipped by the fallback when a report has none of the requested sections."""

_HEADER = re.compile(
    r"(?m)^[ \t]*(?P<title>(?P<name>[A-Za-z][A-Za-z /&()-]{1,40}?)[ \t]*:)(?!\d)",
)


@functools.lru_cache(maxsize=4096)
def _normalise(title: str) -> str | None:
    key = " ".join(title.lower().replace("(s)", "").split())
    return SECTION_ALIASES.get(key)


def split_sections(text: str) -> tuple[Section, ...]:
    """All sections of a report, in order, covering every character after the first header."""
    headers: list[tuple[int, int, str, str]] = []
    for match in _HEADER.finditer(text):
        name = _normalise(match.group("name"))
        if name is None:
            continue
        headers.append((match.start("title"), match.end("title"), name, match.group("title")))
    if not headers:
        return (make_section("text", 0, len(text), ""),) if text.strip() else ()
    sections: list[Section] = []
    if text[: headers[0][0]].strip():
        sections.append(make_section("preamble", 0, headers[0][0], ""))
    for i, (_, body_start, name, title) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else len(text)
        sections.append(make_section(name, body_start, end, title))
    return tuple(sections)


def select_sections(sections: Iterable[Section], wanted: Iterable[str] | None = None) -> tuple[Section, ...]:
    """The sections to analyse: the wanted ones, else every clinical section, else the whole text.

    ``wanted=None`` means findings + impression. ``"all"`` or ``"text"`` in ``wanted`` reads everything.
    """
    sections = tuple(sections)
    wanted_set = set(DEFAULT_SECTIONS if wanted is None else wanted)
    if not sections:
        return ()
    if wanted_set & {"all", "*"} or wanted_set == {"text"}:
        return sections
    chosen = tuple(s for s in sections if s.name in wanted_set)
    if chosen:
        return chosen
    clinical = tuple(s for s in sections if s.name not in NON_CLINICAL and s.name != "final report")
    return clinical or sections
