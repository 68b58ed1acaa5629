"""CXR-Align on a hand-made 5-item split whose similarities are known exactly."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from test_tasks_support import LookupModel, write_benchmark, write_code_image

from cxralign.errors import InputError
from cxralign.tasks import RunContext, get_task, read_scores, write_result
from cxralign.tasks.cxr_align_common import blind_baselines, order_credit, top1_credit
from cxralign.tasks.results import ModelInfo, TaskResult, ToolkitInfo

UNIT = 16  # similarities are multiples of 1/16 so every norm and tie is exact in float32
N_IMAGES, N_PAD = 5, 4


def _four_squares(k: int) -> list[int]:
    for combo in itertools.product(range(17), repeat=N_PAD):
        if sum(c * c for c in combo) == k:
            return list(combo)
    raise AssertionError(k)


def text_vector(sims: dict[int, int]) -> np.ndarray:
    """Unit vector whose dot product with image k's one-hot vector is sims[k] / 16."""
    head = [sims.get(k, 0) for k in range(1, N_IMAGES + 1)]
    pad = _four_squares(UNIT * UNIT - sum(h * h for h in head))
    return np.asarray(head + pad, dtype=np.float32) / UNIT


# item -> (target, original, negated, omitted) similarities to its own image, in 1/16
ITEMS = {
    1: ("Pleural Effusion", 5, 2, 3),
    2: ("Pleural Effusion", 2, 3, 1),
    3: ("Pneumothorax", 3, 3, 3),
    4: ("Pneumothorax", 4, 1, 4),
    5: ("Cardiomegaly", 2, 5, 1),
}
CONTROLS = {1: ["img2", "img3"], 2: ["img1"], 3: ["img1", "img2"], 4: ["img5"], 5: []}
EXTRA = {  # similarities of texts to control images
    "orig1": {2: 1, 3: 2},
    "neg1": {2: 1, 3: 3},
    "orig4": {5: 5},
}


@pytest.fixture()
def handmade(tmp_path):
    texts: dict[str, dict[int, int]] = {}
    rows = []
    for i, (target, so, sn, sm) in ITEMS.items():
        texts[f"orig{i}"] = {i: so, **EXTRA.get(f"orig{i}", {})}
        texts[f"neg{i}"] = {i: sn, **EXTRA.get(f"neg{i}", {})}
        texts[f"omit{i}"] = {i: sm}
        write_code_image(tmp_path / "images" / f"img{i}.png", 20 * i)
        base = dict(
            item_id=f"i{i}",
            image_id=f"img{i}",
            image_path=f"images/img{i}.png",
            has_image=True,
            target=target,
            target_present=True,
            original=f"orig{i}",
        )
        rows.append(
            {
                **base,
                "op": "negate",
                "variant": f"neg{i}",
                "control_image_ids": CONTROLS[i],
                "location": "first" if i < 3 else "last",
            }
        )
        rows.append({**base, "op": "omit", "variant": f"omit{i}", "control_image_ids": CONTROLS[i]})
    texts["aff1"], texts["aff2"], texts["aff3"] = {1: 6}, {2: 0}, {3: 0}
    for i in (1, 2, 3):
        rows.append(
            dict(
                item_id=f"a{i}",
                image_id=f"img{i}",
                image_path=f"images/img{i}.png",
                has_image=True,
                op="affirm",
                target="Edema",
                target_present=(i == 3),
                original=f"orig{i}",
                variant=f"aff{i}",
                control_image_ids=[],
            )
        )
    texts["orig6"], texts["neg6"] = {}, {}
    rows.append(
        dict(
            item_id="i6",
            image_id="img6",
            image_path=None,
            has_image=False,
            op="negate",
            target="Edema",
            target_present=True,
            original="orig6",
            variant="neg6",
            control_image_ids=[],
        )
    )
    root = tmp_path / "bench"
    for r in rows:
        r["image_path"] = None if r["image_path"] is None else str(tmp_path / r["image_path"])
    write_benchmark(root, rows, manifest={"blind_baselines": {"negate": 0.61, "omission": {"win_rate": 0.7}}})
    images = {20 * i: np.eye(N_IMAGES + N_PAD, dtype=np.float32)[i - 1] for i in range(1, 6)}
    model = LookupModel(images, {k: text_vector(v) for k, v in texts.items()})
    return root, model


