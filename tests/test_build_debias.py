"""The blind filter (AFLite): it drops the variants that carry a text artefact, and only those."""

from __future__ import annotations

import random

import pytest

from cxralign.benchmark.blind import balanced_pairs, pair_groups
from cxralign.benchmark.debias import FILTER_TARGET, STOP_AT, adversarial_filter, keep_floor
from cxralign.benchmark.probes import probe_accuracies

FINDINGS = ["effusion", "pneumothorax", "edema", "consolidation", "atelectasis", "nodule"]
FILLER = ["heart normal", "lungs clear", "bones intact", "no acute", "mediastinum normal", "aorta tortuous"]


def _pool(n: int, tell_share: float, seed: int = 0, tell: str = "there is a right") -> list[tuple]:
    """Rows (op, target, original, variant, patient): symmetric negate / affirm pairs, and affirmed
    variants phrased with ``tell`` (words no original has) in ``tell_share`` of the affirm rows."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        finding = rng.choice(FINDINGS)
        filler = " ".join(rng.sample(FILLER, 3)) + f" case{i}"
        present, absent = f"{filler} small {finding}", f"{filler} no {finding}"
        if rng.random() < 0.5:  # not by the parity of i: "case13 small" would tell a character probe the op
            rows.append(("negate", finding, present, absent, f"p{i}"))
        else:
            affirmed = f"{filler} {tell} {finding}" if rng.random() < tell_share else present
            rows.append(("affirm", finding, absent, affirmed, f"p{i}"))
    return rows


def _balanced_accuracy(rows: list[tuple], dropped: list[int]) -> float:
    """The word probe's held-out accuracy on the balanced set of what is kept."""
    keys = ("op", "target", "original", "variant", "_patient_key")
    kept = [dict(zip(keys, row, strict=True)) for i, row in enumerate(rows) if i not in set(dropped)]
    keyed = balanced_pairs(kept, seed=1)
    pairs = [(original, variant) for original, variant, _ in keyed]
    return probe_accuracies(pairs, pair_groups(pairs, [k for _, _, k in keyed]), seed=1, probes=("word",))["word"]


@pytest.fixture(autouse=True)
def small_floor(monkeypatch):
    """The pools here are small: keep at least 30% of their balanced pairs instead of 600."""
    monkeypatch.setattr("cxralign.benchmark.debias.MIN_BALANCED", 0)
    monkeypatch.setattr("cxralign.benchmark.debias.KEEP_SHARE", 0.3)


def test_the_filter_drops_the_variants_with_an_artefact_until_near_chance():
    rows = _pool(800, tell_share=0.5)
    before = _balanced_accuracy(rows, [])
    result = adversarial_filter(rows, seed=0)
    tells = {i for i, row in enumerate(rows) if "there is a right" in row[3]}
    assert before > 0.65
    assert result.reached is True and result.rounds[-1].dropped == 0
    assert result.rounds[-1].accuracy <= STOP_AT <= FILTER_TARGET
    assert set(result.rounds[-1].probes) == {"word", "char", "lexical", "phrase", "sentinel"}
    # most of what it drops carries the artefact, and most artefacts are gone
    assert len(tells & set(result.dropped)) / len(result.dropped) > 0.6
    assert len(tells - set(result.dropped)) / len(tells) < 0.5
    assert _balanced_accuracy(rows, result.dropped) < 0.6


@pytest.mark.parametrize("seed", [0, 1])
def test_a_clean_pool_loses_little(seed):
    """Without an artefact the measurement is chance give or take its noise (a round or two at most)."""
    rows = _pool(800, tell_share=0.0, seed=seed)
    result = adversarial_filter(rows, seed=seed)
    assert result.reached is True and len(result.rounds) <= 3
    assert len(result.dropped) <= 0.15 * len(rows)


def test_other_ops_are_never_dropped_and_the_balanced_floor_holds():
    rows = _pool(400, tell_share=1.0, tell="zzz unmistakable")
    rows += [("omit", "edema", f"report {i} small edema", f"report {i}", f"q{i}") for i in range(100)]
    result = adversarial_filter(rows, seed=0)
    assert all(rows[i][0] in ("negate", "affirm") for i in result.dropped)
    assert result.rounds[-1].balanced_pairs >= result.floor > 0
    assert result.floor == keep_floor(result.rounds[0].balanced_pairs)
    assert result.reached is False  # every affirmed variant carries it: the floor stops the filter first
    assert result.manifest()["reached_target"] is False


