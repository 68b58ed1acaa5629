"""Word lists the rewrite rules use to find the edges of a finding's noun phrase."""

from __future__ import annotations

ARTICLES = frozenset({"a", "an", "the", "some", "any"})

SEVERITY = frozenset(
    {
        "trace", "tiny", "small", "smaller", "minimal", "minimally", "mild", "mildly", "moderate",
        "moderately", "large", "larger", "severe", "severely", "massive", "marked", "markedly", "slight",
        "slightly", "significant", "substantial", "extensive", "minor", "borderline", "moderate-sized",
        "small-to-moderate", "moderate-to-large", "mild-to-moderate", "moderate-to-severe", "small-sized",
        "large-sized", "to", "very", "somewhat", "subtle", "faint", "minimal-to-mild",
    }
)  # fmt: skip

TEMPORAL = frozenset(
    {
        "new", "newly", "increased", "increasing", "worsening", "worsened", "enlarging", "persistent",
        "persisting", "residual", "recurrent", "developing", "decreased", "decreasing", "improving",
        "improved", "unchanged", "stable", "known", "previously", "again", "redemonstrated",
        "re-demonstrated", "continued", "ongoing", "interval", "slowly", "progressive", "evolving",
        "resolving", "similar", "chronic", "old",
    }
)  # fmt: skip

LATERALITY = frozenset(
    {
        "left", "right", "bilateral", "bilaterally", "unilateral", "both", "left-sided", "right-sided",
        "bibasilar", "bibasal", "biapical", "left-side", "right-side",
    }
)  # fmt: skip

DESCRIPTORS = frozenset(
    {
        "upper", "lower", "middle", "mid", "lobe", "lobar", "basilar", "basal", "base", "apical", "apex",
        "perihilar", "hilar", "lingular", "retrocardiac", "lung", "lungs", "pleural", "pulmonary", "focal",
        "patchy", "streaky", "linear", "plate-like", "platelike", "subsegmental", "segmental", "multifocal",
        "diffuse", "hazy", "airspace", "air-space", "interstitial", "vascular", "layering", "loculated",
        "dependent", "acute", "ill-defined", "rounded", "nodular", "reticular", "reticulonodular",
        "confluent", "ground-glass", "alveolar", "central", "peripheral", "posterior", "anterior",
        "lateral", "medial", "apicolateral", "costophrenic", "angle", "zone", "field", "minor", "major",
        "fissural", "pneumonic", "infectious", "calcified", "noncalcified", "definite", "cardiac",
        "heart", "mediastinal", "mild-moderate", "scattered", "few", "several", "multiple", "tiny",
        "possible", "rib", "osseous", "displaced", "nondisplaced", "healed", "healing",
    }
)  # fmt: skip
"""Words that may sit between an article and the head of a finding."""

NP_WORDS = ARTICLES | SEVERITY | TEMPORAL | LATERALITY | DESCRIPTORS

DROP_ON_NEGATE = ARTICLES | SEVERITY | TEMPORAL | {"possible", "definite", "several", "few", "multiple"}
"""Modifiers that make no sense after "no" ("no small effusion" reads as if a large one were there)."""

PLACE_AND_DESCRIPTOR = frozenset(
    {
        "upper", "middle", "lower", "lobe", "lobar", "basilar", "basal", "base", "bases", "apical", "apex",
        "perihilar", "retrocardiac", "lingular", "subsegmental", "patchy", "layering", "loculated", "healing",
        "healed", "linear", "streaky", "dependent", "lateral", "posterior", "anterior",
    }
)  # fmt: skip
"""Where and what it looked like: radiologists deny a finding without them ("No atelectasis.")."""

ADVERBS = frozenset(
    {
        "mildly", "moderately", "slightly", "markedly", "severely", "minimally", "borderline", "somewhat",
        "again", "still", "now", "also", "significantly", "substantially", "massively", "probably",
        "likely", "possibly", "at", "least", "top-normal", "top", "normal",
    }
)  # fmt: skip

