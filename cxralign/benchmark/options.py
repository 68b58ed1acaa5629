"""What a build is asked for (``BuildOptions``) and what it reports (``BuildSummary``).

Kept apart from :mod:`cxralign.benchmark.build`, which re-exports both, so the records can be read
without the build's machinery in view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from cxralign.benchmark.controls import DEFAULT_CONTROLS
from cxralign.benchmark.selection import TARGETS
from cxralign.errors import ConfigError
from cxralign.rewrite import OPS


@dataclass
class BuildOptions:
    source: str
    out: Path
    root: Path | None = None
    images_root: Path | None = None
    ops: tuple[str, ...] = OPS
    findings: tuple[str, ...] = TARGETS
    per_report: int = 1
    max_per_finding: int | None = None
    seed: int = 0
    workers: int = 1
    controls: int = DEFAULT_CONTROLS
    require_images: bool = False
    overwrite: bool = False
    rejected: Path | None = None
    strip_comparisons: bool = False
    text_column: str | None = None
    id_column: str | None = None
    phrasing: str = "corpus"  # "corpus": statements drawn from the corpus (PhraseBank); "rules": rule-made
    blind_filter: bool = True  # the balanced set: negate / affirm variants no text-only probe tells apart
    opposite: bool = True  # a second target per report, of the other presence, for negate / affirm only

    def validate(self) -> None:
        if self.phrasing not in ("rules", "corpus"):
            raise ConfigError(f"--phrasing must be rules or corpus, not {self.phrasing!r}")
        unknown = [op for op in self.ops if op not in OPS]
        if unknown or not self.ops:
            raise ConfigError(f"unknown op(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(OPS)}")
        names = {name.lower(): name for name in TARGETS}
        fixed = []
        for finding in self.findings:
            if finding.lower() not in names:
                raise ConfigError(f"unknown finding {finding!r}; choose from {', '.join(TARGETS)}")
            fixed.append(names[finding.lower()])
        self.findings = tuple(dict.fromkeys(fixed))
        if self.per_report < 1:
            raise ConfigError("--per-report must be at least 1")
        if self.max_per_finding is not None and self.max_per_finding < 1:
            raise ConfigError("--max-per-finding must be at least 1")

    def manifest_options(self) -> dict:
        return {
            "ops": list(self.ops),
            "findings": list(self.findings),
            "per_report": self.per_report,
            "max_per_finding": self.max_per_finding,
            "seed": self.seed,
            "controls": self.controls,
            "require_images": self.require_images,
            "strip_comparisons": self.strip_comparisons,
            "text_column": self.text_column,
            "id_column": self.id_column,
            "phrasing": self.phrasing,
            "blind_filter": self.blind_filter,
            "opposite": self.opposite,
        }


@dataclass
class BuildSummary:
    out: Path
    reports_read: int = 0
    reports_skipped: int = 0
    eligible: int = 0
    no_eligible_finding: int = 0
    capped: int = 0
    items: int = 0
    without_image: int = 0
    variants: dict[str, dict[str, int]] = field(default_factory=dict)  # op -> finding -> n
    rejected: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # op -> finding -> n failing verification
    unsupported: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # op -> finding -> n with no edit possible
    not_applicable: dict[str, int] = field(default_factory=dict)
    splits: dict[str, dict[str, int]] = field(default_factory=dict)  # op -> split -> n
    balanced: dict[str, dict[str, int]] = field(default_factory=dict)  # op -> finding -> n in the balanced set
    blind: dict[str, dict] = field(default_factory=dict)
    blind_filter: dict = field(default_factory=dict)  # how the filter went (rounds, target reached)
    access: str = ""
    credentialed: bool = False
    wall_time_s: float = 0.0
    rejections: list = field(default_factory=list)
    refused: dict[str, dict[str, int]] = field(default_factory=dict)  # op -> reason kind -> n
    attempted: dict[str, int] = field(default_factory=dict)  # op -> (report, finding) pairs tried

    @property
    def rejection_total(self) -> int:
        return sum(sum(v.values()) for v in self.rejected.values())

    def manifest_counts(self) -> dict:
        data = asdict(self)
        for key in (
            "out",
            "blind",
            "blind_filter",
            "access",
            "credentialed",
            "wall_time_s",
            "rejections",
            "rejected",
            "unsupported",
            "refused",
            "attempted",
        ):
            data.pop(key)
        return data
