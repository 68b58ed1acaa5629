"""The review sheet: one self-contained HTML file (styles and script inline, nothing fetched)."""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from cxralign import __version__
from cxralign.audit.highlight import highlight
from cxralign.audit.sample import AuditSample, blank_verdicts, item_key
from cxralign.errors import OutputExistsError
from cxralign.utils.atomic import atomic_write_text

# What each op must do for its variant to be right: shown on every row, so the reviewer judges against it.
OP_TASKS = {
    "negate": "the finding, stated in the original, is denied",
    "omit": "every statement of the finding is removed",
    "affirm": "the finding, absent from the original, is stated as present",
    "laterality": "the finding's side is swapped",
    "severity": "the finding's grade is changed",
}
RUBRIC = (
    ("correct", "A radiologist could have written the variant, and it contradicts the original about the "
                "target finding and nothing else."),
    ("awkward", "It contradicts as it should, but the wording is unnatural or ungrammatical enough that a "
                "reader would notice the edit."),
    ("wrong", "It does not contradict the original about the target (the finding is still stated, implied "
              "or never asserted), changes another finding too, contradicts itself or the anatomy, or is "
              "not a readable report."),
)  # fmt: skip


_HEADING = re.compile(r"(^|\n)([A-Z][A-Z /&-]{2,}:)")


def headings(text: str) -> Markup:
    """Escaped text with section headings ("FINDINGS:") in bold, so a reader finds the sections."""
    return Markup(_HEADING.sub(r'\1<b class="hd">\2</b>', str(escape(text))))


def _asset(name: str) -> str:
    return files("cxralign.audit").joinpath("templates", name).read_text(encoding="utf-8")


def render_sheet(sample: AuditSample) -> str:
    env = Environment(
        loader=PackageLoader("cxralign.audit", "templates"),
        autoescape=select_autoescape(["html"], default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["headings"] = headings
    rows = []
    for index, item in enumerate(sample.items, 1):
        left, right = highlight(item.original, item.variant, item.changes)
        rows.append(
            {
                "index": index,
                "key": item_key(item.op, item.item_id),
                "item": item,
                "task": OP_TASKS.get(item.op, item.op),
                "left": left,
                "right": right,
            }
        )
    return env.get_template("sheet.html").render(
        sample=sample,
        identity=sample.identity,
        rows=rows,
        rubric=RUBRIC,
        state=blank_verdicts(sample),
        css=_asset("sheet.css"),
        js=_asset("sheet.js"),
        version=__version__,
        created=dt.date.today().isoformat(),
    )


def write_sheet(sample: AuditSample, out: str | Path, overwrite: bool = False) -> Path:
    path = Path(out)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite to replace it (saved verdicts stay in the browser)")
    atomic_write_text(path, render_sheet(sample))
    return path
