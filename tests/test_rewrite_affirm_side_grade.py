"""Affirm, laterality and severity rules from a by-eye review of OpenI variants (issue 14, round 3).

Every report here is hand-written (no corpus text). Each rule is a table entry in
``cxralign.rewrite.rules``; each gets at least five reports with the exact variant or refusal reason,
and the verifier is fed the wrong variant where it can catch it.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cxralign.reports import analyze
from cxralign.rewrite import RewriteContext, RewriteRejected, rewrite
from cxralign.rewrite.phrases import PhraseBank, details, malformed
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import HEDGE_ONLY
from cxralign.rewrite.spans import apply_changes
from cxralign.rewrite.statement_rules import GRADE_ONLY
from cxralign.rewrite.verify import variant_failure

CTX = RewriteContext.from_engine(seed=0)


def _outcome(op: str, text: str, target: str, ctx: RewriteContext = CTX) -> str:
    """The variant's text, or "refused: <reason>"."""
    try:
        return rewrite(op, analyze(text, report_id="t"), target, ctx).text
    except RewriteRejected as refusal:
        return f"refused: {refusal.reason}"


def _mutant_failure(op, target, original, before, after, detail=None):
    start = original.index(before)
    change = Change(start, start + len(before), before, after, 0)
    text = apply_changes(original, [change])
    return variant_failure(
        op, analyze(original, report_id="m"), analyze(text, report_id="m"), [change], target, CTX, detail
    )


# --- malformed statements: never drawn from the phrase bank, never kept by the verifier ----------

MALFORMED_STATEMENTS = [
    ("Early interstitial demonstrate pulmonary edema", "a modifier before a verb"),
    ("Minimal pleural is seen on the right", "a modifier before a verb"),
    ("There is endotracheal", "a statement ending on a modifier"),
    ("Nasogastric", "a statement ending on a modifier"),
    ("There is mild basal pleural effusions", "a plural subject with a singular verb"),
    ("Scattered nodules is noted in the left lung", "a plural subject with a singular verb"),
    ("Small pleural effusion are present", "a singular subject with a plural verb"),
    ("Moderate effusion on on the right", "a word repeated"),
    ("Heart is moderately heart enlarged", "a subject repeated after its verb"),
    ("Lungs patchy consolidation at the left base", "a subject with no verb"),
    ("Small left effusion the noted", "an article before a verb"),
    ("Mildly enlarged heart;", "a statement ending in a clause mark"),
    ("Small left effusion/hematoma", "two findings joined by a slash"),
    ("Also, small left pneumothorax", "a statement pointing elsewhere"),
    ("Left apical nodule as described above", "a statement pointing elsewhere"),
    ("Nodule at the right base may be a nipple", "a hedge or a density explained away"),
    ("As the small left effusion is seen on both views", "a subordinate clause with no main clause"),
    ("Because the heart is enlarged", "a subordinate clause with no main clause"),
    ("Since there is a small right pneumothorax", "a subordinate clause with no main clause"),
    ("If the left basilar opacity persists", "a subordinate clause with no main clause"),
    ("Which represents mild pulmonary edema", "a subordinate clause with no main clause"),
]
WELL_FORMED = [
    "There is a small left pleural effusion",
    "Small bilateral pleural effusions are present",
    "The heart is large",
    "Heart size is mildly enlarged",
    "Right lower lobe pneumonia",
    "There are patchy opacities in the left lung base",
    "Mild interstitial edema",
    "Moderate right-sided pleural effusion",
    "The mediastinum appears somewhat prominent",
    "There is a 6 mm nodule in the right upper lobe",
]


@pytest.mark.parametrize(("statement", "reason"), MALFORMED_STATEMENTS)
def test_malformed_statements_are_named(statement, reason):
    assert malformed(statement) == reason


@pytest.mark.parametrize("statement", WELL_FORMED)
def test_well_formed_statements_pass(statement):
    assert malformed(statement) is None


def _bank(*reports: str) -> PhraseBank:
    return PhraseBank().add_all((analyze(r) for r in reports), CTX.observation_of)


def test_the_bank_never_holds_a_malformed_positive_statement():
    bank = _bank(
        "FINDINGS: Early interstitial demonstrate pulmonary edema.",
        "FINDINGS: Heart is moderately heart enlarged.",
        "FINDINGS: There is mild basal pleural effusions.",
        "FINDINGS: Small left effusion/hematoma.",
        "FINDINGS: Also, small left pneumothorax.",
        "FINDINGS: Mild interstitial edema.",
    )
    positive = {text for (_obs, present, _sec), c in bank.counts.items() if present for text in c}
    assert positive == {"Mild interstitial edema"}


