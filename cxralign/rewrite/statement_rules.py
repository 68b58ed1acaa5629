"""The rules of the affirm, laterality and severity ops added from by-eye reviews of OpenI variants, as
data tables (beside ``rules.py``, which holds the shared ones): what makes an inserted statement no
sentence, a denial of a grade only, the other statements of a side, and what bounds a grade.
Each table has hand-written tests in ``tests/test_rewrite_affirm_side_grade.py``.
"""

from __future__ import annotations

import re

_PLURAL_HEADS = r"(?:effusions|opacities|nodules|fractures|infiltrates|pneumothoraces|densities|lesions|masses|consolidations)"
_SINGULAR_HEADS = r"(?:effusion|opacity|nodule|fracture|infiltrate|pneumothorax|density|lesion|mass|consolidation|cardiomegaly|edema)"
_ATTRIBUTIVE = (
    r"(?:interstitial|pulmonary|pleural|alveolar|airspace|air-space|endotracheal|nasogastric|orogastric|central|"
    r"venous|cardiac|focal|patchy|early|mild|moderate|severe|small|large|left|right|bilateral|bibasilar)"
)
_MALFORMED_PATTERNS: dict[str, str] = {
    "a modifier before a verb":
        rf"\b(?!left\b|right\b){_ATTRIBUTIVE}\s+(?:show|shows|demonstrate|demonstrates|is|are|was|were|has|have)\b",
    "a statement ending on a modifier":
        r"\b(?:interstitial|pulmonary|pleural|alveolar|airspace|air-space|endotracheal|nasogastric|orogastric|central|"
        r"venous|focal|patchy|early|bibasilar)\W*$",
    "a plural subject with a singular verb":
        rf"\b{_PLURAL_HEADS}\s+(?:is|was|has|shows|demonstrates)\b"
        rf"|^\W*there\s+is\s+(?:(?!and\b|or\b|with\b)[\w-]+\s+){{0,5}}{_PLURAL_HEADS}\b",
    "a singular subject with a plural verb": rf"\b{_SINGULAR_HEADS}\s+(?:are|were|have)\b",
    "a word repeated": r"\b(?!xxxx\b)(\w+)\s+\1\b",
    "a subject repeated after its verb": r"\b(\w{4,})\s+(?:is|are)\s+(?:\w+\s+)?\1\b",
    "a subject with no verb": r"^\W*(?:the\s+)?lungs?\s+(?:focal|patchy|airspace|air-space|interstitial|alveolar|diffuse)\b",
    "an article before a verb": r"\b(?:the|a|an)\s+(?:present|seen|noted|identified|is|are)\b",
    "a statement ending in a clause mark": r"[;,:/-]\W*$",
    "two findings joined by a slash": r"[a-z]/[a-z]",
    "a statement pointing elsewhere":
        r"^\W*(?:also|otherwise|specifically|additionally|findings|this|these|it|they)\b"
        r"|\bas\s+(?:described\s+|seen\s+|noted\s+)?(?:above|before|previously|below)\b",
    "a subordinate clause with no main clause":
        r"^\W*(?:as|because|since|if|although|though|while|whereas|when|which|that|where)\b",
    "a hedge or a density explained away":
        r"\bcannot\s+be\b|\bnot\s+(?:well\s+)?(?:seen|identified|visuali[sz]ed)\b|\bexaggerated\b|\bartifact|"
        r"\bmay\s+(?:be|represent)\b|\bversus\b|\bclinical\s+correlation",
}  # fmt: skip
MALFORMED: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _MALFORMED_PATTERNS.items()
)
"""What makes a statement no sentence a radiologist would write ("Early interstitial show pulmonary
edema", "There is endotracheal", "Heart is mildly heart enlarged", "A small effusion the present"):
the phrase bank never draws such a corpus statement for an inserted one, and the verifier rejects an
affirmed statement that matches one."""

BOTH_SIDES_PLACE = re.compile(r"(?i)\b(?:lung\s+)?(?:bases|apices)\b")
"""A statement of the finding in both bases or apices without a side word ("opacities in the lung bases"):
a bilateral finding made one-sided elsewhere would leave it stating both sides; laterality refuses."""

SIDES_LISTED = re.compile(r"(?i)\b(?:left|right)\s+and\s+(?:\w+\s+){0,2}(?:left|right)\b")
"""Both sides listed for one finding ("small right and XXXX left pleural effusions"): a swap of one gives
"right and right"; laterality refuses."""

