"""``cxralign audit``: a reviewer reads a seeded sample of a build's variants; their error rate is measured.

``sample`` draws the sample and writes an offline HTML review sheet (``sheet``);
the sheet saves a verdict file (``verdicts``); ``score`` turns it into rates with
Wilson intervals and ``record`` writes them into the build's manifest and card.
"""

from cxralign.audit.identity import BuildIdentity, build_identity
from cxralign.audit.record import record_audit
from cxralign.audit.sample import AuditSample, draw_sample
from cxralign.audit.score import AuditScore, score_verdicts
from cxralign.audit.sheet import write_sheet
from cxralign.audit.verdicts import VerdictFile, load_verdicts

__all__ = [
    "AuditSample",
    "AuditScore",
    "BuildIdentity",
    "VerdictFile",
    "build_identity",
    "draw_sample",
    "load_verdicts",
    "record_audit",
    "score_verdicts",
    "write_sheet",
]
