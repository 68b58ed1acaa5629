"""``cxralign label`` with exact duplicate reports and several workers, through the console script."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from cxralign.reports.label_job import BATCH

SENTENCES = [
    "No pleural effusion.", "Small left pleural effusion.", "Possible right lower lobe pneumonia.",
    "No consolidation to suggest pneumonia.", "Heart size is borderline to mildly enlarged.",
    "History of pneumothorax.", "Probable atelectasis at the left base.", "",
]  # fmt: skip


def _cxralign() -> str:
    found = shutil.which("cxralign", path=str(Path(sys.executable).parent)) or shutil.which("cxralign")
    assert found, "the cxralign console script is not installed"
    return found


def _run(corpus: Path, out: Path, explain: Path, workers: int) -> None:
    command = [
        _cxralign(),
        "label",
        str(corpus),
        "--out",
        str(out),
        "--explain",
        str(explain),
        "--vocab",
        "cxr14",
    ]
    done = subprocess.run([*command, "--workers", str(workers)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_duplicates_and_workers_give_the_same_rows_and_explanations(tmp_path: Path) -> None:
    corpus = tmp_path / "reports.jsonl"
    n = BATCH + 700  # two batches: duplicates on both sides of the boundary
    with open(corpus, "w", encoding="utf-8") as handle:
        for i in range(n):
            text = " ".join(SENTENCES[(i * k) % len(SENTENCES)] for k in (1, 3)) if i % 5 else f"Nodule {i}."
            handle.write(json.dumps({"id": f"r{i}", "text": text}) + "\n")
    outputs = {}
    for workers in (1, 2):
        out, explain = tmp_path / f"labels{workers}.csv", tmp_path / f"explain{workers}.jsonl"
        _run(corpus, out, explain, workers)
        outputs[workers] = (out.read_bytes(), explain.read_bytes())
    assert outputs[1] == outputs[2]
    with open(tmp_path / "labels1.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["filename"] for row in rows] == [f"r{i}" for i in range(n)]
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    first_row = {}
    for text, row in zip(texts, rows, strict=True):  # an exact duplicate gets exactly the same labels
        assert first_row.setdefault(text, {k: v for k, v in row.items() if k != "filename"}) == {
            k: v for k, v in row.items() if k != "filename"
        }
    mentions = [json.loads(line) for line in (tmp_path / "explain1.jsonl").read_text().splitlines()]
    assert {m["report_id"] for m in mentions} >= {"r1", f"r{n - 1}"}  # each report's own id, memo or not
    # r3: "No consolidation to suggest pneumonia. Small left pleural effusion."
    assert (rows[3]["Pneumonia"], rows[3]["Consolidation"], rows[3]["Effusion"]) == ("0.0", "0.0", "1.0")