PER_SIDE_DETAIL = re.compile(
    r"\bon\s+the\s+(?:left|right)\b|\b(?:left|right)(?:[\s-]+sided)?\s*(?:[,;.]|$)", re.IGNORECASE
)
"""A bilateral finding described side by side ("bilateral effusions, larger on the right, small on the
left"): made one-sided, the rest of its sentence still describes both sides."""

ONE_SIDED_ANATOMY = re.compile(
    r"\bright\s+lingula\w*|\bleft\s+middle\s+and\s+lower\s+lobes?|\bleft\s+(?:upper|lower)\s+and\s+middle\s+lobes?",
    re.IGNORECASE,
)
"""Anatomy only one lung has, beyond ``ONE_SIDED_PLACES``: the lingula is left, the middle lobe right."""

BORDERLINE_SUBJECT: dict[str, re.Pattern] = {
    "Cardiomegaly": re.compile(r"\b(?:heart|cardiac)\b", re.IGNORECASE),
    "Enlarged Cardiomediastinum": re.compile(r"\b(?:mediastin\w*|cardiomediastinal)\b", re.IGNORECASE),
}
"""Subjects whose borderline statement the engine does not read as a mention ("Heart size upper
limits normal"): beside one, a new grade of the finding contradicts the report, so severity refuses."""

OTHER_STUDY_STATEMENT = re.compile(
    r"\b(?:better|best|only)\s+(?:appreciated|seen|visuali[sz]ed|demonstrated)\s+on\s+(?:the\s+)?(?:\w+\s+){0,3}"
    r"(?:comparison|prior|previous|ct|study|exam\w*)|\b(?:outside|prior|previous)\s+(?:x-?\w*|film|radiograph|study)\s+is\b",
    re.IGNORECASE,
)
"""A finding stated as seen on another study ("better appreciated on the comparison", "the outside film is
normal except for ..."): a side or grade swap changes what that study showed, not this image."""

GRADE_ONLY_DENIAL = re.compile(
    r"\b(?:large|larger|significant|sizable|sizeable|substantial|appreciable|suspicious|moderate|major|massive)\b",
    re.IGNORECASE,
)
"""Words that make a denial one of a grade or a kind only ("No large pleural effusion", "No suspicious
nodules"): a small or benign finding affirmed beside it contradicts nothing, so affirm refuses it."""

KEPT_QUALIFIER = re.compile(r"\bdisplaced\b", re.IGNORECASE)
"""A qualifier an affirmed statement must keep from the denial it replaces: "No displaced rib fractures"
is contradicted by "A displaced left rib fracture", never by "Bilateral rib fractures, most of which
appear old" (undisplaced fractures sit with the denial)."""
GRADE_ONLY = "the target is denied only at a grade (no large or suspicious one)"

STILL_DENIED_BY: dict[str, tuple[str, re.Pattern]] = {
    "Edema": ("heart failure", re.compile(r"\b(?:no|without)\s+(?:\w+\s+){0,3}(?:failure|chf|overload)\b", re.IGNORECASE)),
}
"""What an affirmed finding implies that the report may still deny in words the lexicon does not read as
the finding ("No pulmonary edema or CHF", "without evidence of acute failure"): affirm refuses the item."""

SILHOUETTE_SIGN = re.compile(
    r"(?i)\b(?:obscur\w*|effac\w*|silhouett\w*)\s+(?:of\s+)?(?:the\s+)?(?:left|right)\s+(?:heart|cardiac)\b"
    r"|\b(?:left|right)\s+(?:heart|cardiac)\s+(?:border|margin|silhouette|xxxx)\s+(?:is\s+|are\s+)?(?:\w+\s+)?(?:obscur|effac)\w*"
)
"""A finding that hides one heart border ("opacity obscuring the right heart border"): the border stays where
the heart is, so a side swap of the finding would contradict it; laterality refuses the item."""

LATERALITY_SIGNS: dict[str, re.Pattern] = {
    "Fracture": re.compile(r"(?i)\b(?:deformit\w*|irregularit\w*)\s+of\s+the\s+(?:left|right)\s+(?:\w+\s+){0,4}ribs?\b"),
}
"""Statements that place the finding on a side without naming it ("deformity of the right 6th rib ... acute
fracture"): a side swap moves their side too (``laterality._sign_sides``)."""
