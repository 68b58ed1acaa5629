"""negate: a present finding becomes absent ("small left effusion" -> "no pleural effusion")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cxralign.reports.records import Assertion, Mention, ReportAnalysis, Sentence
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.edits import (
    Plan,
    SentenceEdit,
    append_sentence,
    bank_statement,
    case_like,
    delete_sentence,
    finish_plan,
    group_by_sentence,
    opens_section,
    other_mentions,
    replace_sentence,
    sentence_at,
    stated_mentions,
)
from cxralign.rewrite.form import dependent_followers, sign_sentences
from cxralign.rewrite.grammar import (
    DENIAL_DROPS,
    EXISTENTIAL_RE,
    HEDGE_RE,
    SINGULAR_OF_PLURAL,
    copula_frame,
    distinct,
    join_list,
    kept_modifiers,
    kept_prefix,
    merged_mention,
    np_core,
    remove_from_sentence,
    suffix_ok,
    words_of,
)
from cxralign.rewrite.negate_checks import LUNG_WORD, denial_ok, stated_sites
from cxralign.rewrite.negate_rules import LUNG_OBSERVATIONS, REMAINDER
from cxralign.rewrite.spans import (
    lower_first,
    np_start,
    sentence_body,
    tokenize,
)
from cxralign.rewrite.words import (
    COPULA_NEGATION,
)


def _negate_copula(analysis: ReportAnalysis, sentence: Sentence, mention: Mention) -> SentenceEdit | None:
    """ "The heart is mildly enlarged." -> "The heart is not enlarged."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    tokens = tokenize(analysis.text, start, body_end)
    frame = copula_frame(tokens, mention)
    if frame is None or frame[1] is not None:
        return None
    position, _, adj = frame
    copula = tokens[position]
    replace_from = copula.start
    negated = COPULA_NEGATION.get(copula.lower)
    if negated is None:
        return None
    if copula.lower == "be":
        if position == 0 or tokens[position - 1].lower not in ("may", "might", "could", "can"):
            return None
        replace_from = tokens[position - 1].start
    if _STATE_PREDICATE.search("is " + analysis.text[tokens[adj].end : body_end].strip(" ,")):
        return None  # "The heart is mildly enlarged, stable." -> never "The heart is not enlarged, stable."
    new_body = analysis.text[start:replace_from] + negated + " " + analysis.text[tokens[adj].start : body_end]
    return replace_sentence(analysis, sentence, new_body)


def _negate_np(analysis: ReportAnalysis, sentence: Sentence, mention: Mention) -> SentenceEdit | None:
    """ "There is a small left pleural effusion." -> "There is no left pleural effusion."."""
    start, body_end, _ = sentence_body(analysis, sentence)
    np_begin = np_start(analysis, mention, start)
    lead = words_of(analysis.text[start:np_begin])
    if mention.assertion is Assertion.UNCERTAIN:
        if HEDGE_RE.match(lead):
            lead = ""
        elif lead.startswith("there ") and EXISTENTIAL_RE.match(lead):
            lead = "there are" if lead.startswith("there are") else "there is"
        elif lead:
            return None
    if lead and not EXISTENTIAL_RE.match(lead):
        return None
    if lead.startswith(("there may", "there might", "there could", "there appears", "there appear")):
        lead = "there is" if "appear " not in lead else "there are"
    if not suffix_ok(analysis, mention, body_end):
        return None
    if mention.assertion is Assertion.UNCERTAIN and re.search(
        r"\b(versus|vs|or|likely|possibly|probably|may|could|suggest\w*|concerning|represent\w*)\b",
        analysis.text[mention.end : body_end],
        re.IGNORECASE,
    ):
        return None
    # radiologists deny a finding without its side: "No pleural effusion.", not "No left pleural effusion."
    kept = [w for w in kept_modifiers(analysis, np_begin, mention.start) if w.lower() not in DENIAL_DROPS]
    rest = re.sub(
        r"\b(is|are)\s+(?:again|still|now|also)\s+", r"\1 ", analysis.text[mention.start : body_end], count=1
    )
    if _STATE_PREDICATE.search(rest) or _RELATIVE_CLAUSE.search(rest):
        return None  # "Small nodule ... is stable." -> never "No nodule ... is stable."
    rest = re.sub(r"\s*,?\s+with\b.*$", "", rest, flags=re.IGNORECASE | re.DOTALL)
    noun_phrase = " ".join([*kept, rest])
    if np_begin == start:
        noun_phrase = lower_first(noun_phrase)
    original_lead = analysis.text[start:np_begin].strip()
    if lead and words_of(original_lead) == lead:
        new_body = f"{original_lead} no {noun_phrase}"
    elif lead:
        new_body = f"{lead} no {noun_phrase}"
    else:
        new_body = f"no {noun_phrase}"
    return replace_sentence(analysis, sentence, new_body)


