"""The leaderboard: submission schema, assembly, verification and rendering.

``assemble_submission`` turns eval results into a submission, ``validate_paths``
verifies submissions (every metric recomputed from its scores), and
``render_leaderboard`` writes the static site from verified submissions.
"""

from __future__ import annotations

from pathlib import Path

from cxralign.errors import InputError
from cxralign.leaderboard.aggregate import Leaderboard, build_leaderboard
from cxralign.leaderboard.registry import Registry
from cxralign.leaderboard.render import write_site
from cxralign.leaderboard.reported import zoo_reported_rows
from cxralign.leaderboard.schema import Submission, schema_text, submission_json_schema
from cxralign.leaderboard.submit import CardOverrides, assemble_submission
from cxralign.leaderboard.validate import Limits, ValidationReport, validate_paths

__all__ = [
    "CardOverrides",
    "Leaderboard",
    "Limits",
    "Registry",
    "Submission",
    "ValidationReport",
    "assemble_submission",
    "build_leaderboard",
    "render_leaderboard",
    "schema_text",
    "submission_json_schema",
    "validate_paths",
]


class InvalidSubmissionsError(InputError):
    """Rendering refused: some submissions do not validate."""


def render_leaderboard(
    submissions_dir: str | Path,
    out_dir: str | Path,
    registry: Registry | None = None,
    limits: Limits | None = None,
    include_reported: bool = True,
) -> tuple[Path, ValidationReport]:
    """Validate every submission, then write the site; refuses to render over any problem."""
    report = validate_paths([Path(submissions_dir)], registry=registry, limits=limits)
    if report.problems:
        first = "\n  ".join(str(p) for p in report.problems[:20])
        more = f"\n  ... and {len(report.problems) - 20} more" if len(report.problems) > 20 else ""
        raise InvalidSubmissionsError(
            f"{len(report.problems)} problem(s) in {submissions_dir}; nothing rendered:\n  {first}{more}"
        )
    board = build_leaderboard(report.verified, zoo_reported_rows() if include_reported else [])
    dirs = {v.submission.name: v.path.parent for v in report.verified}
    return write_site(board, out_dir, submission_dirs=dirs, cards=_zoo_cards()), report


def _zoo_cards() -> dict:
    """The model zoo's cards, for the model pages (a card that does not validate is a one-line error)."""
    from cxralign.models.zoo import all_cards

    return all_cards()
