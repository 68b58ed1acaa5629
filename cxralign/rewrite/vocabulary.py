"""The words a statement of a finding may carry, as data: what an edit of the target's own statement
may remove or add, beside the words that name other findings (which it may not)."""

from __future__ import annotations

import re

from cxralign.rewrite.words import (
    ADVERBS,
    DESCRIPTORS,
    DROP_ON_NEGATE,
    LATERALITY,
    PLACE_AND_DESCRIPTOR,
    PLACE_MODIFIERS,
    SEVERITY,
)

_WORD = re.compile(r"[a-z0-9]+(?:[-/'][a-z0-9]+)*")
NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?|\d+(?:cm|mm)|[tlc]\d{1,2}")
"""Numbers, ordinals, measures and vertebral levels: never a finding of their own."""


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` ("left-sided", "2.5" -> "2", "5")."""
    return _WORD.findall(text.lower())


EDIT_VOCABULARY = (
    DROP_ON_NEGATE | LATERALITY | SEVERITY | DESCRIPTORS | PLACE_AND_DESCRIPTOR | PLACE_MODIFIERS | ADVERBS
) | frozenset(
    re.findall(
        r"\S+",
        """
        adjacent along and angles apices appear appearance appeared appears are area as aspect be
        been by cm compared comparison compatible concerning consistent could demonstrated evidence
        evident exam examination fields finding findings for from greater has have hemithorax
        identified in inferior into is it its less level limits lingula lobes may might mm more no
        not noted of on or persists portion present previous prior questionable recess region remain
        remains represent representing represents seem seems seen segment segments side sided since
        size study suggest suggesting suggestive suggests sulcus superior suspected suspicious than
        that there these this visualized was were which with within without zones
        """,
    )
)
"""Words an edit of the target's own statement may remove: grammar, side, place, size, time, hedge."""

REPORT_WORDS = frozenset(
    re.findall(
        r"\S+",
        """
        abnormalities abnormality active additional additionally after amount another anteriorly ap
        apparent apparently appearances appearing appreciated appropriate approximately area areas
        associated asymmetric available based before better between body but cannot cardiopulmonary
        causing cavitary change changes characterized chest circumscribed clearing clinical
        clinically component confidently configuration consider considering corresponding
        corresponds ct decrease decreasing decubitus demonstrates dense developed developing
        development diameter difference differences diffuse diffusely disease distinct distribution
        document dominant due early etiology evaluated evaluation exam examination exams exclude
        excluded expansile expected extending factors features few film films first fissure fissures
        followup frontal further given greatest grossly high highly hilum history however hyperdense
        if image images imaging improvement incompletely increase increasing indeterminant
        indeterminate interspace involving juxtahilar largest lateral likely limited lobulated
        location loculated loculation lucent maximal measure measured measures measuring midlung
        midthoracic most mostly multilobar near negative nonconsolidating nonspecific note number
        numerous oblong one only other otherwise outside over overlapping overlie overlies overlying
        pa parahilar partial partially patient patient's perihilar periphery persist please portable
        post posteriorly primarily probable probably process projecting projection projects
        pronounced radiograph radiographic radiographs recent recently recommend recommended
        redemonstration reduction reflect reflects related remainder representative rest scan scattered secondary
        setting several show shows sized smooth somewhat spiculated status studies study
        subcentimeter subpleural subpulmonic suggestion superimposed symmetric technical technique
        there's thickness thin three throughout tracking two typical underlying unremarkable up
        vague view views visible well worse x xxxx
        described correlation margin margins interspace interspaces bandlike band-like suprahilar infrahilar
        uncalcified noncalcified predominantly resolution can desired full artifactual rib ribs above below junction
        costicartilage obscuring obscuration primary
        overt innumerable whose foci parenchymal helpful non-specific poorly defined ill-defined strandy
        informative benefit diagnostic performed indicated uncertain concern followed radiographically
        correlate second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
        """,
    )
)
"""Report-speak a finding's own statement carries (view, measure, hedge, place): an edit of that
statement may remove them. Words that name a finding (volumes, crowding, density) are not here."""

TARGET_VOCABULARY: dict[str, frozenset[str]] = {
    "Support Devices": frozenset(
        re.findall(
            r"\S+",
            """
            abdomen above aicd approach appropriate approximately atrial atrium axilla below
            brachiocephalic carina catheter catheters cava cavoatrial cervical changes chest
            clavicle clip clips courses coursing defibrillator device devices distal ending
            endotracheal ends enteric external fusion gastric generator hardware internal interval
            jugular junction lead leads left-sided level line lines median nasogastric neck
            orogastric over overlies overlying pacemaker picc place placement port position
            positioned postoperative projected projecting projects proximal removal removed right-
            sided satisfactory spine sternotomy stomach subclavian surgical svc terminate terminates
            terminating through tip tips tracheostomy tube tubes vena via wall wire wires intact disrupted
            interrupted fractured broken postsurgical multiple several mediastinal
            """,
        )
    ),
    "Fracture": frozenset(
        re.findall(
            r"\S+",
            """
            abnormalities abnormality acute anterior anterolateral axillary bodies body bone bones
            bony callus clavicle clavicular compression deformities deformity fracture fractured
            fractures healed healing height humeral humerus lateral loss old osseous posterior
            posterolateral remote rib ribs spine t-spine thoracic vertebral
            """,
        )
    ),
    "Cardiomegaly": frozenset(
        re.findall(
            r"\S+",
            """
            cardiac contour contours enlarged enlargement heart limits normal shadow silhouette size
            within
            """,
        )
    ),
    "Enlarged Cardiomediastinum": frozenset(
        re.findall(
            r"\S+",
            """
            aortic cardiomediastinal contour contours enlarged enlargement limits mediastinal
            mediastinum normal silhouette superior tortuosity tortuous widened widening within
            """,
        )
    ),
}
"""Words a finding's own statement may carry beyond the shared vocabulary (a device's position, a
fracture's bone, the heart's outline): an edit of that statement may remove them."""

WHOLE_STATEMENT_TARGETS = frozenset({"Support Devices", "Fracture"})
"""Findings whose statement describes the thing itself at length (a line's course, a fracture's
bone): a sentence that names no other finding goes whole, whatever its words."""