GARBLED_BANK = (
    "FINDINGS: Early interstitial demonstrate pulmonary edema.",
    "FINDINGS: Early interstitial demonstrate pulmonary edema.",
    "FINDINGS: No pulmonary edema. Heart size normal.",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FINDINGS: No pulmonary edema. Heart size normal.", "FINDINGS: Mild pulmonary edema. Heart size normal."),
        ("FINDINGS: Heart size normal. No pulmonary edema.", "FINDINGS: Heart size normal. Mild pulmonary edema."),
        ("FINDINGS: There is no pulmonary edema. Lungs are clear.", "refused: the report still says the lungs are clear"),
        ("FINDINGS: Heart size normal. There is no edema.", "FINDINGS: Heart size normal. There is mild edema."),
        ("FINDINGS: No interstitial edema. Normal heart size.", "FINDINGS: Mild interstitial edema. Normal heart size."),
    ],
)
def test_affirm_with_only_a_garbled_bank_statement_phrases_it_by_rules(text, expected):
    ctx = RewriteContext.from_engine(seed=0, phrases=_bank(*GARBLED_BANK))
    assert _outcome("affirm", text, "Edema", ctx) == expected


@pytest.mark.parametrize(
    ("original", "before", "after"),
    [
        ("FINDINGS: No endotracheal tube. Lungs clear.", "No endotracheal tube.", "There is endotracheal."),
        ("FINDINGS: No edema. Heart size normal.", "No edema.", "Early interstitial demonstrate pulmonary edema."),
        ("FINDINGS: No effusion. Heart size normal.", "No effusion.", "There is small pleural effusions."),
        ("FINDINGS: Heart size normal. No nodule.", "No nodule.", "Also, a left nodule."),
        ("FINDINGS: No pneumothorax. Heart normal.", "No pneumothorax.", "Small right pneumothorax the noted."),
    ],
)
def test_verifier_rejects_a_malformed_affirmed_statement(original, before, after):
    target = {"tube": "Support Devices", "edema": "Edema", "effusion": "Pleural Effusion",
              "nodule": "Lung Lesion", "pneumothorax": "Pneumothorax"}  # fmt: skip
    name = next(target[w] for w in target if w in before.lower())
    failure = _mutant_failure("affirm", name, original, before, after)
    assert failure is not None
    assert failure.startswith(("the affirmed statement is malformed", "an inserted statement")), failure


# --- restatements agree in number with the statement they restate ----------------------------------

NUMBER_BANK = (
    "FINDINGS: There is a small right pleural effusion.",
    *["IMPRESSION: Small pleural effusions."] * 20,
    "IMPRESSION: Small right pleural effusion.",
)


@pytest.mark.parametrize(
    ("statement", "plural"),
    [
        ("Small pleural effusions", True),
        ("Bilateral pneumothoraces", True),
        ("Small right pleural effusion", False),
        ("Scattered nodules", True),
        ("Right lower lobe opacity", False),
    ],
)
def test_details_mark_a_finding_named_in_the_plural(statement, plural):
    assert ("plural" in details(statement)) is plural


@pytest.mark.parametrize("seed", range(5))
def test_the_impression_never_restates_one_side_in_the_plural(seed):
    bank = _bank(*NUMBER_BANK)
    bank.impressions["Pleural Effusion"] = Counter(pos=10, pos_normal=0, pos_restated=10, neg=10, neg_normal=10)
    ctx = RewriteContext.from_engine(seed=seed, phrases=bank)
    text = "FINDINGS: No pleural effusion. Heart size normal.\nIMPRESSION: No acute cardiopulmonary process."
    variant = _outcome("affirm", text, "Pleural Effusion", ctx)
    assert variant.endswith("IMPRESSION: Small right pleural effusion."), variant


def test_a_one_sided_restatement_in_the_plural_is_not_drawn():
    bank = _bank(*NUMBER_BANK)
    rng = random.Random(0)
    within = details("There is a small right pleural effusion.")
    drawn = {bank.sample("Pleural Effusion", True, rng, "impression", None, True, within) for _ in range(20)}
    assert drawn == {"Small right pleural effusion"}


# --- affirm refuses a denial of a grade only ------------------------------------------------------


