"""negate as a reviewing radiologist reads it (issue 14, fourth review): every rule of
``cxralign.rewrite.negate_checks`` and the negate tables of ``cxralign.rewrite.rules`` on hand-written
reports (never corpus text), the verifier fed each wrong variant, and the phrase-bank denials negate
no longer draws. Each case was kept, wrongly, by the code before these rules."""

from __future__ import annotations

import pytest
from test_rewrite_radiologist import _mutant

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.negate_checks import denial_ok, sites
from cxralign.rewrite.negate_rules import (
    BORDERLINE_DENIAL,
    DENIAL_OTHER_SITE,
    DEVICE_LEFT_UNDENIED,
    DEVICE_PARAPHRASE_LEFT,
    FIXED_FRACTURE_STATED,
    FOCAL_FOR_DIFFUSE,
    KEPT_READING,
    LIST_BROKEN,
    MORE_OF_LEFT,
    NOT_A_DEVICE_ONLY,
    OTHER_STUDY_STATED,
    OTHERWISE_LEFT,
    OUTSIDE_CHEST,
    PLACE_LEFT,
    QUALIFIED_DENIAL_ONLY,
    SUBHEADING_LOST,
)
from cxralign.rewrite.phrases import PhraseBank
from cxralign.rewrite.rules import (
    HEDGE_ONLY,
)
from cxralign.rewrite.spans import apply_changes
from cxralign.rewrite.verify import variant_failure

CTX = RewriteContext.from_engine(seed=0)

