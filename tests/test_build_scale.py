"""The build at scale: the blind filter reads a capped sample of a large pool, and the shortcuts
that keep the blind baselines cheap give the figures the long way gives."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from cxralign.benchmark import BuildOptions, build_benchmark
from cxralign.benchmark import build as build_module
from cxralign.benchmark.blind import pair_groups
from cxralign.benchmark.probes import PROBES, pair_features, probe_accuracies
from tests.test_build import fabricated_reports


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "reports.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["report_id", "patient_id", "report"])
        writer.writeheader()
        for row in fabricated_reports(160, seed=4):
            writer.writerow({key: row[key] for key in ("report_id", "patient_id", "report")})
    return path


def _build(source, out, workers: int = 1) -> dict:
    build_benchmark(BuildOptions(source="csv", root=source, out=out, text_column="report", workers=workers))
    return json.loads((out / "manifest.json").read_text())


def _balanced_rows(out) -> int:
    return sum(sum(pq.read_table(p).column("balanced").to_pylist()) for p in (out / "data").glob("*/*.parquet"))


def test_a_pool_within_the_cap_is_read_whole(source, tmp_path):
    manifest = _build(source, tmp_path / "whole")
    assert "sampled" not in manifest["blind_filter"]
    assert manifest["blind_filter"]["pool"] <= build_module.FILTER_POOL


def test_a_larger_pool_is_sampled_and_the_balanced_set_comes_from_the_sample(source, tmp_path, monkeypatch):
    whole = _build(source, tmp_path / "whole")["blind_filter"]
    cap = whole["pool"] // 2
    monkeypatch.setattr(build_module, "FILTER_POOL", cap)
    outs = [tmp_path / "one", tmp_path / "two"]
    sampled = _build(source, outs[0])["blind_filter"]
    assert sampled["sampled"] == {"rows": cap, "of": whole["pool"], "seed": 2}
    assert sampled["pool"] == cap and 0 < sampled["balanced_pairs"] <= cap
    assert _balanced_rows(outs[0]) == sampled["balanced_pairs"]
    # the same bytes with two workers (the per-op baselines are fitted while the filter runs)
    _build(source, outs[1], workers=2)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_features_made_once_give_each_draw_what_it_made_itself():
    pairs = [(f"case {i} small effusion. heart normal", f"case {i} no effusion. heart normal") for i in range(30)]
    pairs += [(f"case {i} no edema", f"case {i} mild edema seen") for i in range(30, 60)]
    groups = pair_groups(pairs)
    diffs = {name: pair_features(PROBES[name], pairs) for name in PROBES}
    for seed in (0, 7001, 14002):
        assert probe_accuracies(pairs, groups, seed, diffs=diffs) == probe_accuracies(pairs, groups, seed)
