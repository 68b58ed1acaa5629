"""`cxralign train-reference` and the ablation table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _train_support import REPORTS, write_csv_dataset  # noqa: E402

from cxralign import cli  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    cli._register_commands()


def _main(args: list[str]):  # noqa: ANN202
    import contextlib
    import io

    err, out = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            cli.main(args)
        except SystemExit as done:
            code = int(done.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_unknown_config_key_fails_before_training(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("optim:\n  learning_rate: 0.1\n")
    code, _, err = _main(["train-reference", "--config", str(bad), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "optim.learning_rate: unknown key" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_losses_and_data_are_one_line(tmp_path: Path) -> None:
    code, _, err = _main(["train-reference", "--losses", "clip,negs", "--out", str(tmp_path / "o")])
    assert code == 2 and "unknown loss 'negs'" in err
    code, _, err = _main(["train-reference", "--data", "dicom=/x", "--out", str(tmp_path / "o")])
    assert code == 2 and "--data 'dicom=/x'" in err


def test_trains_on_csv_and_reports_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from _train_support import keyword_annotator

    from cxralign.train import annotate

    monkeypatch.setattr(
        annotate.EngineAnnotator, "__call__", lambda self, reports: keyword_annotator(reports)
    )
    dataset = write_csv_dataset(tmp_path / "data", n=24)
    args = [
        "train-reference",
        "--preset",
        "tiny-cpu",
        "--data",
        f"csv={dataset}",
        "--losses",
        "clip,neg",
        "--out",
        str(tmp_path / "run"),
        "--steps",
        "2",
        "--set",
        "train.batch_size=8",
        "--set",
        "model.image_size=32",
        "--set",
        "model.vocab_size=120",
    ]
    code, out, err = _main(args)
    assert code == 0, err
    assert "trained 2 steps" in out and "reference:" in out
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "- neg" in config and "batch_size: 8" in config
    code, out, _ = _main(
        [
            *args[:-6],
            "--steps",
            "3",
            "--set",
            "train.batch_size=8",
            "--set",
            "model.image_size=32",
            "--set",
            "model.vocab_size=120",
            "--resume",
        ]
    )
    assert code == 0 and "trained 3 steps" in out


def _save_tiny_model(path: Path) -> None:
    from cxralign.train.model import ReferenceModel, ReferenceModelConfig
    from cxralign.train.tokenizer import train_wordpiece

    config = ReferenceModelConfig(image_size=32, text_hidden_size=16, text_heads=2, text_layers=1, embed_dim=8,
                                  vocab_size=100, image_tower_kwargs={"widths": [4], "grid": 1})  # fmt: skip
    ReferenceModel.create(config, train_wordpiece(REPORTS.values(), 100, min_frequency=1)).save_pretrained(
        path
    )


def test_ablation_grid_writes_markdown_and_json(tmp_path: Path) -> None:
    from cxralign.train.ablation import ablation_rows, markdown_table, run_ablation
    from cxralign.train.config import build_config

    names = [row.name for row in ablation_rows()]
    assert names == [
        "CLIP",
        "+soft text",
        "+soft text+clinical",
        "+negatives",
        "+soft text+clinical+negatives",
        "+graph",
        "full",
        "UMCL",
    ]
    trained = []

    def fake_train(config):  # noqa: ANN001, ANN202
        trained.append((config.seed, tuple(config.losses.enabled), config.losses.soft.clinical_weight))
        _save_tiny_model(Path(config.out) / "model")

    def fake_eval(model, out, **kwargs):  # noqa: ANN001, ANN003, ANN202
        return {"cxr-align/negation.accuracy": 0.5 + 0.1 * kwargs["seed"], "zeroshot/auroc.mean": 0.7}

    base = build_config(preset="tiny-cpu", overrides=[{"data": {"source": "csv", "path": "unused.csv"}}])
    rows = [r for r in ablation_rows() if r.name in ("CLIP", "+soft text+clinical+negatives")]
    result = run_ablation(
        base,
        tmp_path,
        seeds=[0, 1],
        rows=rows,
        train_fn=fake_train,
        evaluate_fn=fake_eval,
        log=lambda message: None,
    )
    assert trained == [
        (0, ("clip",), 0.2),
        (1, ("clip",), 0.2),
        (0, ("clip", "soft", "neg"), 0.2),
        (1, ("clip", "soft", "neg"), 0.2),
    ]
    stats = result["summary"]["CLIP"]["cxr-align/negation.accuracy"]
    assert (
        stats["mean"] == pytest.approx(0.55)
        and stats["n"] == 2
        and stats["sd"] == pytest.approx(0.0707, abs=1e-3)
    )
    table = (tmp_path / "ablation.md").read_text()
    assert "| CLIP | 2 | 55.0 ± 7.1 | 70.0 ± 0.0 |" in table
    assert table == markdown_table(result["summary"], [0, 1])
    assert json.loads((tmp_path / "ablation.json").read_text())["seeds"] == [0, 1]
    # a second call reuses finished runs instead of retraining
    run_ablation(
        base,
        tmp_path,
        seeds=[0, 1],
        rows=rows,
        train_fn=fake_train,
        evaluate_fn=fake_eval,
        log=lambda message: None,
    )
    assert len(trained) == 4
    # summarising trains nothing: a seed not run yet is left out, and the table says how many seeds
    summary = run_ablation(base, tmp_path, seeds=[0, 1, 2], rows=rows, train_fn=fake_train,
                           evaluate_fn=fake_eval, log=lambda message: None, train_missing=False)  # fmt: skip
    assert len(trained) == 4 and summary["summary"]["CLIP"]["cxr-align/negation.accuracy"]["n"] == 2


def test_ablation_seeds_get_distinct_phantom_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On phantoms, seed s trains on phantom seed s and is scored on its own held-out set (1000 + s);
    every row of a seed gets the same items. ``distinct_items=False`` gives every seed seed 0's items."""
    import cxralign.benchmark.build as build_module
    import cxralign.train.data as data_module
    from cxralign.train.ablation import ablation_rows, run_ablation
    from cxralign.train.config import build_config

    generated, built, trained, scored = [], [], [], []

    def fake_generate(config, cache_dir):  # noqa: ANN001, ANN202
        generated.append(config.phantom_seed)
        return cache_dir / f"phantoms-s{config.phantom_seed}"

    def fake_build(options):  # noqa: ANN001, ANN202
        built.append(options.root.name)
        (options.out).mkdir(parents=True)
        (options.out / "manifest.json").write_text("{}")

    def fake_train(config):  # noqa: ANN001, ANN202
        trained.append((config.seed, config.data.phantom_seed))
        _save_tiny_model(Path(config.out) / "model")

    def fake_eval(model, out, **kwargs):  # noqa: ANN001, ANN003, ANN202
        scored.append((kwargs["seed"], Path(kwargs["benchmark"]).name, Path(kwargs["labelled"]).name))
        return {"cxr-align/negation.accuracy": 0.5}

    monkeypatch.setattr(data_module, "generate_phantoms", fake_generate)
    monkeypatch.setattr(build_module, "build_benchmark", fake_build)
    base = build_config(preset="tiny-cpu")
    rows = [r for r in ablation_rows() if r.name in ("CLIP", "+negatives")]
    kwargs = {
        "seeds": [0, 1],
        "rows": rows,
        "train_fn": fake_train,
        "evaluate_fn": fake_eval,
        "log": lambda m: None,
    }
    result = run_ablation(base, tmp_path / "distinct", **kwargs)
    assert built == ["phantoms-s1000", "phantoms-s1001"] and result["distinct_items"] is True
    assert trained == [(0, 0), (1, 1), (0, 0), (1, 1)]
    assert scored == [(0, "benchmark-s1000", "phantoms-s1000"), (1, "benchmark-s1001", "phantoms-s1001")] * 2
    trained.clear(), scored.clear()
    run_ablation(base, tmp_path / "shared", distinct_items=False, **kwargs)
    assert trained == [(0, 0), (1, 0), (0, 0), (1, 0)]
    assert {name for _, name, _ in scored} == {"benchmark-s1000"}
