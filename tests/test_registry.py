"""The one registry idiom (``cxralign.utils.registry``) and every registry that uses it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from cxralign.errors import ConfigError
from cxralign.utils.registry import Registry
from tests._console import assert_one_error, run_cli


def test_decorator_aliases_and_one_line_unknown_error() -> None:
    colours: Registry[str] = Registry("colour")

    @colours.register("red", aliases=("crimson",))
    def red() -> str:
        return "red"

    colours.register("blue", lambda: "blue")
    assert colours.names() == ["red", "blue"] and list(colours) == ["red", "blue"] and len(colours) == 2
    assert colours.get("crimson") is red and "crimson" in colours and "green" not in colours
    with pytest.raises(ConfigError) as info:
        colours.get("rde")
    message = str(info.value)
    assert message == "unknown colour 'rde' (did you mean red?); known: red, blue" and "\n" not in message
    with pytest.raises(ConfigError, match="registered twice"):
        colours.register("red", lambda: "another red")


def test_lazy_members_and_modules_are_imported_on_first_read(tmp_path, monkeypatch) -> None:
    (tmp_path / "shape_registry.py").write_text(
        "from cxralign.utils.registry import Registry\n"
        "SHAPES = Registry('shape', modules=('shape_members',), lazy={'circle': 'shape_members:circle'})\n"
    )
    (tmp_path / "shape_members.py").write_text(
        textwrap.dedent("""
        from shape_registry import SHAPES

        @SHAPES.register("square")
        def square():
            return 4

        def circle():
            return 0
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("shape_registry", "shape_members"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    from shape_registry import SHAPES

    assert "shape_members" not in sys.modules  # declaring a registry imports none of its members
    assert SHAPES.names() == ["square", "circle"]
    assert SHAPES.get("circle")() == 0 and SHAPES.get("square")() == 4
    broken = Registry("shape", lazy={"cube": "no_such_module_here:cube"})
    with pytest.raises(ConfigError, match="shape 'cube': cannot import no_such_module_here"):
        broken.get("cube")


def test_entry_points_add_members(tmp_path, monkeypatch) -> None:
    """A package installed beside cxralign (its dist-info on sys.path) adds a task by entry point."""
    (tmp_path / "extra_tasks.py").write_text("MARKER = 'a plug-in member'\n")
    dist = tmp_path / "extra_tasks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-tasks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[cxralign.tasks]\nextra@1.0 = extra_tasks:MARKER\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from cxralign.tasks.registry import TASKS

    assert "extra@1.0" in TASKS.names()
    assert TASKS.get("extra@1.0") == "a plug-in member"
    TASKS._members.pop("extra@1.0")  # forget the plug-in for the other tests


def _registries() -> dict[str, tuple[Registry, set[str]]]:
    from cxralign.data.corpora import CORPORA
    from cxralign.data.downstream import DATASETS
    from cxralign.data.phantoms.findings import FINDING_TABLE
    from cxralign.data.phantoms.painting import DEVICE_PAINTERS, PAINTERS
    from cxralign.data.phantoms.sampling import DEVICE_SAMPLERS, SAMPLERS
    from cxralign.data.phantoms.spec import DEVICES, FINDINGS
    from cxralign.models.specs import MODELS
    from cxralign.tasks.registry import TASKS
    from cxralign.train.losses.compose import LOSSES
    from cxralign.train.towers import IMAGE_TOWERS, TEXT_TOWERS

    classification = {
        "mimic-cxr", "chexpert", "chexpert-5x200", "chexpert-plus", "nih-cxr14", "rsna-pneumonia",
        "siim-pneumothorax", "vindr-cxr", "openi", "phantoms", "csv", "imagefolder",
    }  # fmt: skip
    adapters = {
        "open_clip", "hf", "reference", "chexzero", "biomedclip", "medclip-vit", "medclip-resnet", "gloria",
        "cxr-clip", "biovil", "biovil-t", "mgca", "convirt",
    }  # fmt: skip
    return {
        "tasks": (
            TASKS,
            {
                "cxr-align@1.0",
                "cxr-align@2.0",
                "zeroshot@1.0",
                "retrieval@1.0",
                "linear-probe@1.0",
                "finetune@1.0",
            },
        ),  # fmt: skip
        "datasets": (DATASETS, classification),
        "corpora": (CORPORA, {"csv", "jsonl", "mimic", "openi", "chexpert-plus"}),
        "models": (MODELS, adapters),
        "losses": (LOSSES, {"clip", "graph", "umcl"}),
        "image towers": (IMAGE_TOWERS, {"tiny-cnn", "timm", "open_clip"}),
        "text towers": (TEXT_TOWERS, {"tiny-bert", "hf"}),
        "phantom findings": (FINDING_TABLE, set(FINDINGS)),
        "phantom samplers": (SAMPLERS, set(FINDINGS)),
        "phantom painters": (PAINTERS, set(FINDINGS)),
        "device samplers": (DEVICE_SAMPLERS, set(DEVICES)),
        "device painters": (DEVICE_PAINTERS, set(DEVICES)),
    }


@pytest.mark.parametrize("which", list(_registries()))
def test_every_registry_lists_its_members(which: str) -> None:
    registry, expected = _registries()[which]
    assert set(registry.names()) == expected
    with pytest.raises(Exception, match=f"unknown {registry.kind} 'no-such-member'") as info:
        registry.get("no-such-member")
    assert "\n" not in str(info.value) and all(name in str(info.value) for name in expected)


def test_listing_model_schemes_imports_no_adapter() -> None:
    code = (
        "import sys; from cxralign.models.specs import MODELS; names = MODELS.names(); "
        "print(len(names), [m for m in sys.modules if m.startswith('cxralign.models.adapters.')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split(maxsplit=1) == ["13", "[]\n"]


def test_unknown_task_through_the_console_script(tmp_path) -> None:
    done = run_cli(
        "eval", "--model", "open_clip:cxralign-tiny-vit@random", "--tasks", "zeroshoot", cwd=tmp_path
    )
    line = assert_one_error(done, 2, "unknown task 'zeroshoot'", "did you mean zeroshot", "known: cxr-align")
    for name in ("finetune", "linear-probe", "retrieval", "zeroshot"):
        assert name in line
    assert list(tmp_path.iterdir()) == []


def test_text_tower_names_resolve_and_a_bare_directory_stays_hf(tmp_path) -> None:
    from cxralign.train.model import ReferenceModelConfig
    from cxralign.train.towers import TEXT_TOWERS, text_tower

    assert text_tower("tiny-bert") == (TEXT_TOWERS.get("tiny-bert"), "")
    assert text_tower(f"hf:{tmp_path}") == (TEXT_TOWERS.get("hf"), str(tmp_path))
    assert text_tower(str(tmp_path)) == (TEXT_TOWERS.get("hf"), str(tmp_path))  # as configs named it before
    assert ReferenceModelConfig().uses_builtin_text_tower
    assert not ReferenceModelConfig(text_tower=f"hf:{tmp_path}").uses_builtin_text_tower
    with pytest.raises(ConfigError, match="name the directory"):
        text_tower("hf")
    with pytest.raises(ConfigError, match="not a local Hugging Face model directory"):
        TEXT_TOWERS.get("hf").create(str(tmp_path), None)


def test_unknown_text_tower_through_the_console_script(tmp_path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("model:\n  text_tower: tiny-brt\n")
    done = run_cli("train-reference", "--config", str(config), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert_one_error(
        done,
        2,
        "model.text_tower: unknown model.text_tower scheme 'tiny-brt' (did you mean tiny-bert?)",
        "known: tiny-bert, hf",
    )
    assert not (tmp_path / "run").exists()