REFUSED = [
    # a target named only in a limitation of the exam
    ("Fracture", "FINDINGS: Lungs are clear. Rib fractures are not well demonstrated on this study.\nIMPRESSION: No acute disease.",
     HEDGE_ONLY),
    ("Fracture", "FINDINGS: Lungs are clear. The ribs are poorly evaluated for fracture.\nIMPRESSION: No acute disease.",
     HEDGE_ONLY),
    ("Fracture", "FINDINGS: Heart size normal. Limited evaluation of the ribs for fracture.\nIMPRESSION: Clear lungs.",
     HEDGE_ONLY),
    ("Fracture", "FINDINGS: Lungs are clear. A rib fracture cannot be excluded on this limited exam.", HEDGE_ONLY),
    ("Pneumothorax", "FINDINGS: Heart size normal. A small apical pneumothorax is not well seen on the portable film.",
     HEDGE_ONLY),
    # another reading of the denied finding stays at its place
    ("Pneumonia", "FINDINGS: Heart size is normal. Patchy airspace disease in the right lower lobe.\n"
     "IMPRESSION: Right lower lobe airspace disease. This likely represents pneumonia.", KEPT_READING),
    ("Consolidation", "FINDINGS: Bibasilar consolidation is present. Heart size normal.\n"
     "IMPRESSION: Bibasilar airspace disease.", KEPT_READING),
    ("Atelectasis", "FINDINGS: Heart size normal. Streaky opacities at the lung bases, likely subsegmental atelectasis.",
     KEPT_READING),
    ("Atelectasis", "FINDINGS: Heart size normal.\nIMPRESSION: 1. Streaky bibasilar opacities; the appearance suggests "
     "subsegmental atelectasis. 2. Normal heart size.", KEPT_READING),
    ("Atelectasis", "FINDINGS: Hazy opacities in the left lower lobe. Heart normal.\n"
     "IMPRESSION: Left base atelectasis.", KEPT_READING),
    ("Lung Opacity", "FINDINGS: Right lower lobe opacity. Heart normal.\nIMPRESSION: Probable right lower lobe pneumonia.",
     KEPT_READING),
    ("Pneumonia", "FINDINGS: Right lower lobe opacity, possibly pneumonia. Heart normal.", KEPT_READING),
    ("Lung Opacity", "FINDINGS: Low lung volumes. There is right basilar opacity. No pneumothorax.\n"
     "IMPRESSION: Right basilar atelectasis. No acute disease otherwise.", KEPT_READING),
    ("Lung Opacity", "FINDINGS: A 4 cm opacity in the left lower lung. No pleural effusion.\n"
     "IMPRESSION: Left lower lung mass. CT is recommended.", KEPT_READING),
    ("Pleural Other", "FINDINGS: Interstitial markings are diffusely prominent throughout both lungs.\n"
     "IMPRESSION: Diffuse fibrosis.", KEPT_READING),
    ("Fracture", "FINDINGS: Lungs are clear. Left-sided rib fractures are better appreciated on the prior chest film.",
     OTHER_STUDY_STATED),
    ("Pleural Other", "FINDINGS: Lungs are clear. A calcified pleural plaque has not changed since the abdominal CT.",
     OTHER_STUDY_STATED),
    ("Cardiomegaly", "FINDINGS: There is moderate cardiomegaly. No edema.\n"
     "IMPRESSION: 1. Cardiomegaly without evidence of heart failure. 2. No acute abnormality.", "a fragment is left"),
    ("Fracture", "FINDINGS: Lungs are clear. There is an impacted fracture through the neck of the left femur.",
     OUTSIDE_CHEST),
    ("Support Devices", "FINDINGS: Lungs are clear. Sternotomy sutures and coronary bypass clips remain intact.",
     "another statement goes with the denied device"),
    ("Support Devices", "FINDINGS: A left chest wall pacemaker is noted. Lungs are clear. A right jugular catheter "
     "is present.", DEVICE_LEFT_UNDENIED),
    # a fixed fracture, a device's neighbour statement, a sign in other words
    ("Fracture", "FINDINGS: Lungs are clear. Interval fixation of the right humeral fracture with plate and screws.",
     FIXED_FRACTURE_STATED),
    ("Support Devices", "FINDINGS: Stable left chest wall pacemaker and postsurgical changes of prior CABG. "
     "Lungs are clear.", "another statement goes with the denied device"),
    ("Pneumothorax", "FINDINGS: Moderate right pneumothorax. Minimal right-to-left cardiomediastinal shift. Heart normal.",
     "a sign of the finding stays"),
    ("Support Devices", "FINDINGS: Frontal and lateral views with overlying external cardiac monitor leads. "
     "Lungs are clear.", NOT_A_DEVICE_ONLY),
    ("Consolidation", "FINDINGS: The heart is large. Diffuse alveolar consolidations are present.\n"
     "IMPRESSION: Heart failure with alveolar edema.", KEPT_READING),
    ("Lung Opacity", "FINDINGS: Heart normal. There has been clearing of left base airspace opacities. Lungs clear.",
     "target stated only as resolved"),
    ("Fracture", "FINDINGS: Lungs are clear. There is a fracture of the superior sternotomy wire, unchanged.",
     "the fracture is stated with its fixation"),
    ("Lung Opacity", "FINDINGS: Heart normal. Persistent left basilar scarring.\n"
     "IMPRESSION: Chronic lung disease without acute disease.", KEPT_READING),
    # a device part, an exam marker, another study, more of the finding, a sub-heading
    ("Support Devices", "FINDINGS: A right subclavian catheter is present. The tip is in the superior vena cava. "
     "Lungs are clear.", "a device part is left"),
    ("Support Devices", "FINDINGS: Examination was performed with nipple markers. Lungs are clear.", NOT_A_DEVICE_ONLY),
    ("Lung Lesion", "FINDINGS: Heart normal. A nodule in the right middle lobe matches one seen on the prior CT scan.\n"
     "IMPRESSION: Right middle lobe nodule.", OTHER_STUDY_STATED),
    ("Fracture", "FINDINGS: Lungs are clear. Left shoulder: There is a displaced fracture of the left clavicle. "
     "No additional fractures are seen.", MORE_OF_LEFT),
]  # fmt: skip


@pytest.mark.parametrize("target, text, reason", REFUSED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSED)])
def test_negate_refuses_with_its_reason(target, text, reason):
    with pytest.raises(RewriteRejected) as refused:
        rewrite("negate", analyze(text, report_id="t"), target, CTX)
    assert str(refused.value).startswith(reason), str(refused.value)


