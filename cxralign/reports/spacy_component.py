"""The report engine as a spaCy pipeline component (``nlp.add_pipe("cxralign_reports")``).

The component runs the same rule engine as :func:`cxralign.reports.analyze` on ``doc.text`` and
exposes its result the spaCy way: every mention becomes a span in ``doc.spans["cxralign"]`` (label =
concept id), the explicit ones also in ``doc.ents``, and negspacy's convention holds
(``span._.negex`` is True for a negated finding). Extension values are *getters* over one plain record
kept in ``doc.user_data``, so docs survive ``doc.to_bytes()`` and ``nlp.pipe(texts, n_process=N)``
(spaCy ships docs between processes as bytes) and two concepts on one span never overwrite each other.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> _ = nlp.add_pipe("cxralign_reports")
>>> doc = nlp("No pleural effusion. Possible pneumonia.")
>>> [(e.text, e._.assertion, e._.negex) for e in doc.ents]
[('pleural effusion', 'negated', True), ('pneumonia', 'uncertain', False)]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from cxralign.errors import ConfigError
from cxralign.reports.engine import Engine
from cxralign.reports.records import (
    Assertion,
    Attributes,
    Cue,
    Mention,
    ReportAnalysis,
    Section,
    Sentence,
)

FACTORY = "cxralign_reports"
RECORD_KEY = "cxralign_record"
"""Key in ``doc.user_data`` of the plain (msgpack-serialisable) analysis record."""


# -- plain records: what travels with a Doc ----------------------------------------------------------
def _cue_record(cue: Cue | None) -> list | None:
    return None if cue is None else [cue.text, cue.kind, cue.start, cue.end, cue.rule]


def _span(pair: Iterable[int] | None) -> tuple[int, int] | None:
    return None if pair is None else tuple(pair)  # type: ignore[return-value]


def analysis_record(analysis: ReportAnalysis) -> dict[str, Any]:
    """The analysis without its text as lists of plain values (msgpack and JSON serialisable)."""
    return {
        "id": analysis.report_id,
        "sections": [[s.name, s.start, s.end, s.title] for s in analysis.sections],
        "sentences": [[s.index, s.start, s.end, s.section] for s in analysis.sentences],
        "mentions": [
            [
                m.concept,
                m.start,
                m.end,
                m.sentence_index,
                m.section,
                m.assertion.value,
                _cue_record(m.cue),
                m.attributes.laterality,
                m.attributes.severity,
                list(m.attributes.location),
                m.attributes.laterality_span and list(m.attributes.laterality_span),
                m.attributes.severity_span and list(m.attributes.severity_span),
                m.historical,
                m.implied,
            ]  # fmt: skip
            for m in analysis.mentions
        ],
    }


def _mention(text: str, row: list) -> Mention:
    concept, start, end, sentence, section, assertion, cue, lat, sev, loc, lat_span, sev_span, hist, impl = (
        row
    )
    return Mention(
        concept,
        text[start:end],
        start,
        end,
        sentence,
        section,
        Assertion(assertion),
        None if cue is None else Cue(*cue),
        Attributes(lat, sev, tuple(loc), _span(lat_span), _span(sev_span)),
        hist,
        impl,
    )


def analysis_from_record(text: str, record: dict[str, Any]) -> ReportAnalysis:
    """Rebuild the typed :class:`ReportAnalysis` from :func:`analysis_record` output and the text."""
    return ReportAnalysis(
        text,
        tuple(Section(name, a, b, title) for name, a, b, title in record["sections"]),
        tuple(Sentence(i, a, b, section, text[a:b]) for i, a, b, section in record["sentences"]),
        tuple(_mention(text, row) for row in record["mentions"]),
        record["id"],
    )


# -- extension getters ----------------------------------------------------------------------------
def _doc_analysis(doc: Doc) -> ReportAnalysis | None:
    record = doc.user_data.get(RECORD_KEY)
    return None if record is None else analysis_from_record(doc.text, record)


def _span_row(span: Span) -> list | None:
    record = span.doc.user_data.get(RECORD_KEY)
    if record is None:
        return None
    start, end, label = span.start_char, span.end_char, span.label_
    # token-aligned spans may be wider than the mention ("XXXX-pneumonia"): match by containment
    for row in record["mentions"]:
        if row[0] == label and start <= row[1] and row[2] <= end:
            return row
    return None


def _span_mention(span: Span) -> Mention | None:
    row = _span_row(span)
    return None if row is None else _mention(span.doc.text, row)


def _span_assertion(span: Span) -> str | None:
    row = _span_row(span)
    return None if row is None else row[5]


def _span_cue(span: Span) -> str | None:
    row = _span_row(span)
    return None if row is None or row[6] is None else row[6][4]


def _register_extensions(negex_name: str) -> None:
    getters = {
        "assertion": _span_assertion,
        "concept": lambda span: span.label_ if _span_row(span) is not None else None,
        "cue": _span_cue,
        "cxralign_mention": _span_mention,
    }
    for name, getter in getters.items():
        if not Span.has_extension(name):
            Span.set_extension(name, getter=getter)
    if Span.has_extension(negex_name):
        _, _, getter, _ = Span.get_extension(negex_name)
        if getter is not _span_negex:
            raise ConfigError(
                f"span extension '{negex_name}' is already registered by another component (negspacy?); "
                f"pass config={{'extension_name': 'cxralign_negex'}} to add_pipe"
            )
    else:
        Span.set_extension(negex_name, getter=_span_negex)
    if not Doc.has_extension("cxralign_analysis"):
        Doc.set_extension("cxralign_analysis", getter=_doc_analysis)


def _span_negex(span: Span) -> bool:
    return _span_assertion(span) == Assertion.NEGATED.value


# -- the component ------------------------------------------------------------------------------------
class ReportComponent:
    """Runs :class:`Engine` on each doc and adds its mentions as spans (see the module docstring)."""

    def __init__(
        self,
        nlp: Language,
        name: str = FACTORY,
        lexicon: str | None = None,
        sections: str | None = None,
        span_key: str = "cxralign",
        set_ents: bool = True,
        extension_name: str = "negex",
    ) -> None:
        self.name = name
        self.engine = Engine(lexicon=Path(lexicon) if lexicon else None, sections=sections)
        self.span_key = span_key
        self.set_ents = set_ents
        self.extension_name = extension_name
        _register_extensions(extension_name)

    def __call__(self, doc: Doc) -> Doc:
        analysis = self.engine.analyze(doc.text)
        doc.user_data[RECORD_KEY] = analysis_record(analysis)
        spans: list[Span] = []
        explicit: list[Span] = []  # "lungs are clear" denies six concepts on one span: spans only
        for mention in analysis.mentions:
            span = doc.char_span(mention.start, mention.end, label=mention.concept, alignment_mode="expand")
            if span is not None:
                spans.append(span)
                if not mention.implied:
                    explicit.append(span)
        doc.spans[self.span_key] = spans
        if self.set_ents:  # entities may not overlap: earlier ones and longer spans win
            doc.ents = filter_spans([*doc.ents, *explicit])
        return doc


@Language.factory(
    FACTORY,
    default_config={
        "lexicon": None,
        "sections": None,
        "span_key": "cxralign",
        "set_ents": True,
        "extension_name": "negex",
    },
)
def make_component(
    nlp: Language,
    name: str,
    lexicon: str | None,
    sections: str | None,
    span_key: str,
    set_ents: bool,
    extension_name: str,
) -> ReportComponent:
    """spaCy factory: ``nlp.add_pipe("cxralign_reports", config={"lexicon": "site.yaml"})``."""
    return ReportComponent(nlp, name, lexicon, sections, span_key, set_ents, extension_name)


def make_nlp(lexicon: str | Path | None = None, sections: str | None = None, lang: str = "en") -> Language:
    """A blank spaCy pipeline with the report component (no statistical model needed)."""
    import spacy

    nlp = spacy.blank(lang)
    nlp.add_pipe(FACTORY, config={"lexicon": str(lexicon) if lexicon else None, "sections": sections})
    return nlp
