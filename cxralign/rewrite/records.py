"""Records a rewrite produces: the exact edits, the op, the target and where it sits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Op = Literal["negate", "affirm", "omit", "laterality", "severity"]
OPS: tuple[str, ...] = ("negate", "omit", "affirm", "laterality", "severity")
Location = Literal["first", "middle", "last", "add"]


@dataclass(frozen=True, slots=True)
class Change:
    """One replaced span of the original text (offsets into the original)."""

    start: int
    end: int
    before: str
    after: str
    sentence_index: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Variant:
    """A verified minimal edit of a report that contradicts it about one finding."""

    op: str
    target: str  # CheXpert observation
    target_concept: str  # lexicon concept id
    original: str
    text: str
    changes: tuple[Change, ...]
    location: str  # first / middle / last / add
    target_present: bool  # is the finding present according to the original report
    detail: dict[str, str] = field(default_factory=dict)  # e.g. {"from": "left", "to": "right"}

    @property
    def sentence_indices(self) -> tuple[int, ...]:
        return tuple(sorted({change.sentence_index for change in self.changes}))


@dataclass(frozen=True, slots=True)
class Rejection:
    """A rewrite that could not be made or failed verification, kept for review."""

    op: str
    target: str
    target_concept: str
    report_id: str | None
    reason: str
    original: str
    text: str | None = None
    stage: str = "proposal"  # or "verification"

    def to_dict(self) -> dict[str, object]:
        return {
            "op": self.op,
            "target": self.target,
            "target_concept": self.target_concept,
            "report_id": self.report_id,
            "reason": self.reason,
            "stage": self.stage,
            "original": self.original,
            "variant": self.text,
        }