COPULA_NEGATION = {
    "is": "is not",
    "are": "are not",
    "was": "was not",
    "were": "were not",
    "appears": "is not",
    "appear": "are not",
    "remains": "is not",
    "remain": "are not",
    "seems": "does not seem",
    "seem": "do not seem",
    "looks": "does not look",
    "look": "do not look",
    "be": "is not",
}

NEGATED_COPULA_AFFIRM = {
    ("is", "not"): "is",
    ("are", "not"): "are",
    ("was", "not"): "was",
    ("were", "not"): "were",
    ("does", "not"): "",
    ("do", "not"): "",
}

THIRD_PERSON = {"appear": "appears", "seem": "seems", "look": "looks"}

PREDICATE_ADJECTIVES = frozenset(
    {
        "enlarged", "widened", "prominent", "hyperinflated", "hyperexpanded", "opacified", "collapsed",
        "dilated", "elevated", "increased", "fractured", "consolidated", "abnormal", "large", "edematous",
    }
)  # fmt: skip

EXISTENTIAL = (
    "there is", "there are", "there was", "there were", "there has been", "there have been",
    "there remains", "there remain", "there persists", "there persist", "there is again",
    "there are again", "there is still", "there are still", "there is now", "there are now",
    "there is also", "there are also", "again seen is", "again noted is", "again seen are",
    "there appears to be", "there appear to be", "there is likely", "there is probably",
    "there may be", "there might be", "there could be", "there is possibly", "there is probable",
    "there is possible", "there is suspected", "there is questionable",
)  # fmt: skip

HEDGE_LEADS = (
    "possible", "possibly", "probable", "probably", "likely", "suspected", "questionable", "query",
    "suspicious for", "concerning for", "cannot exclude", "can not exclude", "cannot rule out",
    "suggestive of", "compatible with", "consistent with", "may represent", "may reflect", "could represent",
    "findings suggestive of", "findings consistent with", "findings concerning for", "equivocal",
    "likely representing", "suggesting", "maybe", "presumed", "presumably", "developing",
)  # fmt: skip

NEGATION_LEADS = (
    "no", "no evidence of", "no signs of", "no sign of", "no definite", "no convincing evidence of",
    "no definite evidence of", "no radiographic evidence of", "no findings of", "no findings to suggest",
    "negative for", "without", "without evidence of", "free of", "no new", "no significant", "no large",
    "no appreciable", "no obvious", "no focal", "no acute", "no visible", "no other", "no residual",
    "no overt", "no frank", "no gross", "no discrete", "no suspicious", "no displaced", "no further",
    "no evident", "no pleural",
)  # fmt: skip

ACCEPTED_SUFFIX_WORDS = frozenset(
    {
        "at", "in", "of", "within", "along", "involving", "on", "overlying", "projecting", "with",
        "adjacent", "abutting", "near", "throughout", "bilaterally", "seen", "noted", "identified",
        "present", "demonstrated", "visualized", "evident", "appreciated", "from", "over", "posteriorly",
        "laterally", "medially", "anteriorly", "inferiorly", "superiorly", "which", "that", "obscuring",
        "silhouetting", "extending", "containing", "measuring", "tracking", "layering", "is", "are", "the", "or",
    }
)  # fmt: skip

COPULA_THEN_SEEN = frozenset(
    {"present", "seen", "noted", "identified", "demonstrated", "visualized", "evident", "appreciated"}
)

COUNTABLE_HEADS = frozenset(
    {
        "effusion", "pneumothorax", "nodule", "mass", "opacity", "fracture", "lesion", "infiltrate",
        "density", "granuloma", "tube", "line", "catheter", "pacemaker", "wire", "device", "cavity",
        "abscess", "hydropneumothorax", "collapse", "hernia", "port", "clip", "stent",
        "drain", "defibrillator", "pacer", "cyst", "bleb", "bulla", "prosthesis", "implant",
    }
)  # fmt: skip

