"""Refusals counted by op and reason, so a build's counts add up: attempted = kept + refused.

The rewrite engine refuses an item when it is not sure (precision first); each refusal carries a
short reason. Reasons are grouped by their kind (the words before any quoted or bracketed detail),
and the ops that do not apply count as a reason of their own. (The blind filter refuses nothing: it
chooses the balanced set among the kept variants.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

NOT_APPLICABLE = "op does not apply (no side or grade to change)"


def reason_kind(reason: str) -> str:
    """ "severity 'moderate' is part of a range" -> "severity … is part of a range"; details dropped."""
    kind = re.sub(r"\s*\([^)]*\)?", "", reason)
    kind = re.sub(r"'[^']*'|\"[^\"]*\"", "…", kind)
    kind = re.split(r":\s", kind, maxsplit=1)[0]
    return " ".join(kind.split()) or reason


def refusal_table(refused: Counter) -> dict[str, dict[str, int]]:
    """op -> reason kind -> n, most frequent first."""
    table: dict[str, Counter] = {}
    for (op, reason), n in refused.items():
        table.setdefault(op, Counter())[reason] += n
    return {op: dict(counter.most_common()) for op, counter in sorted(table.items())}


def accounting(
    attempted: Mapping[str, int],
    refused: Mapping[str, Mapping[str, int]],
    splits: Mapping[str, Mapping[str, int]],
) -> dict:
    """Per op: (report, finding) pairs attempted, kept (in a split) and refused (by any reason), and
    whether they add up (attempted = kept + refused)."""
    result = {}
    for op in sorted(set(attempted) | set(refused) | set(splits)):
        kept = sum(splits.get(op, {}).values())
        refusals = sum(refused.get(op, {}).values())
        tried = attempted.get(op, 0)
        result[op] = {
            "attempted": tried,
            "kept": kept,
            "refused": refusals,
            "adds_up": tried == kept + refusals,
        }
    return result


def refusals_markdown(
    attempted: Mapping[str, int],
    refused: Mapping[str, Mapping[str, int]],
    splits: Mapping[str, Mapping[str, int]],
) -> str:
    """The dataset card's section: what each op kept and why it refused the rest."""
    lines = [
        "",
        "## Refusals",
        "",
        "The rewrite engine refuses an item rather than guess; every refusal is counted.",
        "",
    ]
    lines += ["| op | attempted | kept | refused |", "|---|---|---|---|"]
    for op, row in accounting(attempted, refused, splits).items():
        lines.append(f"| {op} | {row['attempted']} | {row['kept']} | {row['refused']} |")
    for op, reasons in refused.items():
        lines += ["", f"### {op}", "", "| reason | n |", "|---|---|"]
        lines += [f"| {reason} | {n} |" for reason, n in reasons.items()]
    return "\n".join(lines) + "\n"
