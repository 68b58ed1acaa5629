"""``--preview N``: originals and variants side by side, edits highlighted, for a person to read."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text


def highlighted(original: str, variant: str, changes: Sequence[dict]) -> tuple[Text, Text]:
    """The two texts with removed words in red (original) and inserted words in green (variant)."""
    left, right = Text(), Text()
    cursor = 0
    for change in sorted(changes, key=lambda c: c["start"]):
        left.append(original[cursor : change["start"]])
        right.append(original[cursor : change["start"]])
        if change["before"]:
            left.append(change["before"], style="bold red strike")
        if change["after"]:
            right.append(change["after"], style="bold green")
        cursor = change["end"]
    left.append(original[cursor:])
    right.append(original[cursor:])
    if right.plain != variant:  # changes that do not rebuild the variant: show it plainly
        right = Text(variant)
    return left, right


def sample_rows(rows: Sequence[dict], n: int, seed: int = 0) -> list[dict]:
    """``n`` rows spread over ops (seeded), in a stable order."""
    by_op: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["op"], r["item_id"])):
        by_op.setdefault(row["op"], []).append(row)
    rng = random.Random(seed)
    picked: list[dict] = []
    ops = sorted(by_op)
    while len(picked) < n and any(by_op.values()):
        for op in ops:
            if by_op[op] and len(picked) < n:
                picked.append(by_op[op].pop(rng.randrange(len(by_op[op]))))
    return picked


def render_preview(rows: Sequence[dict], n: int, seed: int = 0, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(
        title=f"{min(n, len(rows))} sampled items (red: removed, green: added)", show_lines=True, expand=True
    )
    table.add_column("item / op / target", ratio=1, overflow="fold")
    table.add_column("original", ratio=3)
    table.add_column("variant", ratio=3)
    for row in sample_rows(rows, n, seed):
        changes = json.loads(row["changes"]) if isinstance(row["changes"], str) else row["changes"]
        left, right = highlighted(row["original"], row["variant"], changes)
        meta = f"{row['item_id']}\n[bold]{row['op']}[/] {row['target']}\nlocation: {row.get('location')}"
        table.add_row(meta, left, right)
    console.print(table)
