"""What the toolkit knows: registered task versions and known dataset hashes.

Validation asks two questions of every result: is its task version one this
toolkit registers (the newest, or an older one kept so old results still
verify), and is its dataset hash one of the releases listed in
``known_datasets.yaml``? Both are injected through :class:`Registry` so tests
and other toolkits can supply their own.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from cxralign.errors import ConfigError, CxrAlignError, InputError

KNOWN_DATASETS_RESOURCE = "known_datasets.yaml"

TaskStatus = Literal["current", "superseded"]


@dataclass(frozen=True)
class KnownDataset:
    """One dataset release the leaderboard accepts results on."""

    name: str
    hashes: tuple[str, ...]
    source: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ResolvedTask:
    task: Any  # a cxralign.tasks Task: .metadata and .metrics_from_scores
    status: TaskStatus
    newest_version: str


def _default_get_task(name: str, version: str | None = None) -> Any:
    from cxralign.tasks import get_task

    return get_task(name, version)


def _parse_known_datasets(data: Any, origin: str) -> dict[str, KnownDataset]:
    entries = (data or {}).get("datasets") or [] if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise InputError(f"{origin}: expected a mapping with a 'datasets' list")
    known: dict[str, KnownDataset] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or "name" not in entry or not entry.get("hashes"):
            raise InputError(f"{origin}: datasets[{i}] needs a 'name' and a non-empty 'hashes' list")
        source = entry.get("source") or ()
        known[str(entry["name"])] = KnownDataset(
            name=str(entry["name"]),
            hashes=tuple(str(h) for h in entry["hashes"]),
            source=(source,) if isinstance(source, str) else tuple(str(s) for s in source),
            description=str(entry.get("description", "")),
        )
    return known


def load_known_datasets(extra: list[Path] | None = None) -> dict[str, KnownDataset]:
    """The packaged list of known dataset releases, extended (name by name) by ``extra`` YAML files."""
    text = importlib.resources.files("cxralign.leaderboard").joinpath(KNOWN_DATASETS_RESOURCE).read_text()
    known = _parse_known_datasets(yaml.safe_load(text), KNOWN_DATASETS_RESOURCE)
    for path in extra or []:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise InputError(f"cannot read dataset list {path}: {error}") from error
        for name, entry in _parse_known_datasets(data, str(path)).items():
            if name in known:
                merged = known[name].hashes + tuple(h for h in entry.hashes if h not in known[name].hashes)
                entry = KnownDataset(name, merged, entry.source or known[name].source, entry.description)
            known[name] = entry
    return known


@dataclass
class Registry:
    """Task lookup plus known datasets; ``Registry.default()`` is the installed toolkit's."""

    get_task: Callable[..., Any] = _default_get_task
    datasets: dict[str, KnownDataset] = field(default_factory=dict)

    @classmethod
    def default(cls, extra_datasets: list[Path] | None = None) -> Registry:
        return cls(get_task=_default_get_task, datasets=load_known_datasets(extra_datasets))

    def resolve(self, name: str, version: str) -> ResolvedTask:
        """The task at ``version``; raises ConfigError naming what is known when it is not registered."""
        try:
            newest = self.get_task(name)
        except ImportError as error:
            raise ConfigError(f"the task registry is unavailable ({error})") from error
        except CxrAlignError:
            raise
        except (KeyError, LookupError, ValueError) as error:
            raise ConfigError(f"unknown task {name!r}") from error
        newest_version = str(newest.metadata.version)
        if version == newest_version:
            return ResolvedTask(newest, "current", newest_version)
        try:
            task = self.get_task(name, version)
        except CxrAlignError:
            raise ConfigError(
                f"task {name!r} has no version {version!r} in this toolkit (newest is {newest_version})"
            ) from None
        except (KeyError, LookupError, ValueError) as error:
            raise ConfigError(
                f"task {name!r} has no version {version!r} (newest is {newest_version})"
            ) from error
        return ResolvedTask(task, "superseded", newest_version)

    def check_dataset(self, name: str, dataset_hash: str) -> str | None:
        """None when ``(name, hash)`` is a known release, else the reason it is not."""
        known = self.datasets.get(name)
        if known is None:
            names = ", ".join(sorted(self.datasets)) or "none"
            return f"dataset {name!r} is not one the toolkit knows (known: {names})"
        if dataset_hash not in known.hashes:
            return (
                f"dataset {name!r} has hash {dataset_hash[:16]}..., not a known release of it "
                f"(known: {', '.join(h[:16] + '...' for h in known.hashes)})"
            )
        return None

    def dataset_source(self, name: str) -> tuple[str, ...]:
        known = self.datasets.get(name)
        return known.source if known else ()