GRADE_ONLY_CASES = [
        ("affirm", "FINDINGS: No large pleural effusion. Heart size normal.", "Pleural Effusion", f"refused: {GRADE_ONLY}"),
        ("affirm", "FINDINGS: No suspicious pulmonary nodules. Heart size normal.", "Lung Lesion", f"refused: {GRADE_ONLY}"),
        ("affirm", "FINDINGS: There is no significant pleural effusion. Heart normal.", "Pleural Effusion", f"refused: {GRADE_ONLY}"),
        ("affirm", "FINDINGS: Heart size normal. No sizable pneumothorax.", "Pneumothorax", f"refused: {GRADE_ONLY}"),
        ("affirm", "FINDINGS: Heart size normal. Without substantial effusion.", "Pleural Effusion", f"refused: {GRADE_ONLY}"),
        # the grade word belongs to another finding listed before the target
        ("affirm", "FINDINGS: No large pleural effusion or pneumothorax. Heart size normal.", "Pneumothorax",
         "FINDINGS: No large pleural effusion. There is a small right pneumothorax. Heart size normal."),
        ("affirm", "FINDINGS: No pneumothorax or pleural effusion. Heart size normal.", "Pleural Effusion",
         "FINDINGS: No pneumothorax. There is a small right pleural effusion. Heart size normal."),
]  # fmt: skip


# --- "nothing acute" impressions in every phrasing ------------------------------------------------


NOTHING_ACUTE_IMPRESSIONS = [
    "No acute disease.",
    "No acute cardiopulmonary process.",
    "No active disease.",
    "Negative for acute cardiopulmonary disease.",
    "No evidence of active disease.",
    "The chest is normal.",
    # one-word and "unremarkable views" impressions (found reading later samples)
    "Negative.",
    "1. Negative.",
    "Normal.",
    "Negative chest.",
    "Normal chest radiograph.",
    "Unremarkable 2 views of the chest.",
    "Unremarkable views of the chest.",
    "Unremarkable two views of the chest.",
    "1. Unremarkable radiographs of the chest.",
    "Unremarkable PA and lateral views of the chest.",
]


@pytest.mark.parametrize("impression", NOTHING_ACUTE_IMPRESSIONS)
@pytest.mark.parametrize(
    ("target", "denial", "affirmed"),
    [("Pneumothorax", "No pneumothorax.", "Small right pneumothorax."),
     ("Lung Opacity", "No airspace disease.", "Minimal streaky bibasilar opacities.")],
)  # fmt: skip
def test_verifier_rejects_an_affirmed_finding_under_a_normal_impression(impression, target, denial, affirmed):
    original = f"FINDINGS: {denial} Heart size normal.\nIMPRESSION: {impression}"
    failure = _mutant_failure("affirm", target, original, denial, affirmed)
    assert failure is not None and failure.startswith(("the impression still", "target not affirmed")), failure


# --- laterality -----------------------------------------------------------------------------------


LATERALITY_CASES = [
        # a sign stated with the old side moves with the finding
        ("laterality", "FINDINGS: Scarring in the left lung base. No effusion.\nIMPRESSION: Mild chronic changes in the left lung base.",
         "Lung Opacity",
         "FINDINGS: Scarring in the right lung base. No effusion.\nIMPRESSION: Mild chronic changes in the right lung base."),
        ("laterality", "FINDINGS: Small left pleural effusion. Blunting of the left costophrenic angle. Heart size normal.",
         "Pleural Effusion",
         "FINDINGS: Small right pleural effusion. Blunting of the right costophrenic angle. Heart size normal."),
        ("laterality", "FINDINGS: Right lower lobe scarring. Heart normal.\nIMPRESSION: Chronic changes of the right lower lobe.",
         "Lung Opacity",
         "FINDINGS: Left lower lobe scarring. Heart normal.\nIMPRESSION: Chronic changes of the left lower lobe."),
        # a sign on both sides, or on the other side, keeps no swap true
        ("laterality", "FINDINGS: Bilateral small pleural effusions. Both costophrenic angles are blunted.", "Pleural Effusion",
         "refused: a sign of the finding is stated on another side"),
        ("laterality", "FINDINGS: Small right pleural effusion. Blunting of the left costophrenic angle.", "Pleural Effusion",
         "refused: a sign of the finding is stated on another side"),
        # a bilateral finding described side by side
        ("laterality", "IMPRESSION: Small bilateral pleural effusions, larger on the right.", "Pleural Effusion",
         "refused: a bilateral finding is described side by side"),
        ("laterality", "FINDINGS: Bilateral effusions, moderate on the left, small on the right. Heart normal.", "Pleural Effusion",
         "refused: a bilateral finding is described side by side"),
        ("laterality", "FINDINGS: Bilateral pleural effusions, greater on the left. No pneumothorax.", "Pleural Effusion",
         "refused: a bilateral finding is described side by side"),
        ("laterality", "FINDINGS: Bibasilar atelectasis, more on the right. Heart normal.", "Atelectasis",
         "refused: a bilateral finding is described side by side"),
        ("laterality", "FINDINGS: Bilateral pleural thickening, most marked on the left. Heart normal.", "Pleural Other",
         "refused: a bilateral finding is described side by side"),
        # anatomy only one lung has
        ("laterality", "FINDINGS: Mild left lingular atelectasis. Heart size normal.", "Atelectasis",
         "refused: the side swap names anatomy that does not exist"),
        ("laterality", "FINDINGS: Opacity within the right middle and lower lobes. No effusion.", "Lung Opacity",
         "refused: the side swap names anatomy that does not exist"),
        ("laterality", "FINDINGS: Patchy opacity in the left lingula. Heart normal.", "Lung Opacity",
         "refused: the side swap names anatomy that does not exist"),
        ("laterality", "FINDINGS: Consolidation in the right middle and lower lobes. Heart normal.", "Consolidation",
         "refused: the side swap names anatomy that does not exist"),
        ("laterality", "FINDINGS: Minimal left lingular scarring. No effusion.", "Lung Opacity",
         "refused: the side swap names anatomy that does not exist"),
        # stated only as seen on another study
        ("laterality", "FINDINGS: Lungs are clear. Left rib fractures are better appreciated on the prior comparison.", "Fracture",
         f"refused: {HEDGE_ONLY}"),
        ("laterality", "FINDINGS: Heart normal. Right apical nodule is better seen on the prior CT.", "Lung Lesion",
         f"refused: {HEDGE_ONLY}"),
        ("laterality", "FINDINGS: Heart normal. Left lower lobe opacity best seen on the previous study.", "Lung Opacity",
         f"refused: {HEDGE_ONLY}"),
        ("laterality", "FINDINGS: Heart normal. Right effusion is only visualized on the comparison exam.", "Pleural Effusion",
         f"refused: {HEDGE_ONLY}"),
        ("laterality", "FINDINGS: Lungs clear. Right clavicle fracture better demonstrated on the prior study.", "Fracture",
         f"refused: {HEDGE_ONLY}"),
]  # fmt: skip


