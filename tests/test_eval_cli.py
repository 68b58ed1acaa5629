"""`cxralign eval`, `cxralign tasks list` and `cxralign compare` through the CLI."""

from __future__ import annotations

import pytest
from test_eval_runner import make_csv_dataset
from test_tasks_support import TinyModel
from typer.testing import CliRunner

from cxralign.cli import _register_commands, app
from cxralign.tasks.compare import compare_results
from cxralign.tasks.runner import DataSpec, Evaluation

runner = CliRunner()
_register_commands()


def test_tasks_list_shows_every_task():
    result = runner.invoke(app, ["tasks", "list"], terminal_width=250)
    assert result.exit_code == 0, result.output
    for name in ("cxr-align", "zeroshot", "linear-probe", "finetune", "retrieval"):
        assert name in result.output


@pytest.mark.slow
def test_eval_on_phantoms_writes_results_summary_and_html(phantom_dataset, tmp_path):
    out = tmp_path / "results"
    args = [
        "eval",
        "--model",
        "open_clip:cxralign-tiny-vit@random",
        "--tasks",
        "zeroshot,retrieval",
        "--data",
        f"phantoms={phantom_dataset}",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--no-cache",
        "--bootstrap",
        "50",
    ]
    result = runner.invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "auroc.mean" in result.output and "image_to_text.R@10" in result.output
    slug = out / "open_clip-cxralign-tiny-vit-random"
    assert (slug / "zeroshot" / "phantoms" / "test.json").exists()
    assert (slug / "zeroshot" / "phantoms" / "test.scores.parquet").exists()
    html = (slug / "report.html").read_text()
    assert "data:image/png;base64" in html and "ROC" in html
    compared = runner.invoke(app, ["compare", str(out), str(out), "--bootstrap", "50"], terminal_width=250)
    assert compared.exit_code == 0, compared.output
    assert "paired bootstrap" in compared.output and "DeLong" in compared.output


def test_bad_data_spec_and_bad_layout_are_one_line_errors(tmp_path):
    result = runner.invoke(app, ["eval", "--model", "x:y", "--data", "no-equals-sign"])
    assert result.exit_code != 0
    assert "NAME=PATH" in str(result.exception) or "NAME=PATH" in result.output


def test_compare_paired_bootstrap_and_delong(tmp_path):
    specs = [DataSpec("csv", make_csv_dataset(tmp_path / "data"))]
    for name, seed in (("a", 0), ("b", 1)):
        Evaluation(TinyModel(seed=seed, spec="tiny:m"), specs, tmp_path / name, bootstrap=50).run(
            ["zeroshot", "retrieval"]
        )
    rows = compare_results(tmp_path / "a", tmp_path / "b", n_boot=200)
    by_metric = {(r.task, r.metric, r.test): r for r in rows}
    main = by_metric[("zeroshot", "auroc.mean", "paired bootstrap")]
    assert main.diff == pytest.approx(main.b - main.a)
    assert main.ci_low <= main.diff <= main.ci_high
    assert ("zeroshot", "auroc/Cardiomegaly", "DeLong") in by_metric
    assert ("retrieval", "image_to_text.R@1", "paired bootstrap") in by_metric
    same = compare_results(tmp_path / "a", tmp_path / "a", n_boot=50)
    assert all(r.diff == 0 for r in same)
    assert all(r.p_value == 1.0 for r in same if r.test == "paired bootstrap")


def test_compare_cxr_align_results(tmp_path):
    from test_tasks_support import write_benchmark, write_code_image

    rows = []
    for k in range(8):
        write_code_image(tmp_path / "img" / f"{k}.png", 10 * k)
        rows.append(
            dict(
                item_id=f"i{k}",
                image_id=f"m{k}",
                image_path=str(tmp_path / "img" / f"{k}.png"),
                has_image=True,
                op="negate",
                target="Edema",
                target_present=True,
                original=f"Edema {k}.",
                variant=f"No edema {k}.",
            )
        )
    specs = [DataSpec("cxr-align", write_benchmark(tmp_path / "bench", rows))]
    for name, seed in (("a", 0), ("b", 3)):
        Evaluation(TinyModel(seed=seed, spec="tiny:m"), specs, tmp_path / name, bootstrap=50).run(
            ["cxr-align"]
        )
    (row,) = [
        r
        for r in compare_results(tmp_path / "a", tmp_path / "b", n_boot=100)
        if r.metric == "negation.accuracy"
    ]
    assert row.task == "cxr-align" and row.diff == pytest.approx(row.b - row.a)
    assert 0 <= row.p_value <= 1
