"""omit: statements about the finding are removed; other findings in the same sentence stay."""

from __future__ import annotations

import re

from cxralign.reports.records import ReportAnalysis
from cxralign.rewrite.context import RewriteContext
from cxralign.rewrite.edits import (
    Plan,
    RewriteFailed,
    SentenceEdit,
    delete_sentence,
    finish_plan,
    group_by_sentence,
    other_mentions,
    replace_sentence,
    sentence_at,
    stated_mentions,
    target_mentions,
)
from cxralign.rewrite.form import dependent_followers, only_sign, sentence_text, sign_sentences
from cxralign.rewrite.grammar import (
    kept_prefix,
    remove_from_sentence,
)
from cxralign.rewrite.omit_rules import (
    DEVICE_FRACTURE,
    DEVICE_FRACTURE_REFUSAL,
    LIMITED_EVALUATION,
    LIMITED_ONLY,
    OTHERWISE,
    attached_attributes,
    contrast_left,
    cut_aside,
    normal_tail,
    sign_spans,
    subjectless_followers,
)
from cxralign.rewrite.records import Change
from cxralign.rewrite.rules import NOTHING_ACUTE
from cxralign.rewrite.spans import sentence_body


def propose_omit(analysis: ReportAnalysis, target: str, ctx: RewriteContext) -> Plan:
    stated = stated_mentions(analysis, target, ctx)
    if target == "Fracture" and any(
        DEVICE_FRACTURE.search(sentence_text(analysis, m.sentence_index)) for m in stated
    ):
        raise RewriteFailed(DEVICE_FRACTURE_REFUSAL)
    if all(LIMITED_EVALUATION.search(sentence_text(analysis, m.sentence_index)) for m in stated):
        raise RewriteFailed(LIMITED_ONLY)
    attached = attached_attributes(analysis, target, ctx)  # "calcified" of "calcified nodule" goes with it
    mentions = sorted(target_mentions(analysis, target, ctx) + attached, key=lambda m: m.start)
    edits: list[SentenceEdit] = []
    deleted: set[int] = set()
    for index, in_sentence in group_by_sentence(mentions).items():
        sentence = sentence_at(analysis, index)
        others = [
            m
            for m in other_mentions(analysis, sentence, in_sentence)
            if ctx.observation_of(m.concept) != target and all(m is not a for a in attached)
        ]
        aside = cut_aside(analysis, *sentence_body(analysis, sentence)[:2], in_sentence, target)
        if aside is not None:  # "views of the chest with overlying monitor leads show ...": the aside goes
            edits.append(replace_sentence(analysis, sentence, aside))
            continue
        remaining = (
            remove_from_sentence(analysis, sentence, in_sentence)
            if others
            else kept_prefix(analysis, sentence, in_sentence) or ""
        )
        if remaining.strip() and only_sign(analysis, remaining, target, ctx):
            remaining = ""
        tail = normal_tail(analysis, *sentence_body(analysis, sentence)[:2], in_sentence, target, ctx)
        # "Fibrosis without acute infiltrate" leaves "No acute infiltrate" (not "Without ..."); "Cardiomegaly,
        # no acute findings" keeps its second half as a sentence
        if tail and _words(remaining) and _words(remaining) in _words(tail[1]):
            remaining = tail[0]
        elif tail and not NOTHING_ACUTE.search(remaining):
            remaining = f"{remaining.strip().rstrip(',;.')}. {tail[0]}" if remaining.strip() else tail[0]
        if remaining.strip():
            edits.append(replace_sentence(analysis, sentence, remaining))
        else:
            deleted.add(index)
            edits.append(delete_sentence(analysis, sentence))
    signs = sign_spans(analysis, target, ctx)
    for sign in sign_sentences(analysis, target, ctx):
        if sign.index not in deleted and all(e.sentence.index != sign.index for e in edits):
            body = sentence_body(analysis, sign)[:2]
            tail = normal_tail(analysis, *body, signs.get(sign.index, []), target, ctx)
            if tail:  # "Postsurgical changes of sternotomy without acute abnormality." keeps its second half
                edits.append(replace_sentence(analysis, sign, tail[0]))
                continue
            deleted.add(sign.index)
            edits.append(delete_sentence(analysis, sign))
    followers = dependent_followers(analysis, deleted) + subjectless_followers(analysis, deleted)
    while followers:
        for follower in followers:
            deleted.add(follower.index)
            edits.append(delete_sentence(analysis, follower))
        followers = dependent_followers(analysis, deleted) + subjectless_followers(analysis, deleted)
        followers = [f for f in followers if f.index not in deleted]
    for sentence, _ in contrast_left(analysis, deleted, target, ctx):  # "Lungs are otherwise clear."
        if any(e.sentence.index == sentence.index for e in edits):
            continue
        start, body_end, _end = sentence_body(analysis, sentence)
        edits.append(
            replace_sentence(analysis, sentence, OTHERWISE.sub("", analysis.text[start:body_end], count=1))
        )
    edits = _drop_emptied_sections(analysis, edits, deleted)
    plan = finish_plan(analysis, edits, stated[0].concept)
    plan.changes = [_without_trailing_space(analysis.text, c) for c in plan.changes]
    return plan


def _without_trailing_space(text: str, change: Change) -> Change:
    """A deletion that ends the report takes the space before it ("... normal. " would end the variant)."""
    rest = text[change.end :]
    if change.after or rest.strip() and not re.fullmatch(r"\s+\.[\s.]*", rest):
        return (
            change  # (a lone " ." the corpus ends a section with goes too, never the edited sentence's stop)
        )
    start, end = change.start, len(text)
    while start > 0 and text[start - 1] in " \t\n":
        start -= 1
    return Change(start, end, text[start:end], "", change.sentence_index)


def _drop_emptied_sections(
    analysis: ReportAnalysis, edits: list[SentenceEdit], deleted: set[int]
) -> list[SentenceEdit]:
    """A section whose every sentence was removed loses its header too (no dangling "IMPRESSION:")."""
    result = list(edits)
    for section in analysis.sections:
        if not section.title:
            continue
        inside = [s for s in analysis.sentences if section.start <= s.start < section.end]
        if not inside or any(s.index not in deleted for s in inside):
            continue
        title_at = analysis.text.rfind(section.title, 0, section.start + 1)
        start = title_at if title_at >= 0 else section.start
        end = max(s.end for s in inside)
        while start > 0 and analysis.text[start - 1] in " \t\n":
            start -= 1
        if start == 0:
            while end < len(analysis.text) and analysis.text[end] in " \t\n":
                end += 1
        result = [e for e in result if not (section.start <= e.sentence.start < section.end)]
        result.append(SentenceEdit(inside[0], start, end, ""))
    return result


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