ANATOMY_MUTANTS = [
    ("FINDINGS: Mild left lingular atelectasis.", "left", "right", "Atelectasis"),
    ("FINDINGS: Opacity in the right middle and lower lobes.", "right", "left", "Lung Opacity"),
    ("FINDINGS: Left lingular scarring.", "Left", "Right", "Lung Opacity"),
    ("FINDINGS: Atelectasis in the right middle and lower lobes.", "right", "left", "Atelectasis"),
    ("FINDINGS: Patchy opacity in the left lingula.", "left", "right", "Lung Opacity"),
]


@pytest.mark.parametrize(("original", "before", "after", "target"), ANATOMY_MUTANTS)
def test_verifier_rejects_a_side_swap_onto_anatomy_the_other_lung_lacks(original, before, after, target):
    failure = _mutant_failure("laterality", target, original, before, after, {"from": before.lower(), "to": after.lower()})
    assert failure == "the side swap names anatomy that does not exist"


# --- severity -------------------------------------------------------------------------------------


SEVERITY_CASES = [
        # the organ called borderline in words the lexicon does not read as the finding
        ("severity", "FINDINGS: Slight cardiomegaly.\nIMPRESSION: Heart size upper limits normal.", "Cardiomegaly",
         "refused: the report also calls the finding normal or borderline"),
        ("severity", "FINDINGS: Mild cardiomegaly. Lungs clear.\nIMPRESSION: Borderline heart size.", "Cardiomegaly",
         "refused: the report also calls the finding normal or borderline"),
        ("severity", "FINDINGS: Mild cardiomegaly.\nIMPRESSION: Cardiac silhouette at the upper limit of normal.", "Cardiomegaly",
         "refused: the report also calls the finding normal or borderline"),
        ("severity", "FINDINGS: Moderate cardiomegaly. Heart size is near top normal.", "Cardiomegaly",
         "refused: the report also calls the finding normal or borderline"),
        ("severity", "FINDINGS: Mildly widened mediastinum.\nIMPRESSION: Mediastinum borderline in width.", "Enlarged Cardiomediastinum",
         "refused: the report also calls the finding normal or borderline"),
        # a few thin lines or early edema is never severe edema
        ("severity", "IMPRESSION: A few thin reticular lines at the bases compatible with mild edema.", "Edema",
         "refused: grade 'severe' contradicts 'thin' beside it"),
        ("severity", "FINDINGS: Subtle interstitial lines, mild edema. No effusion.", "Edema",
         "refused: grade 'severe' contradicts 'subtle' beside it"),
        ("severity", "FINDINGS: Mild interstitial edema, faint at the bases. Heart normal.", "Edema",
         "refused: grade 'severe' contradicts 'faint' beside it"),
        ("severity", "FINDINGS: Early mild interstitial edema. Heart normal.", "Edema",
         "refused: grade 'severe' contradicts 'early' beside it"),
        ("severity", "FINDINGS: A few septal lines with mild interstitial edema. Heart normal.", "Edema",
         "refused: grade 'severe' contradicts 'few' beside it"),
        # stated only as seen on another study
        ("severity", "FINDINGS: The outside film is normal except for slight cardiomegaly. Lungs clear.", "Cardiomegaly",
         f"refused: {HEDGE_ONLY}"),
        ("severity", "FINDINGS: Lungs clear. Moderate effusion is better seen on the prior CT.", "Pleural Effusion",
         f"refused: {HEDGE_ONLY}"),
        ("severity", "FINDINGS: Heart normal. Mild edema best seen on the previous study.", "Edema",
         f"refused: {HEDGE_ONLY}"),
        ("severity", "FINDINGS: The prior radiograph is remarkable for mild cardiomegaly. Lungs clear.", "Cardiomegaly",
         f"refused: {HEDGE_ONLY}"),
        ("severity", "FINDINGS: Lungs clear. Small effusion only demonstrated on the comparison exam.", "Pleural Effusion",
         f"refused: {HEDGE_ONLY}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("original", "word"),
    [
        ("IMPRESSION: A few thin lines compatible with mild edema.", "thin"),
        ("FINDINGS: Subtle mild interstitial edema.", "subtle"),
        ("FINDINGS: Faint mild perihilar edema.", "faint"),
        ("FINDINGS: Early mild interstitial edema.", "early"),
        ("FINDINGS: A few lines of mild edema.", "few"),
    ],
)
def test_verifier_rejects_severe_edema_beside_a_bounding_word(original, word):
    failure = _mutant_failure("severity", "Edema", original, "mild", "severe", {"from": "mild", "to": "severe"})
    assert failure == f"grade 'severe' contradicts '{word}' beside it"


# --- found reading a second OpenI sample (seed 1) ---------------------------------------------------


SECOND_SAMPLE_CASES = [
        # affirmed edema where the report still denies heart failure in other words
        ("affirm", "FINDINGS: There is no pulmonary edema.\nIMPRESSION: Mild cardiomegaly without evidence of acute failure.",
         "Edema", "refused: the report still denies heart failure, which the finding implies"),
        ("affirm", "FINDINGS: No pulmonary edema. No CHF.", "Edema",
         "refused: the report still denies heart failure, which the finding implies"),
        ("affirm", "FINDINGS: Heart normal. No edema.\nIMPRESSION: No signs of failure.", "Edema",
         "refused: the report still denies heart failure, which the finding implies"),
        ("affirm", "FINDINGS: No interstitial edema. No signs of fluid overload.", "Edema",
         "refused: the report still denies heart failure, which the finding implies"),
        ("affirm", "FINDINGS: Lungs without edema, without failure.", "Edema",
         "refused: the report still denies heart failure, which the finding implies"),
        # a density explained away as fat: moving or denying it contradicts nothing
        ("laterality", "FINDINGS: Lungs are clear. Left costophrenic opacity may represent pericardial fat.", "Lung Opacity",
         "refused: target stated only as something explained away"),
        ("laterality", "FINDINGS: Heart normal. Right cardiophrenic opacity likely represents a fat pad.", "Lung Opacity",
         "refused: target stated only as something explained away"),
        ("laterality", "FINDINGS: Heart normal. Left basilar opacity may be epicardial fat.", "Lung Opacity",
         "refused: target stated only as something explained away"),
        ("negate", "FINDINGS: Heart normal. Right cardiophrenic opacity could be a prominent fat pad.", "Lung Opacity",
         "refused: target stated only as something explained away"),
        ("omit", "FINDINGS: Heart normal. Left costophrenic opacity may be epicardial fat.", "Lung Opacity",
         "refused: target stated only as something explained away"),
        # a bilateral device made one-sided keeps its irregular singular
        ("laterality", "FINDINGS: Lungs are clear. Bilateral breast prostheses are noted.", "Support Devices",
         "FINDINGS: Lungs are clear. Left breast prosthesis is noted."),
        ("laterality", "FINDINGS: Bilateral breast prostheses. Heart normal.", "Support Devices",
         "FINDINGS: Left breast prosthesis. Heart normal."),
        ("laterality", "FINDINGS: Heart normal. There are bilateral breast prostheses.", "Support Devices",
         "FINDINGS: Heart normal. There is a left breast prosthesis."),
        ("laterality", "FINDINGS: Bilateral breast prostheses are present. Lungs clear.", "Support Devices",
         "FINDINGS: Left breast prosthesis is present. Lungs clear."),
        ("laterality", "FINDINGS: Lungs clear. Bilateral breast prostheses are again seen.", "Support Devices",
         "FINDINGS: Lungs clear. Left breast prosthesis is again seen."),
]  # fmt: skip


PLACE_CASES = [
        # the old side repeated in a place of the finding's own clause moves with it
        ("laterality", "FINDINGS: Vague opacity at the left lung base which appears to be within the left lower lobe. Heart normal.",
         "Lung Opacity",
         "FINDINGS: Vague opacity at the right lung base which appears to be within the right lower lobe. Heart normal."),
        ("laterality", "IMPRESSION: Small left effusion in the left lateral costophrenic recess. Heart normal.", "Pleural Effusion",
         "IMPRESSION: Small right effusion in the right lateral costophrenic recess. Heart normal."),
        ("laterality", "FINDINGS: Right-sided pneumothorax at the right apex. No effusion.", "Pneumothorax",
         "FINDINGS: Left-sided pneumothorax at the left apex. No effusion."),
        ("laterality", "FINDINGS: Left lower lobe consolidation in the left lung base. Heart normal.", "Consolidation",
         "FINDINGS: Right lower lobe consolidation in the right lung base. Heart normal."),
        ("laterality", "FINDINGS: Right upper lobe nodule projecting over the right apex. No effusion.", "Lung Lesion",
         "FINDINGS: Left upper lobe nodule projecting over the left apex. No effusion."),
        # a device's or another finding's place keeps its side: refused as before
        ("laterality", "FINDINGS: ECG leads over the left lower chest, which account for mild density at the left base. Lungs clear.",
         "Support Devices", "refused: the old side"),
        # the other lung declared clear (either word order) becomes the lung the finding leaves
        ("laterality", "IMPRESSION: Small left effusion in the left lateral costophrenic recess. Clear right lung.", "Pleural Effusion",
         "IMPRESSION: Small right effusion in the right lateral costophrenic recess. Clear left lung."),
        ("laterality", "FINDINGS: Right lower lobe opacity. Clear left lung.", "Lung Opacity",
         "FINDINGS: Left lower lobe opacity. Clear right lung."),
        ("laterality", "FINDINGS: Left apical pneumothorax. Clear right lung. No effusion.", "Pneumothorax",
         "FINDINGS: Right apical pneumothorax. Clear left lung. No effusion."),
        ("laterality", "FINDINGS: Large right effusion. Left lung clear.", "Pleural Effusion",
         "FINDINGS: Large left effusion. Right lung clear."),
        ("laterality", "FINDINGS: Left lower lobe atelectasis. The right lung is clear.", "Atelectasis",
         "FINDINGS: Right lower lobe atelectasis. The left lung is clear."),
        # ... unless another finding stays in the lung the finding leaves
        ("laterality", "IMPRESSION: Left effusion. Minimal left lung base airspace disease. Clear right lung.", "Pleural Effusion",
         "refused: the report says the right lung is clear"),
        # a finding that hides a heart border: the border keeps its side
        ("laterality", "FINDINGS: Streaky right medial basilar opacities obscuring the right heart border. No effusion.", "Lung Opacity",
         "refused: the finding hides a heart border, whose side stays"),
        ("laterality", "FINDINGS: Right middle lobe opacity with silhouetting of the right heart border.", "Lung Opacity",
         "refused: the finding hides a heart border, whose side stays"),
        ("laterality", "FINDINGS: Left lower lobe consolidation obscuring the left heart border.", "Consolidation",
         "refused: the finding hides a heart border, whose side stays"),
        ("laterality", "FINDINGS: Left retrocardiac atelectasis; the left heart border is partially obscured.", "Atelectasis",
         "refused: the finding hides a heart border, whose side stays"),
        ("laterality", "FINDINGS: Right basilar opacity with effacement of the right cardiac margin.", "Lung Opacity",
         "refused: the finding hides a heart border, whose side stays"),
]  # fmt: skip


# --- found reading a third OpenI sample (seed 2) ----------------------------------------------------


@pytest.mark.parametrize(
    ("original", "before", "after"),
    [
        ("FINDINGS: Lungs clear.\nIMPRESSION: 1. No displaced rib fractures are seen.", "No displaced rib fractures are seen.",
         "Bilateral rib fractures, most of which appear old."),
        ("FINDINGS: No displaced rib fracture. Heart normal.", "No displaced rib fracture.", "Left rib fracture."),
        ("FINDINGS: Heart normal. There is no displaced fracture.", "There is no displaced fracture.",
         "There is a right rib fracture."),
        ("FINDINGS: Lungs clear. No displaced fractures identified.", "No displaced fractures identified.",
         "Healing left rib fractures."),
        ("FINDINGS: Heart normal. No displaced rib fractures.", "No displaced rib fractures.", "Right 4th rib fracture."),
    ],
)  # fmt: skip
def test_verifier_rejects_an_affirmed_fracture_without_the_denied_displacement(original, before, after):
    failure = _mutant_failure("affirm", "Fracture", original, before, after)
    assert failure is not None and failure.startswith(("the affirmed finding drops", "the affirmed finding is old")), failure


def test_an_affirmed_fracture_keeping_the_displacement_is_kept():
    assert _outcome("affirm", "FINDINGS: Heart normal. No displaced rib fracture is identified.", "Fracture") == (
        "FINDINGS: Heart normal. A displaced right rib fracture is identified."
    )


@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS: Lungs clear. Deformity of the right 6th rib laterally suggests an acute fracture.\nIMPRESSION: Acute right 6th rib fracture.",
        "FINDINGS: Deformity of the left 5th rib. Lungs clear.\nIMPRESSION: Left 5th rib fracture.",
        "FINDINGS: Irregularity of the right posterior 7th rib. No effusion.\nIMPRESSION: Right 7th rib fracture.",
        "FINDINGS: Deformity of the left lateral 8th and 9th ribs. Lungs clear.\nIMPRESSION: Left rib fractures.",
        "FINDINGS: Lungs clear. Irregularity of the right anterior 4th rib.\nIMPRESSION: Subacute right 4th rib fracture.",
    ],
)
def test_laterality_never_leaves_a_rib_deformity_on_the_old_side(text):
    outcome = _outcome("laterality", text, "Fracture")
    if not outcome.startswith("refused:"):
        assert "right" not in outcome.lower().split("impression")[0] or "left" not in text.lower(), outcome
        old = "right" if "right" in text.lower() else "left"
        assert old not in outcome.lower(), outcome


