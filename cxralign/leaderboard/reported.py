"""Numbers authors report in their papers, from the model zoo cards.

They are shown in their own table with the citation they come from, and never
ranked with verified entries: nothing here was recomputed from scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cxralign.leaderboard.aggregate import ReportedRow


def _citation(number: dict[str, Any]) -> str:
    """Title, venue and table of the paper a number comes from (older cards: their ``source`` line)."""
    parts = [str(number[k]) for k in ("paper", "venue", "table") if number.get(k)]
    return ", ".join(parts) if parts else str(number.get("source") or "")


def reported_rows(cards: Iterable[Any]) -> list[ReportedRow]:
    """One row per reported number on each card (pydantic ModelCard or a dict with the same fields)."""
    rows = []
    for card in cards:
        data = card.model_dump() if hasattr(card, "model_dump") else dict(card)
        for number in data.get("reported") or []:
            rows.append(
                ReportedRow(
                    model=str(data.get("title") or data.get("name")),
                    task=str(number["task"]),
                    dataset=str(number["dataset"]),
                    metric=str(number["metric"]),
                    value=float(number["value"]),
                    source=_citation(number),
                    citation=str(data.get("citation") or ""),
                    notes=number.get("notes"),
                    url=data.get("paper"),
                )
            )
    return rows


def zoo_reported_rows() -> list[ReportedRow]:
    """Reported numbers of every card in the model zoo."""
    from cxralign.models.zoo import all_cards

    return reported_rows(all_cards()[name] for name in sorted(all_cards()))
