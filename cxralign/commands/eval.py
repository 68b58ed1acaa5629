"""``cxralign eval``, ``cxralign tasks list`` and ``cxralign compare``: parse options, call the library."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

_out = Console()
_err = Console(stderr=True)


def _summary(outcomes) -> Table:
    table = Table(title="cxralign eval", show_lines=False)
    for column in (
        "task",
        "dataset",
        "split",
        "main score",
        "value [95% CI]",
        "chance",
        "blind",
        "n",
        "status",
    ):
        table.add_column(column, no_wrap=column in ("task", "dataset", "main score"))
    for outcome in outcomes:
        if not outcome.results:
            table.add_row(
                outcome.task,
                outcome.dataset,
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                f"[red]{outcome.status}[/]: {outcome.message}"
                if outcome.status == "failed"
                else f"{outcome.status}: {outcome.message}",
            )
            continue
        for result in outcome.results:
            metric = result.metrics.get(result.main_score)
            if metric is None:
                value = chance = blind = n = "-"
            else:
                ci = f" [{metric.ci_low:.3f}, {metric.ci_high:.3f}]" if metric.ci_low is not None else ""
                value = f"{metric.value:.3f}{ci}"
                chance = "-" if metric.chance is None else f"{metric.chance:.3f}"
                blind = "-" if metric.blind is None else f"{metric.blind:.3f}"
                n = "-" if metric.n is None else str(metric.n)
            table.add_row(
                result.task,
                result.dataset,
                result.split,
                result.main_score,
                value,
                chance,
                blind,
                n,
                outcome.status,
            )
    return table


def _comparison(outcomes_by_model: dict[str, list]) -> Table:
    """One row per (task, dataset, split), one column per model: the main score with its 95% interval."""
    table = Table(title="cxralign eval: models compared", show_lines=False)
    for column in ("task", "dataset", "split", "main score"):
        table.add_column(column, no_wrap=column != "split")
    for spec in outcomes_by_model:  # long specs fold in the header; "0.512 [0.431, 0.590]" stays whole
        table.add_column(spec, overflow="fold", min_width=21)
    cells: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for spec, outcomes in outcomes_by_model.items():
        for outcome in outcomes:
            if not outcome.results:
                key = (outcome.task, outcome.dataset, "-", "-")
                cells.setdefault(key, {})[spec] = f"{outcome.status}: {outcome.message}"
            for result in outcome.results:
                metric = result.metrics.get(result.main_score)
                key = (result.task, result.dataset, result.split, result.main_score)
                cells.setdefault(key, {})[spec] = _value(metric)
    for key, row in cells.items():
        table.add_row(*key, *(row.get(spec, "-") for spec in outcomes_by_model))
    return table


def _value(metric) -> str:
    if metric is None:
        return "-"
    ci = f" [{metric.ci_low:.3f}, {metric.ci_high:.3f}]" if metric.ci_low is not None else ""
    return f"{metric.value:.3f}{ci}"


def _launch_torchrun(nproc: int) -> None:
    """Run this same command under ``torchrun --nproc_per_node N`` (without ``--nproc``) and exit with its code."""
    import subprocess
    import sys

    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            args.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    raise typer.Exit(subprocess.call([*command, "-m", "cxralign", *args]))


def eval_command(
    model: list[str] = typer.Option(
        ...,
        "--model",
        "-m",
        help="Model spec, e.g. zoo:NAME, open_clip:ViT-B-32@/ckpt.pt or open_clip:ViT-B-32@random; repeat to compare.",
    ),
    tasks: str = typer.Option(
        None, "--tasks", help="Comma list: cxr-align,zeroshot,linear-probe,finetune,retrieval."
    ),
    suite: str = typer.Option(
        None, "--suite", help="A named set of tasks: cxr-align, quick, standard, full."
    ),
    data: list[str] = typer.Option(
        [],
        "--data",
        help="LOADER=PATH or LABEL:LOADER=PATH, repeatable (cxr-align=BUILD_DIR, chexpert=ROOT, phantoms=DIR, ...).",
    ),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Results directory."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1, mps."),
    precision: str = typer.Option("fp32", "--precision", help="fp32, fp16 or bf16."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Images or texts embedded per forward pass."),
    seed: int = typer.Option(0, "--seed", help="Seeds bootstraps, label-fraction subsets and fine-tuning."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for 95% intervals."),
    resume: bool = typer.Option(
        False, "--resume", help="Skip results that exist for the same model fingerprint and config."
    ),
    cache_dir: Path = typer.Option(
        None, "--cache-dir", help="Embedding cache directory (default: the model stage's)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the embedding cache."),
    uncertain: str = typer.Option(
        "ignore", "--uncertain", help="Uncertain (-1) labels: ignore, zeros or ones."
    ),
    views: str = typer.Option("PA,AP", "--views", help="Comma list of views to keep, or 'all'."),
    one_per_patient: bool = typer.Option(
        False, "--one-per-patient", help="Keep one image per patient and split."
    ),
    prompts: Path = typer.Option(
        None, "--prompts", help="JSON/YAML mapping class -> phrase or positive/negative prompts."
    ),
    prompt_style: str = typer.Option(
        None, "--prompt-style", help="Override the card's policy: single, ensemble or pair."
    ),
    fractions: str = typer.Option(
        "0.01,0.1,1", "--fractions", help="Label fractions for linear probe and fine-tune."
    ),
    n_seeds: int = typer.Option(3, "--n-seeds", min=1, help="Seeds per label fraction below 100%."),
    epochs: int = typer.Option(
        5, "--epochs", min=1, help="Fine-tune epochs (early stopping on validation AUROC)."
    ),
    html: bool = typer.Option(
        True, "--html/--no-html", help="Write report.html with plots next to the results."
    ),
    nproc: int = typer.Option(
        1, "--nproc", min=1, help="Shard embedding over N processes (launches torchrun; one GPU each)."
    ),
) -> None:
    """Evaluate a model on CXR-Align and downstream datasets; write results, a summary and an HTML report."""
    from cxralign.data.downstream import LoadOptions
    from cxralign.errors import ConfigError
    from cxralign.models import EmbeddingCache, load_model
    from cxralign.tasks.runner import DataSpec, join_process_group, resolve_tasks, run_models

    if nproc > 1:
        import os

        if "WORLD_SIZE" in os.environ:
            raise ConfigError("--nproc launches torchrun; under torchrun already, leave it out")
        _launch_torchrun(nproc)
    task_names = resolve_tasks(tasks, suite)
    if not data:
        raise ConfigError(
            "no data: pass --data NAME=PATH (e.g. --data cxr-align=build/ --data phantoms=phantoms/)"
        )
    specs = [DataSpec.parse(d) for d in data]
    if prompt_style not in (None, "single", "ensemble", "pair"):
        raise ConfigError(f"unknown --prompt-style {prompt_style!r}; choose single, ensemble or pair")
    try:
        fraction_values = tuple(float(f) for f in fractions.split(","))
    except ValueError:
        raise ConfigError(
            f"--fractions takes numbers in (0, 1], e.g. 0.01,0.1,1; got {fractions!r}"
        ) from None
    if not all(0 < f <= 1 for f in fraction_values):
        raise ConfigError(f"--fractions must lie in (0, 1]; got {fractions!r}")
    view_list = (
        None
        if views.strip().lower() == "all"
        else tuple(v.strip().upper() for v in views.split(",") if v.strip())
    )
    load_options = LoadOptions(
        uncertain=uncertain, views=view_list, one_per_patient=one_per_patient, seed=seed
    )
    task_options = {"fractions": list(fraction_values), "n_seeds": n_seeds, "epochs": epochs}
    if prompts:
        task_options["prompts"] = str(prompts)
    if prompt_style:
        task_options["prompt_style"] = prompt_style
    rank, device = join_process_group(device)
    runs = run_models(
        list(dict.fromkeys(model)),
        lambda spec: load_model(spec, device=device, precision=precision),
        specs,
        out,
        task_names,
        seed=seed,
        batch_size=batch_size,
        cache=None if no_cache else EmbeddingCache(cache_dir),
        bootstrap=bootstrap,
        resume=resume,
        load_options=load_options,
        task_options=task_options,
        log=(lambda message: _err.print(f"[dim]running {message}[/]", highlight=False))
        if rank == 0
        else (lambda message: None),
    )
    outcomes_by_model = {evaluation.info.spec: outcomes for evaluation, outcomes in runs}
    failed = [
        (spec, o) for spec, outcomes in outcomes_by_model.items() for o in outcomes if o.status == "failed"
    ]
    for evaluation, outcomes in runs if rank == 0 else []:
        if len(runs) == 1:
            _out.print(_summary(outcomes))
        if html and any(o.results for o in outcomes):
            from cxralign.tasks.html_report import write_html_report

            try:
                report = write_html_report(out, evaluation.info.spec, outcomes)
                _out.print(f"report: {report}")
            except Exception as error:  # the results are written; a plotting problem must not hide them
                _err.print(f"[yellow]warning:[/] HTML report not written: {type(error).__name__}: {error}")
    if rank == 0 and len(outcomes_by_model) > 1:
        from cxralign.tasks.io import slugify

        _out.print(_comparison(outcomes_by_model))
        first, second = (out / slugify(spec) for spec in list(outcomes_by_model)[:2])
        _out.print(f"paired tests: cxralign compare {first} {second}", highlight=False)
    for spec, outcome in failed:
        _err.print(
            f"[bold red]failed:[/] {escape(f'{spec}: {outcome.task} on {outcome.dataset}: {outcome.message}')}",
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(1)


def tasks_list(
    all_versions: bool = typer.Option(False, "--all-versions", help="List every registered version."),
) -> None:
    """List the registered tasks with their versions, datasets and main scores."""
    from cxralign.tasks import list_tasks

    for meta in list_tasks(all_versions=all_versions):
        direction = "higher is better" if meta.higher_is_better else "lower is better"
        _out.print(
            f"[bold]{meta.name}[/] v{meta.version}  main score [cyan]{meta.main_score}[/] ({direction}), "
            f"splits {', '.join(meta.splits)}",
            highlight=False,
        )
        _out.print(f"  {meta.description}", highlight=False)
        _out.print(f"  datasets: {', '.join(meta.datasets)}", highlight=False)
        _out.print(f"  metrics: {', '.join(meta.metrics)}", highlight=False)


def compare_command(
    results_a: Path = typer.Argument(..., help="A result JSON or a results directory."),
    results_b: Path = typer.Argument(..., help="The other result JSON or results directory."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help="Paired bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Seeds the paired resamples."),
) -> None:
    """Paired comparison of two models on every shared (task, dataset, split): bootstrap and DeLong."""
    from cxralign.tasks.compare import compare_results

    rows = compare_results(results_a, results_b, n_boot=bootstrap, seed=seed)
    table = Table(title=f"{results_a}  vs  {results_b}")
    for column in ("task", "dataset", "split", "metric", "A", "B", "B - A [95% CI]", "p", "test"):
        table.add_column(column, no_wrap=column in ("task", "metric", "test"))
    for row in rows:
        ci = "" if row.ci_low is None else f" [{row.ci_low:+.3f}, {row.ci_high:+.3f}]"
        p = "-" if row.p_value is None else f"{row.p_value:.3g}"
        table.add_row(
            row.task,
            row.dataset,
            row.split,
            row.metric,
            f"{row.a:.3f}",
            f"{row.b:.3f}",
            f"{row.diff:+.3f}{ci}",
            p,
            row.test,
        )
    _out.print(table)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("compare")(compare_command)
    group = typer.Typer(help="The task registry.", no_args_is_help=True)
    group.command("list")(tasks_list)
    app.add_typer(group, name="tasks")
