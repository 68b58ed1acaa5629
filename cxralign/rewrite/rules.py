"""The rules that decide whether a variant reads as a radiologist would sign it, as data tables.

Each table is read by ``cxralign.rewrite.coherence`` and ``cxralign.rewrite.form``; a new sign, anaphor or coherence rule is a row
here, with a test in ``tests/test_rewrite_rules.py``, never a special case in the edit code.
"""

from __future__ import annotations

import re

SIGNS: dict[str, tuple[tuple[str, str], ...]] = {
    "Pneumothorax": (
        ("lung collapse", r"\bcollaps\w*"),
        (
            "mediastinal shift",
            r"\b(?:(?:cardio)?mediastinal|tracheal)\s+shift|\bshift\w*\s+of\s+the\s+(?:mediastinum|trachea)",
        ),
        ("tension", r"\btension\b"),
        ("deep sulcus", r"\bdeep\s+sulcus"),
        ("pleural line", r"\b(?:visceral\s+)?pleural\s+line"),
        ("hydropneumothorax", r"\bhydropneumothora\w*"),
        ("hemopneumothorax", r"\bh(?:a)?emopneumothora\w*"),
    ),
    "Atelectasis": (
        ("volume loss", r"\bvolume\s+loss|\bloss\s+of\s+(?:lung\s+)?volume"),
        (
            "mediastinal shift",
            r"\b(?:(?:cardio)?mediastinal|tracheal)\s+shift|\bshift\w*\s+of\s+the\s+(?:mediastinum|trachea)",
        ),
        ("lung collapse", r"\bcollaps\w*"),
    ),
    "Edema": (
        ("Kerley lines", r"\bkerley\b|\bseptal\s+lines|\bb[-\s]lines\b"),
        ("heart failure", r"\bchf\b|\b(?:congestive\s+)?(?:heart|cardiac)\s+failure"),
        ("fluid overload", r"\b(?:fluid|volume)\s+overload"),
        ("vascular congestion", r"\b(?:vascular|venous)\s+(?:congesti\w*|engorge\w*)|\bcephalization"),
        (
            "prominent vessels",
            r"\b(?:prominent|enlarged|engorged|indistinct|increased)\s+(?:pulmonary\s+)?vascula\w+|"
            r"\bvascula(?:rity|ture)\s+(?:is\s+|are\s+)?(?:\w+\s+){0,2}(?:enlarged|prominent|engorged|indistinct|increased)|"
            r"\bprominence\s+of\s+the\s+(?:\w+\s+){0,2}vascula\w+",
        ),
    ),
    "Cardiomegaly": (
        (
            "enlarged cardiac silhouette",
            r"\benlarg\w*\s+(?:of\s+the\s+)?(?:cardiac|heart)\b|\b(?:cardiac\s+silhouette|heart(?:\s+size)?)\s+(?:is\s+|appears\s+|remains\s+)?(?:\w+\s+){0,3}(?:enlarged|large)\b",
        ),
        ("cardiac enlargement", r"\bcardiac\s+enlargement|\bcardiomegaly\b|\bglobular\s+heart"),
    ),
    "Pleural Effusion": (
        ("parapneumonic effusion", r"\bparapneumonic"),
        ("costophrenic blunting", r"\bblunt\w*"),
        ("layering fluid", r"\blayering\b|\bmeniscus\b|\bfluid\s+in\s+the\s+(?:\w+\s+)?fissure"),
        ("empyema", r"\bempyema"),
        ("hydropneumothorax", r"\bhydropneumothora\w*"),
        ("compressive atelectasis", r"\bcompress\w*\s+atelecta\w*|\bpassive\s+atelecta\w*"),
    ),
    "Pneumonia": (
        ("parapneumonic effusion", r"\bparapneumonic"),
        ("empyema", r"\bempyema"),
        ("infection", r"\binfect\w*"),
        ("consolidation", r"\bconsolidat\w*"),
    ),
    "Consolidation": (("air bronchograms", r"\bair\s+bronchogram\w*"),),
    "Lung Opacity": (
        (
            "chronic lung changes",
            r"\bchronic\s+(?:\w+\s+)?changes\s+(?:in|of|at|within)\s+(?:the\s+)?(?:\w+\s+){0,3}"
            r"(?:lungs?|lobes?|bases?|apex|apices|lingula)\b",
        ),
    ),
    "Enlarged Cardiomediastinum": (
        ("cardiomegaly", r"\bcardiomegaly\b|\benlarged\s+(?:cardiac|heart)\b|\bheart\s+is\s+(?:\w+\s+)?enlarged"),
        (
            "prominent mediastinum",
            r"\bprominen\w*\s+(?:of\s+the\s+)?(?:superior\s+)?mediastin\w*|"
            r"\bmediastin\w*\s+(?:silhouette\s+|contours?\s+)?(?:is\s+|are\s+|appears?\s+)(?:\w+\s+)?prominent",
        ),
        (
            "wide mediastinum",
            r"\bwide\s+(?:superior\s+)?mediastin\w*|\bmediastinal\s+widening|\bwidening\s+of\s+the\s+(?:superior\s+)?mediastinum",
        ),
    ),
    "Fracture": (
        (
            "vertebral or rib deformity",
            r"\b(?:compression|wedge|burst)\s+(?:\w+\s+)?deformit\w*|\b[tlc]\d{1,2}\s+(?:\w+\s+){0,4}deformit\w*|"
            r"\bdeformit\w*\s+(?:of|at|in)\s+(?:the\s+)?(?:\w+\s+)?[tlc]\d{1,2}\b|\brib\s+deformit\w*|"
            r"\bheight\s+loss|\bloss\s+of\s+(?:\w+\s+){0,2}height|\bloss\s+of\s+(?:the\s+)?[tl]\d{1,2}\b",
        ),
    ),
    "Support Devices": (
        ("sternotomy wires", r"\bsternotomy"),
        ("surgical clips", r"\bsurgical\s+(?:clips?|xxxx|material|staples?)"),
        ("prosthesis", r"\bprosthe\w*|\bvalve\s+replacement|\bhardware\b"),
        ("pacing leads", r"\bpacing\b|\bpacer\b|\bgenerator\b"),
    ),
    "Lung Lesion": (("neoplasm", r"\bneoplas\w*|\bmalignan\w*|\bmetasta\w*|\bcarcinoma"),),
}
"""Signs and paraphrases that state or imply the finding in other words. A negated or omitted
finding whose sign stays stated ("complete collapse of the right lung" after "No pneumothorax")
is refused, as is a side or grade swap beside one."""

