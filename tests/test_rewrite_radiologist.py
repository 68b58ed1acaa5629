"""Variants a radiologist would sign (issue 14): each kind of error a reviewer found, on hand-written
reports; the verifier catching each kind when it is fed the wrong variant; and a property test that a
variant never changes text outside its recorded changes except as the verifier allows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxralign.benchmark.refusals import accounting, reason_kind, refusal_table
from cxralign.reports import analyze
from cxralign.rewrite import OPS, RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.coherence import scope_refusal, stated_signs
from cxralign.rewrite.form import lost_words
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import GRADE_BOUNDS, SIGNS
from cxralign.rewrite.spans import apply_changes
from cxralign.rewrite.verify import variant_failure

CTX = RewriteContext.from_engine(seed=0)
CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "rewrite" / "radiologist.yaml").read_text())
KINDS = ("sign", "section", "other", "denial", "pointing", "coherence", "anatomy", "scope", "form")


def test_every_kind_of_error_has_at_least_five_hand_written_reports():
    counts = Counter(case["kind"] for case in CASES)
    assert set(counts) == set(KINDS)
    assert min(counts.values()) >= 5


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}-{c['op']}-{i}" for i, c in enumerate(CASES)])
def test_hand_written_report_gives_the_exact_variant_or_refusal(case):
    analysis = analyze(case["text"], report_id="t")
    if "refused" in case:
        with pytest.raises(RewriteRejected) as refusal:
            rewrite(case["op"], analysis, case["target"], CTX)
        assert refusal.value.reason.startswith(case["refused"])
        return
    variant = rewrite(case["op"], analysis, case["target"], CTX)
    assert variant.text == case["expected"]
    assert apply_changes(variant.original, variant.changes) == variant.text


def _mutant(original: str, before: str, after: str) -> tuple[str, list[Change]]:
    start = original.index(before)
    change = Change(start, start + len(before), before, after, 0)
    return apply_changes(original, [change]), [change]


MUTANTS = [
    # the finding stays stated by a sign of it
    ("negate", "Pneumothorax", "FINDINGS: Large right pneumothorax with complete collapse of the right lung. Mediastinal shift to the left.",
     "Large right pneumothorax with complete collapse of the right lung", "Complete collapse of the right lung. No pneumothorax", None,
     "a sign of the finding stays"),
    # the other section keeps the old side
    ("laterality", "Pleural Effusion", "FINDINGS: Small left pleural effusion.\nIMPRESSION: Small left pleural effusion.",
     "IMPRESSION: Small left", "IMPRESSION: Small right", {"from": "left", "to": "right"}, "target laterality changed unexpectedly"),
    # another finding's words go with the edit
    ("negate", "Pleural Effusion", "FINDINGS: Patchy density in the right lower lung with a small right pleural effusion.",
     "Patchy density in the right lower lung with a small right pleural effusion", "No pleural effusion", None,
     "words outside the target's statement removed (density"),
    # a denial of another kind of finding, or of a grade only
    ("negate", "Lung Opacity", "FINDINGS: Scattered right upper lung scarring. No effusion.",
     "Scattered right upper lung scarring", "No airspace disease", None, "the denial names another kind of finding"),
    ("negate", "Pleural Effusion", "FINDINGS: Moderate bilateral pleural effusions. No pneumothorax.",
     "Moderate bilateral pleural effusions", "No large pleural effusions", None, "the denial denies a grade"),
    ("negate", "Support Devices", "FINDINGS: Left subclavian catheter tip in the superior vena cava. No pneumothorax.",
     "Left subclavian catheter tip in the superior vena cava", "The right internal jugular catheter has been removed", None,
     "the denial adds details"),
    # text left pointing at the removed finding
    ("omit", "Lung Lesion", "FINDINGS: Nodules in the right upper lobe. These were not present before. Heart size normal.",
     "Nodules in the right upper lobe. ", "", None, "a sentence left pointing at the removed finding"),
    ("omit", "Lung Lesion", "FINDINGS: Heart size normal.\nIMPRESSION: Right upper lobe nodule. CT is recommended for further characterization.",
     " Right upper lobe nodule.", "", None, "a statement about the removed finding stays"),
    # clinically incoherent
    ("affirm", "Pneumothorax", "FINDINGS: No pneumothorax.\nIMPRESSION: No acute cardiopulmonary process.",
     "No pneumothorax", "There is a small right pneumothorax", None, "the impression still says nothing acute"),
    ("severity", "Atelectasis", "FINDINGS: Minimal subsegmental atelectasis at the left base.",
     "Minimal", "Severe", {"from": "minimal", "to": "severe"}, "grade 'severe' contradicts 'subsegmental'"),
    ("affirm", "Pneumonia", "FINDINGS: No focal consolidation. No pneumonia.",
     "No pneumonia", "Right lower lobe pneumonia", None, "the report still denies Consolidation"),
    # a side swap contradicting itself or the anatomy
    ("laterality", "Pleural Effusion", "FINDINGS: Right-sided effusion in the right costophrenic recess.",
     "Right-sided", "Left-sided", {"from": "right", "to": "left"}, "the old side (right) is still stated"),
    ("laterality", "Consolidation", "FINDINGS: Right middle lobe consolidation.",
     "Right", "Left", {"from": "right", "to": "left"}, "the side swap names anatomy that does not exist"),
    ("laterality", "Pleural Effusion", "FINDINGS: Large right effusion. Left lung clear.",
     "right", "left", {"from": "right", "to": "left"}, "the report says the left lung is clear"),
    # form: header, duplicate, fragment, inserted finding, list numbers
    ("negate", "Lung Lesion", "FINDINGS: Heart size normal.\nIMPRESSION: Left lower lobe nodule; CT is recommended.",
     "IMPRESSION: Left lower lobe nodule;", "No pulmonary nodule", None, "section header 'IMPRESSION'"),
    ("affirm", "Pneumothorax", "FINDINGS: No pneumothorax. Small right pneumothorax.",
     "No pneumothorax.", "Small right pneumothorax.", None, "a sentence is duplicated"),
    ("omit", "Pleural Effusion", "FINDINGS: Small left effusion and mild cardiomegaly.",
     "Small left effusion ", "", None, "a fragment is left"),
    ("affirm", "Pleural Effusion", "FINDINGS: No pleural effusion. Heart size normal.",
     "No pleural effusion.", "Low lung volumes with small bilateral pleural effusions.", None, "an inserted statement carries"),
    ("omit", "Pleural Effusion", "IMPRESSION: 1. Mild cardiomegaly. 2. Small left effusion. 3. No pneumothorax.",
     "2. Small left effusion. ", "", None, "list numbers no longer count"),
    # rules from later reviews of OpenI samples
    ("affirm", "Edema", "FINDINGS: No edema. Heart size normal.\nIMPRESSION: Heart size normal.",
     "No edema.", "The distribution XXXX pulmonary edema.", None, "an inserted statement carries an anonymisation token"),
    ("affirm", "Lung Opacity", "FINDINGS: Heart size normal. No focal airspace opacity. No effusion.",
     "No focal airspace opacity.", "Mild scarring in the left apex.", None, "the affirmed finding is another kind"),
    ("affirm", "Cardiomegaly", "FINDINGS: Lungs are clear. Heart normal.\nIMPRESSION: Lungs are clear.",
     "Heart normal.", "Borderline enlargement of the heart.", None, "the affirmed finding is only borderline"),
    ("affirm", "Lung Lesion", "FINDINGS: Heart size normal. No nodules or masses.\nIMPRESSION: Normal chest.",
     "No nodules or masses.", "Small left upper lobe nodule.", None, "the impression still calls the study normal"),
    ("negate", "Lung Opacity", "FINDINGS: Heart size normal. Mild right apical scarring. No effusion.",
     "Mild right apical scarring.", "No focal air space disease.", None, "the denial names another kind"),
    ("negate", "Edema", "FINDINGS: Mild vascular congestion. No effusion.",
     "Mild vascular congestion.", "No evidence for heart failure.", None, "the denial names another kind"),
    ("laterality", "Support Devices", "FINDINGS: Lungs are clear. Surgical clips in the right upper quadrant.",
     "right upper", "left upper", {"from": "right", "to": "left"}, "the side swap moved the anatomy"),
    ("negate", "Fracture", "FINDINGS: Right 8th rib fracture with callus. No effusion.\nIMPRESSION: No acute disease.",
     "Right 8th rib fracture with callus.", "No acute rib fracture.", None, "a healed lesion denied only as an acute or displaced one"),
    ("negate", "Fracture", "FINDINGS: Healing left 6th rib fracture. Lungs are clear.",
     "Healing left 6th rib fracture.", "No acute fracture.", None, "a healed lesion denied only as an acute or displaced one"),
    ("negate", "Fracture", "FINDINGS: Lungs are clear. Left 5th rib fracture with callus.\nIMPRESSION: No acute disease.",
     "Left 5th rib fracture with callus.", "No displaced rib fractures are seen.", None,
     "a healed lesion denied only as an acute or displaced one"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("op", "target", "original", "before", "after", "detail", "reason"),
    MUTANTS,
    ids=[m[6][:40] for m in MUTANTS],
)
def test_verifier_rejects_the_wrong_variant_with_its_reason(
    op, target, original, before, after, detail, reason
):
    text, changes = _mutant(original, before, after)
    analysis = analyze(original, report_id="m")
    failure = variant_failure(op, analysis, analyze(text, report_id="m"), changes, target, CTX, detail)
    assert failure is not None and failure.startswith(reason), failure


def test_inserted_statement_with_a_finding_of_its_own_is_rejected():
    original = "FINDINGS: No pneumothorax. Heart size normal."
    analysis = analyze(original, report_id="m")
    end = original.index(" Heart")
    change = Change(end, end, "", " Small right pneumothorax with a left pleural effusion.", 0)
    start = original.index("No pneumothorax.")
    removed = Change(start, start + len("No pneumothorax."), "No pneumothorax.", "", 0)
    text = apply_changes(original, [removed, change])
    failure = variant_failure(
        "affirm", analysis, analyze(text, report_id="m"), [removed, change], "Pneumothorax", CTX, None
    )
    assert failure is not None and failure.startswith(("an inserted statement", "other finding changed"))


@pytest.mark.parametrize(
    ("op", "text", "target", "reason"),
    [
        (
            "negate",
            "FINDINGS: Pneumonia cannot be excluded. No effusion.",
            "Pneumonia",
            "target stated only in a caveat",
        ),
        (
            "omit",
            "FINDINGS: History of pneumonia. Lungs are clear.",
            "Pneumonia",
            "target stated only in a caveat",
        ),
        (
            "severity",
            "FINDINGS: Small left effusion measuring 2 cm.",
            "Pleural Effusion",
            "the finding's size is measured",
        ),
        (
            "laterality",
            "FINDINGS: Small bilateral effusions, left greater than right.",
            "Pleural Effusion",
            "both sides",
        ),
    ],
)
def test_scope_refuses_before_any_variant_is_made(op, text, target, reason):
    assert scope_refusal(op, analyze(text, report_id="s"), target, CTX).startswith(reason)


def test_a_report_whose_sections_cannot_be_read_is_refused_never_half_edited():
    assert scope_refusal("negate", analyze("", report_id="e"), "Pneumothorax", CTX) == (
        "report sections could not be parsed"
    )


def test_rule_tables_are_data_the_checks_read():
    assert {
        "Pneumothorax",
        "Atelectasis",
        "Edema",
        "Cardiomegaly",
        "Pleural Effusion",
        "Consolidation",
    } <= set(SIGNS)
    signs = list(
        stated_signs(analyze("FINDINGS: Kerley B lines are present. CHF.", report_id="k"), "Edema", CTX)
    )
    assert signs == []  # both are the lexicon's own edema terms: the lexicon check reads them
    signs = list(
        stated_signs(
            analyze("FINDINGS: Air bronchograms in the left lower lobe.", report_id="k"), "Consolidation", CTX
        )
    )
    assert [name for name, *_ in signs] == ["air bronchograms"]
    assert "severe" not in GRADE_BOUNDS["subsegmental"] and "small" not in GRADE_BOUNDS["complete"]


def test_refusal_reasons_are_counted_by_kind_and_add_up():
    assert reason_kind("severity 'moderate' is part of a range") == "severity … is part of a range"
    assert reason_kind("other finding changed: Edema 1.0 -> None") == "other finding changed"
    assert reason_kind("words outside the target's statement removed (density)") == (
        "words outside the target's statement removed"
    )
    refused = Counter({("negate", "a"): 2, ("negate", "b"): 1, ("omit", "a"): 1})
    table = refusal_table(refused)
    assert table["negate"] == {"a": 2, "b": 1}
    rows = accounting({"negate": 7, "omit": 4}, table, {"negate": {"train": 4}, "omit": {"train": 2}})
    assert rows["negate"] == {"attempted": 7, "kept": 4, "refused": 3, "adds_up": True}
    assert rows["omit"]["adds_up"] is False  # 4 attempted, 2 kept, 1 refused: one went missing


SENTENCES = [
    "There is a small left pleural effusion.", "Mild cardiomegaly.", "No pneumothorax.", "Lungs are clear.",
    "Low lung volumes with bibasilar atelectasis.", "Patchy density in the right lower lung with a small right effusion.",
    "Right upper lobe nodule. It is unchanged.", "CT is recommended for further characterization.",
    "Small right pneumothorax.", "The heart is not enlarged.", "Moderate pulmonary edema.", "No focal consolidation.",
    "Sternotomy wires are intact.", "Calcified granuloma in the left upper lobe.", "Degenerative changes of the spine.",
    "Minimal subsegmental atelectasis at the left base.", "Tortuous aorta with mild cardiomegaly.",
]  # fmt: skip
HEADERS = ["FINDINGS: ", "IMPRESSION: ", "IMPRESSION: 1. "]
reports = st.lists(
    st.tuples(
        st.sampled_from(HEADERS), st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4, unique=True)
    ),
    min_size=1,
    max_size=2,
    unique_by=lambda part: part[0].split(":")[0],
).map(lambda parts: "\n".join(h + " ".join(s) for h, s in parts))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=reports)
def test_a_variant_changes_nothing_outside_its_changes_but_what_the_verifier_allows(text):
    analysis = analyze(text, report_id="p")
    targets = {CTX.observation_of(m.concept) for m in analysis.mentions} - {None}
    for target in sorted(targets):
        for op in OPS:
            try:
                variant = rewrite(op, analysis, target, CTX)
            except RewriteRejected:
                continue
            # the recorded changes rebuild the variant: outside them every character is the original's
            assert apply_changes(text, variant.changes) == variant.text
            kept, cursor = [], 0
            for change in sorted(variant.changes, key=lambda c: c.start):
                kept.append(text[cursor : change.start])
                cursor = change.end
            kept.append(text[cursor:])
            assert all(piece in variant.text for piece in kept)
            # inside them only the target's own statement went: no other content word
            assert lost_words(analysis, variant.changes, target, CTX, op) == [], variant.text
            # and the whole verifier passes on what was kept
            after = analyze(variant.text, report_id="p")
            assert variant_failure(op, analysis, after, variant.changes, target, CTX, variant.detail) is None


def test_build_through_the_console_script_counts_every_refusal_and_adds_up(tmp_path):
    import json
    import shutil
    import subprocess
    import sys

    reports = [
        "FINDINGS: Small left pleural effusion. No pneumothorax.\nIMPRESSION: Small left pleural effusion.",
        "FINDINGS: Pneumonia cannot be excluded. No effusion.",
        "FINDINGS: Low lung volumes with bibasilar atelectasis. No pneumothorax.",
        "FINDINGS: Large right pneumothorax with complete collapse of the right lung. Mediastinal shift to the left.",
        "FINDINGS: Borderline cardiomegaly. Lungs are clear.",
        "FINDINGS: No pneumothorax. No effusion.\nIMPRESSION: No acute cardiopulmonary process.",
    ]
    source = tmp_path / "r.jsonl"
    source.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(reports)))
    script = shutil.which("cxralign") or str(Path(sys.executable).parent / "cxralign")
    out = tmp_path / "o"
    args = ["build", "--source", "jsonl", "--root", str(source), "--out", str(out), "--no-blind-filter"]
    result = subprocess.run([script, *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    accounting = manifest["refusals"]["accounting"]
    assert accounting and all(row["adds_up"] for row in accounting.values())
    reasons = manifest["refusals"]["by_reason"]
    assert any(reason.startswith("target stated only") for by_op in reasons.values() for reason in by_op)
    assert "## Refusals" in (out / "README.md").read_text()