OUTCOME_CASES = [*GRADE_ONLY_CASES, *LATERALITY_CASES, *SEVERITY_CASES, *SECOND_SAMPLE_CASES, *PLACE_CASES]


@pytest.mark.parametrize(("op", "text", "target", "expected"), OUTCOME_CASES)
def test_hand_written_report_gives_the_variant_or_the_refusal(op, text, target, expected):
    outcome = _outcome(op, text, target)
    assert outcome == expected or (expected.startswith("refused:") and outcome.startswith(expected)), outcome


# --- found reading a fourth OpenI sample (seed 3) ---------------------------------------------------

SIDES_LISTED_CASES = [
    "IMPRESSION: Mild cardiomegaly. There are small right and moderate left pleural effusions.",
    "FINDINGS: Small right and left pleural effusions. No pneumothorax.",
    "FINDINGS: Heart normal. Left and right basilar atelectasis.",
    "FINDINGS: Right and left lower lobe opacities. No effusion.",
    "FINDINGS: Small left and trace right pleural effusions. Heart normal.",
]


@pytest.mark.parametrize("text", SIDES_LISTED_CASES)
def test_laterality_refuses_a_finding_listed_on_both_sides(text):
    targets = {"effusion": "Pleural Effusion", "atelectasis": "Atelectasis", "opacit": "Lung Opacity"}
    target = next(name for word, name in targets.items() if word in text)
    outcome = _outcome("laterality", text, target)
    assert outcome.startswith("refused:"), outcome
    assert "right and right" not in outcome and "left and left" not in outcome


