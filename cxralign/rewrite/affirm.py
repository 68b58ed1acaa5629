"""affirm: an explicitly absent finding becomes present, with plausible size and side."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite import edits as core
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.grammar import (
    NEG_LEAD_RE,
    agree,
    copula_frame,
    head_phrase,
    kept_modifiers,
    merged_mention,
    remove_from_sentence,
    suffix_ok,
    words_of,
)
from cxralign.rewrite.phrases import NORMAL_SUMMARY, details
from cxralign.rewrite.spans import (
    capitalize_first,
    is_plural,
    lower_first,
    np_start,
    sentence_body,
    singular,
    tokenize,
    with_article,
)
from cxralign.rewrite.statement_rules import GRADE_ONLY, GRADE_ONLY_DENIAL, STILL_DENIED_BY
from cxralign.rewrite.words import (
    COPULA_THEN_SEEN,
    COUNTABLE_HEADS,
    LATERALITY,
    THIRD_PERSON,
)

SIZED = {
    "Pleural Effusion": "small",
    "Pneumothorax": "small",
    "Lung Lesion": "small",
    "Cardiomegaly": "mild",
    "Edema": "mild",
    "Atelectasis": "mild",
    "Enlarged Cardiomediastinum": "mild",
    "Pleural Other": "mild",
}
LATERAL = frozenset(
    {
        "Pleural Effusion", "Pneumothorax", "Lung Lesion", "Consolidation", "Lung Opacity", "Pneumonia",
        "Atelectasis", "Fracture", "Pleural Other",
    }
)  # fmt: skip


_SEEN_SUFFIX_RE = re.compile(
    r"^\s+(is|are|was|were)\s+(?P<not>not\s+)(?:(?:again|definitely|clearly|currently)\s+)?(?P<verb>\w+)"
)


_ANATOMICAL = frozenset(
    {
        "pulmonary", "lung", "rib", "airspace", "air-space", "pleural", "interstitial", "alveolar", "lobar",
        "vascular", "cardiac", "mediastinal", "osseous", "basilar", "basal", "lobe", "upper", "lower", "middle",
        "apical", "perihilar", "hilar", "retrocardiac", "lingular", "clavicle", "clavicular", "vertebral",
    }
)  # fmt: skip
_SIDE_PLACES = {"Consolidation": "lower lobe", "Lung Opacity": "lower lobe", "Pneumonia": "lower lobe",
                "Atelectasis": "basilar", "Lung Lesion": "upper lobe", "Fracture": "rib"}  # fmt: skip


def _affirm_attributes(
    target: str, head: str, kept: Sequence[str], plural: bool, ctx: RewriteContext, key: str
) -> tuple[list[str], list[str]]:
    """(size words, side words) that make an affirmed finding specific and plausible."""
    size = [SIZED[target]] if target in SIZED else []
    words = {w.lower() for w in [*kept, *head.split()]}
    side: list[str] = []
    if target in LATERAL and not words & LATERALITY:
        side.append("bilateral" if plural else ctx.rng(key, target).choice(("left", "right")))
        place = _SIDE_PLACES.get(target)
        if (
            place
            and not words & set(place.split())
            and not words & {"lobe", "base", "basilar", "apex", "apical"}
        ):
            side.append(place)
    return size, side


def _positive_np(
    analysis: ReportAnalysis,
    mention: Mention,
    kept: Sequence[str],
    target: str,
    ctx: RewriteContext,
    key: str,
) -> tuple[str, bool, bool]:
    """(noun phrase, plural, countable) of the affirmed finding: size, descriptors, side, head."""
    head = head_phrase(analysis, mention)
    last = head.split()[-1].lower() if head.split() else ""
    plural = is_plural(last)
    countable = last in COUNTABLE_HEADS or singular(last) in COUNTABLE_HEADS
    size, side = _affirm_attributes(target, head, kept, plural, ctx, key)
    quality = [w for w in kept if w.lower() not in _ANATOMICAL]
    anatomy = [w for w in kept if w.lower() in _ANATOMICAL]
    if len(head.split()) > 1 or anatomy:
        side = side[:1]
    return " ".join([*size, *quality, *side, *anatomy, head]), plural, countable


def _affirm_copula(
    analysis: ReportAnalysis, sentence: Sentence, mention: Mention, target: str
) -> core.SentenceEdit | None:
    """ "The heart is not enlarged." -> "The heart is mildly enlarged."; "Heart size is normal." likewise."""
    start, body_end, _ = sentence_body(analysis, sentence)
    tokens = tokenize(analysis.text, start, body_end)
    adverb = "mildly " if target in SIZED else ""
    frame = copula_frame(tokens, mention)
    if frame is not None:
        position, negation, adj = frame
        if negation is None:
            return None
        copula = tokens[position]
        if copula.lower in ("does", "do"):
            verb = tokens[negation + 1].lower
            verb = THIRD_PERSON[verb] if copula.lower == "does" else verb
            head = analysis.text[start : copula.start] + f"{verb} "
        else:
            head = analysis.text[start : tokens[negation].start]
        return core.replace_sentence(
            analysis, sentence, head + adverb + analysis.text[tokens[adj].start : body_end]
        )
    if target not in ("Cardiomegaly", "Enlarged Cardiomediastinum"):
        return None
    after = analysis.text[mention.end : body_end]
    match = re.match(
        r"^(\s+(?:is|are|appears|remains)\s+)(normal(?: in size)?|within normal limits|unremarkable|not enlarged)\s*$",
        after,
        re.IGNORECASE,
    )
    if not match:
        return None
    verb = match.group(1)
    verb = " is " if verb.strip().lower() == "remains" else verb
    return core.replace_sentence(
        analysis, sentence, analysis.text[start : mention.end] + verb + "mildly enlarged"
    )


def _affirm_np(
    analysis: ReportAnalysis, sentence: Sentence, mention: Mention, target: str, ctx: RewriteContext, key: str
) -> core.SentenceEdit | None:
    """ "No pneumothorax." -> "Small right pneumothorax."; "There is no effusion." -> "There is a small left effusion."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, start)
    lead = words_of(analysis.text[start:np_begin])
    suffix = analysis.text[mention.end : body_end]
    seen = _SEEN_SUFFIX_RE.match(suffix)
    if lead:
        match = NEG_LEAD_RE.match(lead)
        if not match:
            return None
        pre = match.group("pre") or ""
    elif seen and seen.group("verb").lower() in COPULA_THEN_SEEN:
        pre = ""
        suffix = suffix[: seen.start("not")] + suffix[seen.end("not") :]
    else:
        return None
    if not suffix_ok(analysis, mention, body_end) and not seen:
        return None
    if re.search(r"\b(no|not|without)\b", suffix, re.IGNORECASE):
        return None
    kept = [lower_first(word) for word in kept_modifiers(analysis, np_begin, mention.start)]
    phrase, plural, countable = _positive_np(analysis, mention, kept, target, ctx, key)
    if phrase.split()[-1] != mention.text.split()[-1] and head_phrase(analysis, mention) != lower_first(
        mention.text
    ):
        return None
    verb_follows = bool(re.match(r"^\s+(is|are|was|were)\b", suffix, re.IGNORECASE))
    if pre:
        pre = agree(pre, plural)
        body = f"{pre} {with_article(phrase) if countable and not plural else phrase}"
    elif verb_follows and countable and not plural:
        body = with_article(phrase)
    else:
        body = phrase
    suffix = re.sub(
        r"^(\s+)(is|are)\b", lambda m: m.group(1) + ("are" if plural else "is"), suffix, flags=re.IGNORECASE
    )
    return core.replace_sentence(analysis, sentence, body + suffix)