EXACT = [
    # "otherwise" dropped when the denial leaves nothing to contrast with
    ("Lung Lesion", "FINDINGS: The heart is normal in size. Small nodule in the left upper lobe. "
     "The lungs are otherwise clear.",
     "FINDINGS: The heart is normal in size. No nodule in the left upper lobe. The lungs are clear."),
    ("Lung Lesion", "FINDINGS: Small nodule in the left lower lobe. Otherwise, the lungs are clear. Heart size is normal.",
     "FINDINGS: No nodule in the left lower lobe. The lungs are clear. Heart size is normal."),
    ("Pneumothorax", "FINDINGS: Small right pneumothorax. Lungs otherwise clear.",
     "FINDINGS: No pneumothorax. Lungs clear."),
    # an "otherwise" about the lungs contrasts with a lung finding only; after one the report keeps, it stays
    ("Lung Lesion", "FINDINGS: Small nodule in the left upper lobe. Small left effusion. The lungs are otherwise clear.",
     "FINDINGS: No nodule in the left upper lobe. Small left effusion. The lungs are otherwise clear."),
    ("Lung Lesion", "FINDINGS: Small nodule in the left upper lobe. Mild cardiomegaly. The lungs are otherwise clear.",
     "FINDINGS: No nodule in the left upper lobe. Mild cardiomegaly. The lungs are clear."),
    # a state predicate or a relative clause never stays in a denial
    ("Lung Lesion", "FINDINGS: Heart normal. Small nodule in the right upper lung is stable.",
     "FINDINGS: Heart normal. No nodule."),
    ("Lung Lesion", "IMPRESSION: Small nodule in the left upper lobe. Remainder of the lungs are clear. Heart size is normal.",
     "IMPRESSION: No nodule in the left upper lobe. The lungs are clear. Heart size is normal."),
    ("Fracture", "FINDINGS: Lungs are clear. There are stable fractures of several left ribs.",
     "FINDINGS: Lungs are clear. No fractures."),
    ("Pleural Effusion", "FINDINGS: Right pleural effusion is present and unchanged. No pneumothorax is seen.",
     "FINDINGS: No pleural effusion. No pneumothorax is seen."),
    ("Lung Opacity", "FINDINGS: Stable scarring near the right lung apex. Lungs are otherwise clear. Degenerative changes "
     "in the spine.", "FINDINGS: No scarring near the right lung apex. Lungs are clear. Degenerative changes in the spine."),
    ("Pleural Effusion", "FINDINGS: Heart normal.\nIMPRESSION: 1. Mild cardiomegaly. 2. Small right pleural effusion. "
     "No change. 3. Clear lungs.", "FINDINGS: Heart normal.\nIMPRESSION: 1. Mild cardiomegaly. 2. No pleural effusion. 3. Clear lungs."),
    # a recommendation about the finding goes with it
    ("Lung Lesion", "FINDINGS: There is a 1 cm nodule in the left lung base. Heart size is normal.\n"
     "IMPRESSION: Left basilar nodule. Consider imaging correlation with the abdominal CT.",
     "FINDINGS: There is no nodule in the left lung base. Heart size is normal.\nIMPRESSION: No acute intrathoracic process."),
    ("Support Devices", "FINDINGS: Lungs clear. Stent overlying the right upper quadrant likely represents a prior "
     "shunt procedure.", "FINDINGS: Lungs clear. No stent."),
    # extent words go with the side and place
    ("Lung Opacity", "FINDINGS: Scattered right upper lung scarring. No effusion.", "FINDINGS: No lung scarring. No effusion."),
    ("Cardiomegaly", "FINDINGS: Heart is mildly enlarged, stable. Lungs are clear.",
     "FINDINGS: Heart size is normal. Lungs are clear."),
]  # fmt: skip


@pytest.mark.parametrize("target, text, expected", EXACT, ids=[f"{r[0]}-{i}" for i, r in enumerate(EXACT)])
def test_negate_gives_the_exact_variant(target, text, expected):
    variant = rewrite("negate", analyze(text, report_id="t"), target, CTX)
    assert variant.text == expected
    assert apply_changes(variant.original, variant.changes) == variant.text


