"""Zoo cards: the links the leaderboard's model pages show, and citations of reported figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxralign.errors import CxrAlignError
from cxralign.leaderboard.reported import reported_rows
from cxralign.models.zoo import all_cards, load_card_file

CARD = """name: example
title: Example CLIP
loader: open_clip:ViT-B-32
architecture: a dual encoder
license: MIT
citation: "Doe et al. An example. Journal 2025."
paper: {paper}
code: https://github.com/example/example
reported:
  - metric: negation.accuracy
    value: 0.9
    dataset: cxr-align
    task: cxr-align
    paper: An example
    venue: Journal 2025
    table: Table 3
"""


def _card(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "example.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_links_must_be_absolute_http_urls(tmp_path: Path) -> None:
    card = load_card_file(_card(tmp_path, CARD.format(paper="https://arxiv.org/abs/0000.00000")))
    assert card.code == "https://github.com/example/example"
    for bad in ("arxiv.org/abs/1", "javascript:alert(1)", "'https://x y'"):
        with pytest.raises(CxrAlignError, match="invalid at paper"):
            load_card_file(_card(tmp_path, CARD.format(paper=bad)))


def test_reported_figures_cite_title_venue_and_table(tmp_path: Path) -> None:
    card = load_card_file(_card(tmp_path, CARD.format(paper="https://arxiv.org/abs/0000.00000")))
    [row] = reported_rows([card])
    assert row.source == "An example, Journal 2025, Table 3" and row.url == "https://arxiv.org/abs/0000.00000"
    without_table = CARD.format(paper="https://x.org").replace("    table: Table 3\n", "")
    with pytest.raises(CxrAlignError, match=r"reported\.0\.table"):
        load_card_file(_card(tmp_path, without_table))


def test_shipped_cards_cite_papers_not_internal_bookkeeping() -> None:
    for card in all_cards().values():
        for number in card.reported:
            citation = f"{number.source} {number.notes or ''}"
            assert not re.search(r"\bissue\b|cxralign", citation, re.I), (card.name, citation)
