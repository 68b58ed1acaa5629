"""The files beside ``index.html``: one page per model, its result files, and what links to them.

Every model on the board gets ``models/<submission>.html`` (its zoo card, where
one matches, rendered as a page) and ``files/<submission>/`` with the submission
JSON, one JSON per result and the per-item scores Parquet the numbers were
recomputed from, so each link on the page resolves inside the site.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxralign.leaderboard.schema import SUBMISSION_FILE, Submission, SubmittedTask

MODELS_DIR = "models"
FILES_DIR = "files"
HUB_URL = "https://huggingface.co/{}"
SCORES_SUFFIX = ".scores.parquet"


@dataclass(frozen=True)
class ResultFiles:
    """Site-relative hrefs of one result's JSON and per-item scores (from index.html)."""

    json: str
    scores: str


@dataclass
class ModelLinks:
    """Where a reader goes from a model's row: its page, paper, code, weights and files."""

    submission: Submission
    card: Any | None  # cxralign.models.zoo.ModelCard, when one matches
    page: str
    submission_json: str
    paper: str | None = None
    code: str | None = None
    weights: str | None = None
    results: dict[tuple[str, str, str], ResultFiles] = field(default_factory=dict)

    def files_for(self, result: SubmittedTask) -> ResultFiles:
        return self.results[result.key]


def result_json_name(result: SubmittedTask) -> str:
    stem = result.scores_file.removesuffix(SCORES_SUFFIX).removesuffix(".parquet")
    return f"{stem}.result.json"


def find_card(submission: Submission, cards: Mapping[str, Any]) -> Any | None:
    """The zoo card of a submission: named by a ``zoo:`` spec, else by the submission or model name."""
    spec = submission.model.spec
    names = [spec[4:].split("@")[0]] if spec.startswith("zoo:") else []
    names += [submission.name, submission.model.name.lower()]
    for name in names:
        if name in cards:
            return cards[name]
    titled = [c for c in cards.values() if c.title == submission.model.name]
    return titled[0] if len(titled) == 1 else None


def _weights_url(card: Any | None, reference: str) -> str | None:
    if card is not None and card.weights.url:
        return card.weights.url
    if card is not None and card.weights.hub_id:
        return HUB_URL.format(card.weights.hub_id)
    if reference.startswith(("https://", "http://")):
        return reference.split()[0]
    if reference.startswith("hf-hub:"):
        return HUB_URL.format(reference.removeprefix("hf-hub:").split()[0])
    return None


def model_links(submissions: list[Submission], cards: Mapping[str, Any]) -> dict[str, ModelLinks]:
    """Links of every submission, keyed by submission name; hrefs are relative to the site root."""
    out = {}
    for sub in submissions:
        card = find_card(sub, cards)
        base = f"{FILES_DIR}/{sub.name}"
        out[sub.name] = ModelLinks(
            submission=sub,
            card=card,
            page=f"{MODELS_DIR}/{sub.name}.html",
            submission_json=f"{base}/{SUBMISSION_FILE}",
            paper=card.paper if card is not None else None,
            code=getattr(card, "code", None) if card is not None else None,
            weights=_weights_url(card, sub.model.weights),
            results={
                t.key: ResultFiles(f"{base}/{result_json_name(t)}", f"{base}/{t.scores_file}")
                for t in sub.tasks
            },
        )
    return out


def reproduce_command(submission: Submission, result: SubmittedTask) -> str:
    """The ``cxralign eval`` line that recomputes one result (the dataset path is the reader's)."""
    seed = result.config.get("seed", 0)
    loader = "cxr-align" if result.task.startswith("cxr-align") else result.dataset
    return (
        f"cxralign eval --model '{submission.model.spec}' --tasks {result.task}"
        f" --data {result.dataset}:{loader}=PATH/TO/{result.dataset} --seed {seed} --out results/"
    )


def copy_result_files(out: Path, links: ModelLinks, source_dir: Path) -> None:
    """Write ``files/<submission>/``: the submission JSON, one JSON per result, the scores Parquet files."""
    target = out / FILES_DIR / links.submission.name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_dir / SUBMISSION_FILE, target / SUBMISSION_FILE)
    for result in links.submission.tasks:
        shutil.copyfile(source_dir / result.scores_file, target / result.scores_file)
        text = json.dumps(
            {"submission": links.submission.name, "model": links.submission.model.model_dump(mode="json"),
             "result": result.model_dump(mode="json")},
            indent=2, sort_keys=True, allow_nan=False,
        )  # fmt: skip
        (target / result_json_name(result)).write_text(text + "\n", encoding="utf-8")
