"""``make demo``: the whole cxralign loop on embedded data, end to end.

phantoms -> build -> train-reference (CLIP baseline and negation-aware) -> eval ->
leaderboard submit and render. Every step is the real CLI command a user would
type, printed before it runs, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

console = Console()

EXAMPLE_REPORTS = Path(__file__).parent / "examples" / "reports.csv"


@dataclass(frozen=True)
class DemoPlan:
    """Sizes chosen so the whole loop runs in a few minutes on 2 CPU cores."""

    out: Path
    n_phantoms: int = 1200
    image_size: int = 96
    seed: int = 0
    train_steps: int | None = None  # None: the tiny-cpu preset's own

    @property
    def phantoms(self) -> Path:
        return self.out / "phantoms"

    @property
    def benchmark(self) -> Path:
        return self.out / "benchmark"

    def run_dir(self, name: str) -> Path:
        return self.out / "runs" / name

    @property
    def results(self) -> Path:
        return self.out / "results"

    @property
    def submissions(self) -> Path:
        return self.out / "submissions"

    @property
    def site(self) -> Path:
        return self.out / "site"


REFERENCE_MODELS = {
    "reference-tiny-clip": "clip",
    "reference-tiny-negaware": "clip,neg",
}


def run_cli(args: list[str]) -> None:
    """Run one ``cxralign`` command in this process, showing it first."""
    from cxralign.cli import main

    console.print(f"[bold cyan]$ cxralign {shlex.join(args)}[/]")
    try:
        main(args)
    except SystemExit as done:
        if done.code not in (0, None):
            raise SystemExit(f"demo step failed: cxralign {shlex.join(args)} (exit {done.code})") from None


def steps(plan: DemoPlan) -> list[tuple[str, list[list[str]]]]:
    """The demo as (title, commands) pairs."""
    seed = str(plan.seed)
    train_steps = [] if plan.train_steps is None else ["--steps", str(plan.train_steps)]
    train = [
        [
            "train-reference", "--preset", "tiny-cpu", "--data", f"phantoms={plan.phantoms}",
            "--losses", losses, "--out", str(plan.run_dir(name)), "--seed", seed, *train_steps,
        ]
        for name, losses in REFERENCE_MODELS.items()
    ]
    evaluate = [
        [
            "eval", "--model", f"reference:{plan.run_dir(name)}", "--tasks", "cxr-align,zeroshot",
            "--data", f"cxr-align={plan.benchmark}", "--data", f"phantoms={plan.phantoms}",
            "--out", str(plan.results / name), "--seed", seed, "--no-cache",
        ]
        for name in REFERENCE_MODELS
    ]
    submit = [
        [
            "leaderboard", "submit", str(plan.results / name), "--name", name, "--model-name", name,
            "--out", str(plan.submissions), "--licence", "Apache-2.0", "--training-data", "phantoms",
            "--overwrite",
        ]
        for name in REFERENCE_MODELS
    ]
    return [
        ("Label the bundled example reports", [["label", str(EXAMPLE_REPORTS), "--out", str(plan.out / "labels.csv")]]),
        (
            "Generate phantom chest films with reports",
            [[
                "data", "phantoms", "--n", str(plan.n_phantoms), "--size", str(plan.image_size),
                "--seed", seed, "--out", str(plan.phantoms), "--overwrite",
            ]],
        ),
        (
            "Build CXR-Align splits from the phantom reports",
            [[
                "build", "--source", "phantoms", "--root", str(plan.phantoms), "--out", str(plan.benchmark),
                "--seed", seed, "--overwrite", "--preview", "3",
            ]],
        ),
        ("Train the reference models (CLIP baseline, negation-aware)", train),
        ("Evaluate both on CXR-Align and zero-shot classification", evaluate),
        ("Submit and render the leaderboard", [*submit, [
            "leaderboard", "render", "--submissions", str(plan.submissions), "--out", str(plan.site),
            "--no-reported",
        ]]),
    ]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("demo-output")
    plan = DemoPlan(out=out)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    started = time.perf_counter()
    for title, commands in steps(plan):
        console.print(Rule(f"[bold]{title}"))
        for command in commands:
            run_cli(command)
    console.print(Rule("[bold green]done"))
    console.print(f"whole loop: {time.perf_counter() - started:.0f} s")
    console.print(f"leaderboard page: [bold]{plan.site / 'index.html'}[/]")
    for name in REFERENCE_MODELS:
        console.print(f"HTML report ({name}): [bold]{plan.results / name / 'report.html'}[/]")


if __name__ == "__main__":
    main()