TEMPORAL_BANK = (
    "FINDINGS: There is a small right pleural effusion, increased.",
    *["IMPRESSION: Decreasing right pleural effusion."] * 20,
    "IMPRESSION: Small right pleural effusion, increased.",
)


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("Right pleural effusion is present and appears increased.", {"right", "increased"}),
        ("Decreasing right pleural effusion.", {"right", "decreasing"}),
        ("Stable small left effusion.", {"small", "left", "stable"}),
        ("Persistent right pneumothorax.", {"right", "persistent"}),
        ("Small right effusion.", {"small", "right"}),
    ],
)
def test_details_carry_the_change_words_a_restatement_may_not_contradict(statement, words):
    assert details(statement) == words


def test_a_restatement_never_reverses_the_change_the_findings_state():
    bank = _bank(*TEMPORAL_BANK)
    rng = random.Random(0)
    within = details("There is a small right pleural effusion, increased.")
    drawn = {bank.sample("Pleural Effusion", True, rng, "impression", None, True, within) for _ in range(20)}
    assert "Decreasing right pleural effusion" not in drawn


BOTH_BASES_CASES = [
    ("FINDINGS: Streaky opacities in the lung bases, likely subsegmental atelectasis.\nIMPRESSION: Minimal bibasilar atelectasis.",
     "Atelectasis"),
    ("FINDINGS: Patchy opacities in the lung bases.\nIMPRESSION: Bibasilar opacities.", "Lung Opacity"),
    ("FINDINGS: Atelectasis at both bases.\nIMPRESSION: Bibasilar atelectasis.", "Atelectasis"),
    ("FINDINGS: Scarring at the lung apices.\nIMPRESSION: Biapical scarring.", "Lung Opacity"),
    ("FINDINGS: Subsegmental atelectasis in the bases.\nIMPRESSION: Mild bibasilar atelectasis. Heart normal.", "Atelectasis"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "target"), BOTH_BASES_CASES)
