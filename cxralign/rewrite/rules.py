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
        (
            "vascular congestion",
            r"\b(?:vascular|venous)\s+(?:congesti\w*|engorge\w*)|\bcephalization|\b(?:are|is|appear)\s+engorged",
        ),
        (
            "prominent vessels",
            r"\b(?:prominent|enlarged|engorged|indistinct|increased)\s+(?:pulmonary\s+)?vascula\w+|"
            r"\bvascula(?:rity|ture)\s+(?:is\s+|are\s+)?(?:\w+\s+){0,2}(?:enlarged|prominent|engorged|indistinct|increased)|"
            r"\bprominence\s+of\s+the\s+(?:\w+\s+){0,2}vascula\w+",
        ),
        (
            "accentuated vessels",
            r"\baccentuat\w*\s+(?:of\s+the\s+)?(?:\w+\s+){0,2}vascula\w+|"
            r"\bvascula(?:rity|ture)\s+(?:is\s+|are\s+)?(?:\w+\s+){0,2}accentuat\w*",
        ),
    ),
    "Cardiomegaly": (
        (
            "enlarged cardiac silhouette",
            r"\benlarg\w*\s+(?:of\s+the\s+)?(?:cardiac|heart)\b|\b(?:cardiac\s+silhouette|heart(?:\s+size)?)\s+(?:is\s+|appears\s+|remains\s+)?(?:\w+\s+){0,3}(?:enlarged|large)\b",
        ),
        ("cardiac enlargement", r"\bcardiac\s+enlargement|\bcardiomegaly\b|\bglobular\s+heart"),
        (
            "enlargement of the silhouette",
            r"\benlarg\w*\s+(?:in|of)\s+(?:the\s+)?(?:size\s+of\s+the\s+)?(?:cardiac|heart)\b",
        ),
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
        ("interstitial disease", r"\binterstitial(?=\s+(?:lung\s+|and\s+\w+\s+)?disease)"),
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
        (
            "prominent mediastinum",
            r"\bprominent\s+(?:superior\s+)?mediastin\w*|\bmediastinal\s+prominence|"
            r"\bmediastinum\s+(?:is\s+|appears\s+)(?:\w+\s+){0,2}prominent",
        ),
    ),
    "Fracture": (
        (
            "vertebral or rib deformity",
            r"\b(?:compression|wedge|burst)\s+(?:\w+\s+)?deformit\w*|\b[tlc]\d{1,2}\s+(?:\w+\s+){0,4}deformit\w*|"
            r"\bdeformit\w*\s+(?:of|at|in)\s+(?:the\s+)?(?:\w+\s+)?[tlc]\d{1,2}\b|\brib\s+deformit\w*|"
            r"\bheight\s+loss|\bloss\s+of\s+(?:\w+\s+){0,2}height|\bloss\s+of\s+(?:the\s+)?[tl]\d{1,2}\b",
        ),
        (
            "vertebral body deformity",
            r"\bdeformit\w*\s+(?:of|at|in)\s+(?:the\s+)?(?:\w+\s+){0,2}vertebra\w*|\bvertebral\s+body\s+deformit\w*",
        ),
    ),
    "Support Devices": (
        ("sternotomy wires", r"\bsternotomy"),
        ("surgical clips", r"\bsurgical\s+(?:clips?|xxxx|material|staples?)"),
        ("prosthesis", r"\bprosthe\w*|\bvalve\s+replacement|\bhardware\b"),
        ("pacing leads", r"\bpacing\b|\bpacer\b|\bgenerator\b"),
        (
            "orthopedic device",
            r"\borthop(?:a)?edic\s+(?:xxxx|device|fixation|screws?|plates?|rods?)|\binterval\s+placement\s+of\b",
        ),
        (
            "redacted cardiac device",
            r"\bcardiac\s+xxxx\s+(?:generator|and\s+leads?|in\s+(?:stable\s+)?position)|"
            r"\bposition\s+of\s+(?:the\s+)?cardiac\s+xxxx",
        ),
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
    r"(?:artifact\w*|nipple\s+shadows?|(?:overlapping|superimposed|overlying)\s+(?:soft\s+tissues?|structures|vessels|breast))|"
    r"\b(?:likely|probably|may|could)\s+(?:be|represent\w*)\s+(?:\w+\s+){0,3}fat(?:\s+pads?)?\b",
    re.IGNORECASE,
)
"""A density the report explains away as something that is not a finding ("opacity related to
superimposed soft tissues", "likely nipple shadow", "may represent pericardial fat"): denying,
removing or moving it contradicts nothing."""

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
    r"\b(?:normal|negative|unremarkable)\s+(?:chest|exam\w*|study|radiograph\w*)\b|^\W*(?:\d+[.)]\s*)?(?:normal|negative)\.?\s*$"
    r"|\bunremarkable\s+(?:\w+\s+){0,3}(?:views?\s+)?of\s+the\s+chest\b",
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
    r"negative\s+for\s+(?:\w+\s+){0,2}(?:acute|active)|(?:the\s+)?chest\s+is\s+(?:normal|negative|unremarkable)|"
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
                                  "redistribution", "vascularity", "vasculature", "vascular", "hypertension"})),
        ("edema", frozenset({"edema", "oedema", "failure", "chf", "overload", "kerley"})),
    ),
}  # fmt: skip
"""Kinds of one CheXpert observation that a radiologist never denies for one another ("scarring"
is not "airspace disease"): a denial must name the kind of the statement it replaces."""