MUTANTS = [
    ("Edema", "FINDINGS: The heart is large, and the pulmonary vessels are engorged.\n"
     "IMPRESSION: Cardiomegaly and pulmonary venous hypertension.",
     "Cardiomegaly and pulmonary venous hypertension", "Cardiomegaly. No pulmonary edema", "a sign of the finding stays"),
    ("Edema", "FINDINGS: Stable cardiomegaly with vascular prominence without overt edema.",
     "vascular prominence ", "", "a fragment is left"),
    ("Cardiomegaly", "FINDINGS: Heart size is mildly enlarged but stable. Lungs are clear.",
     "Heart size is mildly enlarged but stable.", "Stable. Heart size is normal.", "a fragment is left"),
    ("Edema", "FINDINGS: Mild central vascular prominence.\nIMPRESSION: Mild central vascular congestive changes.",
     "Mild central vascular prominence", "No pulmonary vascular congestion", "a sign of the finding stays"),
    ("Fracture", "FINDINGS: Lungs are clear. Fractures of the left 5th and 6th ribs.",
     "Fractures of the left 5th and 6th ribs", "No displaced rib fractures", QUALIFIED_DENIAL_ONLY),
    ("Enlarged Cardiomediastinum", "FINDINGS: Heart normal.\nIMPRESSION: 1. Prominent mediastinum. May be due to fat. "
     "2. Clear lungs.", "1. Prominent mediastinum. May be due to fat. 2.", "May be due to fat. The mediastinum is normal. 1.",
     LIST_BROKEN),
    ("Fracture", "FINDINGS: Lungs clear. Mild anterior wedging of T10. Slight XXXX loss of T11.\n"
     "IMPRESSION: T10 compression fracture.", "T10 compression fracture", "No fracture", "a sign of the finding stays"),
    ("Fracture", "FINDINGS: Stable anterior wedge XXXX deformities of two midthoracic vertebral bodies.\n"
     "IMPRESSION: Stable midthoracic vertebral body fractures.",
     "Stable midthoracic vertebral body fractures", "No fracture", "a sign of the finding stays"),
    ("Consolidation", "FINDINGS: Diffuse bilateral alveolar consolidation. Heart normal.",
     "Diffuse bilateral alveolar consolidation", "No focal consolidation", FOCAL_FOR_DIFFUSE),
    ("Support Devices", "FINDINGS: Surgical clips in the mediastinum.\nIMPRESSION: Extensive post-op changes.",
     "Surgical clips in the mediastinum", "No surgical clips", DEVICE_PARAPHRASE_LEFT),
    ("Lung Lesion", "FINDINGS: Small nodule in the left upper lobe. Remainder of the lungs are clear.",
     "Small nodule in the left upper lobe", "No pulmonary nodule", OTHERWISE_LEFT),
    ("Lung Opacity", "FINDINGS: Opacity involving the right middle lobe and lingula compatible with bronchiectasis.",
     "Opacity involving the right middle lobe and lingula compatible with bronchiectasis.",
     "Lingula compatible with bronchiectasis. No focal airspace opacity.", PLACE_LEFT),
    ("Support Devices", "FINDINGS: Right shoulder prosthesis.\nIMPRESSION: Interval placement of right humeral orthopedic XXXX.",
     "Right shoulder prosthesis", "No prosthesis", "a sign of the finding stays (orthopedic device)"),  # omit's sign row comes first
    ("Fracture", "FINDINGS: Lungs are clear. Several bilateral rib fractures with callus.",
     "Several bilateral rib fractures with callus", "No clavicle fracture is seen", DENIAL_OTHER_SITE),
    ("Fracture", "FINDINGS: Lungs are clear. Healing fracture of the right 6th rib.",
     "Healing fracture of the right 6th rib", "No compression fracture of the spine", DENIAL_OTHER_SITE),
    ("Cardiomegaly", "FINDINGS: Mild cardiomegaly. Lungs are clear.",
     "Mild cardiomegaly", "Heart size is at the upper limits of normal", BORDERLINE_DENIAL),
    ("Lung Lesion", "FINDINGS: Small nodule in the left upper lobe. The lungs are otherwise clear.",
     "Small nodule in the left upper lobe", "No pulmonary nodule", OTHERWISE_LEFT),
    ("Pneumonia", "FINDINGS: Patchy airspace disease in the right lower lobe, consistent with pneumonia.",
     "consistent with pneumonia", "no pneumonia", KEPT_READING),
    ("Support Devices", "FINDINGS: Right subclavian catheter. The tip is in the superior vena cava.",
     "Right subclavian catheter", "No catheter", "a device part is left"),
    ("Fracture", "FINDINGS: Displaced fracture of the left clavicle. No additional fractures are seen.",
     "Displaced fracture of the left clavicle", "No fracture", MORE_OF_LEFT),
    ("Fracture", "FINDINGS: Lungs are clear. Bones: displaced fracture of the left clavicle.",
     "Bones: displaced fracture of the left clavicle", "No clavicle fracture", SUBHEADING_LOST),
    ("Lung Opacity", "FINDINGS: Mild interstitial prominence at the bases. A subtle infiltrate cannot be excluded.",
     "Mild interstitial prominence at the bases. A subtle infiltrate cannot be excluded.", "No focal airspace disease.",
     "the denial names another kind"),
]  # fmt: skip