def test_laterality_never_leaves_a_finding_in_both_bases_beside_a_one_sided_one(text, target):
    outcome = _outcome("laterality", text, target)
    assert outcome.startswith("refused:") or "bases" not in outcome.split("IMPRESSION")[0], outcome



SEVERITY_FIFTH_SAMPLE = [
    # a related finding graded like the target is one lesion read twice: it keeps the old grade
    ("FINDINGS: Mild air space opacity in the right lower lobe.\nIMPRESSION: Mild residual right lower lobe pneumonia.",
     "Pneumonia", "refused: a related finding keeps the old grade"),
    ("FINDINGS: Mild patchy opacity at the left base with mild atelectasis. Heart normal.", "Lung Opacity",
     "refused: a related finding keeps the old grade"),
    ("FINDINGS: Mild consolidation in the right lower lobe. Mild right basilar opacity.", "Consolidation",
     "refused: a related finding keeps the old grade"),
    ("FINDINGS: Mild left basilar atelectasis. Mild patchy left basilar opacity.", "Atelectasis",
     "refused: a related finding keeps the old grade"),
    ("IMPRESSION: Mild right lower lobe pneumonia. Mild right basilar consolidation.", "Pneumonia",
     "refused: a related finding keeps the old grade"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "target", "expected"), SEVERITY_FIFTH_SAMPLE)