_STATE_PREDICATE = re.compile(
    r"\b(?:is|are|was|were|remains?|appears?)\s+(?:\w+\s+){0,2}(?:stable|unchanged|similar|improved|improving|increased|"
    r"decreased|worse|worsened|persistent|new|smaller|larger|resolving)\b",
    re.IGNORECASE,
)
"""A statement that says how the finding changed ("is stable"): no denial keeps it."""
_RELATIVE_CLAUSE = re.compile(
    r"\b(?:which|that|who|since)\b|\brepresent\w*|\bsuggest\w*|\bha(?:s|ve)\s+not\b|\b(?:better|best)\s+seen\b|"
    r"\b(?:several|multiple|numerous|few|two|three|four)\b",
    re.IGNORECASE,
)
"""A clause that says what the finding is ("opacity ... which represents callus", "better seen on the
shoulder films") or a count ("fractures of several ribs"): no denial keeps it."""


NATURAL_NEGATIVES = {
    "Cardiomegaly": (
        "heart size is normal", "the heart is normal in size", "the heart is not enlarged", "normal heart size",
    ),
    "Enlarged Cardiomediastinum": (
        "the mediastinal contours are normal", "normal mediastinal contours", "the mediastinum is not widened",
    ),
}  # fmt: skip
"""How reports deny an enlarged organ: a normality statement, rarely "No cardiomegaly." (rules phrasing)."""


def _natural_negative(target: str, ctx: RewriteContext, key: object) -> str | None:
    choices = NATURAL_NEGATIVES.get(target)
    return None if choices is None else ctx.rng("natural", key, target).choice(choices)


NORMAL_IMPRESSIONS = (
    "no acute cardiopulmonary process",
    "no acute cardiopulmonary abnormality",
    "no acute cardiopulmonary disease",
    "no acute intrathoracic process",
)
"""What an impression says when nothing is present (rules phrasing; corpus phrasing draws the corpus's own)."""


def _summary_restatements(
    analysis: ReportAnalysis, by_sentence: dict[int, list[Mention]], target: str, ctx: RewriteContext
) -> dict[int, SentenceEdit]:
    """Impression sentences that restate a finding the findings section also states, edited by omission.

    An impression summarises what is present: a radiologist who sees no effusion denies it in the
    findings and leaves it out of the impression ("IMPRESSION: No pleural effusion." is rare in
    real reports and gives the variant away). An impression emptied that way reads
    "No acute cardiopulmonary process." when nothing else in the report is stated as present, and
    keeps the negated statement otherwise.
    """
    sections = {index: sentence_at(analysis, index).section for index in by_sentence}
    summary = [i for i, section in sections.items() if section == "impression"]
    if not summary or all(section == "impression" for section in sections.values()):
        return {}
    edits: dict[int, SentenceEdit] = {}
    for index in summary:
        sentence = sentence_at(analysis, index)
        others = [
            m
            for m in other_mentions(analysis, sentence, by_sentence[index])
            if ctx.observation_of(m.concept) != target
        ]
        if others:
            edits[index] = replace_sentence(
                analysis, sentence, remove_from_sentence(analysis, sentence, by_sentence[index])
            )
        else:
            edits[index] = delete_sentence(analysis, sentence)
    impression = [s.index for s in analysis.sentences if s.section == "impression"]
    emptied = all(i in edits and edits[i].after == "" for i in impression)
    if emptied:
        present = any(
            m.assertion is not Assertion.NEGATED
            and not m.historical
            and ctx.observation_of(m.concept) != target
            for m in analysis.mentions
        )
        if present and ctx.phrases is None:
            return {}  # rules phrasing: keep the denial; corpus phrasing: an impression that restated only
            # the target has nothing left to summarise, whatever else the findings mention
        last = max(summary)
        others = {i: e for i, e in edits.items() if i != last}
        normal = ctx.normal_impression(analysis.report_id) or ctx.rng("normal", analysis.report_id).choice(
            NORMAL_IMPRESSIONS
        )
        others[last] = replace_sentence(analysis, sentence_at(analysis, last), normal)
        return others
    return edits


_LIST_LEAD = re.compile(r"(?:^|\s)(?:no|without)$")
_LIST_BREAK = re.compile(r"[;:]|\b(but|however|although|except|with)\b", re.IGNORECASE)


