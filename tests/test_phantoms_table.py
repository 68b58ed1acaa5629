"""Every per-finding table of the phantoms names exactly the findings of ``spec.FINDINGS``."""

from __future__ import annotations

import pytest

from cxralign.data.phantoms.findings import FINDING_TABLE
from cxralign.data.phantoms.painting import PAINTERS
from cxralign.data.phantoms.phrasing import POSITIVE_PHRASES
from cxralign.data.phantoms.sampling import SAMPLERS
from cxralign.data.phantoms.spec import CHEXPERT_OF, FINDINGS


@pytest.mark.parametrize(
    "table",
    [FINDING_TABLE, SAMPLERS, PAINTERS, POSITIVE_PHRASES, CHEXPERT_OF],
    ids=["finding table", "samplers", "painters", "phrases", "chexpert labels"],
)
def test_every_table_has_exactly_the_finding_set(table: dict) -> None:
    assert set(table) == set(FINDINGS)


def test_the_finding_table_runs_in_spec_order() -> None:
    assert tuple(FINDING_TABLE) == FINDINGS
    for name, entry in FINDING_TABLE.items():
        assert entry.name == name and entry.sampler is SAMPLERS[name] and entry.painter is PAINTERS[name]
        assert (entry.phrases, entry.group) == POSITIVE_PHRASES[name]