SWAP_LATERALITY = {"left": "right", "right": "left", "left-sided": "right-sided", "right-sided": "left-sided"}
SWAP_SEVERITY = {
    "small": "large",
    "large": "small",
    "tiny": "large",
    "mild": "severe",
    "severe": "mild",
    "mildly": "severely",
    "severely": "mildly",
    "marked": "mild",
    "markedly": "mildly",
    "massive": "small",
    "minimal": "moderate",
    "minimally": "moderately",
    "slight": "moderate",
    "slightly": "moderately",
}
"""A grade's opposite. A grade at the edge of normal ("minimal", "slight") moves one step past its
near-synonym ("mild") to the middle of the scale: "minimal atelectasis" -> "moderate atelectasis",
never the contradiction in terms "severe minimal ..."; bounding words may still refuse it."""

MIDDLE_GRADES = {
    "moderate": {"size": ("small", "large"), "intensity": ("mild", "severe")},
    "moderately": {"size": None, "intensity": ("mildly", "severely")},
}
"""A middle grade has two opposites, lower and higher; the op picks one per item by seed. An adverb
("moderately enlarged") grades intensity only."""

SIZE_GRADED_HEADS = frozenset(
    {
        "effusion", "pneumothorax", "hydropneumothorax", "hemothorax", "haemothorax", "hydrothorax",
        "nodule", "mass", "lesion", "hernia", "collection", "cavity", "granuloma", "bulla", "bleb", "cyst",
        "abscess", "fluid", "pocket",
    }
)  # fmt: skip
"""Findings graded by how big they are: "moderate effusion" -> "small" / "large" (not "mild"). Opacities
and consolidation are graded by extent and density too, and get mild / severe."""

SIZE_WORDS = frozenset({"size", "sized", "-sized", "amount", "volume", "quantity"})
"""Words right after a grade that make it a size ("moderate-sized", "a moderate amount of fluid")."""

BILATERAL_PLURAL_HEADS = frozenset(
    {
        "effusion", "pneumothorax", "hydropneumothorax", "nodule", "mass", "opacity", "density", "fracture",
        "lesion", "infiltrate", "granuloma", "cavity", "abscess", "cyst", "bleb", "bulla", "plaque",
        "calcification", "cap", "focus",
    }
)  # fmt: skip
"""Countable findings that turn plural when made bilateral ("a left effusion" -> "bilateral effusions")."""

BILATERAL_MASS_HEADS = frozenset(
    {
        "consolidation", "atelectasis", "pneumonia", "thickening", "scarring", "fibrosis", "edema", "oedema",
        "opacification", "fluid", "disease", "airspace",
    }
)  # fmt: skip
"""Uncountable findings that stay singular ("left lower lobe consolidation" -> "bilateral lower lobe
consolidation"). A head in neither list has no trusted bilateral form and keeps the side swap."""

BILATERAL_PLACES = frozenset(
    {"lobe", "base", "apex", "lung", "hemithorax", "hilum", "angle", "zone", "field"}
)
"""Places named after a side that exist on both ("in the left lower lobe" -> "in both lower lobes")."""

LUNG_PLACES = frozenset(
    {"upper", "lower", "middle", "mid", "lobe", "lobes", "lung", "lungs", "base", "bases", "basilar", "apex",
     "apical", "zone", "hemithorax", "lingula", "lingular", "perihilar"}
)  # fmt: skip
"""Where in the chest a statement places its finding ("right upper lobe", "bases")."""

PLACE_MODIFIERS = frozenset({"upper", "lower", "mid", "lung", "costophrenic", "cardiophrenic"})
"""Words between the side and the place; "middle" is absent on purpose (only the right lung has one)."""

PLURAL_VERBS = {
    "is": "are",
    "was": "were",
    "has": "have",
    "remains": "remain",
    "persists": "persist",
    "appears": "appear",
    "seems": "seem",
}
"""Singular verbs and their plural, for agreement when a finding becomes plural."""

DENIAL_EXTENT = frozenset({"scattered", "diffuse", "diffusely", "multifocal", "widespread"})
"""Extent words a denial drops ("scattered lung scarring" -> "no lung scarring"): "no diffuse opacity"
leaves a focal one possible."""
