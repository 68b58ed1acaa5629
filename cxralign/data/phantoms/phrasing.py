"""How a present finding is written: phrase templates as data (``finding_phrases.yaml``), one writer.

A writer turns (the report's RNG, the finding, in the impression?) into one sentence in plain
radiology English; ``reports.py`` assembles the sentences, negations and labels into a report.
Each finding's templates are cases tried in order; the first that matches draws one template
with one RNG call, so a seed writes the same reports as the per-finding functions it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from cxralign.data.phantoms.spec import Finding

_ORDINAL = {2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th", 7: "7th", 8: "8th", 9: "9th", 10: "10th"}
_ADVERB = {"mild": "mildly", "moderate": "moderately", "severe": "severely"}


class _Writer:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: list[str] | tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)


PhraseWriter = Callable[["_Writer", Finding, bool], str]
"""(writer state, finding, in the impression?) -> the finding's sentence."""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return _cap(text.rstrip(".")) + "."


def _side_word(finding: Finding) -> str:
    return finding.laterality or ""


def _lobe(finding: Finding) -> str:
    return finding.location or ""


def _lobe_adjective(finding: Finding) -> str:
    """The lobe as a modifier: "right lower lobe consolidation", but "lingular consolidation"."""
    return "lingular" if finding.location == "lingula" else _lobe(finding)


# ------------------------------------------------------------- positive phrasing


def _fields(f: Finding, impression: bool, defaults: dict[str, Any]) -> dict[str, Any]:
    """The template fields of ``f`` (finding_phrases.yaml's header lists them)."""
    sev = f.severity or defaults.get("severity", "mild")
    size = f.size_cm or defaults.get("size", 1.0)
    leads = f.extra.get("leads", 2)
    return {
        "sev": sev,
        "adverb": _ADVERB.get(sev, sev),
        "side": _side_word(f),
        "lobe": _lobe(f),
        "adj": _lobe_adjective(f),
        "size": size,
        "mm": int(round(size * 10)),
        "where": "apical " if f.location == "apical" else "",
        "bronchograms": " with air bronchograms"
        if f.extra.get("air_bronchograms") and not impression
        else "",
        "tube_tip": f.extra.get("tip_above_carina_cm", 4.0),
        "route": f.extra.get("route", "internal jugular"),
        "line_tip": f.location,
        "leads_text": "leads in the right atrium and right ventricle"
        if leads > 1
        else "a single lead in the right atrium",
        "rib": _ORDINAL.get(int(f.extra.get("rib", 6)), "6th"),
        "kind": f.subtype or defaults.get("kind", "nondisplaced"),
    }


class TemplatePhrases:
    """One finding's phrase writer: the first matching case of its templates, picked from the RNG."""

    def __init__(
        self, name: str, cases: list[dict[str, Any]], defaults: dict[str, Any] | None = None
    ) -> None:
        self.name = name
        self.cases = cases
        self.defaults = defaults or {}

    def __call__(self, w: _Writer, f: Finding, impression: bool) -> str:
        facts = {
            "uncertain": bool(f.uncertain),
            "impression": impression,
            "side": _side_word(f),
            "subtype": f.subtype,
        }
        for case in self.cases:
            if all(facts[key] == value for key, value in case.get("when", {}).items()):
                fields = _fields(f, impression, self.defaults)
                if "say" in case:
                    return case["say"].format(**fields)
                return w.pick([template.format(**fields) for template in case["pick"]])
        raise ValueError(f"no phrase case of {self.name} matches {facts}")  # the last case has no `when`

    def __repr__(self) -> str:
        return f"TemplatePhrases({self.name!r}, {len(self.cases)} cases)"


def load_phrase_file(name: str) -> Any:
    """A phrase table beside this module, parsed by libyaml where PyYAML has it.

    The same objects as ``yaml.safe_load`` (the same constructor and resolver) for about
    a tenth of the CPU (2 ms instead of 20 for both tables, paid by every phantom start-up).
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(__file__).with_name(name).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506


def _load_phrases() -> dict[str, tuple[PhraseWriter, str]]:
    table = load_phrase_file("finding_phrases.yaml")
    return {
        name: (TemplatePhrases(name, entry["cases"], entry.get("defaults")), entry["group"])
        for name, entry in table.items()
    }


POSITIVE_PHRASES: dict[str, tuple[PhraseWriter, str]] = _load_phrases()
"""finding -> (its phrase writer, the report paragraph it goes in), from finding_phrases.yaml."""