def test_severity_refuses_beside_a_related_finding_of_the_same_grade(text, target, expected):
    outcome = _outcome("severity", text, target)
    assert outcome == expected, outcome


LOW_GRADE_SIGNS = [
    ("FINDINGS: Mild bilateral costophrenic blunting.\nIMPRESSION: Small bilateral pleural effusions.",
     "Pleural Effusion", "Small", "Large", {"from": "small", "to": "large"}),
    ("FINDINGS: Minimal blunting of the left costophrenic angle.\nIMPRESSION: Small left pleural effusion.",
     "Pleural Effusion", "Small", "Large", {"from": "small", "to": "large"}),
    ("FINDINGS: Mild central vascular prominence.\nIMPRESSION: Mild central vascular congestive changes.",
     "Edema", "Mild central vascular prominence", "Severe central vascular prominence", {"from": "mild", "to": "severe"}),
    ("FINDINGS: Slight blunting of the right costophrenic angle.\nIMPRESSION: Small right effusion.",
     "Pleural Effusion", "Small", "Large", {"from": "small", "to": "large"}),
    ("FINDINGS: Trace costophrenic blunting on the left.\nIMPRESSION: Small left pleural effusion.",
     "Pleural Effusion", "Small", "Large", {"from": "small", "to": "large"}),
]  # fmt: skip


@pytest.mark.parametrize(("original", "target", "before", "after", "detail"), LOW_GRADE_SIGNS)
def test_verifier_rejects_a_high_grade_beside_a_sign_graded_low(original, target, before, after, detail):
    failure = _mutant_failure("severity", target, original, before, after, detail)
    assert failure is not None and failure.startswith("a sign of the finding keeps the old grade"), failure


@pytest.mark.parametrize(
    "text",
    [
        "FINDINGS: Heart size is normal. Lungs are clear. No nodules or masses.",
        "FINDINGS: The lungs are clear. No pulmonary nodule.",
        "IMPRESSION: Clear lungs. No pulmonary mass or nodule.",
        "FINDINGS: No pleural effusion. The lungs remain clear. No nodules.",
        "FINDINGS: Normal heart. Lungs appear clear. No pulmonary nodules or masses are seen.",
    ],
)
def test_affirmed_nodules_beside_clear_lungs_are_refused(text):
    """'Lungs are clear. Bilateral pulmonary nodules.' contradicts itself: a lesion is in the lung."""
    assert _outcome("affirm", text, "Lung Lesion") == "refused: the report still says the lungs are clear"
