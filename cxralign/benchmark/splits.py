"""Patient-level split assignment: a patient's items always land in one split.

A source's own patient-disjoint split is kept. Otherwise patients are assigned by iterative
stratification (Sechidis et al., 2011) over (finding, op) cells: the cell with the fewest
unassigned items first, each of its patients to the split still furthest below its quota of that
cell (a hash of the patient id breaks ties). Quotas are proportional to the split fractions, except
that the test split of every cell that has ``MIN_TEST_ITEMS`` items first gets that many (a
smaller cell cannot be reported per finding anyway and is split in proportion): a 20% test share of a cell of 60 items is 12, too few for a per-finding figure, which
results withhold below 30 items (``cxralign.tasks.results.MIN_FINDING_N``).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from cxralign.benchmark.schema import SPLITS
from cxralign.errors import ConfigError

DEFAULT_FRACTIONS: dict[str, float] = {"train": 0.7, "validation": 0.1, "test": 0.2}
MIN_TEST_ITEMS = 30
"""Test items every (finding, op) cell gets before the proportional fill (equal to the minimum n
at which per-finding results are shown)."""
_SOURCE_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "validate": "validation",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}


def hash_split(key: str, fractions: dict[str, float] | None = None, salt: str = "cxralign-split-v1") -> str:
    """Split from a stable hash of the patient id (independent of order, platform and seed)."""
    fractions = fractions or DEFAULT_FRACTIONS
    total = sum(fractions.values())
    if total <= 0:
        raise ConfigError("split fractions must sum to a positive number")
    value = int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") / 2**64
    cumulative = 0.0
    for name in SPLITS:
        cumulative += fractions.get(name, 0.0) / total
        if value < cumulative:
            return name
    return SPLITS[-1]


def normalise_split(name: object) -> str | None:
    """A source's own split name mapped onto train / validation / test (None when unknown)."""
    if name is None:
        return None
    return _SOURCE_SPLIT_NAMES.get(str(name).strip().lower())


class SplitAssigner:
    """Use the source's patient-disjoint split when it has one, else hash the patient id.

    A patient seen in two source splits is moved to its hashed split everywhere, so
    no patient ever crosses splits in our output.
    """

    def __init__(self, fractions: dict[str, float] | None = None) -> None:
        self.fractions = fractions or DEFAULT_FRACTIONS
        self._source: dict[str, str] = {}
        self.conflicts: set[str] = set()

    def observe(self, patient_key: str, source_split: object) -> None:
        split = normalise_split(source_split)
        if split is None:
            return
        known = self._source.setdefault(patient_key, split)
        if known != split:
            self.conflicts.add(patient_key)

    def observe_all(self, pairs: Iterable[tuple[str, object]]) -> None:
        for key, split in pairs:
            self.observe(key, split)

    def has_source_split(self, patient_key: str) -> bool:
        return patient_key in self._source and patient_key not in self.conflicts

    def assign(self, patient_key: str) -> str:
        if patient_key in self._source and patient_key not in self.conflicts:
            return self._source[patient_key]
        return hash_split(patient_key, self.fractions)


def _hash_unit(key: str, salt: str = "cxralign-stratify-v1") -> float:
    return int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") / 2**64


def cell_quotas(
    totals: Mapping, shares: Mapping[str, float], min_test: int = MIN_TEST_ITEMS
) -> dict[str, dict]:
    """Split -> cell -> items wanted: the test split gets its share of each cell, but at least
    ``min_test`` items of a cell that has them; the other splits the rest in proportion."""
    rest_share = sum(share for name, share in shares.items() if name != "test")
    quotas: dict[str, dict] = {name: {} for name in shares}
    for cell, total in totals.items():
        test = 0.0
        if "test" in shares:
            floor = float(min_test) if total >= min_test else 0.0
            test = max(shares["test"] * total, floor) if rest_share else float(total)
            quotas["test"][cell] = test
        for name, share in shares.items():
            if name != "test":
                quotas[name][cell] = (total - test) * share / rest_share
    return quotas


def stratified_splits(
    cells_by_patient: Mapping[str, Counter],
    fractions: dict[str, float] | None = None,
    min_test: int = MIN_TEST_ITEMS,
) -> dict[str, str]:
    """Patient -> split, so that each (finding, op) cell meets its quota (``cell_quotas``).

    First the test floors: for each cell that has ``min_test`` items (rarest first), patients
    holding it go to test until it has ``min_test`` (patients bringing the fewest items first),
    before any patient is put elsewhere (cells share patients: a finding's ops come from the same
    reports, so a proportional pass over one cell would take another's items away). Then Sechidis
    et al.'s order: the cell with the fewest items among unassigned patients first; each of its
    patients goes to the split that still wants most of that cell (then most items overall, then a
    hash), and what the patient brings is taken off that split's wants for every cell.
    """
    fractions = fractions or DEFAULT_FRACTIONS
    total = sum(fractions.values())
    shares = {name: fractions.get(name, 0.0) / total for name in SPLITS if fractions.get(name, 0.0) > 0}
    remaining: Counter = Counter()
    holders: dict = defaultdict(list)
    for key, cells in cells_by_patient.items():
        remaining.update(cells)
        for cell in cells:
            holders[cell].append(key)
    wants = cell_quotas(remaining, shares, min_test)
    wants_total = {name: sum(quota.values()) for name, quota in wants.items()}
    out: dict[str, str] = {}
    in_test: Counter = Counter()

    def assign(key: str, split: str) -> None:
        out[key] = split
        if split == "test":
            in_test.update(cells_by_patient[key])
        for held, n in cells_by_patient[key].items():
            wants[split][held] -= n
            wants_total[split] -= n
            remaining[held] -= n

    if "test" in shares and min_test > 0:
        floors = sorted(
            (c for c, n in remaining.items() if n >= min_test), key=lambda c: (remaining[c], str(c))
        )
        for cell in floors:
            candidates = sorted(
                (k for k in holders[cell] if k not in out),
                key=lambda k: (sum(cells_by_patient[k].values()), _hash_unit(k)),
            )
            for key in candidates:
                if in_test[cell] >= min_test:
                    break
                assign(key, "test")
    remaining = +remaining
    while remaining:
        cell = min(remaining, key=lambda c: (remaining[c], str(c)))
        for key in sorted(holders.pop(cell), key=_hash_unit):
            if key in out:
                continue
            assign(
                key,
                max(
                    shares,
                    key=lambda name, key=key: (
                        wants[name][cell],
                        wants_total[name],
                        -_hash_unit(f"{key}:{name}"),
                    ),
                ),
            )
        remaining = +remaining  # drop the cells no unassigned patient holds
    for key in cells_by_patient:  # patients with no cell at all
        out.setdefault(
            key, max(shares, key=lambda name, key=key: (wants_total[name], -_hash_unit(f"{key}:{name}")))
        )
    return out
