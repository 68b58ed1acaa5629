"""``cxralign eval --nproc 2`` (torchrun, 2 CPU processes on gloo): identical metrics to one process,
each rank embeds about half of the items, and only rank 0 writes result files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_api import TESTS, cli

import cxralign

pytestmark = pytest.mark.slow  # two torchrun workers importing torch (~15 s on 2 cores)


@pytest.fixture(scope="module")
def bench(phantom_dataset_medium, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "bench"
    cxralign.build("phantoms", phantom_dataset_medium, out)
    return out


def test_two_processes_score_exactly_what_one_process_scores(bench, tmp_path):
    counts = tmp_path / "counts"
    counts.mkdir()
    done = cli(
        "eval", "--nproc", "2", "-m", f"python:_api_support:counting@{counts}", "--tasks", "cxr-align",
        "--data", f"cxr-align={bench}", "--out", str(tmp_path / "sharded"), "--device", "cpu",
        "--no-cache", "--bootstrap", "200", "--no-html",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.count("cxralign eval") == 1  # one summary table, printed by rank 0

    sys.path.insert(0, str(TESTS))
    try:
        import _api_support as support
    finally:
        sys.path.remove(str(TESTS))
    single = cxralign.evaluate((support.encode_images, support.encode_texts), name="single",
                               tasks="cxr-align", data={"cxr-align": bench}, device="cpu",
                               bootstrap=200, cache=False)  # fmt: skip

    written = sorted((tmp_path / "sharded").rglob("*.json"))
    assert [p.name for p in written] == sorted(f"{r.split}.json" for r in single)
    for result in single:
        (path,) = [p for p in written if p.name == f"{result.split}.json"]
        stored = json.loads(path.read_text())
        assert stored["metrics"] == {k: m.model_dump() for k, m in result.metrics.items()}
        assert stored["scores_sha256"] == result.scores_sha256
        assert stored["environment"]["world_size"] == "2"

    ranks = [json.loads((counts / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["writes"] == len(single) and ranks[1]["writes"] == 0
    for kind, probe in (("images", 1), ("texts", 2)):  # each rank's fingerprint embeds a fixed probe
        embedded = [rank[kind] - probe for rank in ranks]
        assert sum(embedded) >= 8
        assert sorted(embedded) == [sum(embedded) // 2, (sum(embedded) + 1) // 2], (kind, ranks)