DIRECTIONAL_SIGNS = frozenset(
    {"lung collapse", "mediastinal shift", "volume loss", "compressive atelectasis", "hydropneumothorax",
     "hemopneumothorax"}
)  # fmt: skip
"""Signs that point to a side ("shift to the left", "collapse of the right lung"): a side swap of
the finding beside one is refused, since the sign would then point the wrong way."""

ANAPHORS = frozenset(
    {"these", "this", "it", "they", "which", "both", "otherwise", "the latter", "the former", "findings", "also",
     "additionally", "corresponds", "correspond", "corresponding", "may be due", "may represent", "likely due",
     "possibly due", "due to"}
)
"""Sentence openings that point back at the sentence before: left behind a denied or removed
finding ("These were not present on the prior study"), they point at nothing."""

DEPENDENT_STATEMENTS = re.compile(
    r"\b(?:further|better)\s+(?:\w+\s+)?(?:characterization|evaluation|assessment)|\bfollow[-\s]?up\b|\brecommend\w*|"
    r"\b(?:could|may|might)\s+represent|\bsuspicious\s+for|\bconcerning\s+for|\bdifferential|"
    r"\bconsider\s+(?:\w+\s+){0,2}(?:correlation|imaging|ct|evaluation)|\bimaging\s+correlation",
    re.IGNORECASE,
)
"""A statement about a finding that names none: kept after that finding is denied or removed
("CT is recommended for further characterization."), it refers to nothing."""

PRIOR_ONLY = re.compile(
    r"\b(?:on|from|at|in)\s+(?:the\s+|a\s+)?(?:prior|previous|recent|outside|earlier|recent\s+chest)?\s*"
    r"(?:ct|cta|pet|mri|chest\s+ct|ct\s+scan|ct\s+chest)\b|\bhistory\s+of\b|\bclinical\s+(?:history|concern)",
    re.IGNORECASE,
)
"""A sentence that states a finding only as seen on another study or in the history."""

CAVEAT = re.compile(
    r"\b(?:cannot|can\s+not|could\s+not|can't)\s+(?:be\s+)?(?:entirely\s+|completely\s+|totally\s+)?(?:exclude|excluded|rule[ds]?\s+out|ruled\s+out)|"
    r"\bnot\s+(?:be\s+)?(?:entirely\s+|completely\s+)?excluded|\bdifficult\s+to\s+exclude|\bdo(?:es)?\s+not\s+exclude|"
    r"\bclinical\s+correlation|\bif\s+clinically|\bmay\s+be\s+obscured|\bto\s+exclude\b",
    re.IGNORECASE,
)
"""A caveat: the finding is named to say it is not excluded, which states nothing about the image."""

HEDGE_ONLY = "target stated only in a caveat, the indication or another study"

LIMITATION = re.compile(
    r"\bmay\s+not\s+be\s+(?:demonstrated|visible|seen|detected|apparent|identified)|"
    r"\bnot\s+(?:well\s+)?(?:demonstrated|evaluated|assessed|visuali[sz]ed)\s+(?:on|by)\s+(?:this|the|a|plain|chest|radiograph)|"
    r"\bconsider\s+(?:additional|dedicated|further)\s+(?:imaging|views|evaluation)",
    re.IGNORECASE,
)
"""A limitation of the exam ("fractures may not be demonstrated; consider additional imaging"): the
finding is named to say the film may miss it, which states nothing about this image."""

