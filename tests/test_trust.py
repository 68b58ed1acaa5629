"""Nothing loads a pickle, images are read upright or refused, killed writes leave nothing for long,
and CI's validation gate fails on a tampered submission."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cxralign.errors import CxrAlignError, InputError
from tests._console import CONSOLE_SCRIPT, run_cli
from tests.test_cli_faults import REPO, Pwn, bomb_png


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkpoint whose unpickling would create ``PWNED`` in the working directory."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "payload": Pwn()}, path)
    yield path
    assert not (tmp_path / "PWNED").exists(), "a pickle was executed"


def _one_line(error: BaseException) -> str:
    text = str(error)
    assert text and "\n" not in text
    return text


def test_no_code_path_loads_a_full_pickle() -> None:
    pattern = re.compile(r"weights_only\s*=\s*False|pickle\.loads?\(|allow_pickle\s*=\s*True|read_pickle")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("cxralign", "benchmarks", "leaderboard")
        for path in (REPO / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("trust", [False, True])
def test_model_checkpoints_refuse_hostile_pickles(hostile: Path, trust: bool) -> None:
    from cxralign.models.checkpoints import read_checkpoint
    from cxralign.models.errors import CheckpointError

    with pytest.raises(CheckpointError) as info:
        read_checkpoint(hostile, trust_checkpoint=trust)
    assert str(hostile) in _one_line(info.value)


@pytest.mark.parametrize(
    "spec", ["chexzero:{p}", "open_clip:cxralign-tiny-vit@{p}", "mgca:{p}", "convirt:{p}", "zoo:chexzero@{p}"]
)
def test_every_model_scheme_refuses_hostile_pickles(hostile: Path, spec: str) -> None:
    from cxralign.models import load_model

    with pytest.raises(CxrAlignError) as info:
        load_model(spec.format(p=hostile), device="cpu")
    _one_line(info.value)


def test_trusted_foreign_objects_load_as_inert_placeholders(tmp_path: Path) -> None:
    from cxralign.models.checkpoints import read_checkpoint

    path = tmp_path / "ckpt.pt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "config": Image.new("L", (1, 1))}, path)
    loaded = read_checkpoint(path, trust_checkpoint=True)
    assert torch.equal(loaded["state_dict"]["w"], torch.ones(2))
    assert type(loaded["config"]).__module__ == "PIL.Image" and not isinstance(loaded["config"], Image.Image)


def test_reference_image_checkpoint_refuses_hostile_pickles(hostile: Path) -> None:
    from cxralign.train.model import ReferenceModel

    model = ReferenceModel.__new__(ReferenceModel)
    with pytest.raises(InputError) as info:
        ReferenceModel.load_image_checkpoint(model, str(hostile))
    assert "evil.pt" in _one_line(info.value)


def test_training_state_round_trips_without_pickle(tmp_path: Path) -> None:
    from cxralign.train.checkpoint import STATE_FILE, load_state, save_state

    state = {
        "step": 3,
        "losses": [1.5, float("inf")],
        "optimizer": {"state": {0: {"exp_avg": torch.randn(3, 2)}}, "param_groups": [{"lr": 0.1, "params": [0]}]},
        "rng": [{"python": (3, tuple(range(5)), None), "numpy": ("MT19937", np.arange(4, dtype=np.uint32), 2, 0, 0.0),
                 "torch": torch.get_rng_state()}],
    }  # fmt: skip
    save_state(tmp_path, state)
    json.loads((tmp_path / STATE_FILE).read_text())  # plain JSON beside plain tensors
    loaded = load_state(tmp_path)
    assert loaded["optimizer"]["state"][0]["exp_avg"].equal(state["optimizer"]["state"][0]["exp_avg"])
    assert loaded["rng"][0]["python"] == state["rng"][0]["python"]
    assert loaded["rng"][0]["numpy"][1].dtype == np.uint32 and loaded["rng"][0]["torch"].equal(torch.get_rng_state())
    assert loaded["losses"] == [1.5, float("inf")] and loaded["optimizer"]["param_groups"][0]["params"] == [0]


def test_legacy_pickled_training_state_is_never_loaded(hostile: Path, tmp_path: Path) -> None:
    from cxralign.train.checkpoint import latest_checkpoint

    step = tmp_path / "checkpoints" / "step-000001"
    step.mkdir(parents=True)
    shutil.copy(hostile, step / "state.pt")
    (tmp_path / "checkpoints" / "latest.json").write_text(json.dumps({"step": 1, "path": step.name}))
    with pytest.raises(InputError, match="never loaded"):
        latest_checkpoint(tmp_path / "checkpoints")


def test_embedding_cache_refuses_pickled_arrays(tmp_path: Path) -> None:
    from cxralign.models.cache import EmbeddingCache
    from cxralign.utils.hashing import sha256_bytes

    cache = EmbeddingCache(tmp_path / "cache")
    cache.put("k" * 64, ids=["a"], embeddings=np.zeros((1, 2), dtype=np.float32))
    entry = cache._entry_dir("k" * 64)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Pwn()], dtype=object), allow_pickle=True)
    (entry / "embeddings.npy").write_bytes(buffer.getvalue())
    meta = json.loads((entry / "entry.json").read_text())
    meta["sha256"] = sha256_bytes(buffer.getvalue())
    (entry / "entry.json").write_text(json.dumps(meta))
    assert cache.get("k" * 64) is None and not Path("PWNED").exists()


def test_images_are_read_upright_and_bombs_refused(tmp_path: Path) -> None:
    from cxralign.data.images import load_image

    image = Image.new("L", (40, 20), 0)
    image.paste(255, (0, 0, 10, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image.save(tmp_path / "phone.jpg", exif=exif)
    assert load_image(tmp_path / "phone.jpg").size == (20, 40)
    bomb_png(tmp_path / "bomb.png")
    with pytest.raises(InputError, match="bomb.png: refused as a decompression bomb"):
        load_image(tmp_path / "bomb.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "bomb.png").read_bytes()[:20])
    with pytest.raises(InputError, match="cut.png"):
        load_image(tmp_path / "cut.png")


def test_killed_build_leaves_a_temporary_the_next_run_removes(tmp_path: Path) -> None:
    env = {**os.environ, "CXRALIGN_NO_PROGRESS": "1"}
    args = [str(CONSOLE_SCRIPT), "data", "phantoms", "--out", "ph", "--size", "64"]
    writer = subprocess.Popen([*args, "--n", "20000"], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".ph.*.tmp")) and time.monotonic() < deadline and writer.poll() is None:
        time.sleep(0.1)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert list(tmp_path.glob(".ph.*.tmp")), "the killed run left no temporary (test did not interrupt it)"
    done = run_cli("data", "phantoms", "--out", "ph", "--size", "64", "--n", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ph"]


def test_a_live_writers_temporary_is_kept(tmp_path: Path) -> None:
    from cxralign.utils.atomic import remove_stale_temporaries

    live = tmp_path / f".out.{os.getppid()}.abc.tmp"
    dead = tmp_path / ".out.999999999.abc.tmp"
    live.mkdir()
    dead.mkdir()
    assert remove_stale_temporaries(tmp_path / "out") == [dead]
    assert live.exists() and not dead.exists()


def _ci_copy(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The CI script in a copy of the repository, with make and chromium stubbed and the real console script."""
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", repo / ".ci" / "run")
    (repo / "Makefile").write_text("install:\n\t@true\ntest:\n\t@touch TESTS-RAN\n")
    shutil.copytree(REPO / "leaderboard" / "submissions", repo / "leaderboard" / "submissions")
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "cxralign").symlink_to(CONSOLE_SCRIPT)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "chromium").write_text("#!/bin/sh\nexit 0\n")
    (stubs / "chromium").chmod(0o755)
    return repo, {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}


def test_ci_gate_fails_on_a_tampered_submission(tmp_path: Path) -> None:
    repo, env = _ci_copy(tmp_path)
    honest = subprocess.run(["bash", ".ci/run"], cwd=repo, env=env, capture_output=True, text=True)
    assert honest.returncode == 0 and (repo / "TESTS-RAN").exists(), honest.stderr
    (repo / "TESTS-RAN").unlink()
    path = next((repo / "leaderboard" / "submissions").glob("*/submission.json"))
    data = json.loads(path.read_text())
    task = data["tasks"][0]
    task["metrics"][task["main_score"]]["value"] = min(1.0, task["metrics"][task["main_score"]]["value"] + 0.1)
    path.write_text(json.dumps(data, indent=2))
    tampered = subprocess.run(["bash", ".ci/run"], cwd=repo, env=env, capture_output=True, text=True)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "does not match its scores" in tampered.stdout and not (repo / "TESTS-RAN").exists()
