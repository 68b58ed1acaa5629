"""``--strip-comparisons``: remove temporal and comparison language, as the original release did.

Negative statements stay ("No pneumothorax." is kept); statements that only
compare with a prior study ("No significant interval change.") go.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

_PRIOR = r"(?:the\s+)?(?:prior|previous|preceding|last|recent|earlier|most\s+recent)(?:\s+\w+){0,3}?(?:\s+(?:study|exam|examination|radiograph|film|image|images|chest\s+x-ray|x-ray|cxr|ct))?(?:\s+(?:from|of|dated|on)\s+[\w/:.-]+(?:\s+\w+)?)?"

_SENTENCE_DROPS = [
    re.compile(p, _FLAGS)
    for p in (
        rf"^(?:there\s+(?:is|has\s+been)\s+)?no\s+(?:significant\s+|appreciable\s+|substantial\s+|major\s+|definite\s+)?(?:interval\s+)?change(?:s)?(?:\s+(?:from|since|compared\s+(?:to|with))\s+{_PRIOR})?$",
        r"^(?:otherwise\s+)?(?:overall\s+)?(?:unchanged|stable|similar|grossly\s+stable|grossly\s+unchanged|essentially\s+unchanged|little\s+changed)(?:\s+(?:appearance|exam|examination|study|radiograph|findings))?(?:\s+(?:of|from|compared|since|to|with)\b[^.]*)?$",
        r"^(?:the\s+)?(?:findings|appearance|exam|examination|chest)\s+(?:is|are|remains?|appears?)\s+(?:unchanged|stable|similar)\b[^.]*$",
        r"^comparison\s*(?:is\s+made\s+)?(?:to|with)?\b[^.]*$",
        r"^(?:as\s+)?compared\s+(?:to|with)\b[^,]*$",
    )
]
_REMOVALS = [
    (re.compile(p, _FLAGS), r)
    for p, r in (
        (
            r"^(?:there\s+(?:is|has\s+been)\s+)?no\s+(?:significant\s+|appreciable\s+|interval\s+)*change\s+in\s+(?:the\s+)?",
            "",
        ),
        (
            rf"\b(is|are)\s+(?:unchanged|stable|similar|not\s+significantly\s+changed|grossly\s+(?:unchanged|stable))(?:\s+in\s+(?:size|appearance|extent))?(?:\s+(?:from|since|compared\s+(?:to|with)|relative\s+to)\s+{_PRIOR})?\s*$",
            r"\1 present",
        ),
        (
            rf"\s+(?:has|have)\s+(?:slightly\s+|mildly\s+|significantly\s+)?(?:improved|worsened|increased|decreased|progressed|enlarged)(?:\s+in\s+(?:size|appearance|extent|severity))?(?:\s+(?:from|since|compared\s+(?:to|with)|relative\s+to)\s+{_PRIOR})?\s*$",
            " is present",
        ),
        (r"\bremains\b", "is"),
        (r"\bremain\b", "are"),
        (rf"^(?:as\s+)?(?:compared|in\s+comparison)\s+(?:to|with)\s+{_PRIOR}\s*,?\s*", ""),
        (rf"^since\s+{_PRIOR}\s*,?\s*", ""),
        (
            r"^(?:again|re-?demonstrated|once\s+again)\s+(?:seen|noted|demonstrated|identified)\s+(?:is|are)\s+",
            "__EXIST__",
        ),
        (
            rf",?\s*(?:which\s+(?:is|are|has|have)\s+)?(?:unchanged|stable|similar|not\s+significantly\s+changed|slightly\s+(?:increased|decreased|improved|worsened)|(?:increased|decreased|improved|worsened|progressed)|grossly\s+(?:unchanged|stable))(?:\s+in\s+(?:size|appearance|extent|severity))?(?:\s+(?:from|since|compared\s+(?:to|with)|relative\s+to|to)\s+{_PRIOR})?\s*$",
            "",
        ),
        (
            rf"\s*,?\s*(?:(?:as\s+)?compared\s+(?:to|with)|since|from|relative\s+to|when\s+compared\s+to)\s+{_PRIOR}\s*$",
            "",
        ),
        (
            r"\b(?:is|are)\s+(?:again|once\s+again|still|re-?demonstrated)\s+(seen|noted|demonstrated|identified|present)\b",
            r"is \1",
        ),
        (r"\b(?:again|once\s+again)\s+(seen|noted|demonstrated|identified)\b", r"\1"),
        (r"\bre-?demonstrat(?:ed|ion of)\b", "seen"),
        (
            r"\b(?:new|newly\s+developed|unchanged|stable|persistent|persisting|increased|increasing|decreased|decreasing|improved|improving|worsened|worsening|recurrent|redemonstrated|interval|enlarging|progressive|again\s+seen)\s+(?=(?:and\s+)?[a-z])",
            "",
        ),
        (r"\s+(?:persists|persist|remains?\s+(?:unchanged|stable))\b", " is present"),
    )
]
_SENTENCE = re.compile(r"[^.\n]+(?:\.|$)")


def _strip_sentence(sentence: str) -> str:
    core = sentence.strip()
    if not core:
        return sentence
    end = "." if core.endswith(".") else ""
    body = core[:-1].strip() if end else core
    if any(p.match(body) for p in _SENTENCE_DROPS):
        return ""
    for pattern, replacement in _REMOVALS:
        if replacement == "__EXIST__":
            match = pattern.match(body)
            if match:
                rest = body[match.end() :]
                verb = "are" if re.search(r"\b\w+s\b", rest.split(" ")[-1]) else "is"
                body = f"There {verb} {rest}"
            continue
        body = pattern.sub(replacement, body).strip()
    body = re.sub(r"\s{2,}", " ", body).strip(" ,;")
    if not body or len(re.findall(r"[A-Za-z]+", body)) == 0:
        return ""
    body = body[0].upper() + body[1:]
    leading = sentence[: len(sentence) - len(sentence.lstrip())]
    return f"{leading}{body}{end}"


def strip_comparisons(text: str) -> str:
    """Rewrite a report without comparison language; negative findings are kept as written."""
    lines = []
    for line in text.split("\n"):
        header = re.match(r"^(\s*[A-Z][A-Z /]+:\s*)", line)
        prefix = header.group(1) if header else ""
        if prefix.strip().upper().startswith("COMPARISON"):
            continue
        rest = line[len(prefix) :]
        pieces = [_strip_sentence(match.group()) for match in _SENTENCE.finditer(rest)]
        joined = " ".join(p.strip() for p in pieces if p.strip())
        lines.append(f"{prefix}{joined}" if joined or not prefix else prefix.rstrip())
    return "\n".join(lines)
