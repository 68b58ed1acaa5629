"""The negate rules of the fourth review (issue 14), as data tables: what a denial may name, what
reading of a denied finding may not stay, what must go with it, and which statements state nothing a
denial could contradict. Read by ``cxralign.rewrite.negate_checks`` (the verifier and the scope) and
``cxralign.rewrite.negate`` (what the proposer avoids); each with a hand-written test in
``tests/test_rewrite_negate_review.py``. Kept apart from ``rules`` so that the other ops' tables stay
where they are."""

from __future__ import annotations

import re

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
    "Lung Opacity": (frozenset({"Pneumonia", "Consolidation", "Atelectasis", "Lung Lesion"}), frozenset({"Edema"})),
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