OLD_WORDS = ("healed", "healing", "old", "remote", "chronic")
"""Words that make a lesion an old one; the two patterns below add their own context words."""

OLD_LESION = re.compile(rf"\b(?:{'|'.join(OLD_WORDS)}|callus)\b", re.IGNORECASE)
OLD_ONLY_TARGETS = frozenset({"Fracture"})
QUALIFIED_DENIAL = re.compile(r"\b(?:acute|displaced)\b", re.IGNORECASE)
"""Qualifiers a denial may carry that a healed lesion lacks ("No displaced rib fractures")."""
OLD_ONLY = "a healed lesion denied only as an acute or displaced one"
"""Negate refuses a denial of an acute or displaced lesion ("No displaced rib fractures") in place of a healed
one ("fracture with callus"): the variant would still match the image. A plain denial ("There is no rib
fracture.") is kept."""

ATTRIBUTED_AWAY = re.compile(
    r"\b(?:related|due|secondary|attributable|attributed)\s+to\s+(?:the\s+)?(?:\w+\s+){0,2}"
    r"(?:overlying|overlapping|superimpos\w*|soft\s+tissues?|breast|nipple|artifact\w*|technique|positioning|rotation)\b|"
    r"\b(?:likely|probably|may|could|which\s+(?:may|could))\s+(?:be\s+|represent\s+)?(?:an?\s+)?"
    r"(?:artifact\w*|nipple\s+shadows?|(?:overlapping|superimposed|overlying)\s+(?:soft\s+tissues?|structures|vessels|breast))",
    re.IGNORECASE,
)
"""A density the report explains away as something that is not a finding ("opacity related to
superimposed soft tissues", "likely nipple shadow"): denying or removing it contradicts nothing."""

ATTRIBUTED_AWAY_ONLY = "target stated only as something explained away (overlying tissue, artifact)"

SEMICOLON_STATEMENT = "the target's statement goes on after a semicolon"
"""Refused for negate and omit: the clause after the semicolon ("; cause uncertain") speaks of the
finding without naming it, and would be left describing the denial or nothing."""

INDICATION_QUESTION = re.compile(
    r"\b(?:rule\s+out|r/o|evaluate\s+for|eval\s+for|assess\s+for|question\s+of|concern\s+for|possible|"
    r"suspected|suspicion\s+of)\b[^.;:]*$|\?",
    re.IGNORECASE,
)
"""An indication that asks about a finding ("rule out pneumothorax"): it does not state it, so the
finding may be omitted from the report."""

OTHER_SITES = frozenset(
    {"pericardial", "wrist", "hip", "ankle", "knee", "foot", "hand", "humeral", "femoral", "femur", "pelvic",
     "skull", "nasal", "facial", "abdominal", "renal", "hepatic", "nipple", "breast", "joint", "tibial"}
)  # fmt: skip
"""Sites that make an indication's finding another one ("history of pericardial effusion", "left wrist
fracture"): it does not name the chest finding the variant omits."""

ACUTE_FINDINGS = frozenset({"Pneumothorax", "Pleural Effusion", "Consolidation", "Pneumonia", "Edema", "Fracture"})
"""Findings an impression of "no acute disease" denies: affirming one must update that impression."""

OLD_FINDING = re.compile(rf"\b(?:{'|'.join(OLD_WORDS)}|prior|previous)\b", re.IGNORECASE)
"""An affirmed statement of an old finding ("healed rib fracture"): it does not contradict a denial
of an acute one ("no acute fracture"), and sits with a "no acute disease" impression."""

NORMAL_EXAM = re.compile(
    r"\b(?:normal|negative|unremarkable)\s+(?:chest|exam\w*|study|radiograph\w*)\b|^\W*(?:\d+[.)]\s*)?normal\.?\s*$",
    re.IGNORECASE,
)
"""An impression that calls the whole study normal ("Normal chest"): no affirmed finding, acute or
not, sits under it unchanged."""

REDACTED = re.compile(r"\bX{4}\b")
"""The corpus's anonymisation token: an inserted statement carrying it ("The appearance XXXX
scarring.") says nothing a reader can check, so it is not drawn."""

ANATOMY_SIDES = re.compile(
    r"\b(?:left|right)\s+(?:(?:upper|lower)\s+quadrant|(?:hemi)?abdomen|flank|kidney|liver)\b", re.IGNORECASE
)
"""A side that belongs to the anatomy beside a device ("stent in the right upper quadrant" after a
liver shunt, "clips in the right upper quadrant" after a cholecystectomy): swapping it puts the
device where the organ is not, so laterality refuses it."""

