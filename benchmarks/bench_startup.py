"""Start-up cost of the CLI: CPU time, CPU time spent importing, peak memory and heavy modules per command.

    python benchmarks/bench_startup.py            # --help, --version, label, build, a small reference eval
    python benchmarks/bench_startup.py --only eval --repeat 3 --baseline /tmp/cxralign-main

Every command runs cold in a fresh process through the installed console script,
under ``import_probe.py``. CPU time (not wall time) is reported because the
development machine is shared: it depends less on what else runs. The eval is
a ``reference:`` model (a tiny one written here) on 500 phantom studies, zero-shot
and retrieval, 200 bootstrap resamples, with and without the HTML report's plots.
``--baseline DIR`` runs each command also with another checkout's ``cxralign``
first on ``PYTHONPATH`` (e.g. ``git worktree add /tmp/cxralign-main main``),
alternating the two, and prints medians over ``--repeat`` runs and the ratio.
"""

from __future__ import annotations

import argparse
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


def probe(args: list[str], cwd: Path, code: Path | None = None) -> dict:
    """One cold run; ``code`` is a checkout whose ``cxralign`` is imported instead of this one's."""
    report = cwd / "probe.json"
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), env.get("PYTHONPATH")) if p)
    subprocess.run([sys.executable, str(HERE / "import_probe.py"), str(report), console_script(), *args],
                   cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)  # fmt: skip
    return json.loads(report.read_text())


def median_run(args: list[str], cwd: Path, code: Path | None, runs: list[dict]) -> dict:
    """Append one run to ``runs``; return the run of median CPU so far."""
    runs.append(probe(args, cwd, code))
    return sorted(runs, key=lambda r: r["cpu_s"])[len(runs) // 2]


def row(name: str, run: dict) -> str:
    heavy = " ".join(m for m in HEAVY if m in run["modules"]) or "-"
    share = run["import_cpu_s"] / run["cpu_s"]
    return f"{name:<40}{run['cpu_s']:>7.2f}{run['import_cpu_s']:>11.2f}{share:>7.0%}{run['peak_rss_mb']:>9.0f}  {heavy}"


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

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with, run alternately")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command; medians are printed")
    parser.add_argument("--only", default="", help="run only the commands whose name contains this")
    options = parser.parse_args()
    os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")
    work = Path(tempfile.mkdtemp())
    (work / "corpus.csv").write_text(CORPUS)
    tiny_reference_model(work)
    write_phantom_dataset(work / "phantoms", 500, seed=0, size=64)
    commands = {
        "--help": ["--help"],
        "--version": ["--version"],
        "label (2 reports)": ["label", "corpus.csv", "--out", "labels.csv"],
        "build (2 reports)": ["build", "--source", "csv", "--root", "corpus.csv", "--out", "bench", "--overwrite"],
        "leaderboard schema": ["leaderboard", "schema"],
        "eval reference:, 500 phantoms": ["eval", "-m", f"reference:{work / 'model'}", "--tasks", "zeroshot,retrieval",
                                          "--data", f"phantoms={work / 'phantoms'}", "--out", "results",
                                          "--device", "cpu", "--no-cache", "--bootstrap", "200"],
    }  # fmt: skip
    commands["eval reference:, 500 phantoms, --no-html"] = [
        *commands["eval reference:, 500 phantoms"],
        "--no-html",
    ]
    commands = {name: args for name, args in commands.items() if options.only in name}
    print(
        f"load average {os.getloadavg()[0]:.1f} at start; {os.cpu_count()} CPUs; median of {options.repeat}"
    )
    print(f"{'command':<40}{'CPU s':>7}{'importing':>11}{'share':>7}{'peak MB':>9}  heavy modules imported")
    for name, args in commands.items():
        ours: list[dict] = []
        theirs: list[dict] = []
        for _ in range(options.repeat):  # alternate, so both see the same load
            mine = median_run(args, work, None, ours)
            if options.baseline:
                base = median_run(args, work, options.baseline, theirs)
        print(row(name, mine))
        if options.baseline:
            print(row("  baseline", base))
            print(f"  ratio CPU {mine['cpu_s'] / base['cpu_s']:.2f}, importing "
                  f"{mine['import_cpu_s'] / base['import_cpu_s']:.2f}, peak {mine['peak_rss_mb'] / base['peak_rss_mb']:.2f}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