def _affirmed_sentence(
    analysis: ReportAnalysis, mention: Mention, target: str, ctx: RewriteContext, key: str
) -> str:
    phrase, plural, countable = _positive_np(analysis, mention, [], target, ctx, key)
    if plural:
        return f"there are {phrase}"
    return f"there is {with_article(phrase) if countable else phrase}"


def propose_affirm(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> core.Plan:
    mentions = [m for m in core.target_mentions(analysis, target, ctx) if not m.historical]
    if not mentions or any(m.assertion is not Assertion.NEGATED for m in mentions):
        raise core.RewriteFailed("target not explicitly negated")
    if any(_grade_only(analysis, m) for m in mentions):
        raise core.RewriteFailed(GRADE_ONLY)
    implied = STILL_DENIED_BY.get(target)
    if implied is not None and implied[1].search(analysis.text):
        raise core.RewriteFailed(f"the report still denies {implied[0]}, which the finding implies")
    key = analysis.report_id or analysis.text[:64]
    edits: list[core.SentenceEdit] = []
    stated_in: set[str | None] = set()  # sections whose affirmed statement is written
    # the first corpus statement: another section's restates it, never contradicts it
    written: str | None = None
    for index, in_sentence in core.group_by_sentence(mentions).items():
        sentence = core.sentence_at(analysis, index)
        others = [
            m
            for m in core.other_mentions(analysis, sentence, in_sentence)
            if ctx.observation_of(m.concept) != target
        ]
        first = in_sentence[0]
        opening = core.opens_section(analysis, sentence) if not others else False
        within = None if written is None else details(written)
        bank = core.bank_statement(ctx, analysis, target, True, key, sentence.section, opening, within, first)
        if bank is None and written is not None:
            bank = _restatement(written)
        written = written or bank
        if bank is not None and sentence.section in stated_in:
            # a second denial in one section: the statement already written affirms it once
            remaining = remove_from_sentence(analysis, sentence, in_sentence) if others else ""
            edits.append(
                core.replace_sentence(analysis, sentence, remaining)
                if remaining.strip()
                else core.delete_sentence(analysis, sentence)
            )
            continue
        if bank is not None:
            stated_in.add(sentence.section)
            if others:
                remaining = remove_from_sentence(analysis, sentence, in_sentence)
                edits.append(core.replace_sentence(analysis, sentence, remaining))
                edits.append(core.append_sentence(analysis, sentence, bank))
            else:
                edits.append(core.replace_sentence(analysis, sentence, bank))
        elif not others and len(in_sentence) == 1:
            edit = _affirm_copula(analysis, sentence, first, target) or _affirm_np(
                analysis, sentence, first, target, ctx, key
            )
            edits.append(
                edit
                or core.replace_sentence(
                    analysis, sentence, _affirmed_sentence(analysis, first, target, ctx, key)
                )
            )
        elif not others:
            merged = merged_mention(analysis, in_sentence)
            edits.append(
                core.replace_sentence(
                    analysis, sentence, _affirmed_sentence(analysis, merged, target, ctx, key)
                )
            )
        else:
            remaining = remove_from_sentence(analysis, sentence, in_sentence)
            edits.append(core.replace_sentence(analysis, sentence, remaining))
            edits.append(
                core.append_sentence(
                    analysis, sentence, _affirmed_sentence(analysis, first, target, ctx, key)
                )
            )
    summary = _summarise_affirmed(analysis, mentions, edits[-1], target, ctx, key)
    plan = core.finish_plan(analysis, edits + ([summary] if summary else []), mentions[0].concept)
    plan.added_sentence = any(e.added for e in edits)  # location follows the statement, not its summary
    return plan


def _grade_only(analysis: ReportAnalysis, mention: Mention) -> bool:
    """Whether the denial before the mention denies a grade of it only ("No large pleural effusion"):
    a grade word after the last denial cue, with no other finding between it and the mention."""
    sentence = core.sentence_at(analysis, mention.sentence_index)
    lead = analysis.text[sentence.start : mention.start]
    cues = list(re.finditer(r"\b(?:no|not|without|negative\s+for)\b", lead, re.IGNORECASE))
    if not cues:
        return False
    after_cue = sentence.start + cues[-1].end()
    for grade in GRADE_ONLY_DENIAL.finditer(analysis.text, after_cue, mention.start):
        if not any(
            grade.end() <= other.start < mention.start for other in analysis.mentions if other is not mention
        ):
            return True
    return False


def _restatement(statement: str) -> str:
    """A statement as a summary restates it: "There is a small right effusion." -> "Small right effusion"."""
    body = re.sub(r"^there (is|are)\s+(an?\s+)?", "", statement.strip(" ."), flags=re.IGNORECASE)
    return capitalize_first(body) if body else body


def _summarise_affirmed(
    analysis: ReportAnalysis,
    mentions: Sequence[Mention],
    last: core.SentenceEdit,
    target: str,
    ctx: RewriteContext,
    key: str,
) -> core.SentenceEdit | None:
    """The impression names a finding the variant affirms in the findings, as a real report's would.

    Mirror of ``_summary_restatements``: a normal impression ("No acute cardiopulmonary process.")
    becomes the affirmed statement; an impression that lists other findings gains it at its end.
    With a phrase bank both happen as often as in the corpus's own reports that state the
    finding (an impression keeps saying "nothing acute" beside a chronic finding far more often
    than beside an effusion), and the statement is one the corpus writes in impressions.
    """
    impression = [s for s in analysis.sentences if s.section == "impression"]
    if not impression or any(
        core.sentence_at(analysis, m.sentence_index).section == "impression" for m in mentions
    ):
        return None
    statement = _restatement(last.after)
    if not statement or statement.count(".") or len(impression) > 4:
        return None
    with_mentions = {m.sentence_index for m in analysis.mentions}
    normal = (
        len(impression) == 1
        and impression[0].index not in with_mentions
        and NORMAL_SUMMARY.match(analysis.text[impression[0].start : impression[0].end])
    )
    if ctx.phrases is not None:
        if normal:
            alone = not any(
                m.assertion is Assertion.POSITIVE
                and not m.historical
                and ctx.observation_of(m.concept) != target
                for m in analysis.mentions
            )
            rate = ctx.phrases.keep_normal_rate(target, alone)
        else:
            rate = ctx.phrases.restate_rate(target)
        roll = ctx.rng("summary", key, target).random()
        if rate is not None and (roll < rate if normal else roll >= rate):
            return None
        # the impression restates the findings' statement: never another side, place, size or measure
        within = details(last.after)
        statement = (
            core.bank_statement(ctx, analysis, target, True, key, "impression", None, within, mentions[0])
            or statement
        )
    if normal:
        return core.replace_sentence(analysis, impression[0], statement)
    return core.append_sentence(analysis, impression[-1], statement)
