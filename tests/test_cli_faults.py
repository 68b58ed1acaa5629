"""The fault catalogue: user mistakes and hostile inputs through the installed ``cxralign`` command.

Each fault runs the console script in a subprocess, in a folder of its own, and must
give its exit code, exactly one error line (``error:`` or ``failed:``) with no
traceback, and leave the folder as it was: nothing written, nothing lost, nothing
executed (hostile pickles try to create ``PWNED``). docs/reliability.md lists this
table; keep the two in step.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import struct
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from PIL import Image

from tests._console import assert_one_error, run_cli

REPO = Path(__file__).resolve().parent.parent
REPORTS = [
    "There is a small left pleural effusion. No pneumothorax.",
    "Heart size is normal. The lungs are clear.",
    "Moderate cardiomegaly. No focal consolidation.",
]


class Pwn:
    """A pickle that runs a shell command when loaded: nothing may ever load it."""

    def __reduce__(self):  # noqa: ANN204
        return (os.system, ("touch PWNED",))


def bomb_png(path: Path) -> None:
    """A ~100 byte PNG whose header claims 100000 x 100000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)))


def write_reports(path: Path, rows: list[list[str]] | None = None, header: tuple[str, ...] = ("id", "report")) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows if rows is not None else [[f"r{i}", text] for i, text in enumerate(REPORTS)])


def train_csv_with_bomb(w: Path) -> None:
    bomb_png(w / "bomb.png")
    for i in range(3):
        Image.new("L", (32, 32), 60 * i).save(w / f"ok{i}.png")
    write_reports(
        w / "train.csv",
        [["bomb.png", REPORTS[0]], *[[f"ok{i}.png", REPORTS[i]] for i in range(3)]],
        header=("image_path", "report"),
    )


def eval_csv_with_bomb(w: Path) -> None:
    bomb_png(w / "bomb.png")
    rows = [["bomb.png", "Cardiomegaly", "test"]]
    for i in range(6):
        Image.new("L", (32, 32), 40 * i).save(w / f"x{i}.png")
        rows.append([f"x{i}.png", "Cardiomegaly" if i % 2 else "Edema", "test"])
    write_reports(w / "labels.csv", rows, header=("image_path", "label", "split"))


def evil_checkpoint(w: Path) -> None:
    torch.save({"state_dict": {"w": torch.zeros(1)}, "payload": Pwn()}, w / "evil.pt")


def legacy_training_state(w: Path) -> None:
    """A run directory whose checkpoint state is a (hostile) pickle, as older versions wrote."""
    step = w / "run" / "checkpoints" / "step-000002"
    step.mkdir(parents=True)
    torch.save({"step": 2, "payload": Pwn()}, step / "state.pt")
    (w / "run" / "checkpoints" / "latest.json").write_text(json.dumps({"step": 2, "path": step.name}))


