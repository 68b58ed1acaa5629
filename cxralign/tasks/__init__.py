"""Evaluation tasks: the task contract, a versioned registry, per-item scores, and result files.

Every task implements :class:`Task` (``cxralign.tasks.base``); ``get_task(name, version)``
returns one whose ``metrics_from_scores(scores, config)`` recomputes a stored result's
metrics exactly; ``write_result`` /
``read_result`` handle the ``RESULTS/<model>/<task>/<dataset>/<split>.json``
files (atomic, with the per-item scores Parquet beside them).
"""

from cxralign.tasks.base import RunContext, ScoredSplit, Task, TaskMetadata, Verdict
from cxralign.tasks.io import find_results, read_result, read_scores, result_path, write_result
from cxralign.tasks.registry import TASKS, get_task, list_tasks, register_task
from cxralign.tasks.results import MetricValue, TaskResult

__all__ = [
    "MetricValue",
    "RunContext",
    "TASKS",
    "ScoredSplit",
    "Task",
    "TaskMetadata",
    "TaskResult",
    "Verdict",
    "find_results",
    "get_task",
    "list_tasks",
    "read_result",
    "read_scores",
    "register_task",
    "result_path",
    "write_result",
]
