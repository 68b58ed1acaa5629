"""``make demo``: the whole cxralign loop on embedded data, end to end.

phantoms -> build -> train-reference (CLIP baseline and negation-aware) -> eval ->
leaderboard submit and render. Every step is a call of the Python API
(:mod:`cxralign.api`, the library functions behind the CLI commands), printed before it
runs, so the demo doubles as a tutorial.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule

console = Console()

EXAMPLE_REPORTS = Path(__file__).parent / "examples" / "reports.csv"


def _below(name: str) -> property:
    """A folder of the demo's output directory, by name."""
    return property(lambda plan: plan.out / name)


@dataclass(frozen=True)
class DemoPlan:
    """Sizes chosen so the whole loop runs in a few minutes on 2 CPU cores."""

    out: Path
    n_phantoms: int = 2500
    image_size: int = 96
    seed: int = 0
    train_steps: int | None = None  # None: the tiny-cpu preset's own

    phantoms = _below("phantoms")
    benchmark = _below("benchmark")
    results = _below("results")
    submissions = _below("submissions")
    site = _below("site")

    def run_dir(self, name: str) -> Path:
        return self.out / "runs" / name

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


@dataclass(frozen=True)
class Call:
    """One demo step: ``cxralign.api.<function>(*args, **kwargs)``."""

    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = [repr(str(a) if isinstance(a, Path) else a) for a in self.args]
        shown += [f"{k}={str(v) if isinstance(v, Path) else v!r}" for k, v in self.kwargs.items()]
        return f"cxralign.api.{self.function}({', '.join(shown)})"

    def run(self) -> Any:
        from cxralign import api

        console.print(f"[bold cyan]>>> {self}[/]", highlight=False, soft_wrap=True)
        return getattr(api, self.function)(*self.args, **self.kwargs)


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


def _train_overrides(plan: DemoPlan, name: str, losses: str) -> list[dict[str, Any]]:
    """The overrides ``train-reference --data phantoms=DIR --losses ... --out ... --steps ... --seed ...`` makes."""
    overrides: list[dict[str, Any]] = [
        {"data": {"source": "phantoms", "path": str(plan.phantoms)}},
        {"losses": {"enabled": losses.split(",")}},
        {"out": str(plan.run_dir(name))},
    ]
    if plan.train_steps is not None:
        overrides.append({"train": {"steps": plan.train_steps}})
    return [*overrides, {"seed": plan.seed}]


def steps(plan: DemoPlan) -> list[tuple[str, list[Call]]]:
    """The demo as (title, calls) pairs; each call is a function of :mod:`cxralign.api`."""
    seed = plan.seed
    registry = [plan.out / "datasets.yaml"]
    train = [
        Call(
            "train_reference",
            kwargs={"preset": "tiny-cpu", "overrides": _train_overrides(plan, name, losses)},
        )
        for name, losses in REFERENCE_MODELS.items()
    ]
    data = {f"{BENCHMARK_NAME}:cxr-align": plan.benchmark, f"{PHANTOMS_NAME}:phantoms": plan.phantoms}
    evaluate = [
        Call(
            "evaluate",
            (f"reference:{plan.run_dir(name)}", "cxr-align,zeroshot"),
            {"data": data, "out": plan.results / name, "seed": seed, "cache": False, "html": True},
        )
        for name in REFERENCE_MODELS
    ]
    card = {"licence": "Apache-2.0", "training_datasets": ["phantoms"]}
    submit = [
        Call(
            "submit",
            (plan.results / name, name, plan.submissions),
            {"model_name": name, **card, "overwrite": True, "datasets": registry},
        )
        for name in REFERENCE_MODELS
    ]
    render = Call("render_leaderboard", (plan.submissions, plan.site), {"datasets": registry})
    phantoms = {"n": plan.n_phantoms, "size": plan.image_size, "seed": seed, "overwrite": True}
    build = {"seed": seed, "overwrite": True}
    return [
        ("Label the bundled example reports", [Call("label", (EXAMPLE_REPORTS, plan.out / "labels.csv"))]),
        ("Generate phantom chest films with reports", [Call("phantoms", (plan.phantoms,), phantoms)]),
        (
            "Build CXR-Align splits from the phantom reports",
            [Call("build", ("phantoms", plan.phantoms, plan.benchmark), build)],
        ),
        ("Train the reference models (CLIP baseline, negation-aware)", train),
        ("Evaluate both on CXR-Align and zero-shot classification", evaluate),
        ("Submit and render the leaderboard", [*submit, render]),
    ]


def show(result: Any) -> None:
    """A line (or table) saying what a step made."""
    from cxralign.api import results_table

    if isinstance(result, list):  # evaluate's TaskResults
        console.print(results_table(result).to_string(index=False), highlight=False)
    elif isinstance(result, dict) and "counts" in result:  # the phantom manifest
        console.print(f"phantom studies per split: {result['counts']['samples']}", highlight=False)
    elif result is not None:
        shown = getattr(result, "model_dir", None) or result
        console.print(f"-> {shown if isinstance(shown, Path) else type(result).__name__}", highlight=False)


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
    for title, calls in steps(plan):
        console.print(Rule(f"[bold]{title}"))
        if calls[0].function == "submit":
            register_demo_datasets(plan)
        for call in calls:
            show(call.run())
    console.print(Rule("[bold green]done"))
    console.print(f"whole loop: {time.perf_counter() - started:.0f} s")
    console.print(f"leaderboard page: [bold]{plan.site / 'index.html'}[/]")
    for report in sorted(plan.results.rglob("report.html")):
        console.print(f"HTML report: [bold]{report}[/]")


if __name__ == "__main__":
    main()
