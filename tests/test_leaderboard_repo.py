"""The repository's own leaderboard stays valid: every committed submission re-verifies."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cxralign.cli import _register_commands, app

SUBMISSIONS = Path(__file__).resolve().parent.parent / "leaderboard" / "submissions"


def test_committed_submissions_validate_against_the_toolkit():
    entries = sorted(p.name for p in SUBMISSIONS.iterdir() if (p / "submission.json").exists())
    assert entries, "the repository's leaderboard is seeded with the reference models (leaderboard/seed.py)"
    _register_commands()
    result = CliRunner().invoke(app, ["leaderboard", "validate", str(SUBMISSIONS)])
    assert result.exit_code == 0, result.output
