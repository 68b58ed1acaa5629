"""The blind filter (AFLite): it drops the variants that carry a text artefact, and only those."""

from __future__ import annotations

import random

import pytest
from scipy import sparse

from cxralign.benchmark.blind import balanced_pairs, hash_texts, ngram_accuracy
from cxralign.benchmark.debias import FILTER_TARGET, MAX_DROPPED, adversarial_filter, fit_job

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
        if i % 2:
            rows.append(("negate", finding, present, absent, f"p{i}"))
        else:
            affirmed = f"{filler} {tell} {finding}" if rng.random() < tell_share else present
            rows.append(("affirm", finding, absent, affirmed, f"p{i}"))
    return rows


def _balanced_accuracy(rows: list[tuple], dropped: list[int]) -> float:
    """Pairwise accuracy of the build's blind baseline on the balanced set of what is kept."""
    keys = ("op", "target", "original", "variant", "_patient_key")
    kept = [dict(zip(keys, row, strict=True)) for i, row in enumerate(rows) if i not in set(dropped)]
    pairs = balanced_pairs(kept, seed=1)
    return ngram_accuracy([(original, variant) for original, variant, _ in pairs], seed=1)[
        "pairwise_accuracy"
    ]


def test_the_filter_drops_the_variants_with_an_artefact_until_near_chance():
    rows = _pool(600, tell_share=0.5)
    before = _balanced_accuracy(rows, [])
    result = adversarial_filter(rows, seed=0)
    tells = {i for i, row in enumerate(rows) if "there is a right" in row[3]}
    assert before > 0.65
    assert result.reached is True and result.rounds[-1].dropped == 0
    assert max(result.rounds[-1].accuracy, result.rounds[-1].pairwise_accuracy) <= FILTER_TARGET
    # most of what it drops carries the artefact, and most artefacts are gone
    assert len(tells & set(result.dropped)) / len(result.dropped) > 0.6
    assert len(tells - set(result.dropped)) / len(tells) < 0.5
    assert _balanced_accuracy(rows, result.dropped) < 0.6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_clean_pool_loses_little(seed):
    """Without an artefact the held-out estimate is chance give or take its noise (a round at most)."""
    rows = _pool(800, tell_share=0.0, seed=seed)
    result = adversarial_filter(rows, seed=seed)
    assert result.reached is True and len(result.rounds) <= 2
    assert len(result.dropped) <= 0.1 * len(rows)


def test_other_ops_are_never_dropped_and_the_drop_is_bounded():
    rows = _pool(400, tell_share=1.0, tell="zzz unmistakable")
    rows += [("omit", "edema", f"report {i} small edema", f"report {i}", f"q{i}") for i in range(100)]
    result = adversarial_filter(rows, seed=0)
    pool = [i for i, row in enumerate(rows) if row[0] in ("negate", "affirm")]
    assert all(rows[i][0] in ("negate", "affirm") for i in result.dropped)
    assert len(result.dropped) <= MAX_DROPPED * len(pool)
    assert result.reached is False  # every affirmed variant carries it: the bound stops the filter first
    assert result.manifest()["reached_target"] is False


@pytest.mark.parametrize("rows", [_pool(20, 0.5), [r for r in _pool(400, 0.5) if r[0] == "negate"]])
def test_too_few_pairs_or_one_op_only_is_not_filtered(rows):
    result = adversarial_filter(rows, seed=0)
    assert result.reached is None and result.dropped == [] and result.rounds == []


def test_the_result_does_not_depend_on_who_hashes_and_fits():
    rows = _pool(400, tell_share=0.5)

    def chunked_hasher(texts):
        matrix = sparse.vstack(
            [hash_texts(texts[i : i + 37]) for i in range(0, len(texts), 37)], format="csr"
        )
        return lambda: matrix

    def listed_fitter(jobs):
        return [fit_job(job) for job in reversed(jobs)][::-1]

    serial = adversarial_filter(rows, seed=3)
    split = adversarial_filter(rows, seed=3, hasher=chunked_hasher, fitter=listed_fitter)
    assert serial.dropped == split.dropped and serial.rounds == split.rounds
    assert adversarial_filter(rows, seed=4).dropped != serial.dropped  # the seed matters


def test_a_build_writes_only_what_the_filter_kept_and_says_what_it_dropped(
    phantom_dataset, tmp_path, monkeypatch
):
    """The plumbing, with a target low enough that the small phantom set loses variants (it is
    near chance as built)."""
    import json

    import pyarrow.parquet as pq

    from cxralign.benchmark import BuildOptions, build_benchmark

    def build(name: str, **options) -> tuple:
        out = tmp_path / name
        summary = build_benchmark(BuildOptions(source="phantoms", root=phantom_dataset, out=out, **options))
        rows = [
            r for path in sorted((out / "data").glob("*/*.parquet")) for r in pq.read_table(path).to_pylist()
        ]
        return summary, rows, json.loads((out / "manifest.json").read_text()), out

    monkeypatch.setattr("cxralign.benchmark.debias.FILTER_TARGET", 0.3)
    rejected = tmp_path / "rejected.jsonl"
    kept, rows, manifest, out = build("kept", workers=2, rejected=rejected)
    full, all_rows, full_manifest, _ = build("full", blind_filter=False)
    dropped = kept.blind_filtered
    assert len(manifest["blind_filter"]["rounds"]) > 1
    assert manifest["options"]["blind_filter"] is True and full_manifest["blind_filter"] is None
    assert set(dropped) <= {"negate", "affirm"} and sum(map(sum, map(dict.values, dropped.values()))) > 0
    assert full.variants == kept.variants  # verified variants are counted before the filter
    for op in ("negate", "affirm", "omit"):
        written = sum(r["op"] == op for r in rows)
        assert written == sum(kept.variants[op].values()) - sum(dropped.get(op, {}).values())
    assert sum(r["op"] == "omit" for r in rows) == sum(r["op"] == "omit" for r in all_rows)
    assert {(r["op"], r["item_id"]) for r in rows} <= {(r["op"], r["item_id"]) for r in all_rows}
    reviewed = [json.loads(line) for line in rejected.read_text().splitlines()]
    filtered = [r for r in reviewed if r["stage"] == "blind_filter"]
    assert len(filtered) == sum(map(sum, map(dict.values, dropped.values())))
    # the workers hash and fit part of it: one worker gives the same bytes
    _, _, _, serial = build("serial", workers=1, rejected=tmp_path / "r1.jsonl")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        assert path.read_bytes() == (serial / path.relative_to(out)).read_bytes(), path
