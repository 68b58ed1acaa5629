"""``make demo``: the whole cxralign loop on embedded data, end to end.

phantoms -> build -> train-reference (CLIP baseline and negation-aware) -> eval ->
leaderboard submit and render. Every step is the real CLI command a user would
type, printed before it runs, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import os
import shlex
import shutil
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
    n_phantoms: int = 2500
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

    def clear_previous_runs(self) -> None:
        """Remove the training runs and results of an earlier demo in ``out`` (a rerun starts afresh;
        phantoms, benchmark and submissions are replaced by their own ``--overwrite``)."""
        for path in (*(self.run_dir(name) for name in REFERENCE_MODELS), self.results):
            if path.is_dir():
                shutil.rmtree(path)


BENCHMARK_NAME = "cxr-align-phantoms"
DEMO_THREADS = 1  # training (the tiny-cpu preset) and eval alike
PHANTOMS_NAME = "phantoms"

REFERENCE_MODELS = {
    "reference-tiny-clip": "clip",
    "reference-tiny-negaware": "clip,soft,neg,graph",
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


def register_demo_datasets(plan: DemoPlan) -> Path:
    """Write the (dataset, hash) pairs the demo's results used, in the leaderboard registry format.

    The repository's own registry (``cxralign/leaderboard/known_datasets.yaml``) lists the
    phantom benchmark at the demo's default sizes; this file lets a demo run with other
    sizes validate against the datasets it just built.
    """
    import yaml

    from cxralign.tasks.io import read_result
    from cxralign.utils.atomic import atomic_write_text

    hashes: dict[str, set[str]] = {}
    for result_path in sorted(plan.results.rglob("*.json")):  # eval writes only result JSONs there
        result = read_result(result_path)
        hashes.setdefault(result.dataset, set()).add(result.dataset_hash)
    entries = [
        {
            "name": name,
            "hashes": sorted(found),
            "source": "phantoms",
            "description": "built by make demo from the embedded phantom generator",
        }
        for name, found in sorted(hashes.items())
    ]
    path = plan.out / "datasets.yaml"
    atomic_write_text(path, yaml.safe_dump({"datasets": entries}, sort_keys=False))
    return path


def steps(plan: DemoPlan) -> list[tuple[str, list[str]]]:
    """The demo as (title, commands) pairs; each command is a shell-quoted ``cxralign`` line."""
    q = shlex.quote
    seed = plan.seed
    extra_train = "" if plan.train_steps is None else f" --steps {plan.train_steps}"
    registry = q(str(plan.out / "datasets.yaml"))
    train = [
        f"train-reference --preset tiny-cpu --data phantoms={q(str(plan.phantoms))} --losses {losses}"
        f" --out {q(str(plan.run_dir(name)))} --seed {seed}{extra_train}"
        for name, losses in REFERENCE_MODELS.items()
    ]
    evaluate = [
        f"eval --model reference:{q(str(plan.run_dir(name)))} --tasks cxr-align,zeroshot"
        f" --data {BENCHMARK_NAME}:cxr-align={q(str(plan.benchmark))}"
        f" --data {PHANTOMS_NAME}:phantoms={q(str(plan.phantoms))}"
        f" --out {q(str(plan.results / name))} --seed {seed} --no-cache"
        for name in REFERENCE_MODELS
    ]
    submit = [
        f"leaderboard submit {q(str(plan.results / name))} --name {name} --model-name {name}"
        f" --out {q(str(plan.submissions))} --licence Apache-2.0 --training-data phantoms"
        f" --overwrite --datasets {registry}"
        for name in REFERENCE_MODELS
    ]
    render = (
        f"leaderboard render --submissions {q(str(plan.submissions))} --out {q(str(plan.site))}"
        f" --datasets {registry}"
    )
    return [
        (
            "Label the bundled example reports",
            [f"label {q(str(EXAMPLE_REPORTS))} --out {q(str(plan.out / 'labels.csv'))}"],
        ),
        (
            "Generate phantom chest films with reports",
            [
                f"data phantoms --n {plan.n_phantoms} --size {plan.image_size} --seed {seed}"
                f" --out {q(str(plan.phantoms))} --overwrite"
            ],
        ),
        (
            "Build CXR-Align splits from the phantom reports",
            [
                f"build --source phantoms --root {q(str(plan.phantoms))} --out {q(str(plan.benchmark))}"
                f" --seed {seed} --overwrite --preview 3"
            ],
        ),
        ("Train the reference models (CLIP baseline, negation-aware)", train),
        ("Evaluate both on CXR-Align and zero-shot classification", evaluate),
        ("Submit and render the leaderboard", [*submit, render]),
    ]


def parse_args(argv: list[str] | None) -> DemoPlan:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cxralign.demo", description=__doc__)
    parser.add_argument("out", nargs="?", default="demo-output", type=Path, help="output directory")
    parser.add_argument("--n-phantoms", type=int, default=DemoPlan.n_phantoms)
    parser.add_argument("--size", type=int, default=DemoPlan.image_size)
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the preset's)")
    args = parser.parse_args(argv)
    return DemoPlan(out=args.out, n_phantoms=args.n_phantoms, image_size=args.size, train_steps=args.steps)


def main(argv: list[str] | None = None) -> None:
    plan = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not sys.stdout.isatty():  # logs (CI, make demo | tee) get full-width tables
        os.environ.setdefault("COLUMNS", "160")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import torch

    from cxralign.train.trainer import use_deterministic_kernels

    torch.set_num_threads(DEMO_THREADS)  # results depend on the thread count; fix it for every machine
    use_deterministic_kernels()
    started = time.perf_counter()
    plan.clear_previous_runs()
    for title, commands in steps(plan):
        console.print(Rule(f"[bold]{title}"))
        if commands[0].startswith("leaderboard submit"):
            register_demo_datasets(plan)
        for command in commands:
            run_cli(shlex.split(command))
    console.print(Rule("[bold green]done"))
    console.print(f"whole loop: {time.perf_counter() - started:.0f} s")
    console.print(f"leaderboard page: [bold]{plan.site / 'index.html'}[/]")
    for report in sorted(plan.results.rglob("report.html")):
        console.print(f"HTML report: [bold]{report}[/]")


if __name__ == "__main__":
    main()