def _denial_hosts(analysis: ReportAnalysis, sentence: Sentence, target: str, ctx: RewriteContext, most: int):
    """(sentence, its mentions) of the same section that deny 1 to ``most`` other findings and nothing else."""
    for host in analysis.sentences:
        if host.section != sentence.section or host.index == sentence.index:
            continue
        mentions = sorted(
            (m for m in analysis.mentions if m.sentence_index == host.index), key=lambda m: m.start
        )
        if (
            mentions
            and len(mentions) <= most
            and all(m.assertion is Assertion.NEGATED and not m.historical for m in mentions)
            and all(ctx.observation_of(m.concept) not in (target, None) for m in mentions)
        ):
            yield host, mentions


def _listed_denial(
    analysis: ReportAnalysis,
    sentence: Sentence,
    in_sentence: Sequence[Mention],
    target: str,
    ctx: RewriteContext,
) -> list[SentenceEdit] | None:
    """The denial joins a list of denied findings in the same section, as often as the corpus lists it.

    "There is a small left pleural effusion. No pneumothorax or consolidation." -> "No pleural
    effusion, pneumothorax or consolidation.": the mirror of ``affirm`` taking a finding out of
    such a list, so neither op is the one that leaves lists longer or shorter.
    """
    rate = ctx.phrases.list_rate(target) if ctx.phrases is not None else None
    if (
        not rate
        or sentence.section == "impression"
        or ctx.rng("list", analysis.report_id, target).random() >= rate
    ):
        return None
    if target in NORMALITY_SUBJECTS:
        return _normality_listed(analysis, sentence, target, ctx)
    mention = merged_mention(analysis, in_sentence)
    start, _, _ = sentence_body(analysis, sentence)
    core = np_core(analysis, mention, start, keep_laterality=False)
    if not core or _LIST_BREAK.search(core):
        return None
    for host, mentions in _denial_hosts(analysis, sentence, target, ctx, most=4):
        body_start, body_end, _ = sentence_body(analysis, host)
        insert_at = np_start(analysis, mentions[0], body_start)
        if not _LIST_LEAD.search(words_of(analysis.text[body_start:insert_at])):
            continue
        if _LIST_BREAK.search(analysis.text[body_start:body_end]):
            continue
        separator = ", " if len({ctx.observation_of(m.concept) for m in mentions}) > 1 else " or "
        text = analysis.text
        body = text[body_start:insert_at] + core + separator + text[insert_at:body_end]
        return [delete_sentence(analysis, sentence), replace_sentence(analysis, host, body)]
    return None


NORMALITY_SUBJECTS = {"Cardiomegaly": "heart size", "Enlarged Cardiomediastinum": "mediastinal contours"}
"""What a normality list names for a finding denied by being normal ("Heart size and X are normal")."""
_NORMAL_PREDICATE = re.compile(
    r"\s+(?P<verb>is|are|appears?|remains?)\s+(?:normal|within normal limits|unremarkable)\b", re.IGNORECASE
)
_PLURAL_OF = {singular: plural for plural, singular in SINGULAR_OF_PLURAL.items()} | {
    p: p for p in SINGULAR_OF_PLURAL
}
"""A verb made plural (``SINGULAR_OF_PLURAL`` read backwards; a plural verb stays)."""


def _normality_listed(
    analysis: ReportAnalysis, sentence: Sentence, target: str, ctx: RewriteContext
) -> list[SentenceEdit] | None:
    """An enlarged heart or mediastinum denied inside the section's normality statement.

    "Mild cardiomegaly. Pulmonary vascularity is normal." -> "Heart size and pulmonary vascularity
    are normal.": the mirror of ``affirm`` taking the heart out of such a list.
    """
    text = analysis.text
    for host, mentions in _denial_hosts(analysis, sentence, target, ctx, most=1):
        body_start, body_end, _ = sentence_body(analysis, host)
        lead = text[body_start : mentions[0].start]
        predicate = _NORMAL_PREDICATE.match(text, mentions[0].end, body_end)
        if predicate is None or lead.strip().lower() not in ("", "the"):
            continue
        verb = predicate.group("verb")
        subject = f"{lead}{NORMALITY_SUBJECTS[target]} and {lower_first(mentions[0].text)}"
        plural = case_like(verb, _PLURAL_OF[verb.lower()])
        body = (
            subject
            + text[mentions[0].end : predicate.start("verb")]
            + plural
            + text[predicate.end("verb") : body_end]
        )
        return [delete_sentence(analysis, sentence), replace_sentence(analysis, host, body)]
    return None