RESOLVED = re.compile(r"\b(?:clearing|cleared|resolv\w*|resolution|no\s+longer)\b", re.IGNORECASE)
"""An affirmed statement that says the finding went away ("clearing of left base opacities"): it
contradicts no denial."""

CHANGE_ONLY = re.compile(
    r"^\W*(?:increased|decreased|improved|improving|worsened|worsening|unchanged|stable|new|larger|smaller|"
    r"no\s+(?:interval\s+|significant\s+)?change)\W*$",
    re.IGNORECASE,
)
"""A sentence that only grades a change ("Increased."): it is about the statement before it."""

ACUTE_DENIAL = re.compile(r"\bacute\b", re.IGNORECASE)

NOTHING_ACUTE = re.compile(
    r"\b(?:no\s+(?:\w+\s+){0,3}(?:acute|active)|without\s+(?:acute|active)|nothing\s+acute|negative\s+(?:chest|exam|study)|"
    r"normal\s+(?:chest|exam|study)|unremarkable\s+(?:chest|exam|study)|"
    r"no\s+(?:\w+\s+){0,2}(?:cardiopulmonary|intrathoracic|pulmonary)\s+(?:abnormalit\w*|disease|process|findings?))",
    re.IGNORECASE,
)

GRADE_BOUNDS: dict[str, frozenset[str]] = {
    "subsegmental": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "minimal": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "trace": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "tiny": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "linear": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "moderate"}),
    "platelike": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "moderate"}),
    "plate-like": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "moderate"}),
    "discoid": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "moderate"}),
    "streaky": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "moderate"}),
    "complete": frozenset({"large", "severe", "marked", "extensive", "massive", "moderate"}),
    "blunting": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "blunted": frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight"}),
    "massive": frozenset({"large", "severe", "marked", "extensive", "massive"}),
    "tension": frozenset({"large", "severe", "marked", "extensive", "massive", "moderate"}),
    "extensive": frozenset({"large", "severe", "marked", "extensive", "massive", "moderate"}),
    "extending": frozenset({"large", "severe", "marked", "extensive", "massive", "moderate"}),
    "extends": frozenset({"large", "severe", "marked", "extensive", "massive", "moderate"}),
    "opacifying": frozenset({"large", "severe", "marked", "extensive", "massive"}),
}
"""A word beside the finding that bounds its grade: "subsegmental atelectasis" is never severe,
"complete collapse" never small. The value is the set of grades the word admits."""

MEASURED = re.compile(r"\d\s*(?:\.\d+\s*)?(?:cm|mm|centimet|millimet)|\bmeasur", re.IGNORECASE)
"""A measured size: a new grade beside it contradicts it, so severity refuses the item."""

DENIAL_FAMILIES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "Lung Opacity": (
        ("scarring", frozenset({"scar", "scars", "scarring", "fibrosis", "fibrotic", "reticular", "reticulation",
                                "interstitial", "peribronchial", "bronchial", "chronic", "granulomatous"})),
        ("airspace", frozenset({"airspace", "air-space", "air", "infiltrate", "infiltrates", "consolidation",
                                "opacity", "opacities", "opacification", "density", "densities", "haziness"})),
    ),
    "Edema": (
        ("congestion", frozenset({"congestion", "congested", "engorgement", "engorged", "cephalization",
                                  "redistribution", "vascularity", "vasculature", "vascular"})),
        ("edema", frozenset({"edema", "oedema", "failure", "chf", "overload", "kerley"})),
    ),
}  # fmt: skip
"""Kinds of one CheXpert observation that a radiologist never denies for one another ("scarring"
is not "airspace disease"): a denial must name the kind of the statement it replaces."""

SIDE_COMPARISON = re.compile(
    r"\b(?:left|right)\s+(?:is\s+|side\s+)?(?:greater|larger|more|worse|less|smaller)\s+than\s+(?:the\s+)?(?:left|right)\b",
    re.IGNORECASE,
)
"""Both sides compared ("left greater than right"): no single side swap keeps it true."""

ONE_SIDED_PLACES = re.compile(
    r"\b(?:left|right)(?:-sided)?\s+(?:(?:upper|middle|lower|mid)\s+)?(?:lobes|lungs|hemithoraces|bases|apices)\b"
    r"|\bleft\s+middle\s+lobe\b",
    re.IGNORECASE,
)
"""Anatomy that does not exist: one side with a plural place, or a left middle lobe."""


BORDERLINE = re.compile(
    r"\bborderline|\b(?:top|high|upper)[\s-]+(?:limits?\s+(?:of\s+)?)?normal|\bupper\s+limits?\s+(?:of\s+)?normal|\bnear\s+top",
    re.IGNORECASE,
)
"""A grade at the edge of normal ("borderline heart size", "upper limits of normal"): denying it
contradicts nothing, and no other grade reads true beside it."""

