"""Typed records the report engine produces and every later stage reads.

Spans are character offsets into ``ReportAnalysis.text`` (the full original
report), so a rewrite can replace exactly the characters a mention covers.
Records are frozen dataclasses with slots: cheap to build thousands per second,
safe to share between stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum


class Assertion(str, Enum):
    """Whether the report says a finding is there."""

    POSITIVE = "positive"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Cue:
    """The trigger that decided a mention's assertion (or a pseudo-cue that was ignored)."""

    text: str
    kind: str  # "negation" | "uncertainty" | "normality" | "pseudo" | "historical" | "termination"
    start: int
    end: int
    rule: str  # identifier of the rule that fired, for --explain and debugging


@dataclass(frozen=True, slots=True)
class Attributes:
    """Clinical detail attached to a mention."""

    laterality: str | None = None  # "left" | "right" | "bilateral"
    severity: str | None = None  # "trace" | "small" | "mild" | "moderate" | "large" | "severe" | ...
    location: tuple[str, ...] = ()  # e.g. ("lower lobe",), ("base",), ("apex",), ("perihilar",)
    laterality_span: tuple[int, int] | None = None
    severity_span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # normalised: "findings", "impression", "comparison", "indication", "history", "technique", "text"
    start: int
    end: int
    title: str = ""  # the header as written, e.g. "FINDINGS:"


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int  # position among all analysed sentences of the report
    start: int
    end: int
    section: str
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of a finding concept in one sentence."""

    concept: str  # lexicon concept id, e.g. "pleural_effusion", "nodule", "pericardial_effusion"
    text: str  # the matched words as written
    start: int
    end: int
    sentence_index: int
    section: str
    assertion: Assertion
    cue: Cue | None = None
    attributes: Attributes = field(default_factory=Attributes)
    historical: bool = False  # about a prior study rather than the current image
    implied: bool = False  # denied by a normality statement that does not name it ("lungs are clear")

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class ReportAnalysis:
    """Everything the engine knows about one report."""

    text: str
    sections: tuple[Section, ...]
    sentences: tuple[Sentence, ...]
    mentions: tuple[Mention, ...]
    report_id: str | None = None


def fast_constructor(cls: type) -> Callable:
    """A positional constructor for a frozen slotted record, about twice as fast as calling the class.

    A frozen dataclass sets each field through ``object.__setattr__`` by name; this sets the slots
    directly. Same object, same equality and hash; every field must be given. For the engine's hot
    loop, which builds tens of records per report.
    """
    names = [f.name for f in fields(cls)]
    namespace = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    body = "".join(f"    set_{name}(record, {name})\n" for name in names)
    source = f"def make({', '.join(names)}):\n    record = new(cls)\n{body}    return record\n"
    exec(source, namespace)  # noqa: S102 - generated from the dataclass's own field names
    make = namespace["make"]
    make.__doc__ = f"{cls.__name__}({', '.join(names)}), built fast."
    return make


make_cue = fast_constructor(Cue)
make_attributes = fast_constructor(Attributes)
make_sentence = fast_constructor(Sentence)
make_mention = fast_constructor(Mention)
make_section = fast_constructor(Section)
make_analysis = fast_constructor(ReportAnalysis)
