"""An audit written into the build it judged: ``manifest.json["audits"]`` and a section of the card."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re

from cxralign import __version__
from cxralign.audit.identity import BuildIdentity, read_manifest
from cxralign.audit.score import OVERALL, AuditScore
from cxralign.audit.verdicts import VerdictFile
from cxralign.benchmark.write import dump_json
from cxralign.errors import InputError
from cxralign.utils.atomic import atomic_path

CARD_BEGIN = "<!-- cxralign-audit:begin -->"
CARD_END = "<!-- cxralign-audit:end -->"
_CARD_SECTION = re.compile(re.escape(CARD_BEGIN) + r".*?" + re.escape(CARD_END) + r"\n?", re.S)


def audit_record(
    verdicts: VerdictFile, score: AuditScore, identity: BuildIdentity, verdicts_sha256: str, reviewer: str
) -> dict:
    return {
        "reviewer": reviewer,
        "reviewed_on": (verdicts.reviewed_on or dt.date.today()).isoformat(),
        "n": score.overall.reviewed,
        "sample": {"seed": verdicts.sample.seed, "per_op": verdicts.sample.per_op,
                   "sample_sha256": verdicts.sample.sample_sha256},  # fmt: skip
        "build": identity.as_record(),
        "verdicts_sha256": verdicts_sha256,
        "scored_with": f"cxralign {__version__}",
        "confidence": 0.95,
        "interval": "wilson",
        "per_op": {op: s.as_record() for op, s in score.per_op.items() if op != OVERALL},
        "overall": score.overall.as_record(),
    }


def _pct(rate: dict) -> str:
    if rate["rate"] is None:
        return "-"
    low, high = rate["ci95"]
    return f"{rate['rate']:.1%} ({low:.1%} to {high:.1%})"


def card_section(audits: list[dict]) -> str:
    """The card's audit section, regenerated from the manifest's list (so re-recording never duplicates)."""
    lines = [CARD_BEGIN, "## Audit: variants read by a reviewer", ""]
    lines.append(
        "A seeded sample of variants, stratified per op, read beside their originals with `cxralign audit`. "
        "*wrong*: the variant does not contradict the original about the target alone, or contradicts itself; "
        "*awkward*: right, but worded so a reader would notice the edit. Rates with Wilson 95% intervals; "
        "*all* pools the sample (ops equally represented, not weighted by their size here)."
    )
    for audit in audits:
        lines += ["", f"### {audit['reviewed_on']}: {audit['reviewer']}, {audit['n']} variants "
                      f"(seed {audit['sample']['seed']}, build data `{audit['build']['data_sha256'][:12]}`)", ""]  # fmt: skip
        lines += ["| op | read | wrong | error rate (95% CI) | awkward | awkward rate (95% CI) |",
                  "|---|---:|---:|---|---:|---|"]  # fmt: skip
        for op, row in [*audit["per_op"].items(), (OVERALL, audit["overall"])]:
            lines.append(
                f"| {op} | {row['reviewed']} | {row['wrong']} | {_pct(row['error_rate'])} | "
                f"{row['awkward']} | {_pct(row['awkward_rate'])} |"
            )
    lines += ["", CARD_END, ""]
    return "\n".join(lines)


def _with_section(card: str, section: str) -> str:
    if CARD_BEGIN in card:
        return _CARD_SECTION.sub(lambda _: section, card, count=1)
    return card.rstrip("\n") + "\n\n" + section


def record_audit(identity: BuildIdentity, record: dict) -> None:
    """Add (or replace: same verdict file) the audit; both files are prepared, then renamed into place."""
    build = identity.path
    manifest = read_manifest(build)
    card_path = build / "README.md"
    try:
        card = card_path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{card_path}: cannot read the dataset card ({error})") from None
    audits = [a for a in manifest.get("audits") or [] if a.get("verdicts_sha256") != record["verdicts_sha256"]]
    manifest["audits"] = [*audits, record]
    card = _with_section(card, card_section(manifest["audits"]))
    with contextlib.ExitStack() as stack:
        # both files are written in full before either is renamed; on leaving, the card is renamed, then
        # the manifest (any failure before that removes both temporaries and leaves the build as it was)
        for target, text in ((build / "manifest.json", dump_json(manifest)), (card_path, card)):
            tmp = stack.enter_context(atomic_path(target))
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o644)
