"""End to end on phantoms with a randomly initialised open_clip model: every figure must sit at chance.

A random model has no idea how an X-ray relates to a report, so an interval of
an alignment task (CXR-Align, zero-shot, retrieval) that excludes chance here
would mean the metric code, not the model, is biased. Trained tasks (linear
probe) legitimately beat chance even on random features and are not held to it.
"""

from __future__ import annotations

import re
import time

import pytest

from cxralign.tasks import get_task, read_scores
from cxralign.tasks.runner import DataSpec, Evaluation

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(phantom_dataset, tmp_path_factory):
    from cxralign.benchmark import BuildOptions, build_benchmark
    from cxralign.models import EmbeddingCache, load_model

    root = tmp_path_factory.mktemp("phantom-eval")
    build_benchmark(BuildOptions(source="phantoms", root=phantom_dataset, out=root / "bench"))
    model = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    specs = [DataSpec("cxr-align", root / "bench"), DataSpec("phantoms", phantom_dataset)]
    return root, model, specs, EmbeddingCache(root / "cache")


def _run(setup, out):
    root, model, specs, cache = setup
    evaluation = Evaluation(
        model,
        specs,
        root / out,
        cache=cache,
        bootstrap=300,
        task_options={"fractions": [1.0], "n_seeds": 1, "splits": ["test", "valid", "validation"]},
    )
    return evaluation.run(["cxr-align", "zeroshot", "retrieval", "linear-probe"])


def test_random_open_clip_scores_chance_everywhere(setup):
    outcomes = _run(setup, "cold")
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.message for o in outcomes]
    checked = 0
    for outcome in outcomes:
        if outcome.task == "linear-probe":
            continue
        for result in outcome.results:
            for name, metric in result.metrics.items():
                if metric.chance is None or metric.ci_low is None or (metric.n or 0) < 10:
                    continue
                if name.endswith(".margin") or name.startswith("items"):
                    continue
                if "grounded" in name or name == "balanced.accuracy":
                    # A random image tower still responds to a painted finding, and the text pair of one
                    # finding ("X" / "No X") differs along one fixed direction, so one random model's
                    # (image difference . text difference) sign is shared by the items of a finding: the
                    # grounded figures (and balanced, whose negate and affirm items come from the same
                    # reports) may land off 0.5 for one draw of a model, which a bootstrap over items
                    # cannot cover. The per-op accuracies below are checked.
                    continue
                assert metric.ci_low - 1e-9 <= metric.chance <= metric.ci_high + 1e-9, (
                    result.task,
                    name,
                    metric,
                )
                checked += 1
    for o in outcomes:
        for r in o.results:
            print(r.task, r.split, {k: (round(m.value, 3), m.n, m.chance) for k, m in r.metrics.items()})
    assert checked >= 10
    cxr = next(o for o in outcomes if o.task == "cxr-align").results[0]
    assert {
        "negation.accuracy",
        "omission.accuracy",
        "affirmation.accuracy",
        "negation.grounded",
        "three_way.order",
    } <= set(cxr.metrics)
    assert cxr.metrics["negation.accuracy"].blind is not None  # from the build manifest
    from cxralign.tasks.html_report import write_html_report

    html = write_html_report(setup[0] / "cold", "open_clip:cxralign-tiny-vit@random", outcomes).read_text()
    assert 'alt="negation.accuracy/finding per finding"' in html and 'alt="ROC curves"' in html
    assert re.search(r"<td>items\.scored</td><td>\d+</td>", html)  # a count prints as an integer
    assert not re.search(r"<td>items\.scored</td><td>\d+\.\d", html)
    for outcome in outcomes:
        for path, result in zip(outcome.paths, outcome.results, strict=True):
            again = get_task(result.task, result.task_version).metrics_from_scores(
                read_scores(path), result.config
            )
            assert again == (result.metrics, result.per_group)


def test_warm_cache_rerun_is_fast(setup, capsys):
    _run(setup, "first")
    started = time.perf_counter()
    outcomes = _run(setup, "warm")
    elapsed = time.perf_counter() - started
    assert all(o.status == "ok" for o in outcomes)
    with capsys.disabled():
        print(
            f"\nwarm-cache suite (cxr-align, zeroshot, retrieval, linear-probe) on phantoms: {elapsed:.1f} s"
        )
