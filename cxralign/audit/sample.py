"""A seeded sample of a build's variants, stratified per op (equal shares where the ops allow)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from cxralign.audit.identity import BuildIdentity, build_identity, text_sha256
from cxralign.benchmark.load import benchmark_files
from cxralign.benchmark.schema import BenchmarkItem
from cxralign.errors import ConfigError, InputError
from cxralign.utils.hashing import sha256_json

SAMPLE_COLUMNS = (
    "item_id", "split", "op", "target", "target_concept", "target_present", "original", "variant",
    "location", "changes",
)  # fmt: skip


@dataclass(frozen=True)
class AuditSample:
    """The rows a reviewer reads, in the (seeded, shuffled) order of the sheet."""

    identity: BuildIdentity
    seed: int
    requested: int
    items: tuple[BenchmarkItem, ...]
    available: Mapping[str, int]  # variants in the build per op

    @property
    def per_op(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.op] = counts.get(item.op, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def keys(self) -> list[str]:
        return [item_key(item.op, item.item_id) for item in self.items]

    @property
    def sample_sha256(self) -> str:
        return sample_hash(self.identity.data_sha256, self.seed, self.keys)


def item_key(op: str, item_id: str) -> str:
    """An item has one variant per op: the pair names a row of the build."""
    return f"{op}/{item_id}"


def sample_hash(data_sha256: str, seed: int, keys: Sequence[str]) -> str:
    """Names one sample of one build: a verdict file whose rows were dropped or added no longer matches."""
    return sha256_json({"data_sha256": data_sha256, "seed": seed, "keys": sorted(keys)})


def allocate(available: Mapping[str, int], n: int) -> dict[str, int]:
    """Equal shares per op; an op with fewer variants than its share gives the rest to the others."""
    shares = dict.fromkeys(sorted(available), 0)
    remaining = n
    while remaining > 0:
        open_ops = [op for op in shares if shares[op] < available[op]]
        if not open_ops:
            break
        for op in open_ops[:remaining]:
            shares[op] += 1
            remaining -= 1
    return {op: k for op, k in shares.items() if k}


def read_rows(build: Path, ops: Sequence[str] | None = None) -> dict[str, list[dict]]:
    """Every variant row of the build, per op, sorted by item id (the draw must not depend on file order)."""
    files = benchmark_files(build)
    if ops:
        unknown = sorted(set(ops) - set(files))
        if unknown:
            raise ConfigError(f"{build}: no variants for op(s) {', '.join(unknown)} (it has {', '.join(files)})")
        files = {op: files[op] for op in ops}
    rows: dict[str, list[dict]] = {}
    for op, splits in files.items():
        for split in splits:
            table = pq.read_table(Path(build) / "data" / op / f"{split}.parquet", columns=list(SAMPLE_COLUMNS))
            rows.setdefault(op, []).extend(table.to_pylist())
        rows[op].sort(key=lambda row: row["item_id"])
    if not any(rows.values()):
        raise InputError(f"{build}: the build has no variants to sample")
    return rows


def draw_sample(build: str | Path, n: int = 60, seed: int = 0, ops: Sequence[str] | None = None) -> AuditSample:
    """``n`` variants, equal per op where possible, each op drawn with its own seeded stream; the sheet's
    order is shuffled so that a reviewer does not read one op's rows as a block."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1 (got {n})")
    root = Path(build)
    identity = build_identity(root)
    rows = read_rows(root, ops)
    available = {op: len(op_rows) for op, op_rows in rows.items()}
    chosen: list[dict] = []
    for op, k in allocate(available, n).items():
        chosen += random.Random(f"cxralign-audit:{seed}:{op}").sample(rows[op], k)
    random.Random(f"cxralign-audit:{seed}:order").shuffle(chosen)
    items = tuple(BenchmarkItem.from_row(row) for row in chosen)
    return AuditSample(identity=identity, seed=seed, requested=n, items=items, available=available)


def blank_verdicts(sample: AuditSample) -> dict:
    """The verdict file the sheet saves, with no verdict given yet (the sheet embeds it as its start)."""
    return {
        "format": "cxralign-audit-verdicts",
        "format_version": 1,
        "build": sample.identity.as_record(),
        "sample": {
            "seed": sample.seed,
            "requested": sample.requested,
            "per_op": sample.per_op,
            "available": dict(sorted(sample.available.items())),
            "sample_sha256": sample.sample_sha256,
        },
        "reviewer": "",
        "reviewed_on": None,
        "items": [
            {
                "key": item_key(item.op, item.item_id),
                "item_id": item.item_id,
                "op": item.op,
                "target": item.target,
                "variant_sha256": text_sha256(item.variant),
                "verdict": None,
                "reason": "",
            }
            for item in sample.items
        ],
    }