SIDE_COMPARISON = re.compile(
    r"(?i)\b(?:left|right)\s+(?:is\s+|side\s+)?(?:greater|larger|more|worse|less|smaller)\s+than\s+(?:the\s+)?(?:left|right)\b"
)
"""Both sides compared ("left greater than right"): no single side swap keeps it true."""

ONE_SIDED_PLACES = re.compile(
    r"(?i)\b(?:left|right)(?:-sided)?\s+(?:(?:upper|middle|lower|mid)\s+)?(?:lobes|lungs|hemithoraces|bases|apices)\b"
    r"|\bleft\s+middle\s+lobe\b"
)
"""Anatomy that does not exist: one side with a plural place, or a left middle lobe."""


BORDERLINE = re.compile(
    r"(?i)\bborderline|\b(?:top|high|upper)[\s-]+(?:limits?\s+(?:of\s+)?)?normal|\bupper\s+limits?\s+(?:of\s+)?normal|\bnear\s+top"
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
PARENCHYMAL = frozenset({"Pneumonia", "Consolidation", "Lung Opacity", "Edema", "Atelectasis", "Lung Lesion"})
"""Findings in the lung itself: "the lungs are clear" (not "otherwise clear") denies them (a nodule
affirmed beside "Lungs are clear" leaves the report contradicting itself)."""

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

SIDE_CLEAR = (
    r"\b{side}\s+(?:lung|hemithorax)\s+(?:is\s+|remains\s+|appears\s+)?(?:grossly\s+)?clear"
    r"|\bclear\s+{side}\s+(?:lung|hemithorax)\b"
)
"""The other side declared clear ("Left lung clear", "Clear right lung"): a finding swapped onto it contradicts it."""

CARDIAC_CHAMBER = re.compile(r"\s+(?:atri|ventric|heart\s+border)", re.IGNORECASE)
"""A side that names a heart chamber ("tip in the right atrium"): anatomy, never swapped with a finding."""

NORMAL_STATEMENT = re.compile(
    r"(?i)\bwithin\s+(?:the\s+)?(?:normal\s+)?limits|\blimits\s+of\s+normal|\bnormal\b|\bunremarkable\b"
)
"""A sentence that calls the finding's organ normal: a positive reading of it is the engine's slip."""

ORPHAN_CONJUNCTION = re.compile(
    r"(?i)\b(?:and|or|nor)\s+(?:is|are|was|were|identified|seen|noted|suggest\w*|consistent|compatible|likely|"
    r"represent\w*|concerning|suspicious)\b"
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
LOW_GRADE_WORDS = re.compile(r"(?i)\b(?:mild|mildly|small|minimal|minimally|trace|tiny|slight|slightly|subtle)\b")
"""Low grades: a sign of the finding graded low ("mild bilateral costophrenic blunting") is never beside a
finding made large or severe."""

TARGET_GRADE_BOUNDS: dict[str, dict[str, frozenset[str]]] = {
    "Pleural Effusion": {"collapse": frozenset({"moderate", "large", "severe", "marked", "massive"})},
    "Pneumothorax": {"collapse": frozenset({"moderate", "large", "severe", "marked", "massive"})},
    "Edema": {
        word: frozenset({"minimal", "mild", "small", "tiny", "trace", "minor", "slight", "subtle"})
        for word in ("thin", "few", "subtle", "faint", "early")
    },
}
"""Bounds a word sets for one finding only: lobar collapse beside an effusion is never small (beside
atelectasis "collapse" is the finding itself); a few thin lines or early edema is never severe."""
