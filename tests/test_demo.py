"""The whole loop (`make demo`) at tiny sizes: every stage's output feeds the next."""

from __future__ import annotations

import json

import pytest

from cxralign import demo


@pytest.mark.slow
def test_demo_runs_the_whole_loop_and_renders_a_valid_leaderboard(tmp_path):
    out = tmp_path / "demo"
    demo.main([str(out), "--n-phantoms", "160", "--size", "64", "--steps", "4"])

    labels = (out / "labels.csv").read_text().splitlines()
    assert len(labels) == 1 + 12  # header + the bundled example reports
    assert (out / "benchmark" / "cxr-align.json").exists()
    for name in demo.REFERENCE_MODELS:
        submission = json.loads((out / "submissions" / name / "submission.json").read_text())
        tasks = {task["task"] for task in submission["tasks"]}
        assert tasks == {"cxr-align", "zeroshot"}
        assert (out / "runs" / name).is_dir()
    page = (out / "site" / "index.html").read_text()
    assert all(name in page for name in demo.REFERENCE_MODELS)
    assert len(list((out / "results").rglob("report.html"))) == len(demo.REFERENCE_MODELS)


def test_demo_steps_are_valid_api_calls(tmp_path):
    """Every step the demo prints names a function of cxralign.api and binds to its signature."""
    import inspect

    from cxralign import api

    plan = demo.DemoPlan(out=tmp_path, train_steps=3)
    functions = []
    for _title, calls in demo.steps(plan):
        for call in calls:
            function = getattr(api, call.function)
            inspect.signature(function).bind(*call.args, **call.kwargs)  # raises on a stale argument
            assert str(call).startswith(f"cxralign.api.{call.function}(")
            functions.append(call.function)
    assert functions[:3] == ["label", "phantoms", "build"]
    assert functions.count("evaluate") == len(demo.REFERENCE_MODELS)


def test_demo_imports_no_cli():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(demo.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name and name.startswith(("cxralign.cli", "cxralign.commands")) for name in imported)


def test_a_second_demo_in_the_same_directory_starts_its_runs_afresh(tmp_path):
    from cxralign.demo import REFERENCE_MODELS, DemoPlan

    plan = DemoPlan(out=tmp_path)
    for name in REFERENCE_MODELS:
        (plan.run_dir(name) / "checkpoints").mkdir(parents=True)  # train-reference refuses such a run
    (plan.results / "old").mkdir(parents=True)
    (plan.phantoms).mkdir()
    plan.clear_previous_runs()
    assert not any(plan.run_dir(name).exists() for name in REFERENCE_MODELS)
    assert not plan.results.exists()
    assert plan.phantoms.exists()  # replaced by its own --overwrite, not deleted up front
