"""Rendering: deterministic output, escaping, ranking, contamination and the reported-numbers table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_leaderboard_support import make_submission, registry

from cxralign.errors import OutputExistsError
from cxralign.leaderboard import build_leaderboard, render_leaderboard, validate_paths
from cxralign.leaderboard.render import md_cell, render_csv, render_html, render_markdown, write_site
from cxralign.leaderboard.reported import reported_rows
from cxralign.leaderboard.sources import benchmark_sources, canonical_source, contamination

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("board")
    make_submission(root, "alpha", 0.06, training=("chexpert",))
    make_submission(root, "beta", 0.02, seed=1, model_name=XSS, training=("phantoms", "mimic-cxr"))
    make_submission(root, "gamma", 0.0, seed=2, training=("undisclosed",), created="2025-02-01T00:00:00Z")
    return root / "submissions"


def test_render_is_deterministic(board_dir: Path, tmp_path: Path) -> None:
    first, _ = render_leaderboard(board_dir, tmp_path / "one", registry=registry(), include_reported=False)
    second, _ = render_leaderboard(board_dir, tmp_path / "two", registry=registry(), include_reported=False)
    names = sorted(p.name for p in first.parent.iterdir())
    assert names == [
        "app.js",
        "files",
        "index.html",
        "leaderboard.csv",
        "leaderboard.md",
        "models",
        "plots",
        "style.css",
    ]
    files = sorted(p.relative_to(first.parent) for p in first.parent.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.parent) for p in second.parent.rglob("*") if p.is_file())
    for name in files:
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes(), name
    html = first.read_text()
    from datetime import date

    assert date.today().isoformat() not in html  # no render-time timestamps


def test_submission_strings_are_escaped_everywhere(board_dir: Path) -> None:
    board = build_leaderboard(validate_paths([board_dir], registry=registry()).verified)
    html = render_html(board)
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.replace('<script src="app.js" defer></script>', "")
    markdown = render_markdown(board)
    assert XSS not in markdown and "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in markdown
    assert md_cell("a|b\nc") == "a\\|b c"


def test_csv_neutralises_formulas_and_round_trips(board_dir: Path) -> None:
    edit = board_dir / "alpha" / "submission.json"
    board = build_leaderboard(validate_paths([board_dir], registry=registry()).verified)
    board.tables[0].entries[0].submission.model.name = "=HYPERLINK(1)"
    rows = list(csv.DictReader(io.StringIO(render_csv(board))))
    assert rows[0]["model"] == "'=HYPERLINK(1)"
    assert {r["submission"] for r in rows} == {"alpha", "beta", "gamma"}
    task = json.loads(edit.read_text())["tasks"][0]
    value = task["metrics"][task["main_score"]]["value"]  # the CSV's value is the main score
    assert float(next(r for r in rows if r["submission"] == "alpha")["value"]) == value  # exact, repr'd


def test_ranking_win_rates_and_contamination(board_dir: Path) -> None:
    board = build_leaderboard(validate_paths([board_dir], registry=registry()).verified)
    table = board.tables[0]
    values = [e.main.value for e in table.entries]
    assert values == sorted(values, reverse=True)
    assert [e.win_rate for e in table.entries] == [1.0, 0.5, 0.0]
    assert [r.submission.name for r in board.overall] == [e.submission.name for e in table.entries]
    assert [r.rank for r in board.overall] == [1, 2, 3]
    flags = {e.submission.name: (e.contamination, e.overlap) for e in table.entries}
    assert flags == {
        "alpha": ("clean", []),
        "beta": ("contaminated", ["phantoms"]),
        "gamma": ("undisclosed", []),
    }
    assert table.heatmap is not None and table.heatmap.findings[:2] == ["Cardiomegaly", "Edema"]
    html = render_html(board)
    assert (
        '>contaminated</span><span class="sub">phantoms</span>' in html
        and "contaminated on 1/1" in html
        and "training data undisclosed" in html
        and "2025-02-01" in html
    )


def test_coverage_ranks_before_mean_and_ties_share_a_rank(tmp_path: Path) -> None:
    from cxralign.leaderboard.aggregate import _overall

    class Sub:
        def __init__(self, name: str) -> None:
            self.name = name

    class E:
        def __init__(self, name: str, rate: float | None) -> None:
            self.submission, self.win_rate, self.contamination = Sub(name), rate, "clean"

    class T:
        def __init__(self, *entries: E) -> None:
            self.entries = list(entries)
            self.key = type("K", (), {"title": "t"})()

    subs = [Sub("a"), Sub("b"), Sub("c")]
    tables = [T(E("a", 0.0), E("b", 1.0)), T(E("a", 1.0), E("c", 0.0)), T(E("b", 0.5), E("c", 0.5))]
    rows = _overall(tables, subs)  # type: ignore[arg-type]
    assert [(r.submission.name, r.covered, r.mean_win_rate, r.rank) for r in rows] == [
        ("b", 2, 0.75, 1),
        ("a", 2, 0.5, 2),
        ("c", 2, 0.25, 3),
    ]
    rows = _overall([T(E("a", 1.0), E("b", 0.0)), T(E("b", 1.0), E("a", 0.0)), T(E("c", None))], subs)  # type: ignore[arg-type]
    assert [(r.submission.name, r.rank) for r in rows] == [("a", 1), ("b", 1), ("c", 3)]


def test_sources_and_contamination_rule() -> None:
    assert canonical_source("MIMIC-CXR-JPG v2.0.0") == "mimic-cxr"
    assert canonical_source("CheXpert Plus") == "chexpert"
    assert canonical_source("IU X-Ray") == "openi"
    assert canonical_source("cxr-align") == "mimic-cxr"  # the official release is built from MIMIC-CXR
    assert canonical_source("cxr-align-phantoms") == "phantoms"
    assert canonical_source("NIH ChestX-ray14") == "chestx-ray14"
    assert canonical_source("Unknown") == "undisclosed"
    assert benchmark_sources("cxr-align", {"source": "PadChest"}) == {"padchest"}
    assert benchmark_sources("x", {}, ["MIMIC-CXR"]) == {"mimic-cxr"}
    assert contamination(["mimic-cxr", "chexpert"], {"mimic-cxr"}) == ("contaminated", ["mimic-cxr"])
    assert contamination(["chexpert"], {"mimic-cxr"}) == ("clean", [])


def test_reported_numbers_are_a_separate_unranked_table(board_dir: Path) -> None:
    card = {
        "name": "chexzero",
        "title": "CheXzero <b>",
        "citation": "Tiu et al. 2022",
        "reported": [
            {
                "task": "zero-shot",
                "dataset": "chexpert",
                "metric": "auroc",
                "value": 0.889,
                "source": "Table 1",
            }
        ],
    }
    board = build_leaderboard(
        validate_paths([board_dir], registry=registry()).verified, reported_rows([card])
    )
    html = render_html(board)
    section = html[html.index('id="reported"') :]
    assert "not verified · not ranked" in section and "CheXzero &lt;b&gt;" in section and "Table 1" in section
    assert "CheXzero" not in html[: html.index('id="reported"')].split("</nav>")[1]
    assert all(r.submission.name != "chexzero" for r in board.overall)
    assert "## Reported by authors (not verified, not ranked)" in render_markdown(board)


def test_render_refuses_invalid_submissions_and_foreign_directories(board_dir: Path, tmp_path: Path) -> None:
    from cxralign.leaderboard import InvalidSubmissionsError
    from cxralign.leaderboard.registry import Registry, _default_get_task

    with pytest.raises(InvalidSubmissionsError, match="3 problem\\(s\\) .* nothing rendered"):
        render_leaderboard(board_dir, tmp_path / "site", registry=Registry(get_task=_default_get_task))
    assert not (tmp_path / "site").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    board = build_leaderboard([])
    with pytest.raises(OutputExistsError, match="holds files a render did not write"):
        write_site(board, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert "No verified submissions yet." in write_site(board, tmp_path / "empty").read_text()
