"""``cxralign models``: browse the model zoo and check that a model spec loads and runs."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

models_app = typer.Typer(help="Model zoo and model specs: list, show, check.", no_args_is_help=True)
_out = Console()


@models_app.command("list")
def list_models(
    all_: bool = typer.Option(False, "--all", help="Also list models that cannot be scored by similarity."),
) -> None:
    """Table of zoo models: name, loader, text context, prompt style, training data, licence, parity."""
    from cxralign.models.zoo import all_cards

    table = Table(title="cxralign model zoo", show_lines=False)
    for column in ("name", "loader", "context", "prompts", "trained on", "licence", "parity"):
        table.add_column(column, overflow="fold")
    for card in sorted(all_cards().values(), key=lambda c: c.name):
        if not card.supported and not all_:
            continue
        table.add_row(
            card.name if card.supported else f"[dim]{card.name} (unsupported)[/]",
            card.loader,
            str(card.text_encoder.context_length) if card.text_encoder else "-",
            card.prompts.style if card.prompts else "-",
            ", ".join(card.training_data) or "-",
            card.license,
            card.parity.summary() if card.parity else "-",
        )
    _out.print(table)


@models_app.command("show")
def show(name: str = typer.Argument(..., help="Zoo model name (see `cxralign models list --all`).")) -> None:
    """Print a model card as YAML."""
    import yaml

    from cxralign.models.zoo import get_card

    card = get_card(name)
    _out.print(
        yaml.safe_dump(card.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True),
        highlight=False,
    )
    if card.reported:
        _out.print(
            "[dim]numbers under `reported` are quoted from the cited papers, not measured by cxralign[/]"
        )


@models_app.command("check")
def check(
    spec: str = typer.Argument(..., help="Model spec, e.g. open_clip:ViT-B-32@openai, zoo:chexzero@/path/file.pt."),
    image: Path | None = typer.Option(None, help="Image to embed. Default: a synthetic grey gradient."),
    text: str = typer.Option("No acute cardiopulmonary process.", help="Text to embed."),
    batch_size: int = typer.Option(8, min=1, help="Batch size for the timing run."),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps."),
    precision: str = typer.Option("fp32", help="fp32, fp16 or bf16."),
    trust_checkpoint: bool = typer.Option(
        False, "--trust-checkpoint", help="Read pickles naming other classes, those objects as inert placeholders."
    ),
    trust_remote_code: bool = typer.Option(
        False, "--trust-remote-code", help="Allow model code from the hub."
    ),
) -> None:
    """Load SPEC, embed one image and one text, print dimensions, fingerprint, parameters and time per batch."""
    import numpy as np
    import torch
    from PIL import Image

    from cxralign.data.images import load_image
    from cxralign.models import load_model

    started = time.perf_counter()
    model = load_model(
        spec,
        device=device,
        precision=precision,
        trust_checkpoint=trust_checkpoint,
        trust_remote_code=trust_remote_code,
    )
    load_seconds = time.perf_counter() - started
    picture = (
        load_image(image) if image else Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (256, 1)))
    )
    pixels = model.image_transform()(picture).unsqueeze(0)
    image_embedding = model.encode_images(pixels)
    text_embedding = model.encode_texts([text])
    batch = pixels.repeat(batch_size, 1, 1, 1)
    model.encode_images(batch)  # warm-up
    started = time.perf_counter()
    model.encode_images(batch)
    image_batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.encode_texts([text] * batch_size)
    text_batch_seconds = time.perf_counter() - started
    parameters = (
        model.parameter_count()
        if hasattr(model, "parameter_count")
        else sum(p.numel() for p in getattr(model, "module", torch.nn.Module()).parameters())
    )
    cosine = float(
        (image_embedding @ text_embedding.T).item()
        / (np.linalg.norm(image_embedding) * np.linalg.norm(text_embedding) + 1e-12)
    )
    table = Table(show_header=False, title=f"models check {spec}")
    for key, value in (
        ("card", getattr(model.card, "name", "-") if model.card else "-"),
        ("device / precision", f"{model.device} / {precision}"),
        ("image input", "x".join(str(d) for d in pixels.shape[1:])),
        ("image embedding", f"{image_embedding.shape[1]} dims, {image_embedding.dtype}"),
        ("text embedding", f"{text_embedding.shape[1]} dims, {text_embedding.dtype}"),
        ("context length", str(model.context_length)),
        ("logit scale", f"{model.logit_scale:.3f}"),
        ("fingerprint", model.fingerprint()),
        ("parameters", f"{parameters:,}"),
        ("load time", f"{load_seconds:.2f} s"),
        (f"images, batch of {batch_size}", f"{image_batch_seconds * 1000:.1f} ms"),
        (f"texts, batch of {batch_size}", f"{text_batch_seconds * 1000:.1f} ms"),
        ("cosine(image, text)", f"{cosine:+.4f}"),
    ):
        table.add_row(key, value)
    _out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
