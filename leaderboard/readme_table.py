"""README's results table, generated from the committed submissions (never typed by hand).

    python leaderboard/readme_table.py           # rewrite the table in README.md
    python leaderboard/readme_table.py --check   # exit 1 if README.md differs (a test runs this)

Run it after re-seeding the leaderboard (``make leaderboard-seed``). The table sits between
the ``results-table`` markers in README.md; each column is one metric of one task, named in
``COLUMNS``; the best value of a column is bold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SUBMISSIONS = REPO / "leaderboard" / "submissions"
START, END = "<!-- results-table:start -->", "<!-- results-table:end -->"

# (header, task, metric, show the 95% interval)
COLUMNS = (
    ("balanced (negate + affirm per finding)", "cxr-align", "balanced.accuracy", True),
    ("grounded (vs control images)", "cxr-align", "grounded.accuracy", True),
    ("Task A: negated (comparable to CXR-Align; text-solvable)", "cxr-align", "negation.accuracy", False),
    ("Task B: omitted (text-solvable)", "cxr-align", "omission.accuracy", False),
    ("zero-shot mean AUROC", "zeroshot", "auroc.mean", False),
)


def _metrics(submission: dict) -> dict[tuple[str, str], dict]:
    return {(task["task"], name): value for task in submission["tasks"] for name, value in task["metrics"].items()}


def render_table(submissions: Path = SUBMISSIONS) -> str:
    """The Markdown table, one row per submission (sorted by name)."""
    rows = []
    for path in sorted(submissions.glob("*/submission.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append((data["name"], _metrics(data)))
    best = {}
    for _, task, metric, _ in COLUMNS:
        values = [m[(task, metric)]["value"] for _, m in rows if (task, metric) in m]
        best[(task, metric)] = max(values) if len(values) > 1 else None
    lines = [
        "| model | " + " | ".join(header for header, *_ in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, metrics in rows:
        cells = []
        for _, task, metric, interval in COLUMNS:
            found = metrics.get((task, metric))
            if found is None:
                cells.append("–")
                continue
            value = f"{found['value']:.3f}"
            if best[(task, metric)] is not None and f"{best[(task, metric)]:.3f}" == value:
                value = f"**{value}**"
            if interval and found.get("ci_low") is not None:
                value += f" [{found['ci_low']:.3f}, {found['ci_high']:.3f}]"
            cells.append(value)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the markers replaced by ``table``."""
    head, found_start, rest = readme.partition(START)
    body, found_end, tail = rest.partition(END)
    if not (found_start and found_end):
        raise SystemExit(f"README.md lacks the {START} ... {END} markers")
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    wanted = with_table(current, render_table())
    if "--check" in argv:
        if current != wanted:
            print("README.md's results table differs from leaderboard/submissions; run python leaderboard/readme_table.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
