"""End-to-end runs of the evaluation harness with a tiny deterministic model on fabricated data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_tasks_support import TinyModel, write_benchmark

from cxralign.tasks import get_task, read_result, read_scores
from cxralign.tasks.runner import DataSpec, Evaluation

FINDINGS = ("Pleural Effusion", "Cardiomegaly")


def make_csv_dataset(root, n=60, seed=0):
    """Images whose brightness carries the labels, with reports (some identical), in the generic CSV layout."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        eff, card = int(rng.random() < 0.5), int(rng.random() < 0.4)
        pixels = rng.normal(100 + 80 * eff, 10, size=(16, 16))
        pixels[:, :8] += 60 * card
        path = root / "img" / f"x{k:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
        report = (
            "No acute findings."
            if not (eff or card)
            else f"{'Effusion.' if eff else ''} {'Big heart.' if card else ''} case {k}"
        )
        rows.append(
            {
                "image_path": f"img/x{k:03d}.png",
                "patient_id": f"p{k}",
                "split": ["train", "valid", "test"][k % 3],
                "Pleural Effusion": eff,
                "Cardiomegaly": card,
                "report": report,
            }
        )
    pd.DataFrame(rows).to_csv(root / "labels.csv", index=False)
    return root / "labels.csv"


@pytest.fixture()
def data_specs(tmp_path):
    csv = make_csv_dataset(tmp_path / "csvdata")
    bench_rows = []
    for k in range(6):
        bench_rows.append(
            dict(
                item_id=f"i{k}",
                image_id=f"x{k:03d}",
                image_path=str(tmp_path / f"csvdata/img/x{k:03d}.png"),
                has_image=True,
                op="negation",
                target="Pleural Effusion",
                target_present=True,
                original=f"Effusion {k}.",
                variant=f"No effusion {k}.",
                control_image_ids=[f"x{(k + 1) % 6:03d}"],
            )
        )
    bench = write_benchmark(tmp_path / "bench", bench_rows, manifest={"blind_baselines": {"negation": 0.55}})
    return [DataSpec("cxr-align", bench), DataSpec("csv", csv)]


def _evaluate(specs, out, **kw):
    evaluation = Evaluation(
        TinyModel(),
        specs,
        out,
        bootstrap=50,
        task_options={"fractions": [0.5, 1.0], "n_seeds": 2, "c_grid": [0.1, 1.0]},
        **kw,
    )
    return evaluation.run(["cxr-align", "zeroshot", "retrieval", "linear-probe"])


def test_all_tasks_write_verifiable_results(data_specs, tmp_path):
    outcomes = _evaluate(data_specs, tmp_path / "results")
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.message for o in outcomes]
    paths = sorted((tmp_path / "results").rglob("*.json"))
    assert [p.relative_to(tmp_path / "results").as_posix() for p in paths] == [
        "tiny-random/cxr-align/cxr-align/test.json",
        "tiny-random/linear-probe/csv/test.json",
        "tiny-random/retrieval/csv/test.json",
        "tiny-random/zeroshot/csv/test.json",
    ]
    for path in paths:
        result = read_result(path)
        metrics, per_group = get_task(result.task, result.task_version).metrics_from_scores(
            read_scores(path), result.config
        )
        assert (metrics, per_group) == (result.metrics, result.per_group)
        assert result.main_score in result.metrics
        assert result.environment["torch"] and result.toolkit.version
    zs = read_result(tmp_path / "results/tiny-random/zeroshot/csv/test.json")
    assert zs.config["thresholds"] is not None and zs.config["threshold_split"] == "valid"
    assert zs.config["data_options"]["uncertain"] == "ignore"
    assert "f1.mean" in zs.metrics


def test_two_runs_same_seed_identical_apart_from_timings(data_specs, tmp_path):
    _evaluate(data_specs, tmp_path / "a")
    _evaluate(data_specs, tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*")):
        if not path.is_file() or path.suffix == ".html":
            continue
        other = tmp_path / "b" / path.relative_to(tmp_path / "a")
        if path.suffix == ".json":
            a, b = json.loads(path.read_text()), json.loads(other.read_text())
            for doc in (a, b):
                doc.pop("timings"), doc.pop("created")
            assert a == b, path
        else:
            assert path.read_bytes() == other.read_bytes(), path


def test_resume_skips_same_config_and_reruns_changed(data_specs, tmp_path):
    _evaluate(data_specs, tmp_path / "r")
    again = _evaluate(data_specs, tmp_path / "r", resume=True)
    assert {o.status for o in again} == {"skipped"}
    changed = _evaluate(data_specs, tmp_path / "r", resume=True, seed=1)
    assert {o.status for o in changed} == {"ok"}


def test_one_failing_task_keeps_the_others(data_specs, tmp_path):
    specs = data_specs + [DataSpec("chexpert", tmp_path / "nowhere")]
    outcomes = _evaluate(specs, tmp_path / "f")
    failed = [o for o in outcomes if o.status == "failed"]
    assert failed and all("train.csv" in o.message for o in failed)
    assert sum(o.status == "ok" for o in outcomes) == 4


def test_data_spec_labels_and_duplicates(tmp_path):
    from cxralign.errors import ConfigError

    spec = DataSpec.parse("mine:csv=~/x.csv")
    assert (spec.name, spec.loader) == ("mine", "csv") and "~" not in str(spec.path)
    assert DataSpec.parse("chexpert=/d").loader == "chexpert"
    with pytest.raises(ConfigError, match="LABEL:csv=PATH"):
        Evaluation(TinyModel(), [DataSpec.parse("csv=/a"), DataSpec.parse("csv=/b")], tmp_path)
    csv = make_csv_dataset(tmp_path / "d", n=30)
    outcomes = Evaluation(
        TinyModel(),
        [DataSpec.parse(f"first:csv={csv}"), DataSpec.parse(f"second:csv={csv}")],
        tmp_path / "out",
        bootstrap=20,
    ).run(["zeroshot"])
    assert [o.dataset for o in outcomes] == ["first", "second"] and all(o.status == "ok" for o in outcomes)
    assert (tmp_path / "out/tiny-random/zeroshot/second/test.json").exists()