def _score(model, root):
    task = get_task("cxr-align")
    return task.run(RunContext(model=model).on("cxr-align", task.load_data("cxr-align", root)))


def _run(handmade, seed=0):
    root, model = handmade
    task = get_task("cxr-align")
    ctx = RunContext(model=model, seed=seed, bootstrap=200, options={"min_finding_n": 1})  # 1-2 items a finding
    (scored,) = task.run(ctx.on("cxr-align", task.load_data("cxr-align", root)))
    return task, scored


def test_similarities_are_the_designed_ones(handmade):
    _, scored = _run(handmade)
    neg = scored.scores[(scored.scores.op == "negation") & scored.scores.scored].set_index("item_id")
    for i, (_, so, sn, _) in ITEMS.items():
        assert neg.loc[f"i{i}", "s_original"] == pytest.approx(so / UNIT, abs=1e-6)
        assert neg.loc[f"i{i}", "s_variant"] == pytest.approx(sn / UNIT, abs=1e-6)
    assert list(neg.loc["i1", "control_margins"]) == pytest.approx([0.0, -1 / UNIT], abs=1e-6)


def test_hand_computed_metrics(handmade):
    task, scored = _run(handmade)
    metrics, per_group = task.metrics_from_scores(scored.scores, scored.config)
    assert metrics["negation.accuracy"].value == pytest.approx(0.5)  # 1, 0, tie, 1, 0
    assert metrics["negation.accuracy"].n == 5
    assert metrics["negation.accuracy"].chance == 0.5
    assert metrics["negation.accuracy"].blind == 0.61
    assert metrics["omission.accuracy"].value == pytest.approx(0.8)  # 1, 1, tie, tie, 1
    assert metrics["omission.accuracy"].blind == 0.7
    # per finding: effusion (1+0)/2, pneumothorax (0.5+1)/2, cardiomegaly 0
    finding = per_group["negation.accuracy/finding"]
    assert finding["Pleural Effusion"].value == pytest.approx(0.5)
    assert finding["Pneumothorax"].value == pytest.approx(0.75)
    assert finding["Cardiomegaly"].value == pytest.approx(0.0)
    assert metrics["negation.accuracy_macro"].value == pytest.approx(1.25 / 3)
    assert per_group["negation.accuracy/location"]["first"].value == pytest.approx(0.5)
    assert per_group["negation.accuracy/location"]["last"].value == pytest.approx(0.5)
    # grounded: 1 (beats both controls), 0, tie with both controls, 0 (control margin larger); item 5 has none
    assert metrics["negation.grounded"].value == pytest.approx(0.375)
    assert metrics["negation.grounded"].n == 4
    # affirmation: only absent findings (a1 loses, a2 wins; a3 is present and excluded)
    assert metrics["affirmation.accuracy"].value == pytest.approx(0.5)
    assert metrics["affirmation.accuracy"].n == 2
    # three-way order: 1, 0, 1/6, 1/2, 0; top-1: 1, 0, 1/3, 1/2, 0
    assert metrics["three_way.order"].value == pytest.approx((1 + 1 / 6 + 0.5) / 5)
    assert metrics["three_way.order"].chance == pytest.approx(1 / 6)
    assert metrics["three_way.top1"].value == pytest.approx((1 + 1 / 3 + 0.5) / 5)
    assert metrics["items.text_only_skipped"].value == 1
    ci = metrics["negation.accuracy"]
    assert ci.ci_low <= ci.value <= ci.ci_high