GRADED_DENIAL = re.compile(
    r"\bno\s+(?:\w+\s+)?(?:large|significant|moderate|sizable|substantial|definite|obvious|gross|appreciable|suspicious)\b",
    re.IGNORECASE,
)
"""A denial of a grade ("no large effusion") leaves the finding possible: not a negation of it."""

CONTRADICTED_BY_DENIAL: dict[str, frozenset[str]] = {
    "Pneumonia": frozenset({"Consolidation", "Lung Opacity"}),
    "Consolidation": frozenset({"Lung Opacity"}),
}
"""An affirmed finding the report's other denials rule out ("no focal consolidation" beside an
affirmed pneumonia): the item is refused."""

CLEAR_LUNGS = re.compile(
    r"(?<!otherwise )\b(?:the\s+)?lungs?\s+(?:are\s+|is\s+|remain\s+|appear\s+)?(?:\w+\s+(?:but|and)\s+)?clear\b(?!\s+(?:of\s+focal|except|other))|\bclear\s+lungs\b",
    re.IGNORECASE,
)
PARENCHYMAL = frozenset({"Pneumonia", "Consolidation", "Lung Opacity", "Edema", "Atelectasis"})
"""Findings in the lung itself: "the lungs are clear" (not "otherwise clear") denies them."""

RELATED_FINDINGS: dict[str, frozenset[str]] = {
    "Lung Lesion": frozenset({"Lung Opacity", "Consolidation"}),
    "Pneumonia": frozenset({"Lung Opacity", "Consolidation", "Atelectasis"}),
    "Consolidation": frozenset({"Lung Opacity", "Pneumonia", "Atelectasis"}),
    "Lung Opacity": frozenset({"Consolidation", "Pneumonia", "Atelectasis", "Lung Lesion"}),
    "Atelectasis": frozenset({"Lung Opacity", "Consolidation"}),
    "Pleural Effusion": frozenset({"Atelectasis"}),
}
"""Findings that often state the same thing in another section ("right upper lobe opacities" in the
findings, "right upper lobe pneumonia" in the impression): a side swap that leaves one of them on
the old side is refused."""

ZONES: dict[str, str] = {
    "upper": "upper", "lower": "lower", "middle": "middle", "mid": "mid", "midlung": "mid", "base": "base",
    "bases": "base", "basilar": "base", "basal": "base", "apex": "apex", "apical": "apex", "apices": "apex",
    "hilar": "hilum", "perihilar": "hilum", "hilum": "hilum", "retrocardiac": "retrocardiac", "lingula": "lingula",
    "lingular": "lingula", "costophrenic": "base",
}  # fmt: skip
"""Zones of a lung, by the words that name them: a related finding on the target's old side in a zone
the target is stated in ("right basilar opacity" beside "right basilar atelectasis") is one lesion
read two ways, and moves side with the target."""

INSERTED_ANAPHOR = re.compile(r"\b(?:this|these|which|it|they|both|also|additionally)\b", re.IGNORECASE)
"""An inserted statement that points back at something ("this appearance is compatible with ...")."""

SIDE_CLEAR = r"\b{side}\s+(?:lung|hemithorax)\s+(?:is\s+|remains\s+|appears\s+)?(?:grossly\s+)?clear"
"""The other side declared clear ("Left lung clear"): a finding swapped onto it contradicts it."""

CARDIAC_CHAMBER = re.compile(r"\s+(?:atri|ventric|heart\s+border)", re.IGNORECASE)
"""A side that names a heart chamber ("tip in the right atrium"): anatomy, never swapped with a finding."""

NORMAL_STATEMENT = re.compile(
    r"\bwithin\s+(?:the\s+)?(?:normal\s+)?limits|\blimits\s+of\s+normal|\bnormal\b|\bunremarkable\b",
    re.IGNORECASE,
)
"""A sentence that calls the finding's organ normal: a positive reading of it is the engine's slip."""

ORPHAN_CONJUNCTION = re.compile(
    r"\b(?:and|or|nor)\s+(?:is|are|was|were|identified|seen|noted|suggest\w*|consistent|compatible|likely|"
    r"represent\w*|concerning|suspicious)\b",
    re.IGNORECASE,
)
"""A list conjunction left with no item after it ("no nodules or are identified")."""

CHAMBERS = re.compile(r"\b(?:left|right)\s+(?:atri\w*|ventric\w*)", re.IGNORECASE)
"""Heart chambers keep their side whatever a device or finding beside them does ("leads in the right
atrium" stay right when a left chest wall pacemaker is swapped)."""

