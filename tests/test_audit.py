"""``cxralign audit``: sample a sheet, judge it, score it, record it, through the installed console script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from audit_support import make_build, run_cli, sheet_state

from cxralign.audit.highlight import ADDED, EDITED, GAP, REMOVED, SAME, highlight
from cxralign.audit.sample import allocate, draw_sample
from cxralign.audit.score import wilson
from cxralign.benchmark.schema import ChangeRecord
from cxralign.cli import main


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_build(tmp_path_factory.mktemp("audit"))


def _judge(state: dict, reviewer: str = "Dr. Test") -> dict:
    """Every third row wrong, every fifth awkward (where not wrong), the rest correct."""
    for index, item in enumerate(state["items"]):
        item["verdict"] = "wrong" if index % 3 == 0 else "awkward" if index % 5 == 0 else "correct"
        item["reason"] = "" if item["verdict"] == "correct" else f"reason {index}"
    state["reviewer"] = reviewer
    state["reviewed_on"] = "2026-12-07"
    return state


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_round_trip_sample_judge_score_write(build: Path, tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.html"
    sampled = run_cli("audit", "sample", build, "--n", "12", "--seed", "3", "--out", sheet)
    assert sampled.returncode == 0, sampled.stderr
    html = sheet.read_text(encoding="utf-8")
    assert "<script src" not in html and "http://" not in html and "https://" not in html
    state = sheet_state(sheet)
    ops = {item["op"] for item in state["items"]}
    assert len(state["items"]) == 12 and ops == {"negate", "omit", "affirm", "laterality", "severity"} & ops
    counts = [state["sample"]["per_op"][op] for op in sorted(ops)]
    assert max(counts) - min(counts) <= 1  # equal per op where the build allows
    assert all(f'data-key="{item["key"]}"' in html for item in state["items"])

    again = tmp_path / "again.html"
    assert _in_process(capsys, "audit", "sample", build, "--n", "12", "--seed", "3", "--out", again)[0] == 0
    assert sheet_state(again)["items"] == state["items"]  # the seed fixes the sample and its order

    verdicts = _write(tmp_path / "verdicts.json", _judge(state))
    manifest_before = json.loads((build / "manifest.json").read_text())
    scored = run_cli("audit", "score", verdicts, "--build", build, "--write")
    assert scored.returncode == 0, scored.stderr
    wrong = sum(item["verdict"] == "wrong" for item in state["items"])
    awkward = sum(item["verdict"] == "awkward" for item in state["items"])
    overall = [line for line in scored.stdout.splitlines() if line.strip("│ ").startswith("all")]
    low, high = wilson(wrong, 12).low, wilson(wrong, 12).high
    assert overall and f"{wrong / 12 * 100:.1f} [{low * 100:.1f}, {high * 100:.1f}]" in overall[0]

    manifest = json.loads((build / "manifest.json").read_text())
    assert {k: v for k, v in manifest.items() if k != "audits"} == manifest_before
    (audit,) = manifest["audits"]
    assert audit["reviewer"] == "Dr. Test" and audit["reviewed_on"] == "2026-12-07"
    assert audit["n"] == 12 and audit["sample"]["seed"] == 3
    assert audit["overall"]["wrong"] == wrong and audit["overall"]["awkward"] == awkward
    assert audit["overall"]["error_rate"]["ci95"] == [round(low, 4), round(high, 4)]
    assert audit["build"]["data_sha256"] == state["build"]["data_sha256"]
    assert sum(row["reviewed"] for row in audit["per_op"].values()) == 12
    card = (build / "README.md").read_text()
    assert card.count("## Audit") == 1 and "Dr. Test" in card and "config_name: negate" in card

    # recording the same verdicts again replaces the entry; another reviewer's is added beside it
    assert _in_process(capsys, "audit", "score", verdicts, "--build", build, "--write")[0] == 0
    assert len(json.loads((build / "manifest.json").read_text())["audits"]) == 1
    second = _write(tmp_path / "second.json", _judge(sheet_state(sheet), reviewer="Dr. Two"))
    assert _in_process(capsys, "audit", "score", second, "--build", build, "--write")[0] == 0
    assert [a["reviewer"] for a in json.loads((build / "manifest.json").read_text())["audits"]] == [
        "Dr. Test",
        "Dr. Two",
    ]
    card = (build / "README.md").read_text()
    assert card.count("## Audit") == 1 and "Dr. Two" in card and "Dr. Test" in card


def _one_line_error(result, *fragments: str) -> None:
    code, stderr = (result.returncode, result.stderr) if hasattr(result, "returncode") else result
    assert code != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _in_process(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    """The CLI's ``main`` in this process (the cheap way to try many bad inputs): (exit code, stderr)."""
    try:
        main([str(arg) for arg in args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    return code, capsys.readouterr().err


def test_bad_verdict_files_are_one_line_errors(build: Path, tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.html"
    assert _in_process(capsys, "audit", "sample", build, "--n", "10", "--seed", "1", "--out", sheet)[0] == 0
    good = _judge(sheet_state(sheet))
    recorded = (build / "manifest.json").read_bytes(), (build / "README.md").read_bytes()

    bad_verdict = json.loads(json.dumps(good))
    bad_verdict["items"][0]["verdict"] = "maybe"
    _one_line_error(run_cli("audit", "score", _write(tmp_path / "a.json", bad_verdict)), "items.0.verdict")

    dropped = json.loads(json.dumps(good))
    dropped["items"].pop()
    _one_line_error(_in_process(capsys, "audit", "score", _write(tmp_path / "b.json", dropped)), "not the sample")

    (tmp_path / "c.json").write_text("{not json")
    _one_line_error(_in_process(capsys, "audit", "score", tmp_path / "c.json"), "not a JSON verdict file")

    changed = json.loads(json.dumps(good))
    changed["items"][0]["variant_sha256"] = "0" * 16
    _one_line_error(
        _in_process(capsys, "audit", "score", _write(tmp_path / "d.json", changed), "--build", build),
        "different variant text",
    )

    unjudged = json.loads(json.dumps(good))
    unjudged["items"][0]["verdict"] = None
    path = _write(tmp_path / "e.json", unjudged)
    assert _in_process(capsys, "audit", "score", path)[0] == 0  # a partial sheet can be looked at
    _one_line_error(_in_process(capsys, "audit", "score", path, "--build", build, "--write"), "no verdict")

    anonymous = _write(tmp_path / "f.json", {**good, "reviewer": ""})
    _one_line_error(_in_process(capsys, "audit", "score", anonymous, "--build", build, "--write"), "no reviewer")
    _one_line_error(_in_process(capsys, "audit", "score", _write(tmp_path / "g.json", good), "--write"), "--build")
    _one_line_error(_in_process(capsys, "audit", "sample", build, "--n", "0", "--out", tmp_path / "x.html"), "--n")
    _one_line_error(_in_process(capsys, "audit", "sample", build, "--out", sheet), "exists")
    _one_line_error(
        _in_process(capsys, "audit", "sample", tmp_path / "nowhere", "--out", tmp_path / "y.html"), "nowhere"
    )
    assert ((build / "manifest.json").read_bytes(), (build / "README.md").read_bytes()) == recorded


def test_verdicts_from_another_build_are_refused(build: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(build, other)
    path = next((other / "data" / "negate").glob("*.parquet"))
    table = pq.read_table(path)
    variants = table.column("variant").to_pylist()
    variants[0] = variants[0] + " "
    pq.write_table(table.set_column(table.column_names.index("variant"), "variant", [variants]), path)

    sheet = tmp_path / "sheet.html"
    assert run_cli("audit", "sample", other, "--n", "10", "--out", sheet).returncode == 0
    verdicts = _write(tmp_path / "v.json", _judge(sheet_state(sheet)))
    before = (build / "manifest.json").read_bytes()
    _one_line_error(run_cli("audit", "score", verdicts, "--build", build, "--write"), "another", "sample a sheet")
    assert (build / "manifest.json").read_bytes() == before


def test_allocation_is_equal_per_op_and_moves_what_a_small_op_cannot_take() -> None:
    assert allocate({"negate": 100, "omit": 100, "affirm": 100}, 60) == {"affirm": 20, "negate": 20, "omit": 20}
    assert allocate({"negate": 100, "severity": 5, "omit": 100}, 60) == {"negate": 28, "omit": 27, "severity": 5}
    assert allocate({"negate": 2, "omit": 1}, 60) == {"negate": 2, "omit": 1}


def test_a_sample_depends_on_its_seed_only(build: Path) -> None:
    first, again, other = (draw_sample(build, 10, seed) for seed in (5, 5, 6))
    assert first.keys == again.keys and first.sample_sha256 == again.sample_sha256
    assert first.keys != other.keys
    assert {item.op for item in draw_sample(build, 6, 0, ops=["negate", "omit"]).items} == {"negate", "omit"}


def test_wilson_interval_is_scipys() -> None:
    from scipy.stats import binomtest

    for count, n in ((15, 60), (0, 12), (12, 12), (1, 3), (38, 120)):
        expected = binomtest(count, n).proportion_ci(confidence_level=0.95, method="wilson")
        rate = wilson(count, n)
        assert (rate.low, rate.high) == pytest.approx((expected.low, expected.high), abs=1e-9)
    assert wilson(0, 12).low == 0 and 0.2 < wilson(0, 12).high < 0.3
    assert wilson(0, 0).value is None and wilson(0, 0).text() == "-"


def test_highlight_marks_changed_words_inside_recorded_spans() -> None:
    original = "FINDINGS: Small left pleural effusion. Mild cardiomegaly.\nIMPRESSION: Effusion."
    start = original.index("Small")
    end = original.index(".", start) + 1
    change = ChangeRecord(start=start, end=end, before=original[start:end], after="No pleural effusion.")
    variant = original[:start] + change.after + original[end:]
    left, right = highlight(original, variant, [change])
    assert "".join(p.text for p in left) == original and "".join(p.text for p in right) == variant
    assert [p.text for p in left if p.kind == REMOVED] == ["Small left"]
    assert [p.text for p in right if p.kind == ADDED] == ["No"]
    assert any(p.kind == EDITED and "pleural effusion." in p.text for p in right)
    assert left[-1] == (SAME, " Mild cardiomegaly.\nIMPRESSION: Effusion.")

    omitted = original[:start] + original[end + 1 :]
    cut = ChangeRecord(start=start, end=end + 1, before=original[start : end + 1], after="")
    left, right = highlight(original, omitted, [cut])
    assert any(p.kind == GAP for p in right) and "".join(p.text for p in right) == omitted

    # changes that do not replay onto the variant: a word diff of the whole text stands in
    left, right = highlight(original, variant, [cut])
    assert "".join(p.text for p in right) == variant and any(p.kind == ADDED for p in right)


def test_the_sheet_escapes_report_text_and_embeds_its_state_safely(build: Path) -> None:
    import dataclasses

    from cxralign.audit.sheet import render_sheet

    drawn = draw_sample(build, 3, 0)
    hostile = "FINDINGS: <script>alert(1)</script> </script><b>x</b>\nIMPRESSION: Normal."
    item = drawn.items[0].model_copy(update={"original": hostile, "variant": hostile + " More.", "changes": []})
    html = render_sheet(dataclasses.replace(drawn, items=(item, *drawn.items[1:])))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count("<script") == 2  # the embedded state and the sheet's own code, nothing else
    assert '<b class="hd">FINDINGS:</b>' in html and '<b class="hd">IMPRESSION:</b>' in html
