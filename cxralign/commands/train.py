"""``cxralign train-reference``: train the reference dual encoder with the proposed losses."""

from __future__ import annotations

from pathlib import Path

import typer

from cxralign.errors import ConfigError


def _data_overrides(data: str | None, image_root: Path | None) -> dict:
    if data is None:
        return {}
    source, _, path = data.partition("=")
    source = source.strip().lower()
    if source not in ("phantoms", "mimic", "csv"):
        raise ConfigError(
            f"--data {data!r}: use phantoms, mimic=PATH or csv=PATH (phantoms=PATH for a phantom dataset)"
        )
    section: dict = {"source": source}
    if path:
        section["path"] = path
    if image_root is not None:
        section["image_root"] = str(image_root)
    return {"data": section}


def train_reference(
    config: Path | None = typer.Option(None, "--config", help="YAML training configuration."),
    preset: str | None = typer.Option(
        None, "--preset", help="tiny-cpu or base-gpu (a --config is merged over it)."
    ),
    data: str | None = typer.Option(
        None, "--data", help="phantoms (generated), phantoms=DIR, csv=FILE (image_path, report) or mimic=DIR."
    ),
    image_root: Path | None = typer.Option(
        None, "--image-root", help="Base of relative image paths (csv, mimic)."
    ),
    losses: str | None = typer.Option(None, "--losses", help="Comma list of clip,soft,neg,graph,umcl."),
    out: Path | None = typer.Option(
        None, "--out", help="Run directory (checkpoints, metrics.jsonl, model/)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from the run directory's latest checkpoint."
    ),
    ablation: bool = typer.Option(False, "--ablation", help="Train and evaluate the ablation grid instead."),
    seeds: str = typer.Option("0", "--seeds", help="Ablation seeds, e.g. 0,1,2."),
    steps: int | None = typer.Option(None, "--steps", min=1, help="Optimizer steps (overrides the config)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides the config)."),
    benchmark: Path | None = typer.Option(
        None, "--benchmark", help="CXR-Align benchmark dir for validation."
    ),
    zero_shot: Path | None = typer.Option(
        None, "--zero-shot", help="Labelled phantom dataset for zero-shot AUROC."
    ),
    set_: list[str] = typer.Option([], "--set", help="Override any key: --set optim.lr=3e-4 (repeatable)."),
) -> None:
    """Train the reference model (CLIP, soft labels, negation hard negatives, graph alignment, UMCL)."""
    from cxralign.train.config import build_config, parse_override

    if config is None and preset is None:
        preset = "tiny-cpu"
    overrides = [_data_overrides(data, image_root)]
    if losses is not None:
        overrides.append(
            {"losses": {"enabled": [name.strip() for name in losses.split(",") if name.strip()]}}
        )
    if out is not None:
        overrides.append({"out": str(out)})
    if steps is not None:
        overrides.append({"train": {"steps": steps}})
    if seed is not None:
        overrides.append({"seed": seed})
    validation = {}
    if benchmark is not None:
        validation["benchmark"] = str(benchmark)
    if zero_shot is not None:
        validation["zero_shot"] = str(zero_shot)
    if validation:
        overrides.append({"validation": validation})
    overrides += [parse_override(item) for item in set_]
    settings = build_config(preset=preset, config_file=config, overrides=overrides)

    if ablation:
        from cxralign.train.ablation import run_ablation

        try:
            seed_list = [int(part) for part in seeds.split(",") if part.strip()]
        except ValueError:
            raise ConfigError(f"--seeds {seeds!r} must be a comma list of integers") from None
        result = run_ablation(
            settings, Path(settings.out), seeds=seed_list, benchmark=benchmark, labelled=zero_shot
        )
        typer.echo((Path(settings.out) / "ablation.md").read_text())
        typer.echo(f"ablation table: {Path(settings.out) / 'ablation.md'} ({len(result['runs'])} runs)")
        return

    from cxralign.train.trainer import train
    from cxralign.train.validation import TaskValidator
    from cxralign.utils import distributed

    validator = TaskValidator(settings.validation, Path(settings.out), settings.seed)
    summary = train(settings, resume=resume, validator=validator if validator.enabled else None)
    if distributed.current().is_main:
        typer.echo(
            f"trained {summary.steps} steps in {summary.seconds:.0f} s; final loss {summary.final_loss:.4f}; "
            f"model: {summary.model_dir} (load it as reference:{summary.model_dir})"
        )
        for name, value in sorted(summary.validation.items()):
            typer.echo(f"  {name}: {value:.4f}")
    distributed.cleanup()


def register(app: typer.Typer) -> None:
    app.command("train-reference")(train_reference)