@pytest.mark.parametrize("target, original, before, after, reason", MUTANTS, ids=[m[4][:30] for m in MUTANTS])
def test_verifier_rejects_the_wrong_negate_variant(target, original, before, after, reason):
    text, changes = _mutant(original, before, after)
    failure = variant_failure(
        "negate", analyze(original, report_id="m"), analyze(text, report_id="m"), changes, target, CTX
    )
    assert failure is not None and failure.startswith(reason), failure


@pytest.mark.parametrize(
    "denial, allowed, ok",
    [
        ("No clavicle fracture is seen.", {"rib"}, False),
        ("No rib fractures.", {"rib"}, True),
        ("No acute osseous abnormality.", {"rib"}, True),
        ("Heart size is at the upper limits of normal.", set(), False),
        ("Borderline heart size.", set(), False),
        ("Heart size within normal limits, stable mediastinal and hilar contours.", set(), False),
        ("Heart size is normal.", set(), True),
    ],
)
def test_a_drawn_denial_names_no_other_site_nor_a_borderline_grade(denial, allowed, ok):
    assert denial_ok(denial, allowed) is ok
    assert sites("fracture of the left 7th rib") == {"rib"}


def test_negate_never_draws_a_bank_denial_of_another_site():
    corpus = [
        "FINDINGS: Lungs are clear. No clavicle fracture is seen.",
        "FINDINGS: Heart size normal. No clavicle fracture is seen.",
        "FINDINGS: Lungs clear. No clavicle fracture is seen.",
    ]
    bank = PhraseBank().add_all((analyze(r) for r in corpus), CTX.observation_of)
    ctx = RewriteContext.from_engine(seed=0, phrases=bank)
    text = "FINDINGS: Lungs are clear. There is a fracture of the left 7th rib."
    variant = rewrite("negate", analyze(text, report_id="t"), "Fracture", ctx)
    assert "clavicle" not in variant.text
    assert "no fracture of the left 7th rib" in variant.text.lower()


@pytest.mark.parametrize("seed", range(6))
def test_a_denial_of_another_site_is_redrawn_from_the_corpus_before_rules_phrase_one(seed):
    corpus = ["FINDINGS: Lungs are clear. No clavicle fracture is seen.", "FINDINGS: Heart normal. No rib fractures are seen."]
    bank = PhraseBank().add_all((analyze(r) for r in corpus), CTX.observation_of)
    ctx = RewriteContext.from_engine(seed=seed, phrases=bank)
    text = "FINDINGS: Lungs are clear. There is a fracture of the left 7th rib."
    variant = rewrite("negate", analyze(text, report_id="t"), "Fracture", ctx)
    assert variant.text == "FINDINGS: Lungs are clear. No rib fractures are seen."
