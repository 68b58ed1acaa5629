"""Property tests: generated and real-looking reports never crash a rewrite, and every kept variant is verified."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxralign.reports import analyze, report_labels
from cxralign.rewrite import OPS, RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.spans import apply_changes

CTX = RewriteContext.from_engine(seed=0)

SENTENCES = [
    "There is a small left pleural effusion.", "Small bilateral pleural effusions, left greater than right.",
    "Mild cardiomegaly.", "The heart is mildly enlarged.", "Heart size is normal.", "The heart is not enlarged.",
    "No pneumothorax.", "There is no pneumothorax.", "Small right apical pneumothorax.", "Pneumothorax is not seen.",
    "No focal consolidation, pleural effusion, or pneumothorax.", "Right lower lobe opacity, possibly pneumonia.",
    "Bibasilar atelectasis.", "Mild pulmonary edema.", "No pulmonary edema.", "Lungs are clear.",
    "There may be a small left pleural effusion.", "Bilateral effusions and mild cardiomegaly.",
    "Endotracheal tube terminates 4 cm above the carina.", "No acute fracture.", "A 2 cm mass is seen in the left upper lobe.",
    "Compared to the prior study, the left effusion has increased.", "No change.", "Left basilar consolidation and small left effusion.",
    "Small left effusion with adjacent atelectasis.", "Possible small right pleural effusion.", "The mediastinum is widened.",
    "No evidence of pneumonia.", "Severe cardiomegaly is unchanged.", "There are bilateral pleural effusions and bibasilar atelectasis.",
    "Healed right rib fractures.", "Sternotomy wires are intact.", "Previously seen pneumothorax has resolved.",
]  # fmt: skip
HEADERS = ["", "FINDINGS: ", "IMPRESSION: ", "FINDINGS:\n", "\n\nIMPRESSION:\n "]
_word = st.sampled_from(["no", "small", "left", "right", "effusion", "and", ",", ".", "is", "not", "mild", "heart",
                         "pneumothorax", "opacity", "with", "possible", "bilateral", "lobe", "the", "a", "\n", "XXXX"])  # fmt: skip

reports = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(HEADERS), st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4)),
        min_size=1,
        max_size=3,
    ).map(lambda parts: "\n".join(h + " ".join(s) for h, s in parts)),  # fmt: skip
    st.lists(_word, min_size=1, max_size=30).map(" ".join),
    st.text(max_size=120),
)


def _check_verified(op: str, before, variant) -> None:
    after = analyze(variant.text, report_id=before.report_id)
    old, new = report_labels(before), report_labels(after)
    for name in old:
        if name not in (variant.target, "No Finding"):
            assert new[name] == old[name], (name, variant.text)
    expected = {"negate": 0.0, "affirm": 1.0, "omit": None}.get(op, old[variant.target])
    assert new[variant.target] == expected
    assert apply_changes(variant.original, variant.changes) == variant.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=reports)
def test_rewrites_never_crash_and_only_yield_verified_variants(text):
    analysis = analyze(text, report_id="h")
    labels = report_labels(analysis)
    targets = [name for name, value in labels.items() if value is not None and name != "No Finding"]
    for target in targets:
        for op in OPS:
            try:
                variant = rewrite(op, analysis, target, CTX)
            except RewriteRejected as rejected:
                assert rejected.reason
                continue
            _check_verified(op, analysis, variant)
