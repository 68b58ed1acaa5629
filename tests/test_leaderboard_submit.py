"""Submission assembly, the committed JSON Schema, and the `cxralign leaderboard` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_leaderboard_support import DATASET, make_submission, registry, write_fake_result
from typer.testing import CliRunner

from cxralign.cli import _register_commands, app
from cxralign.errors import ConfigError, InputError, OutputExistsError
from cxralign.leaderboard import CardOverrides, Registry, assemble_submission, schema_text
from cxralign.leaderboard.schema import SCHEMA_PATH, Submission
from cxralign.utils.hashing import sha256_file

REPO = Path(__file__).resolve().parents[1]


def test_committed_schema_equals_the_export() -> None:
    committed = (REPO / SCHEMA_PATH).read_text()
    assert committed == schema_text(), "run `cxralign leaderboard schema` to refresh the committed schema"
    schema = json.loads(committed)
    assert set(schema["required"]) >= {"name", "date", "toolkit", "model", "tasks"}
    assert schema["additionalProperties"] is False


def test_submit_copies_scores_and_fills_the_card(tmp_path: Path) -> None:
    card = {
        "name": "toy",
        "title": "Toy CLIP",
        "license": "MIT",
        "training_data": ["mimic-cxr"],
        "citation": "Toy et al.",
        "weights": {"hub_id": "example/toy", "sha256": "e" * 64},
    }
    results = tmp_path / "results"
    write_fake_result(results, "zoo:toy", 0.05, card=card, created="2025-01-02T00:00:00Z")
    write_fake_result(results, "zoo:toy", 0.05, card=card, split="val", created="2025-01-05T08:00:00Z")
    (results / "report.json").write_text('{"not": "a result"}')
    path = assemble_submission(
        results, "toy", tmp_path / "subs", CardOverrides(parameter_count=1000), registry=registry()
    )
    sub = Submission.model_validate_json(path.read_text())
    assert (
        sub.model.name == "Toy CLIP"
        and sub.model.licence == "MIT"
        and sub.model.training_datasets == ["mimic-cxr"]
    )
    assert sub.model.weights == f"example/toy (sha256 {'e' * 64})"
    assert sub.date == "2025-01-05" and [t.split for t in sub.tasks] == ["test", "val"]
    for task in sub.tasks:
        assert sha256_file(path.parent / task.scores_file) == task.scores_sha256
    with pytest.raises(OutputExistsError, match="exists and is not empty"):
        assemble_submission(
            results, "toy", tmp_path / "subs", CardOverrides(parameter_count=1000), registry=registry()
        )


def test_submit_refuses_mixed_models_and_unknown_facts(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_fake_result(results, "reference:a", 0.05)
    with pytest.raises(ConfigError, match="licence is unknown"):
        assemble_submission(
            results, "a", tmp_path / "subs", CardOverrides(parameter_count=10), registry=registry()
        )
    with pytest.raises(ConfigError, match="pass --training-data"):
        assemble_submission(
            results,
            "a",
            tmp_path / "subs",
            CardOverrides(parameter_count=10, licence="MIT"),
            registry=registry(),
        )
    write_fake_result(results, "reference:b", 0.05)
    with pytest.raises(InputError, match="come from 2 models"):
        assemble_submission(results, "a", tmp_path / "subs", registry=registry())
    with pytest.raises(InputError, match="no cxralign result files"):
        (tmp_path / "nothing").mkdir()
        assemble_submission(tmp_path / "nothing", "a", tmp_path / "x", registry=registry())


def test_invalid_submission_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"dataset '{DATASET}' is not one the toolkit knows"):
        make_submission(tmp_path, "alpha", 0.05, reg=Registry(datasets={}))
    assert not (tmp_path / "submissions" / "alpha").exists()
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "submissions").iterdir())


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    _register_commands()
    monkeypatch.setattr(Registry, "default", classmethod(lambda cls, extra=None: registry()))
    return CliRunner()


def test_cli_submit_validate_render(tmp_path: Path, cli: CliRunner) -> None:
    results = tmp_path / "results"
    write_fake_result(results, "reference:tiny", 0.05)
    subs = tmp_path / "subs"
    args = ["leaderboard", "submit", str(results), "--name", "tiny", "--out", str(subs), "--params", "42"]
    args += ["--licence", "Apache-2.0", "--training-data", "phantoms", "--model-name", "Tiny CLIP"]
    done = cli.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert (subs / "tiny" / "submission.json").is_file()
    done = cli.invoke(app, ["leaderboard", "validate", str(subs)])
    assert done.exit_code == 0 and "1 submission(s) valid" in done.output
    data = json.loads((subs / "tiny" / "submission.json").read_text())
    data["tasks"][0]["metrics"]["negation.accuracy"]["value"] = 0.5
    data["model"].pop("licence")
    (subs / "tiny" / "submission.json").write_text(json.dumps(data))
    done = cli.invoke(app, ["leaderboard", "validate", str(subs)])
    assert done.exit_code == 1
    assert [line for line in done.output.splitlines() if "schema:" in line] == [
        f"{subs / 'tiny' / 'submission.json'}: schema: model.licence: Field required"
    ]
    data["model"]["licence"] = "MIT"
    (subs / "tiny" / "submission.json").write_text(json.dumps(data))
    done = cli.invoke(app, ["leaderboard", "validate", str(subs / "tiny")])
    assert done.exit_code == 1 and "metric 'negation.accuracy' does not match its scores" in done.output
    data["tasks"][0]["metrics"]["negation.accuracy"]["value"] = json.loads(
        (results / "reference-tiny" / "cxr-align" / DATASET / "test.json").read_text()
    )["metrics"]["negation.accuracy"]["value"]
    (subs / "tiny" / "submission.json").write_text(json.dumps(data))
    done = cli.invoke(
        app,
        [
            "leaderboard",
            "render",
            "--submissions",
            str(subs),
            "--out",
            str(tmp_path / "site"),
            "--no-reported",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "Tiny CLIP" in (tmp_path / "site" / "index.html").read_text()
