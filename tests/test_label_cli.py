"""``cxralign label`` end to end, and the CLI foundation (--version, one-line errors)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxralign import __version__
from cxralign.cli import _register_commands, app, main
from cxralign.data.corpora import ReportRecord
from cxralign.reports.label_job import label_corpus
from cxralign.vocab import CHEXPERT_14, CXR14

FIXTURES = Path(__file__).parent / "fixtures" / "corpora"
runner = CliRunner()
_register_commands()


def _label(*args: str | Path) -> tuple[object, dict[str, dict[str, str]], list[str]]:
    """Run ``cxralign label`` in-process; return the result, rows by id and the header."""
    result = runner.invoke(app, ["label", *map(str, args)])
    assert result.exit_code == 0, (result.output, result.exception)
    out = Path(args[args.index("--out") + 1])
    with open(out, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {row["filename"]: row for row in reader}
        header = list(reader.fieldnames or [])
    return result, rows, header


def _run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- foundation -----------------------------------------------------------------------------------


def test_version_and_help() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"cxralign {__version__}"
    help_text = runner.invoke(app, ["--help"]).output
    assert "label" in help_text


def test_console_script_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_main(["--version"], capsys)
    assert (code, out.strip()) == (0, f"cxralign {__version__}")


def test_user_error_is_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_main(
        ["label", str(FIXTURES / "reports.csv"), "--out", str(tmp_path / "l.csv"), "--text-column", "body"],
        capsys,
    )
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {FIXTURES / 'reports.csv'}: no text column 'body'; columns are 'id', 'report', 'patient_id'"
    ]
    assert not (tmp_path / "l.csv").exists()


def test_usage_error_exits_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_main(["label", str(FIXTURES / "reports.csv")], capsys)
    assert code == 2
    assert "Missing option '--out'" in err and "Traceback" not in err


# --- labelling --------------------------------------------------------------------------------------


def test_csv_labels_like_the_chexpert_labeler(tmp_path: Path) -> None:
    out = tmp_path / "labels.csv"
    result, rows, header = _label(FIXTURES / "reports.csv", "--out", out)
    assert header == ["filename", *CHEXPERT_14]
    assert list(rows) == ["r1", "r2", "r3", "r4"]
    assert rows["r1"]["Pleural Effusion"] == "0.0" and rows["r1"]["Pneumothorax"] == "0.0"
    assert rows["r1"]["Cardiomegaly"] == "0.0"  # "heart size is normal" denies cardiomegaly
    assert rows["r2"]["Pleural Effusion"] == "1.0" and rows["r2"]["Cardiomegaly"] == "1.0"
    assert rows["r2"]["No Finding"] == ""
    assert rows["r3"]["Pneumonia"] == "-1.0" and rows["r3"]["Atelectasis"] == "-1.0"
    assert all(value == "" for key, value in rows["r4"].items() if key != "filename")  # empty report
    assert "4 reports labelled" in result.output
    assert "1 empty reports got blank rows" in result.output


def test_explain_lists_every_mention_with_spans(tmp_path: Path) -> None:
    out, explain = tmp_path / "labels.csv", tmp_path / "explain.jsonl"
    _label(FIXTURES / "reports.csv", "--out", out, "--explain", explain)
    texts = {
        row["id"]: row["report"]
        for row in csv.DictReader(io.StringIO((FIXTURES / "reports.csv").read_text()))
    }
    mentions = [json.loads(line) for line in explain.read_text().splitlines()]
    assert {m["report_id"] for m in mentions} == {"r1", "r2", "r3"}
    for m in mentions:
        assert texts[m["report_id"]][m["start"] : m["end"]] == m["text"]
        assert m["decision"] in {"positive", "negated", "uncertain"}
        assert set(m["attributes"]) == {"laterality", "severity", "location"}
    effusion = next(m for m in mentions if m["report_id"] == "r2" and m["labels"] == ["Pleural Effusion"])
    assert effusion["decision"] == "positive"
    assert effusion["attributes"]["laterality"] == "right" and effusion["attributes"]["severity"] == "large"
    negated = next(m for m in mentions if m["report_id"] == "r1" and m["labels"] == ["Pneumothorax"])
    assert negated["decision"] == "negated" and negated["cue"]["kind"] == "negation"


def test_cxr14_vocabulary_columns(tmp_path: Path) -> None:
    _, rows, header = _label(FIXTURES / "reports.jsonl", "--out", tmp_path / "l.csv", "--vocab", "cxr14")
    assert header == ["filename", *CXR14]
    assert rows["7"]["Cardiomegaly"] == "1.0" and rows["7"]["Edema"] == "1.0"
    assert all(v == "" for k, v in rows["9"].items() if k != "filename")


def test_mimic_zip_with_sections_and_skips(tmp_path: Path) -> None:
    root = tmp_path / "mimic"
    shutil.copytree(FIXTURES / "mimic", root)
    (root / "files/p11/p11000011/s51029426.txt").write_bytes(b"FINDINGS: Lungs are clear\xff.\n")
    (root / "files/p10/p10000764/s59999999.txt").symlink_to(tmp_path / "gone.txt")
    _, rows, _ = _label(root, "--out", tmp_path / "all.csv")
    assert list(rows) == ["s50414267", "s53189527", "s57375967", "s51029426"]
    assert rows["s53189527"]["Atelectasis"] == "1.0" and rows["s53189527"]["Pleural Effusion"] == "1.0"
    assert rows["s50414267"]["Pleural Effusion"] == "0.0"
    result, rows, _ = _label(root, "--out", tmp_path / "impression.csv", "--sections", "impression")
    assert rows["s53189527"]["Atelectasis"] == "" and rows["s53189527"]["Pleural Effusion"] == "1.0"
    assert "skipped 2 inputs:" in result.output
    assert "files/p10/p10000764/s59999999.txt: unreadable" in result.output
    assert "replaced 1 undecodable byte sequences in files/p11/p11000011/s51029426.txt" in result.output

    archive = tmp_path / "mimic-cxr-reports.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted((FIXTURES / "mimic").rglob("*.txt")):
            handle.write(path, path.relative_to(FIXTURES / "mimic").as_posix())
    _, zip_rows, _ = _label(archive, "--out", tmp_path / "zip.csv")
    assert zip_rows["s53189527"] == _label(FIXTURES / "mimic", "--out", tmp_path / "tree.csv")[1]["s53189527"]


def test_openi_tgz_and_default_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site/torchxrayvision"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    with tarfile.open(package / "data/NLMCXR_reports.tgz", "w:gz") as handle:
        handle.add(FIXTURES / "openi", arcname=".")
    _, rows, _ = _label(package / "data/NLMCXR_reports.tgz", "--out", tmp_path / "a.csv")
    assert list(rows) == ["CXR1", "CXR2", "CXR10"]
    assert rows["CXR1"]["No Finding"] == "1.0"
    assert rows["CXR2"]["Pleural Effusion"] == "1.0" and rows["CXR2"]["Cardiomegaly"] in {"1.0", "-1.0"}
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "torchxrayvision", raising=False)
    _, default_rows, _ = _label("--source", "openi", "--out", tmp_path / "b.csv")
    assert default_rows == rows


def test_chexpert_plus_one_row_per_study(tmp_path: Path) -> None:
    _, rows, _ = _label(FIXTURES / "chexpert_plus.csv", "--out", tmp_path / "l.csv")
    assert list(rows) == ["patient00001_study1", "patient00001_study2", "patient64541_study1"]
    assert rows["patient00001_study1"]["Pleural Effusion"] == "1.0"
    assert rows["patient64541_study1"]["Support Devices"] == "1.0"


def test_duplicate_ids_fail_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,text\na,No effusion.\na,Effusion.\n")
    code, _, err = _run_main(["label", str(path), "--out", str(tmp_path / "l.csv")], capsys)
    assert code == 2 and "duplicate id 'a'" in err and "--allow-duplicate-ids" in err
    result = runner.invoke(
        app, ["label", str(path), "--out", str(tmp_path / "l.csv"), "--allow-duplicate-ids"]
    )
    assert result.exit_code == 0
    assert [row["filename"] for row in csv.DictReader(io.StringIO((tmp_path / "l.csv").read_text()))] == [
        "a",
        "a",
    ]


def test_user_lexicon_extends_the_bundled_one(tmp_path: Path) -> None:
    reports = tmp_path / "r.csv"
    reports.write_text("id,report\n1,Small left zorbulitis.\n")
    lexicon = tmp_path / "extra.yaml"
    lexicon.write_text("concepts:\n  pneumothorax:\n    terms: [zorbulitis]\n")
    _, plain, _ = _label(reports, "--out", tmp_path / "a.csv")
    _, extended, _ = _label(reports, "--out", tmp_path / "b.csv", "--lexicon", lexicon)
    assert plain["1"]["Pneumothorax"] == "" and extended["1"]["Pneumothorax"] == "1.0"


def test_output_is_atomic_when_the_job_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, explain = tmp_path / "labels.csv", tmp_path / "explain.jsonl"
    out.write_text("previous run\n")
    calls = {"n": 0}

    from cxralign.reports import label_job

    original = label_job._Engine.report_labels

    def failing(self, analysis):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, analysis)

    monkeypatch.setattr(label_job._Engine, "report_labels", failing)
    records = [ReportRecord(str(i), f"Small right pleural effusion ({i}).") for i in range(5)]
    with pytest.raises(KeyboardInterrupt):
        label_corpus(records, out, explain=explain)
    assert out.read_text() == "previous run\n"
    assert not explain.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.csv"]  # no temporary files left


def test_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    shutil.copy(FIXTURES / "reports.csv", path)
    code, _, err = _run_main(["label", str(path), "--out", str(path)], capsys)
    assert code == 2 and "is the input" in err
    assert path.read_text() == (FIXTURES / "reports.csv").read_text()


def test_library_summary_counts(tmp_path: Path) -> None:
    records = [
        ReportRecord("a", "No pleural effusion. Possible pneumothorax."),
        ReportRecord("b", "Left pleural effusion."),
        ReportRecord("c", "   "),
    ]
    seen = []
    summary = label_corpus(records, tmp_path / "l.csv", on_report=lambda: seen.append(1))
    assert (summary.n_reports, summary.n_empty, len(seen)) == (3, 1, 3)
    effusion = summary.findings["Pleural Effusion"]
    assert (effusion.mentions, effusion.negated, effusion.positive) == (2, 1, 1)
    assert (effusion.reports_positive, effusion.reports_negative) == (1, 1)
    assert summary.findings["Pneumothorax"].reports_uncertain == 1
    assert summary.skipped == [] and summary.reports_per_second > 0


def test_several_workers_give_the_same_rows_in_order(tmp_path: Path) -> None:
    _, one, _ = _label(FIXTURES / "mimic", "--out", tmp_path / "one.csv")
    _, two, _ = _label(FIXTURES / "mimic", "--out", tmp_path / "two.csv", "--workers", "2")
    assert list(two) == list(one) and two == one
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
