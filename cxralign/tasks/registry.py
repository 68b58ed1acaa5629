"""The task registry: every task version under ``NAME@VERSION``, and the named suites.

Task modules register their classes with ``@register_task``; the built-in modules are listed
in ``TASKS`` and imported the first time the registry is read (``cxralign --help`` imports
none). Other packages add tasks through the ``cxralign.tasks`` entry-point group.
"""

from __future__ import annotations

from cxralign.errors import ConfigError
from cxralign.tasks.base import Task, TaskMetadata
from cxralign.utils.registry import Registry

TASKS: Registry[type[Task]] = Registry(
    "task",
    entry_point_group="cxralign.tasks",
    modules=(
        "cxralign.tasks.cxr_align",
        "cxralign.tasks.cxr_align_headline",
        "cxralign.tasks.zeroshot",
        "cxralign.tasks.retrieval",
        "cxralign.tasks.linear_probe",
        "cxralign.tasks.finetune",
    ),
)

SUITES: dict[str, tuple[str, ...]] = {
    "cxr-align": ("cxr-align",),
    "quick": ("cxr-align", "zeroshot", "retrieval"),
    "standard": ("cxr-align", "zeroshot", "retrieval", "linear-probe"),
    "full": ("cxr-align", "zeroshot", "retrieval", "linear-probe", "finetune"),
}
"""Named sets of tasks for ``--suite``; ``quick`` is what ``cxralign eval`` runs by default."""


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task available to ``get_task`` under its name and version."""
    return TASKS.register(f"{cls.metadata.name}@{cls.metadata.version}", cls)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _versions() -> dict[str, list[str]]:
    """``{task name: [versions, oldest first]}``."""
    out: dict[str, list[str]] = {}
    for key in TASKS.names():
        name, _, version = key.rpartition("@")
        out.setdefault(name, []).append(version)
    return {name: sorted(versions, key=_version_key) for name, versions in sorted(out.items())}


def task_names() -> list[str]:
    """The registered task names (each once, whatever its versions)."""
    return list(_versions())


def list_tasks(all_versions: bool = False) -> list[TaskMetadata]:
    """Metadata of every registered task (the newest version of each unless ``all_versions``)."""
    return [
        TASKS.get(f"{name}@{version}").metadata
        for name, versions in _versions().items()
        for version in (versions if all_versions else versions[-1:])
    ]


def get_task(name: str, version: str | None = None) -> Task:
    """An instance of task ``name`` (newest version unless ``version`` is given)."""
    versions = _versions().get(name)
    if not versions:
        raise TASKS.unknown(name, known=task_names())
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise ConfigError(f"task {name!r} has no version {version!r}; known versions: {', '.join(versions)}")
    return TASKS.get(f"{name}@{version}")()


def known_datasets() -> list[str]:
    """Every dataset kind some registered task takes."""
    return sorted({kind for meta in list_tasks() for kind in meta.datasets})


def resolve_tasks(tasks: str | None, suite: str | None) -> list[str]:
    """``--tasks a,b`` or ``--suite NAME`` as task names (checked); the quick suite when neither is given."""
    if tasks and suite:
        raise ConfigError("give --tasks or --suite, not both")
    if suite:
        if suite not in SUITES:
            raise ConfigError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
        names = list(SUITES[suite])
    else:
        names = [t.strip() for t in (tasks or ",".join(SUITES["quick"])).split(",") if t.strip()]
    for name in names:
        get_task(name)  # validates the name
    return names
