"""Validation: a valid submission passes; every kind of tampering is refused with the right message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_leaderboard_support import DATASET, DATASET_HASH, edit_json, make_submission, registry

from cxralign.leaderboard import Limits, Registry, validate_paths
from cxralign.leaderboard.registry import KnownDataset, _default_get_task
from cxralign.tasks import get_task
from cxralign.utils.hashing import sha256_file

MAIN = "negation.accuracy"


@pytest.fixture
def submitted(tmp_path: Path) -> Path:
    return make_submission(tmp_path, "alpha", 0.05)


def problems(*paths: Path, reg: Registry | None = None, limits: Limits | None = None) -> list[str]:
    return [str(p) for p in validate_paths(list(paths), registry=reg or registry(), limits=limits).problems]


def only_problem(*paths: Path, **kwargs) -> str:  # type: ignore[no-untyped-def]
    found = problems(*paths, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_valid_submission_passes(submitted: Path) -> None:
    report = validate_paths([submitted.parent.parent], registry=registry())
    assert report.ok and report.checked == 1 and report.problems == [] and report.notes == []
    assert report.verified[0].submission.name == "alpha"
    assert sorted(p.name for p in submitted.parent.iterdir()) == [
        "cxr-align.cxr-align-phantoms.test.scores.parquet",
        "submission.json",
    ]


def test_changed_metric_value_is_refused_naming_the_metric(submitted: Path) -> None:
    edit_json(
        submitted,
        lambda d: d["tasks"][0]["metrics"][MAIN].update(value=d["tasks"][0]["metrics"][MAIN]["value"] + 0.01),
    )
    message = only_problem(submitted)
    assert f"metric '{MAIN}' does not match its scores: value is" in message
    assert "tasks[0] cxr-align v2.0 on cxr-align-phantoms/test" in message


def test_interval_bound_is_checked_to_1e_9(submitted: Path) -> None:
    data = json.loads(submitted.read_text())
    original = data["tasks"][0]["metrics"]["omission.accuracy"]["ci_high"]
    edit_json(
        submitted, lambda d: d["tasks"][0]["metrics"]["omission.accuracy"].update(ci_high=original - 1e-12)
    )
    assert problems(submitted) == []
    edit_json(
        submitted, lambda d: d["tasks"][0]["metrics"]["omission.accuracy"].update(ci_high=original - 1e-7)
    )
    assert "metric 'omission.accuracy' does not match its scores: ci_high" in only_problem(submitted)


def test_changed_per_group_value_is_refused(submitted: Path) -> None:
    group = f"{MAIN}/finding"
    edit_json(
        submitted,
        lambda d: d["tasks"][0]["per_group"][group]["Edema"].update(value=0.1, ci_low=0.05, ci_high=0.2),
    )
    found = problems(submitted)
    assert found and all(f"per_group '{group}' metric 'Edema' does not match" in p for p in found)


def test_dropped_metric_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0]["metrics"].pop("three_way.top1"))
    assert "metric 'three_way.top1' is missing (the task computes it from the scores)" in only_problem(
        submitted
    )


def test_swapped_scores_file_is_refused(tmp_path: Path, submitted: Path) -> None:
    other = make_submission(tmp_path, "beta", 0.01, seed=3)
    scores = submitted.parent / "cxr-align.cxr-align-phantoms.test.scores.parquet"
    shutil.copyfile(other.parent / scores.name, scores)
    assert "has sha256" in (message := only_problem(submitted)) and "(file swapped or edited)" in message
    # Swapping the file *and* its hash still fails: the numbers no longer follow from the scores.
    edit_json(submitted, lambda d: d["tasks"][0].update(scores_sha256=sha256_file(scores)))
    assert any(f"metric '{MAIN}' does not match its scores" in p for p in problems(submitted))


def test_unknown_task_version_and_task_are_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0].update(task_version="0.9"))
    assert "task 'cxr-align' has no version '0.9'" in only_problem(submitted)
    edit_json(submitted, lambda d: d["tasks"][0].update(task="cxr-allign"))
    assert "unknown task 'cxr-allign'" in only_problem(submitted)


def test_unknown_dataset_hash_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0].update(dataset_hash="b" * 64))
    assert f"dataset '{DATASET}' has hash bbbbbbbbbbbbbbbb..., not a known release" in only_problem(submitted)
    reg = Registry(get_task=_default_get_task, datasets={})
    assert "is not one the toolkit knows" in problems(submitted, reg=reg)[0]


def test_missing_field_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["model"].pop("licence"))
    assert only_problem(submitted).endswith("schema: model.licence: Field required")


def test_main_score_direction_cannot_be_restated(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0].update(higher_is_better=False))
    assert "higher_is_better is False, the task's is True" in only_problem(submitted)


def test_huge_json_is_refused_before_parsing(submitted: Path) -> None:
    with submitted.open("a") as handle:
        handle.write(" " * (2 * 1024 * 1024))
    assert "over the 2.0 MiB limit" in only_problem(submitted)


def test_huge_scores_file_is_refused(submitted: Path) -> None:
    message = only_problem(submitted, limits=Limits(max_scores_bytes=1024))
    assert (
        "scores file cxr-align.cxr-align-phantoms.test.scores.parquet is" in message
        and "over the 1.0 KiB limit" in message
    )


def test_nan_and_inf_are_refused(submitted: Path) -> None:
    text = submitted.read_text()
    data = json.loads(text)
    value = data["tasks"][0]["metrics"][MAIN]["value"]
    submitted.write_text(text.replace(f'"value": {json.dumps(value)}', '"value": NaN', 1))
    found = problems(submitted)
    assert any(f"metric '{MAIN}' value is nan (must be finite)" in p for p in found), found
    edit_json(submitted, lambda d: d["model"].update(parameter_count=-5))
    assert "schema: model.parameter_count: Input should be greater than 0" in only_problem(submitted)


def test_value_outside_its_interval_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0]["metrics"][MAIN].update(ci_low=0.99, ci_high=1.0))
    assert any("is outside its interval [0.99, 1.0]" in p for p in problems(submitted))


def _rewrite_scores(submitted: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = submitted.parent / "cxr-align.cxr-align-phantoms.test.scores.parquet"
    frame = pd.read_parquet(path)
    change(frame)
    frame.to_parquet(path, index=False)
    edit_json(submitted, lambda d: d["tasks"][0].update(scores_sha256=sha256_file(path)))


def test_report_text_in_scores_is_refused(submitted: Path) -> None:
    _rewrite_scores(submitted, lambda f: f.__setitem__("original", "Heart size is normal."))
    assert "free-text column(s) original: report text must not be shared" in only_problem(submitted)


def test_long_strings_in_any_column_are_refused(submitted: Path) -> None:
    long_text = "There is a small left pleural effusion with adjacent atelectasis, unchanged."
    _rewrite_scores(submitted, lambda f: f.__setitem__("note", long_text))
    assert "free-text column(s) note" in only_problem(submitted)


def test_scores_file_outside_the_submission_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"][0].update(scores_file="../other.parquet"))
    assert "schema: tasks.0.scores_file: String should match pattern" in problems(submitted)[0]


def test_unexpected_files_and_renamed_directories_are_refused(tmp_path: Path, submitted: Path) -> None:
    (submitted.parent / "reports.csv").write_text("id,report\n1,No acute findings.\n")
    assert "reports.csv: unexpected file" in only_problem(submitted)
    (submitted.parent / "reports.csv").unlink()
    moved = submitted.parent.rename(submitted.parent.with_name("gamma"))
    assert "submission name 'alpha' differs from its directory 'gamma'" in only_problem(moved)


def test_duplicate_models_and_names_are_refused(tmp_path: Path) -> None:
    first = make_submission(tmp_path, "alpha", 0.05, model_name="Same")
    second = make_submission(tmp_path, "beta", 0.03, model_name="Same", seed=2)
    assert "duplicate model 'Same' version '1.0'" in only_problem(first.parent.parent)
    copy = tmp_path / "elsewhere" / "alpha"
    shutil.copytree(first.parent, copy)
    assert "duplicate submission name 'alpha'" in only_problem(first, copy / "submission.json")
    assert second.exists()


def test_repeated_task_entry_is_refused(submitted: Path) -> None:
    edit_json(submitted, lambda d: d["tasks"].append(d["tasks"][0]))
    assert "tasks[1] repeats cxr-align/cxr-align-phantoms/test (also tasks[0])" in only_problem(submitted)


def test_every_problem_is_reported_once_per_line(submitted: Path) -> None:
    edit_json(
        submitted,
        lambda d: (
            d["tasks"][0].update(dataset_hash="c" * 64),
            d["tasks"][0]["metrics"][MAIN].update(value=0.0),
        ),
    )
    found = problems(submitted)
    assert len(found) >= 2 and all("\n" not in p for p in found)


def test_superseded_task_version_is_accepted_apart(submitted: Path) -> None:
    current = type(get_task("cxr-align"))

    class Newer(current):  # type: ignore[misc, valid-type]
        metadata = current.metadata.__class__(**{**current.metadata.__dict__, "version": "1.1"})

    def lookup(name: str, version: str | None = None):  # type: ignore[no-untyped-def]
        return (
            Newer() if name == "cxr-align" and version in (None, "1.1") else _default_get_task(name, version)
        )

    reg = Registry(get_task=lookup, datasets=registry().datasets)
    report = validate_paths([submitted], registry=reg)
    assert report.ok and report.verified[0].task_status == ["superseded"]
    assert "superseded task version; it is shown apart, never ranked" in report.notes[0]


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    assert "no such file or directory" in only_problem(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert "no submissions found" in only_problem(tmp_path / "empty")


def test_registry_dataset_extension(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(f"datasets:\n  - name: {DATASET}\n    hashes: ['{'d' * 64}']\n    source: phantoms\n")
    reg = Registry.default([extra])
    assert reg.check_dataset(DATASET, "d" * 64) is None
    assert reg.check_dataset(DATASET, DATASET_HASH) is not None
    assert isinstance(reg.datasets[DATASET], KnownDataset)