ASSOCIATED = re.compile(
    r"\b(?:associated|adjacent|compressive|passive|underlying)\b|\baccount\w*\s+for|\b(?:due|secondary|related)\s+to\b|"
    r"\bcaus(?:es|ed|ing)\b|\bresult\w*\s+(?:in|from)",
    re.IGNORECASE,
)
"""A finding tied to the target in one sentence ("effusion and associated left basilar airspace
disease"): its side moves with the target's or the swap is refused."""

COUNTED_ONE_SIDE = re.compile(
    r"\b(?:two|three|both|several|multiple|numerous)\s+(?:\w+\s+){0,3}(?:left|right)(?:-sided)?\b", re.IGNORECASE
)
"""A count left before a finding made one-sided ("Two small right pleural effusion"): the swap from
bilateral is refused."""

DEPENDENT_OPENING = frozenset(
    {"suggestive", "consistent", "compatible", "concerning", "suspicious", "representing", "likely", "probably",
     "adjacent", "associated", "underlying", "compressive", "passive"}
)  # fmt: skip
"""Words that open only the second half of a statement ("..., suggestive of pneumonia"): a sentence
an edit leaves opening with one has lost what it was said of."""

HIGH_GRADES = frozenset({"large", "severe", "marked", "extensive", "massive"})

TARGET_GRADE_BOUNDS: dict[str, dict[str, frozenset[str]]] = {
    "Pleural Effusion": {"collapse": frozenset({"moderate", "large", "severe", "marked", "massive"})},
    "Pneumothorax": {"collapse": frozenset({"moderate", "large", "severe", "marked", "massive"})},
}
"""Bounds a word sets for one finding only: lobar collapse beside an effusion is never small (beside
atelectasis "collapse" is the finding itself)."""

# --- negate (issue 14, fourth review): each table is read by ``cxralign.rewrite.negate_checks`` ---

LIMITATION_MORE = re.compile(
    r"\bnot\s+(?:well\s+|optimally\s+|adequately\s+|fully\s+)?(?:demonstrated|evaluated|assessed|visuali[sz]ed|seen|imaged)"
    r"\s+(?:on|by|with|in|at)\s+(?:\w+\s+){0,3}(?:study|exam\w*|radiograph\w*|film|views?|images?)|"
    r"\bpoorly\s+(?:evaluated|assessed|visuali[sz]ed|seen|demonstrated)|\bsuboptimal(?:ly)?\s+(?:evaluat\w*|assess\w*|visuali[sz]\w*)|"
    r"\blimited\s+(?:evaluation|assessment|sensitivity)\s+(?:of|for)\b|"
    r"\b(?:insensitive|not\s+sensitive)\s+(?:for|to)\b|\bcannot\s+be\s+(?:excluded|evaluated|assessed)\s+on\b",
    re.IGNORECASE,
)
"""More limitations of the exam ("not well demonstrated on this study", "poorly evaluated", "limited
evaluation of the ribs", "cannot be excluded on this limited exam"): read with ``LIMITATION``, a target
named only in one is refused as ``HEDGE_ONLY``."""

DENIAL_SITES: dict[str, frozenset[str]] = {
    "rib": frozenset({"rib", "ribs", "costal"}),
    "clavicle": frozenset({"clavicle", "clavicles", "clavicular"}),
    "humerus": frozenset({"humerus", "humeral", "humeri"}),
    "scapula": frozenset({"scapula", "scapular", "scapulae"}),
    "sternum": frozenset({"sternum", "sternal"}),
    "spine": frozenset({"spine", "spinal", "vertebral", "vertebra", "vertebrae", "thoracic", "lumbar",
                        "compression"}),
    "shoulder": frozenset({"shoulder", "glenohumeral", "acromioclavicular"}),
    "breast": frozenset({"breast", "breasts"}),
    "abdomen": frozenset({"abdomen", "abdominal", "quadrant", "biliary", "gastric"}),
    "neck": frozenset({"neck", "jugular", "cervical"}),
}  # fmt: skip
"""Body sites a denial may name. A denial naming a site the original statement of the target does not
("several rib fractures with callus" -> "No clavicle fracture is seen") denies another lesion: the
image still matches it. Phrase-bank denials that name such a site are not drawn, and the verifier
refuses one ("the denial names another site")."""

DENIAL_OTHER_SITE = "the denial names another site"

BORDERLINE_DENIAL = "the denial only calls it borderline"
"""A denial that is a borderline grade ("Heart size is at the upper limits of normal") in place of
"mild cardiomegaly": both read true of one image. Bank denials matching ``BORDERLINE`` are not drawn."""