def test_result_round_trip_recomputes_exactly(handmade, tmp_path):
    task, scored = _run(handmade)
    metrics, per_group = task.metrics_from_scores(scored.scores, scored.config)
    result = TaskResult(
        task="cxr-align",
        task_version=task.metadata.version,
        dataset="cxr-align",
        dataset_hash=scored.dataset_hash,
        split="test",
        model=ModelInfo(spec="lookup:test", fingerprint="f"),
        toolkit=ToolkitInfo(version="0"),
        config=scored.config,
        main_score=task.metadata.main_score,
        metrics=metrics,
        per_group=per_group,
        scores_file="",
        scores_sha256="",
        created="2026-01-01T00:00:00+00:00",
    )
    path = tmp_path / "results" / "test.json"
    stored = write_result(path, result, scored.scores)
    again = get_task(stored.task, stored.task_version).metrics_from_scores(read_scores(path), stored.config)
    assert again == (stored.metrics, stored.per_group)


def test_same_seed_same_intervals_other_seed_differs(handmade):
    task, scored = _run(handmade)
    a = task.metrics_from_scores(scored.scores, scored.config)[0]
    b = task.metrics_from_scores(scored.scores, scored.config)[0]
    c = task.metrics_from_scores(scored.scores, {**scored.config, "seed": 7})[0]
    assert a == b
    assert any(a[k].ci_low != c[k].ci_low for k in a if a[k].ci_low is not None)


def test_text_only_prior_scores_exactly_chance_on_grounded():
    """A model whose margin ignores the image gives every image the same margin."""
    rng = np.random.default_rng(0)
    margin = rng.normal(size=50)
    scores = pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in range(50)],
            "image_id": "x",
            "op": "negation",
            "target": "Edema",
            "location": "first",
            "target_present": True,
            "scored": True,
            "s_original": margin,
            "s_variant": np.zeros(50),
            "control_margins": [[float(m)] * 3 for m in margin],
            "n_controls_unresolved": 0,
        }
    )
    metrics, _ = get_task("cxr-align").metrics_from_scores(scores, {"seed": 0, "bootstrap": 50})
    assert metrics["negation.grounded"].value == 0.5


def test_tie_credits():
    assert order_credit([3, 3, 3, 3, 1], [2, 3, 3, 2, 2], [1, 1, 3, 2, 3]).tolist() == [1, 0.5, 1 / 6, 0.5, 0]
    assert top1_credit([3, 3, 3, 1], [2, 3, 3, 2], [1, 1, 3, 0]).tolist() == [1, 0.5, pytest.approx(1 / 3), 0]


def test_wrong_layout_names_expected_file(tmp_path):
    with pytest.raises(InputError, match=r"data/<op>/test\.parquet"):
        get_task("cxr-align").load_data("cxr-align", tmp_path)


def test_missing_columns_named(tmp_path):
    path = tmp_path / "data" / "negation" / "test.parquet"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"item_id": ["a"]}).to_parquet(path)
    with pytest.raises(InputError, match="lacks CXR-Align column"):
        _score(None, tmp_path)


def test_nan_embedding_names_item(handmade):
    root, model = handmade
    model.text_vectors["neg2"] = np.full_like(model.text_vectors["neg2"], math.nan)
    with pytest.raises(InputError, match="neg2"):
        _score(model, root)


def test_blind_baselines_shapes():
    assert blind_baselines({"blind_baselines": {"test": {"negated": 0.6}}}, "test") == {
        "negation.accuracy": 0.6
    }
    assert blind_baselines({}, "test") == {}
    built = {
        "blind_baselines": {
            "negate": {
                "pairs": 10,
                "heuristic_accuracy": 0.5,
                "ngram_accuracy": 0.62,
                "ngram_pairwise_accuracy": None,
            }
        }
    }
    assert blind_baselines(built, "test") == {"negation.accuracy": 0.62}


def test_nan_image_embedding_names_image(handmade):
    root, model = handmade
    model.image_vectors[40] = np.full_like(model.image_vectors[40], np.inf)
    with pytest.raises(InputError, match=r"1 image embedding\(s\) are NaN or infinite: img2"):
        _score(model, root)
