"""A contact sheet of phantom studies, one per finding, with their reports (for docs/phantoms.md).

python -m cxralign.data.phantoms.contact_sheet docs/img/phantoms_contact_sheet.png --reports docs/img/phantoms_contact_sheet.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cxralign.data.phantoms.generator import PhantomSample, generate
from cxralign.data.phantoms.spec import FINDINGS

PANELS: tuple[str, ...] = ("no_finding", *FINDINGS)


def _caption(sample: PhantomSample, name: str) -> str:
    if name == "no_finding":
        return "no finding"
    finding = next(f for f in sample.findings if f.name == name)
    detail = [v for v in (finding.laterality, finding.severity, finding.subtype, finding.location) if v]
    if finding.size_cm:
        detail.append(f"{finding.size_cm:g} cm")
    return f"{name.replace('_', ' ')}: {', '.join(detail[:2])}"


def example(name: str, *, seed: int, size: int, difficulty: str) -> PhantomSample:
    """The first confidently reported study whose only finding is ``name``."""
    prevalence = {other: 0.0 for other in FINDINGS}
    if name != "no_finding":
        prevalence[name] = 1.0
    for sample in generate(50, seed=seed, size=size, difficulty=difficulty, prevalence=prevalence):
        if all(not f.uncertain for f in sample.findings) and (
            name != "support_devices" or len(sample.findings) == 1
        ):
            return sample
    raise RuntimeError(f"no clear example of {name}")  # pragma: no cover - 50 draws always suffice


def make_contact_sheet(
    out: str | Path, *, seed: int = 7, size: int = 256, difficulty: str = "standard", columns: int = 5
) -> list[tuple[str, PhantomSample]]:
    """Write the sheet as a PNG; return the (finding, sample) pairs shown, in order."""
    shown = [
        (name, example(name, seed=seed + k, size=size, difficulty=difficulty))
        for k, name in enumerate(PANELS)
    ]
    rows = (len(shown) + columns - 1) // columns
    caption_h = 18
    sheet = Image.new("L", (columns * (size + 4), rows * (size + caption_h + 4)), color=255)
    draw = ImageDraw.Draw(sheet)
    for k, (name, sample) in enumerate(shown):
        x, y = (k % columns) * (size + 4) + 2, (k // columns) * (size + caption_h + 4) + 2
        sheet.paste(Image.fromarray(np.asarray(sample.image)), (x, y))
        draw.text((x + 2, y + size + 3), _caption(sample, name), fill=0)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, format="PNG", compress_level=9)
    return shown


def reports_markdown(shown: list[tuple[str, PhantomSample]]) -> str:
    lines = ["| # | finding | report |", "|---|---|---|"]
    for k, (name, sample) in enumerate(shown, 1):
        text = sample.report.replace("\n", "<br>")
        lines.append(f"| {k} | {_caption(sample, name)} | {text} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--reports", type=Path, help="Also write the reports as a Markdown table here.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--difficulty", default="standard")
    args = parser.parse_args()
    shown = make_contact_sheet(args.out, seed=args.seed, size=args.size, difficulty=args.difficulty)
    if args.reports:
        args.reports.write_text(reports_markdown(shown))
    print(f"wrote {args.out} ({len(shown)} panels)")


if __name__ == "__main__":
    main()
