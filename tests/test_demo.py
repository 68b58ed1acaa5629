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


def test_demo_commands_are_valid_cli_invocations(tmp_path):
    """Every command the demo prints parses against the real CLI (no stale option names)."""
    import shlex

    from cxralign.cli import _register_commands, app

    _register_commands()
    import typer.main

    command = typer.main.get_command(app)
    plan = demo.DemoPlan(out=tmp_path)
    for _title, lines in demo.steps(plan):
        for line in lines:
            args = shlex.split(line)
            context = command.make_context("cxralign", list(args), resilient_parsing=False)
            sub_name, sub, rest = command.resolve_command(context, args)
            assert sub is not None, line
            while hasattr(sub, "resolve_command") and rest:
                sub_context = sub.make_context(sub_name, list(rest))
                sub_name, sub, rest = sub.resolve_command(sub_context, rest)
            sub.make_context(sub_name, list(rest))  # raises on an unknown option or missing value


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