def test_the_floor_is_600_pairs_where_the_pool_has_them(monkeypatch):
    monkeypatch.setattr("cxralign.benchmark.debias.MIN_BALANCED", 600)
    monkeypatch.setattr("cxralign.benchmark.debias.KEEP_SHARE", 0.35)
    assert keep_floor(1256) == 600 and keep_floor(5000) == 1750 and keep_floor(300) == 300


@pytest.mark.parametrize("rows", [_pool(20, 0.5), [r for r in _pool(400, 0.5) if r[0] == "negate"]])
def test_too_few_pairs_or_one_op_only_is_not_filtered(rows):
    result = adversarial_filter(rows, seed=0)
    assert result.reached is None and result.dropped == [] and result.rounds == []


def test_the_result_is_seeded():
    rows = _pool(400, tell_share=0.5)
    assert adversarial_filter(rows, seed=3).dropped == adversarial_filter(rows, seed=3).dropped


def test_a_build_keeps_every_verified_variant_and_flags_the_balanced_set_the_filter_chose(
    phantom_dataset, tmp_path, monkeypatch
):
    """The plumbing, with a target low enough that the small phantom set's filter runs rounds (it
    is near chance as built): every verified variant is written in its op, the filter's choice is
    the ``balanced`` column, equal per finding, and the final check reads exactly that set."""
    import json
    from collections import Counter

    import pyarrow.parquet as pq

    from cxralign.benchmark import BuildOptions, build_benchmark

    def build(name: str, **options) -> tuple:
        out = tmp_path / name
        summary = build_benchmark(BuildOptions(source="phantoms", root=phantom_dataset, out=out, **options))
        rows = [
            r for path in sorted((out / "data").glob("*/*.parquet")) for r in pq.read_table(path).to_pylist()
        ]
        return summary, rows, json.loads((out / "manifest.json").read_text()), out

    monkeypatch.setattr("cxralign.benchmark.debias.STOP_AT", 0.3)
    rejected = tmp_path / "rejected.jsonl"
    kept, rows, manifest, out = build("kept", workers=2, rejected=rejected)
    full, all_rows, full_manifest, _ = build("full", blind_filter=False)
    assert len(manifest["blind_filter"]["rounds"]) > 1 and manifest["blind_filter"]["dropped"] > 0
    assert manifest["options"]["blind_filter"] is True and full_manifest["blind_filter"] is None
    assert full.variants == kept.variants
    for op in ("negate", "affirm", "omit"):  # nothing is taken out of an op
        assert sum(r["op"] == op for r in rows) == sum(kept.variants[op].values())
    assert {(r["op"], r["item_id"]) for r in rows} == {(r["op"], r["item_id"]) for r in all_rows}
    chosen = [r for r in rows if r["balanced"]]
    assert {r["op"] for r in chosen} == {"negate", "affirm"}
    assert all(r["balanced"] is False for r in rows if r["op"] not in ("negate", "affirm"))
    cells = Counter((r["target"], r["op"]) for r in chosen)
    assert all(cells[(t, "negate")] == cells[(t, "affirm")] for t, _ in cells)
    assert len(chosen) == manifest["blind_filter"]["balanced_pairs"] == manifest["blind_baselines"]["balanced"]["pairs"]
    assert sum(map(sum, map(dict.values, kept.balanced.values()))) == len(chosen)
    # the filter chose fewer than a random draw would (it left variants out), and refused nothing
    assert len(chosen) < sum(r["balanced"] for r in all_rows)
    reviewed = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert not [r for r in reviewed if r["stage"] == "blind_filter"]
    assert manifest["blind_baselines"]["balanced"]["draws"] == 5
    assert manifest["blind_baselines"]["balanced"]["max_accuracy"] is not None
    # the number of workers does not change a byte
    _, _, _, serial = build("serial", workers=1, rejected=tmp_path / "r1.jsonl")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert path.read_bytes() == (serial / path.relative_to(out)).read_bytes(), path
