"""The Python API: an in-memory model evaluated with ``cxralign.evaluate`` scores exactly what the
installed CLI scores for the checkpoint saved from it (open_clip, Hugging Face CLIP, two callables)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import cxralign
from cxralign.errors import ConfigError

pytestmark = pytest.mark.slow  # builds a phantom benchmark and runs the CLI in subprocesses (~20 s)

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
ARCH = "cxralign-tiny-vit"


def cli(*args: str) -> subprocess.CompletedProcess:
    """The installed console script, importing this checkout (and tests/ for ``python:`` specs)."""
    script = shutil.which("cxralign", path=str(Path(sys.executable).parent)) or shutil.which("cxralign")
    assert script, "the cxralign console script is not installed"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]), "COLUMNS": "220"}
    return subprocess.run([script, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def bench(phantom_dataset_medium, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("api") / "bench"
    cxralign.build("phantoms", phantom_dataset_medium, out)
    return out


def _cli_result(out: Path) -> dict:
    found = sorted(out.rglob("*/cxr-align/cxr-align/test.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


def _same(results, out: Path) -> None:
    """Identical metrics and byte-identical per-item scores (so identical embeddings)."""
    (result,) = [r for r in results if r.split == "test"]
    stored = _cli_result(out)
    assert {name: metric.model_dump() for name, metric in result.metrics.items()} == stored["metrics"]
    assert result.scores_sha256 == stored["scores_sha256"]
    assert result.metrics[result.main_score].n >= 5


def _api_eval(model, bench: Path, out: Path, **options):
    """``cxralign.evaluate`` with the options ``_cli_eval`` gives the CLI."""
    return cxralign.evaluate(model, tasks="cxr-align", data={"cxr-align": bench}, out=out, device="cpu",
                             bootstrap=200, cache=False, **options)  # fmt: skip


def _cli_eval(spec: str, bench: Path, out: Path) -> None:
    done = cli(
        "eval",
        "-m",
        spec,
        "--tasks",
        "cxr-align",
        "--data",
        f"cxr-align={bench}",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--no-cache",
        "--bootstrap",
        "200",
        "--no-html",
    )
    assert done.returncode == 0, done.stderr + done.stdout


def tiny_open_clip(seed: int):
    """A randomly initialised open_clip model of the tiny test architecture, with its eval transform."""
    import open_clip

    from cxralign.models.adapters.open_clip_adapter import register_builtin_configs

    register_builtin_configs()
    torch.manual_seed(seed)
    model, _, preprocess = open_clip.create_model_and_transforms(ARCH)
    return model, preprocess


def test_in_memory_open_clip_matches_its_checkpoint_through_the_cli(bench, tmp_path):
    import open_clip

    model, preprocess = tiny_open_clip(7)
    tokenizer = open_clip.get_tokenizer(ARCH)
    results = _api_eval((model, preprocess, tokenizer), bench, tmp_path / "api")
    assert results[0].model.spec.startswith("open_clip:in-memory-")
    assert (tmp_path / "api").rglob("test.scores.parquet")
    table = cxralign.results_table(results)
    assert list(table["metric"]) == [r.main_score for r in results]
    torch.save(model.state_dict(), tmp_path / "tiny.pt")
    _cli_eval(f"open_clip:{ARCH}@{tmp_path / 'tiny.pt'}", bench, tmp_path / "cli")
    _same(results, tmp_path / "cli")


def test_in_memory_hf_clip_matches_its_saved_directory_through_the_cli(bench, tmp_path):
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast, CLIPConfig, CLIPImageProcessor, CLIPModel

    words = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "no",
        "pleural",
        "effusion",
        "left",
        "right",
        "small",
        "large",
        "edema",
        "heart",
        "normal",
        "size",
        "is",
        "there",
        ".",
    ]
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    wordpiece = BertWordPieceTokenizer(str(tmp_path / "vocab.txt"), lowercase=True)
    tokenizer = BertTokenizerFast(
        tokenizer_object=wordpiece._tokenizer,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    )
    config = CLIPConfig(
        text_config={
            "vocab_size": len(words),
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 64,
        },
        vision_config={
            "image_size": 32,
            "patch_size": 16,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        projection_dim=16,
    )
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    processor = CLIPImageProcessor(
        size={"shortest_edge": 32},
        crop_size={"height": 32, "width": 32},
        image_mean=[0.5] * 3,
        image_std=[0.25] * 3,
    )
    results = _api_eval((model, processor, tokenizer), bench, tmp_path / "api")
    saved = tmp_path / "hf-clip"
    model.save_pretrained(saved)
    processor.save_pretrained(saved)
    tokenizer.save_pretrained(saved)
    _cli_eval(f"hf:{saved}", bench, tmp_path / "cli")
    _same(results, tmp_path / "cli")


def test_two_callables_match_their_python_spec_through_the_cli(bench, tmp_path):
    sys.path.insert(0, str(TESTS))
    try:
        import _api_support as support
    finally:
        sys.path.remove(str(TESTS))
    results = _api_eval(
        (support.encode_images, support.encode_texts), bench, tmp_path / "api", name="tiny-functions"
    )
    assert results[0].model.spec == "tiny-functions"
    _cli_eval("python:_api_support:callables", bench, tmp_path / "cli")
    _same(results, tmp_path / "cli")


def test_a_report_that_cannot_be_drawn_warns_and_keeps_the_results(bench, tmp_path, monkeypatch):
    """As the CLI: the results are written and returned; the HTML failure is a warning."""
    import cxralign.tasks.html_report as html_report

    sys.path.insert(0, str(TESTS))
    try:
        import _api_support as support
    finally:
        sys.path.remove(str(TESTS))

    def broken(*args, **kwargs):
        raise ValueError("no plotting backend")

    monkeypatch.setattr(html_report, "write_html_report", broken)
    with pytest.warns(RuntimeWarning, match="HTML report not written.*no plotting backend"):
        results = _api_eval(
            (support.encode_images, support.encode_texts), bench, tmp_path / "api", name="tiny", html=True
        )
    assert [r for r in results if r.split == "test"] and list((tmp_path / "api").rglob("test.json"))


def test_what_cannot_be_evaluated_is_one_clear_error():
    with pytest.raises(ConfigError, match="name"):
        cxralign.evaluate((len, len), data={"cxr-align": "x"})
    with pytest.raises(ConfigError, match="cannot evaluate a int"):
        cxralign.evaluate(3, data={"cxr-align": "x"})


def test_import_is_cheap():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, cxralign; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.strip() == "False", done.stderr


def test_cli_compares_several_models_and_compare_runs_on_the_result(bench, tmp_path):
    torch.save(tiny_open_clip(3)[0].state_dict(), tmp_path / "other.pt")
    out = tmp_path / "results"
    specs = ["python:_api_support:callables", f"open_clip:{ARCH}@{tmp_path / 'other.pt'}"]
    done = cli("eval", "-m", specs[0], "-m", specs[1], "--tasks", "cxr-align", "--data", f"cxr-align={bench}",
               "--out", str(out), "--device", "cpu", "--no-cache", "--bootstrap", "100", "--no-html")  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert "models compared" in done.stdout
    assert len(re.findall(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", done.stdout)) == 2  # a value [CI] per model
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 2
    compared = cli("compare", str(out / folders[0]), str(out / folders[1]), "--bootstrap", "50")
    assert compared.returncode == 0, compared.stderr
    assert "paired bootstrap" in compared.stdout


def test_load_benchmark_gives_lazy_images_nested_records_and_a_licensed_card(bench):
    import datasets

    dataset = cxralign.load_benchmark(bench, "negate", "test")
    assert isinstance(dataset.features["image"], datasets.Image)
    assert dataset.features["changes"].feature["start"] == datasets.Value("int64")
    row = dataset[0]
    assert row["image"].size == (64, 64)  # decoded from images/ when read
    assert isinstance(row["changes"], list) and {"start", "end", "before", "after"} <= set(row["changes"][0])
    assert isinstance(row["labels"], dict) and row["labels"][row["target"]] is not None
    card = (bench / "README.md").read_text()
    assert "license: apache-2.0" in card and "license: other" not in card