KEPT_READINGS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Pneumonia": (frozenset({"Consolidation", "Lung Opacity"}), frozenset()),
    "Consolidation": (frozenset({"Pneumonia", "Lung Opacity", "Edema"}), frozenset()),
    "Lung Opacity": (frozenset({"Pneumonia", "Consolidation"}), frozenset({"Atelectasis", "Edema"})),
    "Edema": (frozenset(), frozenset({"Lung Opacity"})),
    "Atelectasis": (frozenset({"Lung Opacity", "Consolidation"}), frozenset()),
    "Pleural Other": (frozenset(), frozenset({"Lung Opacity"})),
    "fibrosis": (frozenset({"Lung Opacity"}), frozenset()),
}
"""A denied finding (by CheXpert observation, or by lexicon concept where one concept of it reads
otherwise: "fibrosis" under Pleural Other is the interstitial lung) whose other reading stays stated at
the same place: (findings that are the same
lesion wherever the report states them at that side and zone, findings that are only when stated in the
target's own sentence). "Patchy right lower lobe airspace disease. This represents pneumonia." ->
"No pneumonia." keeps the opacity the pneumonia was; "Bibasilar consolidation" denied under an
impression of "Bibasilar airspace disease" is still stated; "streaky basilar opacities, likely
atelectasis" -> "No atelectasis" keeps the opacities. Refused ("another reading of the finding stays")."""

KEPT_READING = "another reading of the finding stays"

ZONE_GROUPS: dict[str, str] = {
    "lower": "base", "base": "base", "basilar": "base", "basal": "base", "retrocardiac": "base",
    "costophrenic": "base", "bibasilar": "base", "middle": "mid", "mid": "mid", "midlung": "mid",
    "lingula": "mid", "lingular": "mid", "hilar": "mid", "hilum": "mid", "perihilar": "mid", "upper": "upper",
    "apex": "upper", "apical": "upper", "apices": "upper", "biapical": "upper",
}  # fmt: skip
"""Zones of a lung read as one place for ``KEPT_READINGS`` ("left lower lobe" and "bibasilar" meet)."""

DEVICE_PARTS = ("the tip", "its tip", "tip", "the distal tip", "the leads", "the lead", "the catheter tip")
"""Sentence openings that name a part of a device ("The tip is in the superior vena cava"): left after
the device is denied, they point at nothing (read with ``ANAPHORS``)."""

OTHERWISE = re.compile(r"(?:,\s*|\s+)?\botherwise\b,?\s*", re.IGNORECASE)
"""An "otherwise" that contrasts with the stated findings ("The lungs are otherwise clear"): when the
denial leaves no other finding stated, negate drops the word ("The lungs are clear") and the verifier
refuses one left ("an 'otherwise' is left with nothing to contrast")."""

OTHERWISE_LEFT = "an 'otherwise' is left with nothing to contrast"

NOT_A_DEVICE = re.compile(
    r"\b(?:nipple|skin|ekg|ecg)\s+(?:markers?|leads?|electrodes?)|\bmarkers?\b|"
    r"\b(?:external|monitor(?:ing)?|telemetry)\s+(?:\w+\s+){0,2}(?:leads?|electrodes?|wires?)",
    re.IGNORECASE,
)
"""Markers placed for the exam ("performed with nipple markers"): not a device in the patient, so not
a finding a variant can deny. Negate refuses a Support Devices target stated only as one."""

NOT_A_DEVICE_ONLY = "target stated only as an exam marker"

MORE_OF = re.compile(r"\b(?:additional|further|remaining|other|another|more)", re.IGNORECASE)
"""Words that count more of a finding ("no additional acute fractures"): kept beside its denial, they
speak of one that is no longer stated. Read before the target's own head word."""

MORE_OF_LEFT = "a statement of more of the denied finding is left"

SUBHEADING = re.compile(r"(?:^|[.]\s+)[A-Za-z][A-Za-z /-]{1,30}:\s")
"""A sub-heading inside a section ("Left shoulder: ..."): a denial that replaces its sentence drops it."""

SUBHEADING_LOST = "a sub-heading goes with the edit"

OTHER_STUDY = re.compile(
    r"\b(?:on|from|in|at|since)\s+(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,5}?(?:ct|cta|pet|mri|scan|ultrasound)\b|"
    r"\bbetter\s+(?:seen|appreciated|demonstrated|evaluated|visuali[sz]ed)\b",
    re.IGNORECASE,
)
"""A statement of the finding as seen on another study ("several nodules were identified on the CT
scan", "better appreciated on the comparison", "corresponds with one of the nodules on the previous CT"): a denial of the finding on this film
would leave the report comparing with what it no longer states. Negate refuses the item when any
statement of the target reads so."""

OTHER_STUDY_STATED = "the finding is also stated as seen on another study"

FIXED_FRACTURE = re.compile(
    r"\b(?:fixation|orif|hardware|plates?|screws?|intramedullary|rods?|nails?|sternotomy|wires?|sutures?|leads?)\b",
    re.IGNORECASE,
)
"""A fracture stated with its fixation ("interval fixation of the right humeral fracture"), or of a
device rather than a bone ("fracture of a sternotomy wire"): a denial would drop the hardware the image
still shows, or deny no bone fracture. Negate refuses it ("the fracture is stated with its fixation")."""