def corrupt_training_state(w: Path) -> None:
    step = w / "run" / "checkpoints" / "step-000002"
    step.mkdir(parents=True)
    (step / "state.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    (step / "state.json").write_text("{}")
    (w / "run" / "checkpoints" / "latest.json").write_text(json.dumps({"step": 2, "path": step.name}))


def tampered_submission(w: Path) -> None:
    source = REPO / "leaderboard" / "submissions" / "reference-tiny-clip"
    shutil.copytree(source, w / "subs" / source.name)
    path = w / "subs" / source.name / "submission.json"
    data = json.loads(path.read_text())
    task = data["tasks"][0]
    task["metrics"][task["main_score"]]["value"] = 0.999
    path.write_text(json.dumps(data, indent=2))


def badly_named_submission(w: Path) -> None:
    source = REPO / "leaderboard" / "submissions" / "reference-tiny-clip"
    shutil.copytree(source, w / "subs" / source.name)
    path = w / "subs" / source.name / "submission.json"
    data = json.loads(path.read_text())
    data["name"] = "Bad Name!"
    path.write_text(json.dumps(data, indent=2))


def official_json(w: Path, text: str) -> None:
    (w / "cxr-align.json").write_text(text)


@dataclass
class Fault:
    id: str
    args: list[str]
    code: int
    fragments: tuple[str, ...]
    setup: Callable[[Path], None] = lambda w: None
    may_write: tuple[str, ...] = ()  # paths (relative) a fault may leave, each a documented cache
    stdout: tuple[str, ...] = ()  # fragments the detail lines on stdout must hold
    result: object = field(default=None, repr=False)


FAULTS = [
    # report inputs
    Fault("label-missing-input", ["label", "missing.csv", "-o", "out.csv"], 2, ("missing.csv", "no such file")),
    Fault("label-empty-csv", ["label", "empty.csv", "-o", "out.csv"], 2, ("empty.csv",),
          setup=lambda w: (w / "empty.csv").write_text("")),
    Fault("label-no-report-column", ["label", "r.csv", "-o", "out.csv"], 2, ("r.csv",),
          setup=lambda w: write_reports(w / "r.csv", [["a", "b"]], header=("id", "impression_text"))),
    Fault("label-broken-jsonl", ["label", "r.jsonl", "-o", "out.csv"], 2, ("r.jsonl:2", "not valid JSON"),
          setup=lambda w: (w / "r.jsonl").write_text('{"id": "a", "report": "Edema."}\n{broken\n')),
    Fault("label-output-is-input", ["label", "r.csv", "-o", "r.csv"], 2, ("r.csv",),
          setup=lambda w: write_reports(w / "r.csv")),
    Fault("label-unknown-vocab", ["label", "r.csv", "-o", "out.csv", "--vocab", "icd10"], 2, ("icd10",),
          setup=lambda w: write_reports(w / "r.csv")),
    # datasets and images
    Fault("phantoms-zero-studies", ["data", "phantoms", "--out", "ph", "--n", "0"], 2, ("at least one study",)),
    Fault("phantoms-size-out-of-range", ["data", "phantoms", "--out", "ph", "--n", "4", "--size", "5"], 2,
          ("image size",)),
    Fault("phantoms-unknown-difficulty", ["data", "phantoms", "--out", "ph", "--n", "4", "--difficulty", "brutal"],
          2, ("brutal",)),
    Fault("phantoms-output-not-empty", ["data", "phantoms", "--out", "ph", "--n", "4", "--size", "64"], 2,
          ("--overwrite",), setup=lambda w: (w / "ph").mkdir() or (w / "ph" / "keep.txt").write_text("mine")),
    Fault("train-decompression-bomb", ["train-reference", "--data", "csv=train.csv", "--steps", "2", "--out", "run"],
          2, ("bomb.png", "decompression bomb"), setup=train_csv_with_bomb, may_write=("run/prepared",)),
    # builds
    Fault("build-missing-corpus", ["build", "--source", "csv", "--root", "missing.csv", "--out", "b"], 2,
          ("missing.csv",)),
    Fault("build-unknown-source", ["build", "--source", "dicomweb", "--root", "r.csv", "--out", "b"], 2,
          ("dicomweb",), setup=lambda w: write_reports(w / "r.csv")),
    Fault("build-unknown-op", ["build", "--source", "csv", "--root", "r.csv", "--out", "b", "--ops", "negate,invert"],
          2, ("invert",), setup=lambda w: write_reports(w / "r.csv")),
    Fault("build-output-not-empty", ["build", "--source", "csv", "--root", "r.csv", "--out", "b"], 2,
          ("--overwrite",), setup=lambda w: write_reports(w / "r.csv") or (w / "b").mkdir()
          or (w / "b" / "keep.txt").write_text("mine")),
    Fault("official-missing-file", ["build", "--import-official", "none.json", "--out", "b"], 2, ("none.json",)),
    Fault("official-not-json", ["build", "--import-official", "cxr-align.json", "--out", "b"], 2,
          ("not valid JSON",), setup=lambda w: official_json(w, "{broken")),
    Fault("official-wrong-shape", ["build", "--import-official", "cxr-align.json", "--out", "b"], 2,
          ("expected",), setup=lambda w: official_json(w, "[1, 2]")),
    Fault("official-images-not-a-folder", ["build", "--import-official", "cxr-align.json", "--images", "nope",
          "--out", "b"], 2, ("nope",), setup=lambda w: official_json(w, json.dumps(
              {"m": {"d1": {"report": "Edema.", "chosen": "Edema", "negation": "No edema.", "omitted": ""}}}))),
    # models
    Fault("model-bare-open-clip-is-random", ["models", "check", "open_clip:ViT-B-32"], 2,
          ("open_clip:ViT-B-32@random", "@/path/to/ckpt.pt", "@<pretrained tag>")),
    Fault("model-unknown-architecture", ["models", "check", "open_clip:ViT-B-33@random"], 2, ("ViT-B-33",)),
    Fault("model-unknown-scheme", ["models", "check", "openclip2:foo"], 2, ("openclip2",)),
    Fault("model-unknown-zoo-name", ["models", "check", "zoo:chexzer0"], 2, ("did you mean chexzero",)),
    Fault("model-hf-missing-folder", ["models", "check", "hf:/nonexistent/dir"], 2, ("no such folder",)),
    Fault("model-pretrained-tag-offline", ["models", "check", "open_clip:ViT-B-32@openai"], 2,
          ("not in the local Hugging Face cache",)),  # open_clip's own ERROR:root line is silenced
    Fault("model-hostile-pickle", ["models", "check", "open_clip:cxralign-tiny-vit@evil.pt"], 2,
          ("evil.pt", "--trust-checkpoint"), setup=evil_checkpoint),
    Fault("model-hostile-pickle-trusted", ["models", "check", "open_clip:cxralign-tiny-vit@evil.pt",
          "--trust-checkpoint"], 2, ("evil.pt", "refused"), setup=evil_checkpoint),
    Fault("model-hostile-pickle-zoo", ["models", "check", "zoo:chexzero@evil.pt"], 2, ("evil.pt",),
          setup=evil_checkpoint),
    Fault("model-truncated-checkpoint", ["models", "check", "open_clip:cxralign-tiny-vit@cut.pt"], 2, ("cut.pt",),
          setup=lambda w: (w / "cut.pt").write_bytes(b"PK\x03\x04trunc")),
    Fault("model-bad-precision", ["models", "check", "open_clip:cxralign-tiny-vit@random", "--precision", "fp8"],
          2, ("fp8",)),
    # eval
    Fault("eval-no-data", ["eval", "-m", "open_clip:cxralign-tiny-vit@random"], 2, ("no data",)),
    Fault("eval-data-without-path", ["eval", "-m", "open_clip:cxralign-tiny-vit@random", "--data", "phantoms"], 2,
          ("NAME=PATH",)),
    Fault("eval-bad-fractions", ["eval", "-m", "open_clip:cxralign-tiny-vit@random", "--data", "phantoms=x",
          "--fractions", "2"], 2, ("--fractions",)),
    Fault("eval-not-a-benchmark", ["eval", "-m", "open_clip:cxralign-tiny-vit@random", "--device", "cpu",
          "--tasks", "cxr-align", "--data", "cxr-align=not[red]bench"], 1,
          ("not[red]bench", "is not a CXR-Align benchmark"), setup=lambda w: (w / "not[red]bench").mkdir()),
    Fault("eval-decompression-bomb", ["eval", "-m", "open_clip:cxralign-tiny-vit@random", "--device", "cpu",
          "--tasks", "zeroshot", "--data", "csv=labels.csv"], 1, ("bomb.png", "decompression bomb"),
          setup=eval_csv_with_bomb),
    # training
    Fault("train-resume-hostile-pickle", ["train-reference", "--resume", "--out", "run"], 2,
          ("state.pt", "never loaded"), setup=legacy_training_state),
    Fault("train-resume-corrupt-state", ["train-reference", "--resume", "--out", "run"], 2,
          ("cannot read checkpoint state",), setup=corrupt_training_state),
    Fault("train-resume-without-checkpoint", ["train-reference", "--resume", "--out", "run"], 2, ("no checkpoint",)),
    Fault("train-unknown-loss", ["train-reference", "--losses", "clip,negs", "--out", "run"], 2, ("negs",)),
    Fault("train-unknown-data-kind", ["train-reference", "--data", "dicom=/x", "--out", "run"], 2, ("dicom",)),
    Fault("train-missing-config", ["train-reference", "--config", "none.yaml", "--out", "run"], 2, ("none.yaml",)),
    # leaderboard
    Fault("leaderboard-tampered-metric", ["leaderboard", "validate", "subs"], 1, ("problem(s) in 1 submission",),
          setup=tampered_submission, stdout=("does not match its scores",)),
    Fault("leaderboard-bad-name-keeps-brackets", ["leaderboard", "validate", "subs"], 1, ("problem(s)",),
          setup=badly_named_submission, stdout=("[a-z0-9]",)),
    Fault("leaderboard-nothing-there", ["leaderboard", "validate", "nowhere"], 1, ("1 problem(s)",),
          stdout=("nowhere",)),
    Fault("leaderboard-submit-missing-results", ["leaderboard", "submit", "nothere", "--name", "x", "--out", "subs"],
          2, ("nothere",)),
    Fault("leaderboard-verify-no-submission", ["leaderboard", "verify", "nothere", "--model",
          "open_clip:cxralign-tiny-vit@random", "--data", "phantoms=x"], 2, ("nothere",)),
]  # fmt: skip


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with its content hash (folders as 'dir')."""
    state = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        state[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Fault, dict, dict, object]]:
    root = tmp_path_factory.mktemp("faults")
    prepared = []
    for fault in FAULTS:
        folder = root / fault.id
        folder.mkdir()
        fault.setup(folder)
        prepared.append((fault, folder, snapshot(folder)))

    def run(item):  # noqa: ANN001, ANN202
        fault, folder, before = item
        cache = {"CXRALIGN_CACHE_DIR": str(root / "cache")}  # the embedding cache, outside the folders
        done = run_cli(*fault.args, cwd=folder, env=cache)
        return fault.id, (fault, before, snapshot(folder), done)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, prepared))


def test_catalogue_is_large_and_unique() -> None:
    assert len(FAULTS) >= 30
    assert len({f.id for f in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize("fault_id", [f.id for f in FAULTS])
def test_fault(fault_id: str, outcomes) -> None:  # noqa: ANN001
    fault, before, after, done = outcomes[fault_id]
    assert_one_error(done, fault.code, *fault.fragments)
    for fragment in fault.stdout:
        assert fragment in done.stdout, done.stdout
    assert "PWNED" not in after, "a pickle was executed"
    allowed = {k: v for k, v in after.items() if any(k == p or k.startswith(p + os.sep) for p in fault.may_write)}
    written = {k: v for k, v in after.items() if k not in allowed}
    for prefix in fault.may_write:  # a cache's parents exist because the cache does
        for parent in Path(prefix).parents:
            written.pop(str(parent), None)
    assert written == before, f"files changed: {sorted(set(written.items()) ^ set(before.items()))}"


def test_docs_list_every_fault() -> None:
    text = (REPO / "docs" / "reliability.md").read_text()
    missing = [f.id for f in FAULTS if f"`{f.id}`" not in text]
    assert not missing, f"docs/reliability.md does not list {missing}"
