"""The stages import in data-flow order: no cycle between stage packages, no import against the order.

The graph is read from the source with ``ast`` (every ``import`` and ``from ... import`` of a
``cxralign`` module, at module level or inside a function), so a lazy import counts as much as
a top-level one. The order is the stage table of docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cxralign"

# Lowest first; a stage may import only stages at or before its own level.
STAGE_ORDER: tuple[tuple[str, ...], ...] = (
    ("errors", "vocab", "version"),
    ("utils",),
    ("data",),
    ("reports",),
    ("rewrite",),
    ("benchmark",),
    ("audit", "models"),
    ("tasks",),
    ("train",),
    ("leaderboard",),
    ("api",),
    ("demo", "commands"),
    ("cli", "__main__", "facade"),
)
LEVEL = {stage: level for level, stages in enumerate(STAGE_ORDER) for stage in stages}


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str, names: tuple[str, ...] = ()) -> str:
    """``cxralign.X...`` -> ``X``; the root package is the lazy facade, except for its ``__version__``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "version" if names and set(names) <= {"__version__"} else "facade"
    return parts[1]


def _is_submodule(root: Path, name: str) -> bool:
    return (root / name / "__init__.py").is_file() or (root / f"{name}.py").is_file()


def import_edges(root: Path = PACKAGE) -> list[tuple[str, str, str, int]]:
    """(importing module, imported stage, imported module, line) for every cxralign import."""
    edges = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                names = [alias.name for alias in node.names]
                if base == "cxralign":  # ``from cxralign import api`` imports the submodule
                    targets = [(f"cxralign.{n}" if _is_submodule(root, n) else base, (n,)) for n in names]
                else:
                    targets = [(base, tuple(names))]
            else:
                continue
            for target, names in targets:
                if target == "cxralign" or target.startswith("cxralign."):
                    edges.append((module, stage_of(target, names), target, node.lineno))
    return edges


def stage_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, imported, _, _ in import_edges(root):
        own = stage_of(module)
        if own != imported:
            graph[own].add(imported)
    return graph


def test_every_stage_package_has_a_place_in_the_order() -> None:
    stages = {stage_of(_module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert stages - set(LEVEL) == set()


def imports_against_the_order(root: Path = PACKAGE) -> list[str]:
    return [
        f"{module}:{line} imports {target} ({stage_of(module)} -> {imported})"
        for module, imported, target, line in import_edges(root)
        if LEVEL[imported] > LEVEL[stage_of(module)]
    ]


def first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of stages (first stage repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(stage: str, path: list[str]) -> list[str] | None:
        state[stage] = 1
        for nxt in sorted(graph.get(stage, ())):
            if state.get(nxt) == 1:
                return [*path, stage, nxt]
            if nxt not in state and (found := visit(nxt, [*path, stage])):
                return found
        state[stage] = 2
        return None

    for stage in sorted(graph):
        if stage not in state and (found := visit(stage, [])):
            return found
    return None


def test_no_import_goes_against_the_stage_order() -> None:
    assert imports_against_the_order() == []


def test_the_stage_graph_has_no_cycle() -> None:
    assert first_cycle(stage_graph()) is None


def test_the_checks_catch_a_lazy_import_against_the_order_and_a_cycle(tmp_path: Path) -> None:
    """A test that cannot fail is a defect: a package with data <-> train imports fails both checks."""
    root = tmp_path / "cxralign"
    for folder, source in {
        "data": "def f():\n    from cxralign.train.model import ReferenceModel\n",
        "train": "from cxralign.data import corpora\n",
    }.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text(source)
    assert imports_against_the_order(root) == ["cxralign.data:2 imports cxralign.train.model (data -> train)"]
    assert first_cycle(stage_graph(root)) == ["data", "train", "data"]


def test_the_architecture_page_shows_the_same_order() -> None:
    """docs/architecture.md's stage table names each stage package on the row of its level."""
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    rows = {
        int(line.split("|")[1]): line
        for line in page.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    }
    assert sorted(rows) == list(range(len(STAGE_ORDER)))
    for level, stages in enumerate(STAGE_ORDER):
        for stage in set(stages) - {"version", "facade", "__main__"}:
            assert f"`cxralign.{stage}`" in rows[level], (level, stage)