FIXED_FRACTURE_STATED = "the fracture is stated with its fixation"

POSTSURGICAL = re.compile(
    r"\b(?:post-?surgical|post-?operative|post-?op|surgical)\s+changes|\bprior\s+(?:cabg|surgery|sternotomy|thoracotomy)",
    re.IGNORECASE,
)
"""Another statement joined to a device's ("ICD and postsurgical changes of prior CABG"): a denial of
the device that replaces the whole sentence takes it along; refused ("another statement goes with the
denied device")."""

DEVICE_PARAPHRASE = re.compile(
    r"\b(?:interval\s+)?placement\s+of\b|\borthop(?:a)?edic\s+(?:hardware|device|xxxx|prosthes\w*)|"
    r"\b(?:post-?surgical|post-?operative|post-?op)\s+changes",
    re.IGNORECASE,
)
"""A device stated without a device word the lexicon knows ("interval placement of right humeral
orthopedic XXXX", "extensive post-op changes" beside surgical clips): kept after the device is denied,
it still states it."""

DEVICE_PARAPHRASE_LEFT = "the device is still stated in other words"

PLACE_LEFT = "a place is left without its finding"
"""A sentence an edit leaves opening with a place word ("Lingula compatible with bronchiectasis") lost
the finding it placed."""

DIFFUSE_STATED = re.compile(r"\b(?:diffuse|diffusely|widespread|multifocal|extensive)\b", re.IGNORECASE)
FOCAL_DENIAL = re.compile(r"\bfocal\b", re.IGNORECASE)
"""A denial of a focal finding ("No focal airspace consolidation") where the report stated a diffuse one
("diffuse alveolar consolidations"): it leaves the diffuse finding possible. Refused ("the denial
denies a focal finding where a diffuse one was stated")."""

FOCAL_FOR_DIFFUSE = "the denial denies a focal finding where a diffuse one was stated"

REMAINDER = re.compile(r"^(?:the\s+)?(?:remainder|rest)\s+of\s+(?:the\s+)?", re.IGNORECASE)
"""The other contrast word ("The remainder of the lungs are clear"): read with ``OTHERWISE``; negate
writes "The lungs are clear" where nothing is left to contrast with."""

LUNG_OBSERVATIONS = frozenset(
    {"Lung Opacity", "Lung Lesion", "Consolidation", "Pneumonia", "Atelectasis", "Edema", "Pneumothorax",
     "Pleural Effusion", "Pleural Other"}
)  # fmt: skip
"""What "The lungs are otherwise clear" contrasts with: a finding of the lungs or pleura, not the spine."""

QUALIFIED_ONLY = re.compile(r"\b(?:displaced|acute)\b", re.IGNORECASE)
"""A denial qualifier ("No displaced rib fractures") the report's statement of the finding does not
carry: the denial leaves the stated finding possible. Refused ("the denial qualifies what it denies")."""

QUALIFIED_DENIAL_ONLY = "the denial qualifies what it denies"

LIST_NUMBER = re.compile(r"^\s*\(?\d{1,2}[.)]\s*")
"""A numbered impression: the edit must leave it opening with its number ("1."), never with a
statement that was the first item's follower."""

LIST_BROKEN = "a numbered list no longer opens with its first number"

OUTSIDE_CHEST = "the finding is outside the chest"
"""A fracture of a site a chest film does not show ("fracture through the neck of the femur", read with
``OTHER_SITES``): negate refuses it."""

DEVICE_LEFT_UNDENIED = "a device goes without its denial"
"""Several devices stated ("prosthetic aortic valve", "dual-chamber pacemaker") but the denial names
only one: the others would go with no denial. Negate refuses the item."""

DOUBLED_LINK = re.compile(r"\b(with|without|of|and|or|in)\s+(?:with|without|of|and|or)\b", re.IGNORECASE)
"""Two link words left side by side by an edit ("cardiomegaly with without overt edema"): the item
between them went with the finding."""

OTHER_DEVICES = frozenset({"sternotomy wires", "prosthesis"})
"""Device signs (``SIGNS["Support Devices"]``) that name another device than a denial of clips, leads or a
pacemaker covers: a denial that replaces their sentence takes them along unsaid ("Sternotomy sutures and
bypass clips" -> "No clips"). The pacing and clip signs name the denied device itself."""

RESOLVED_ONLY = "target stated only as resolved"
"""A finding stated only as gone ("clearing of left base airspace opacities", read with ``RESOLVED``):
the "present" label was wrong and a denial contradicts nothing. Negate refuses it."""

CHRONIC_LUNG_DISEASE = re.compile(r"\bchronic\s+(?:\w+\s+)?lung\s+disease\b", re.IGNORECASE)
"""An impression of "chronic lung disease" beside scarring or chronic opacities: it still states them
after they are denied (a Lung Opacity sign for negate only)."""
