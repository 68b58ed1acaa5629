"""Writers for the on-disk benchmark: Parquet per op and split, dataset card, manifest, official JSON.

Everything is written byte-for-byte deterministically: rows sorted by item id,
fixed Parquet options, JSON with sorted keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cxralign.benchmark.schema import COLUMNS, ITEM_SCHEMA, SPLITS
from cxralign.benchmark.sources import LICENCES, UNKNOWN_LICENCE


def write_parquet(path: Path, rows: Sequence[Mapping]) -> None:
    """One split file; identical rows always give identical bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=itemgetter("item_id"))
    # the rows as columns: one C-level transpose instead of a Python loop per column (twice as fast)
    columns = list(zip(*map(itemgetter(*COLUMNS), ordered), strict=True)) or [()] * len(COLUMNS)
    table = pa.Table.from_pydict(dict(zip(COLUMNS, map(list, columns), strict=True)), schema=ITEM_SCHEMA)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=False,
        store_schema=True,
        row_group_size=50_000,
    )


def preload() -> None:
    """Make pyarrow's first conversion now: it imports pandas then (over half a second), which a
    build would otherwise pay in its tail, where it writes the splits while the workers wait."""
    pa.array(["preload"])


def dump_json(obj: object) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dataset_card(
    name: str,
    files: Mapping[str, Sequence[str]],
    counts: Mapping[str, Mapping[str, int]],
    source: str,
    access: str,
    notice: str,
) -> str:
    """README.md with a YAML header declaring one ``datasets`` config per op."""
    licence, licence_name, link = LICENCES.get(source, UNKNOWN_LICENCE)
    lines = ["---", f"pretty_name: {name}", f"license: {licence}", f"license_name: {json.dumps(licence_name)}",
             *([f"license_link: {link}"] if link else []), "task_categories:", "- zero-shot-image-classification",
             "tags:", "- medical", "- chest-x-ray", "- cxr-align", "configs:"]  # fmt: skip
    for op in sorted(files):
        lines.append(f"- config_name: {op}")
        lines.append("  data_files:")
        for split in SPLITS:
            if split in files[op]:
                lines += [f"  - split: {split}", f"    path: data/{op}/{split}.parquet"]
    lines += ["---", "", f"# {name}", ""]
    lines.append(
        f"CXR-Align style items built by `cxralign build` from the `{source}` source (access: {access}). "
        "Each row pairs an image's true report with one minimally edited, verified variant that contradicts it "
        "about one finding. See `manifest.json` for inputs, options, rejections and blind baselines."
    )
    lines += ["", "| op | " + " | ".join(SPLITS) + " |", "|---|" + "---|" * len(SPLITS)]
    for op in sorted(counts):
        lines.append(f"| {op} | " + " | ".join(str(counts[op].get(split, 0)) for split in SPLITS) + " |")
    lines += ["", f"Licence: {licence_name}" + (f" ({link})." if link else "."), "", notice, ""]
    return "\n".join(lines)


def official_json(rows_by_op: Mapping[str, Sequence[Mapping]], source: str) -> dict:
    """``{source: {image_id: {report, chosen, negation, omitted, location}}}`` as in the original release.

    Only items that have both a negation and an omission variant appear, as in the release.
    """
    omitted = {row["item_id"]: row for row in rows_by_op.get("omit", ())}
    entries: dict[str, dict] = {}
    for row in sorted(rows_by_op.get("negate", ()), key=lambda r: r["item_id"]):
        other = omitted.get(row["item_id"])
        if other is None:
            continue
        key = row["image_id"] or row["item_id"]
        if key in entries:
            continue
        entries[key] = {
            "report": row["original"],
            "chosen": row["target"],
            "negation": row["variant"],
            "omitted": other["variant"],
            "location": row["location"],
        }
    return {source: entries}


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
