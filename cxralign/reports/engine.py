"""The report engine: text -> sections -> sentences -> mentions with assertion and attributes.

The hot path is a handful of precompiled regular expressions per sentence and plain Python rule
logic, no statistical model: that is what runs at thousands of reports per second on one core.
Every sentence is read on its own (no pattern, cue or scope reaches into a neighbour), so what the
engine finds in a sentence depends on its text alone and a repeated sentence is read once (memo.py).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

from cxralign.errors import ConfigError
from cxralign.reports.assertion import decide, find_cues
from cxralign.reports.attributes import SentenceModifiers
from cxralign.reports.labels import aggregate_labels
from cxralign.reports.lexicon import Lexicon, load_lexicon
from cxralign.reports.memo import MEMO_SENTENCES, BoundedCache, Found, SentenceMemo
from cxralign.reports.records import (
    Assertion,
    Cue,
    Mention,
    ReportAnalysis,
    Section,
    Sentence,
    make_analysis,
    make_cue,
    make_mention,
    make_sentence,
)
from cxralign.reports.sections import select_sections, split_sections
from cxralign.reports.sentences import CONTEXT as SPLIT_CONTEXT
from cxralign.reports.sentences import section_spans, split_sentences


def _lower(text: str) -> str:
    """Lower-cased text with the same length (so offsets stay valid for any Unicode input)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _parse_sections(sections: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if sections is None:
        return None
    if isinstance(sections, str):
        sections = sections.split(",")
    parsed = tuple(s.strip().lower() for s in sections if s.strip())
    if not parsed:
        raise ConfigError("--sections needs at least one section name, e.g. findings,impression")
    return parsed


class Engine:
    """A configured report reader: one lexicon, one choice of sections.

    >>> engine = Engine()
    >>> engine.report_labels(engine.analyze("No pleural effusion."))["Pleural Effusion"]
    0.0
    """

    def __init__(
        self,
        lexicon: Lexicon | str | Path | None = None,
        sections: str | Iterable[str] | None = None,
        memo_size: int = MEMO_SENTENCES,
    ) -> None:
        self._lexicon_source = None if isinstance(lexicon, Lexicon) else lexicon
        self.lexicon = lexicon if isinstance(lexicon, Lexicon) else load_lexicon(lexicon)
        self.sections = _parse_sections(sections)
        self.memo = SentenceMemo(memo_size)
        self.splits = BoundedCache(memo_size // 4)  # sections split into sentences, by text

    def __reduce__(self):  # rebuild from its source in worker processes instead of pickling regexes
        if self._lexicon_source is None and self.lexicon is not load_lexicon():
            return (Engine, (self.lexicon, self.sections, self.memo.size))
        return (Engine, (self._lexicon_source, self.sections, self.memo.size))

    # -- analysis ---------------------------------------------------------------------------------
    def analyze(
        self,
        text: str,
        *,
        report_id: str | None = None,
        sections: str | Iterable[str] | None = None,
    ) -> ReportAnalysis:
        """Analyse one report; ``sections`` overrides the engine's section choice for this call."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise ConfigError(f"report text must be a string, not {type(text).__name__}")
        wanted = self.sections if sections is None else _parse_sections(sections)
        all_sections = split_sections(text)
        sentences = self._sentences(text, select_sections(all_sections, wanted))
        mentions: list[Mention] = []
        place, read = self.memo.place, self._read_sentence
        for sentence in sentences:  # most sentences name nothing and cost one lookup
            mentions.extend(place(sentence.text, (sentence.start, sentence.index, sentence.section), read))
        return make_analysis(text, all_sections, tuple(sentences), tuple(mentions), report_id)

    def _sentences(self, text: str, sections: tuple[Section, ...]) -> list[Sentence]:
        """``split_sentences``, with the split of a section seen lately (and its context) remembered."""
        sentences: list[Sentence] = []
        remembered = self.splits
        for section in sections:
            start, end = section.start, section.end
            key = (text[max(0, start - SPLIT_CONTEXT) : start], text[start:end])
            spans = remembered.get(key)
            if spans is None:
                spans = tuple((a - start, b - start, body) for a, b, body in section_spans(text, start, end))
                remembered.put(key, spans)
            name = section.name
            for a, b, body in spans:
                sentences.append(make_sentence(len(sentences), start + a, start + b, name, body))
        return sentences

    def remember(self, analysis: ReportAnalysis) -> None:
        """Seed the sentence memo from an analysis this engine made (its variants are read next)."""
        by_sentence: dict[int, list[Mention]] = {}
        for mention in analysis.mentions:
            by_sentence.setdefault(mention.sentence_index, []).append(mention)
        for s in analysis.sentences:
            self.memo.remember(s.text, (s.start, s.index, s.section), tuple(by_sentence.get(s.index, ())))

    def _read_sentence(self, text: str) -> Found:
        """Mentions of one sentence read on its own: nothing outside it can change what it says."""
        lower = _lower(text)
        lexicon = self.lexicon
        findings = lexicon.find_findings(lower, 0, len(lower))
        normal = lexicon.normality_any.search(lower) is not None
        if not findings and not normal:
            return ()
        return tuple(
            self._sentence_mentions(text, lower, make_sentence(0, 0, len(text), "", text), findings, normal)
        )

    def _sentence_mentions(
        self,
        text: str,
        lower: str,
        sentence: Sentence,
        found: list[tuple[int, int, str | None]],
        normal: bool,
    ) -> list[Mention]:
        lex = self.lexicon
        s_start, s_end = sentence.start, sentence.end
        out: list[Mention] = []
        denied: list[tuple[int, int, frozenset[str]]] = []
        modifiers: SentenceModifiers | None = None

        def mention(concept: str, a: int, b: int, *decided: Any) -> Mention:
            """A mention of ``text[a:b]`` in this sentence (assertion, cue, attributes, historical, implied)."""
            return make_mention(concept, text[a:b], a, b, sentence.index, sentence.section, *decided)

        if normal:
            for rule, pattern, match in _normality_matches(lex, lower, s_start, s_end):
                a, b = match.span("subject") if "subject" in pattern.groupindex else match.span()
                cue = make_cue(text[b : match.end()].strip() or text[a:b], "normality", match.start(), match.end(),
                          "normality:" + rule.id)  # fmt: skip
                denied.append((match.start(), match.end(), frozenset(rule.denies)))
                modifiers = modifiers or SentenceModifiers(lower, s_start, s_end)
                attributes = modifiers.attributes(a, b)
                for concept in rule.denies:
                    out.append(mention(concept, a, b, Assertion.NEGATED, cue, attributes, False, rule.implied))
        findings = [
            (a, b, concept)
            for a, b, concept in found
            if not any(d0 < b and a < d1 and concept in concepts for d0, d1, concepts in denied)
        ]
        if not findings:
            out.sort(key=lambda m: (m.start, m.end))
            return _dedupe(out)
        all_cues = find_cues(lex, lower, s_start, s_end)
        cues = [c for c in all_cues if not any(c.start < b and a < c.end for a, b, _ in findings)]
        hedges = [c for c in all_cues if _HEDGES.intersection(c.kinds)] if len(cues) < len(all_cues) else []
        modifiers = modifiers or SentenceModifiers(lower, s_start, s_end)
        for a, b, concept in findings:
            if concept is None:  # an excluded look-alike ("pericardial effusion" for pleural effusion)
                continue
            assertion, cue, historical = decide(
                lower, text, cues, a, b, s_start, lex.negated_through, lex.leaning
            )
            if assertion is Assertion.POSITIVE and hedges:
                # a hedge inside a multi-word finding: "the heart may be / is possibly mildly enlarged"
                inner = next((c for c in hedges if a <= c.start and c.end <= b), None)
                if inner is not None:
                    kind = next(k for k in inner.kinds if k in _HEDGES)
                    assertion = Assertion.UNCERTAIN
                    cue = make_cue(text[inner.start : inner.end], "uncertainty", inner.start, inner.end,
                              f"{kind}:{inner.phrase}")  # fmt: skip
            out.append(mention(concept, a, b, assertion, cue, modifiers.attributes(a, b), historical, False))
        if not denied:  # matches come in order and never share a span: nothing to sort or merge
            return out
        out.sort(key=lambda m: (m.start, m.end))
        return _dedupe(out)

    def assert_span(self, text: str, start: int, end: int) -> tuple[Assertion, Cue | None, bool]:
        """Assertion of an arbitrary span (a condition not in the lexicon), from the cues of its sentence."""
        if not 0 <= start < end <= len(text):
            raise ConfigError(f"span ({start}, {end}) is outside the text of length {len(text)}")
        lower = _lower(text)
        # mask the span so that cue words inside it ("no ACUTE distress") do not hide the cue before it
        lower = lower[:start] + "_" * (end - start) + lower[end:]
        sentences = split_sentences(text, (Section("text", 0, len(text)),))
        sentence = next((s for s in sentences if s.start <= start and end <= s.end), None)
        s_start, s_end = (sentence.start, sentence.end) if sentence else (0, len(text))
        cues = [
            c for c in find_cues(self.lexicon, lower, s_start, s_end) if not (c.start < end and start < c.end)
        ]
        return decide(
            lower, text, cues, start, end, s_start, self.lexicon.negated_through, self.lexicon.leaning
        )

    def analyze_many(
        self,
        texts: Iterable[str],
        *,
        ids: Iterable[str | None] | None = None,
        sections: str | Iterable[str] | None = None,
        workers: int = 1,
        chunksize: int = 64,
    ) -> Iterator[ReportAnalysis]:
        """Analyse a stream of reports lazily, in input order; ``workers > 1`` uses that many processes."""
        id_iter = iter(ids) if ids is not None else repeat(None)
        wanted = _parse_sections(sections)
        if workers is None or workers <= 1:
            for text in texts:
                yield self.analyze(text, report_id=next(id_iter, None), sections=wanted)
            return
        jobs = ((text, next(id_iter, None), wanted) for text in texts)
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        )
        with context.Pool(
            min(workers, os.cpu_count() or workers), initializer=_init_worker, initargs=(self,)
        ) as pool:
            yield from pool.imap(_analyze_job, jobs, chunksize=chunksize)

    def report_labels(
        self, analysis: ReportAnalysis, vocab: str = "chexpert", *, include_implied: bool = False
    ) -> dict[str, float | None]:
        """Report-level labels (1.0 / 0.0 / -1.0 / None) in the vocabulary's order."""
        return aggregate_labels(analysis.mentions, self.lexicon, vocab, include_implied=include_implied)


_HEDGES = frozenset({"uncertainty_pre", "uncertainty_post"})


def _normality_matches(lexicon: Lexicon, lower: str, start: int, end: int) -> Iterator[tuple]:
    """Each normality rule's matches in ``lower[start:end]``, rule by rule, as ``finditer`` gives them.

    A rule can only match where the alternation of all rules (``normality_any``) matches, so the rules
    are tried at those few positions instead of scanning the sentence once per rule.
    """
    starts: list[int] = []
    pos = start
    while (hit := lexicon.normality_any.search(lower, pos, end)) is not None:
        starts.append(hit.start())
        pos = hit.start() + 1
    for rule, pattern in lexicon.normality_re:
        last_end = start
        for q in starts:
            if q < last_end:
                continue
            match = pattern.match(lower, q, end)
            if match is not None:
                last_end = match.end()
                yield rule, pattern, match


def _dedupe(mentions: Sequence[Mention]) -> list[Mention]:
    """One mention per (concept, span): a normality statement and an explicit term may coincide."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for mention in mentions:
        key = (mention.concept, mention.start, mention.end)
        if key not in seen:
            seen.add(key)
            out.append(mention)
    return out


_WORKER_ENGINE: Engine | None = None


def _init_worker(engine: Engine) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = engine


def _analyze_job(job: tuple[str, str | None, tuple[str, ...] | None]) -> ReportAnalysis:
    text, report_id, sections = job
    assert _WORKER_ENGINE is not None
    return _WORKER_ENGINE.analyze(text, report_id=report_id, sections=sections)
