"""Start-up cost of the CLI: CPU time, CPU time spent importing, peak memory and heavy modules per command.

    python benchmarks/bench_startup.py            # --help, --version, label, build, a small reference eval

Every command runs cold in a fresh process through the installed console script,
under ``import_probe.py``. CPU time (not wall time) is reported because the
development machine is shared: it does not depend on what else runs. The eval is
a ``reference:`` model (a tiny one written here) on 500 phantom studies, zero-shot
and retrieval, 200 bootstrap resamples.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAVY = ("torch", "open_clip", "transformers", "torchvision", "sklearn", "scipy", "pandas", "pyarrow",
         "datasets", "matplotlib", "spacy", "negspacy")  # fmt: skip
CORPUS = "id,text\na,Small left pleural effusion. Heart size is normal.\nb,No pleural effusion. Mild cardiomegaly.\n"


def console_script() -> str:
    local = Path(sys.executable).parent / "cxralign"
    return str(local) if local.exists() else shutil.which("cxralign") or "cxralign"


def probe(args: list[str], cwd: Path) -> dict:
    report = cwd / "probe.json"
    subprocess.run([sys.executable, str(HERE / "import_probe.py"), str(report), console_script(), *args],
                   cwd=cwd, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return json.loads(report.read_text())


def tiny_reference_model(root: Path) -> Path:
    """A small ReferenceModel with a WordPiece tokenizer, saved in the real format."""
    import torch

    from cxralign.train.model import ReferenceModel, ReferenceModelConfig
    from cxralign.train.tokenizer import train_wordpiece

    config = ReferenceModelConfig(image_tower_kwargs={"widths": [8, 16], "grid": 2}, image_size=32,
                                  text_hidden_size=32, text_layers=1, text_heads=2, text_intermediate_size=64,
                                  vocab_size=120, context_length=12, embed_dim=16)  # fmt: skip
    torch.manual_seed(0)
    texts = ["Small left pleural effusion.", "No pleural effusion.", "Cardiomegaly.", "No pneumothorax."] * 5
    return ReferenceModel.create(config, train_wordpiece(texts, 120)).save_pretrained(root / "model")


def main() -> None:
    from cxralign.data.phantoms import write_phantom_dataset

    os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")
    work = Path(tempfile.mkdtemp())
    (work / "corpus.csv").write_text(CORPUS)
    tiny_reference_model(work)
    write_phantom_dataset(work / "phantoms", 500, seed=0, size=64)
    commands = {
        "--help": ["--help"],
        "--version": ["--version"],
        "label (2 reports)": ["label", "corpus.csv", "--out", "labels.csv"],
        "build (2 reports)": ["build", "--source", "csv", "--root", "corpus.csv", "--out", "bench"],
        "leaderboard schema": ["leaderboard", "schema"],
        "eval reference:, 500 phantoms": ["eval", "-m", f"reference:{work / 'model'}", "--tasks", "zeroshot,retrieval",
                                          "--data", f"phantoms={work / 'phantoms'}", "--out", "results",
                                          "--device", "cpu", "--no-cache", "--bootstrap", "200"],
    }  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} (CPU times do not depend on it); {os.cpu_count()} CPUs")
    print(f"{'command':<32}{'CPU s':>7}{'importing':>11}{'share':>7}{'peak MB':>9}  heavy modules imported")
    for name, args in commands.items():
        row = probe(args, work)
        heavy = " ".join(m for m in HEAVY if m in row["modules"]) or "-"
        share = row["import_cpu_s"] / row["cpu_s"]
        print(
            f"{name:<32}{row['cpu_s']:>7.2f}{row['import_cpu_s']:>11.2f}{share:>7.0%}{row['peak_rss_mb']:>9.0f}  {heavy}"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
