"""The task contract: the runner drives any registered task through ``takes``, ``load_data``,
``accepts``, ``run(context)`` and ``metrics_from_scores``, knowing none by name."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from test_eval_runner import make_csv_dataset
from test_tasks_support import TinyModel

from cxralign.tasks import TASKS, RunContext, ScoredSplit, Task, TaskMetadata, Verdict, get_task, list_tasks
from cxralign.tasks.results import MetricValue
from cxralign.tasks.runner import DataSpec, Evaluation


class ItemCount(Task):
    """Counts the test items of a CSV dataset: a task the runner has never heard of."""

    metadata = TaskMetadata(
        name="item-count", version="1.0", description="items", main_score="items", datasets=("csv",)
    )

    def run(self, context: RunContext) -> list[ScoredSplit]:
        frame = context.data.split("test")
        scores = pd.DataFrame({"item_id": frame["item_id"].astype(str)})
        return [ScoredSplit(context.dataset, context.data.hash(), "test", scores, {"seed": context.seed})]

    def metrics_from_scores(self, scores: pd.DataFrame, config: dict[str, Any]):
        return {"items": MetricValue(value=float(len(scores)))}, {}


class NeedsLaterals(ItemCount):
    metadata = TaskMetadata(
        name="needs-laterals", version="1.0", description="-", main_score="items", datasets=("csv",)
    )

    def accepts(self, model: Any, data: Any) -> Verdict:
        return Verdict(False, "no lateral views")

    def run(self, context: RunContext) -> list[ScoredSplit]:
        raise AssertionError("a task that does not accept the data is never run")


@pytest.fixture
def plugin_tasks():
    for cls in (ItemCount, NeedsLaterals):
        TASKS.register(f"{cls.metadata.name}@{cls.metadata.version}", cls)
    yield
    for cls in (ItemCount, NeedsLaterals):
        TASKS._members.pop(f"{cls.metadata.name}@{cls.metadata.version}")


def test_the_runner_runs_a_task_it_does_not_know_by_name(plugin_tasks, tmp_path):
    data = DataSpec("csv", make_csv_dataset(tmp_path / "data", n=20))
    outcomes = Evaluation(TinyModel(spec="tiny:m"), [data], tmp_path / "out", seed=4).run(
        ["item-count", "needs-laterals"]
    )
    done, refused = outcomes
    assert (done.task, done.status) == ("item-count", "ok")
    stored = json.loads(done.paths[0].read_text())
    assert stored["metrics"]["items"]["value"] == len(
        pd.read_parquet(done.paths[0].with_suffix(".scores.parquet"))
    )
    assert stored["config"]["seed"] == 4 and stored["main_score"] == "items"
    assert (refused.task, refused.status, refused.message) == (
        "needs-laterals",
        "not applicable",
        "no lateral views",
    )
    assert "item-count" in [meta.name for meta in list_tasks()]


def test_retrieval_refuses_data_without_reports(tmp_path):
    class NoReports:
        has_reports = False

    assert not get_task("retrieval").accepts(TinyModel(), NoReports())
    assert get_task("retrieval").accepts(TinyModel(), NoReports()).reason == "no report texts"


def test_metadata_says_what_each_task_needs():
    by_name = {meta.name: meta for meta in list_tasks()}
    assert by_name["linear-probe"].modalities == ("image",) and by_name["linear-probe"].trained
    assert by_name["finetune"].trained and not by_name["zeroshot"].trained
    assert by_name["zeroshot"].headline_metrics == ("auroc.mean",)
    assert by_name["cxr-align"].headline_metrics[0] == "balanced.accuracy" == by_name["cxr-align"].main_score
    assert get_task("cxr-align").takes("cxr-align") and not get_task("cxr-align").takes("csv")
    assert get_task("zeroshot").takes("NIH")  # aliases of the dataset registry


def test_an_unknown_data_kind_fails_each_task_with_one_line(tmp_path):
    outcomes = Evaluation(TinyModel(), [DataSpec("pdf", tmp_path)], tmp_path / "out").run(["zeroshot"])
    outcome, unmatched = outcomes
    assert unmatched.status == "not applicable"
    assert outcome.status == "failed" and outcome.message.startswith("unknown dataset 'pdf'")
    assert "cxr-align" in outcome.message and "\n" not in outcome.message