_REDRAWS = 4
"""Draws of a corpus denial before negate phrases one by rules: a denial naming another site or only a
borderline grade is redrawn, so the variants keep the corpus's phrasing where one fits."""


def _fitting_denial(
    ctx: RewriteContext, analysis: ReportAnalysis, target: str, sentence: Sentence, opening: bool, first: Mention
) -> str | None:
    """A corpus denial that names no other site and no borderline grade ("No clavicle fracture" for a rib
    fracture, "upper limits of normal"), drawn up to ``_REDRAWS`` times; None: rules phrase the denial."""
    allowed = stated_sites(analysis, target, ctx)
    for attempt in range(_REDRAWS):
        key = analysis.report_id if attempt == 0 else (analysis.report_id, "redraw", attempt)
        bank = bank_statement(ctx, analysis, target, False, key, sentence.section, opening, mention=first)
        if bank is None or denial_ok(bank, allowed):
            return bank
    return None


def propose_negate(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    change = stated_mentions(analysis, target, ctx)
    edits: list[SentenceEdit] = []
    by_sentence = group_by_sentence(change)
    summarised = _summary_restatements(analysis, by_sentence, target, ctx)
    denied_in: set[str | None] = set()  # sections whose denial is written: a finding is denied once
    for index, in_sentence in by_sentence.items():
        sentence = sentence_at(analysis, index)
        others = other_mentions(analysis, sentence, in_sentence)
        same_concept_negated = [m for m in others if ctx.observation_of(m.concept) == target]
        others = [m for m in others if ctx.observation_of(m.concept) != target]
        first = in_sentence[0]
        if index in summarised:
            edits.append(summarised[index])
            continue
        opening = opens_section(analysis, sentence) if not others else False
        bank = _fitting_denial(ctx, analysis, target, sentence, opening, first)
        if sentence.section in denied_in:
            # a second statement of the finding in one section ("healing fracture of the 8th rib"): a
            # second denial would read as a copy ("No collapse. No atelectasis."); the first covers it
            edits.append(
                replace_sentence(analysis, sentence, remove_from_sentence(analysis, sentence, in_sentence))
                if others
                else delete_sentence(analysis, sentence)
            )
            continue
        denied_in.add(sentence.section)
        prefix = kept_prefix(analysis, sentence, in_sentence) if not others else None
        if prefix is not None:
            start, _, _ = sentence_body(analysis, sentence)
            statement = (
                bank
                or _natural_negative(target, ctx, analysis.report_id)
                or "no " + np_core(analysis, first, start, keep_laterality=False)
            )
            edits.append(replace_sentence(analysis, sentence, prefix))
            edits.append(append_sentence(analysis, sentence, statement))
            continue
        listed = _listed_denial(analysis, sentence, in_sentence, target, ctx) if bank and not others else None
        if listed is not None:
            edits.extend(listed)
        elif bank is not None and not others:
            edits.append(replace_sentence(analysis, sentence, bank))
        elif not others and len(in_sentence) == 1 and not same_concept_negated:
            edit = _negate_copula(analysis, sentence, first)
            natural = _natural_negative(target, ctx, analysis.report_id)
            if edit is None and natural is not None:
                edit = replace_sentence(analysis, sentence, natural)
            edit = edit or _negate_np(analysis, sentence, first)
            if edit is None:
                start, _, _ = sentence_body(analysis, sentence)
                edit = replace_sentence(
                    analysis, sentence, "no " + np_core(analysis, first, start, keep_laterality=False)
                )
            edits.append(edit)
        elif not others:
            start, _, _ = sentence_body(analysis, sentence)
            merged = merged_mention(analysis, in_sentence)
            if merged is not first:
                cores = [np_core(analysis, merged, start, keep_laterality=False)]
            else:
                cores = distinct(np_core(analysis, m, start, keep_laterality=False) for m in in_sentence)
            edits.append(replace_sentence(analysis, sentence, "no " + join_list(cores, "or")))
        else:
            start, _, _ = sentence_body(analysis, sentence)
            remaining = remove_from_sentence(analysis, sentence, in_sentence)
            edits.append(replace_sentence(analysis, sentence, remaining))
            statement = (
                bank
                or _natural_negative(target, ctx, analysis.report_id)
                or "no " + np_core(analysis, first, start, keep_laterality=False)
            )
            edits.append(append_sentence(analysis, sentence, statement))
    alone = {
        index
        for index, in_sentence in by_sentence.items()
        if not _others_of(analysis, index, in_sentence, target, ctx)
    }
    edited = {e.sentence.index for e in edits}
    for sign in sign_sentences(analysis, target, ctx):
        if sign.index not in edited:  # "Mediastinal shift to the left." goes with the pneumothorax
            edited.add(sign.index)
            edits.append(delete_sentence(analysis, sign))
    for follower in dependent_followers(analysis, alone):
        if follower.index not in edited:  # "These were not present on the prior study." goes with the finding
            edits.append(delete_sentence(analysis, follower))
    edits = _refilled_impression(analysis, edits, target, ctx)
    return finish_plan(analysis, edits + _otherwise_dropped(analysis, edits, target, ctx), change[0].concept)


_OPENING_OTHERWISE = re.compile(r"^(?P<number>\(?\d{1,2}[.)]\s+)?otherwise,?\s+", re.IGNORECASE)
_INNER_OTHERWISE = re.compile(r"(?<=[a-z])\s+otherwise\s+", re.IGNORECASE)


def _otherwise_dropped(
    analysis: ReportAnalysis, edits: list[SentenceEdit], target: str, ctx: RewriteContext
) -> list[SentenceEdit]:
    """ "The lungs are otherwise clear." -> "The lungs are clear." where the denial leaves its section
    no other finding to contrast with (``rules.OTHERWISE``); a comma-bound "otherwise" is left for the
    verifier to refuse."""
    edited = {e.sentence.index for e in edits if not e.added}
    removed = {e.sentence.index for e in edits if not e.added and not e.after.strip()}
    sections = {sentence_at(analysis, i).section for i in edited}
    kept = [
        m
        for m in analysis.mentions
        if m.assertion is not Assertion.NEGATED
        and not m.implied
        and m.sentence_index not in removed
        and ctx.observation_of(m.concept) != target
    ]
    dropped = []
    for sentence in analysis.sentences:
        start, body_end, _ = sentence_body(analysis, sentence)
        body = analysis.text[start:body_end]
        lungs = LUNG_WORD.search(body) is not None
        contrasted = any(
            m.section == sentence.section and (not lungs or ctx.observation_of(m.concept) in LUNG_OBSERVATIONS)
            for m in kept
        )
        if sentence.index in edited or sentence.section not in sections or contrasted:
            continue
        opening = _OPENING_OTHERWISE.match(body)
        remainder = REMAINDER.match(body)
        if remainder:
            new_body = "The " + body[remainder.end() :]
        elif opening:
            rest = body[opening.end() :]
            new_body = (opening.group("number") or "") + rest[:1].upper() + rest[1:]
        elif _INNER_OTHERWISE.search(body):
            new_body = _INNER_OTHERWISE.sub(" ", body, count=1)
        else:
            continue
        dropped.append(replace_sentence(analysis, sentence, new_body))
    return dropped


def _refilled_impression(
    analysis: ReportAnalysis, edits: list[SentenceEdit], target: str, ctx: RewriteContext
) -> list[SentenceEdit]:
    """An impression the edits empty (its restatement of the finding gone, and the follow-on
    sentences or signs that went with it) says "No acute cardiopulmonary process." instead, when
    nothing else the report keeps is stated present; otherwise the edits stand (and the verifier
    refuses the headed section left empty)."""
    impression = sorted(
        (s for s in analysis.sentences if s.section == "impression"), key=lambda s: s.start
    )
    removed = {e.sentence.index for e in edits if not e.added and not e.after.strip()}
    if not impression or not {s.index for s in impression} <= removed:
        return edits
    if any(e.added and e.sentence.section == "impression" for e in edits):
        return edits
    present = any(
        m.assertion is not Assertion.NEGATED
        and not m.historical
        and m.sentence_index not in removed
        and ctx.observation_of(m.concept) not in (target, None)
        for m in analysis.mentions
    )
    if present:
        return edits
    first = impression[0]
    normal = ctx.normal_impression(analysis.report_id) or ctx.rng("normal", analysis.report_id).choice(
        NORMAL_IMPRESSIONS
    )
    return [e for e in edits if e.sentence.index != first.index] + [replace_sentence(analysis, first, normal)]


def _others_of(
    analysis: ReportAnalysis, index: int, in_sentence: list[Mention], target: str, ctx: RewriteContext
) -> list[Mention]:
    return [
        m
        for m in other_mentions(analysis, sentence_at(analysis, index), in_sentence)
        if ctx.observation_of(m.concept) != target
    ]
