"""Local stand-ins for hub repositories the upstream code names (no hub access): configs and a vocabulary.

A WordPiece vocabulary is written from the parity texts themselves, so every word is one token.
"""

from __future__ import annotations

import re
from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_vocab(folder: Path, texts: list[str]) -> Path:
    words = sorted({w for t in texts for w in re.findall(r"[a-z]+|[^\sa-z]", t.lower())})
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = [*SPECIALS, *dict.fromkeys([*words, *letters, *(f"##{c}" for c in letters)])]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    return folder / "vocab.txt"


def write_bert(folder: Path, texts: list[str], with_weights: bool = False, **config: object) -> Path:
    """A small BERT config + its tokenizer files, as a hub snapshot folder lays them out."""
    from transformers import BertConfig, BertTokenizer

    vocab = write_vocab(folder, texts)
    BertTokenizer(str(vocab), do_lower_case=True).save_pretrained(folder)
    size = len(vocab.read_text().split())
    defaults = {
        "hidden_size": 768,
        "num_hidden_layers": 2,
        "num_attention_heads": 12,
        "intermediate_size": 256,
    }
    bert_config = BertConfig(vocab_size=size, **{**defaults, **config})
    bert_config.save_pretrained(folder)
    if with_weights:  # code that calls from_pretrained needs a weights file (replaced by the checkpoint)
        from transformers import BertModel

        BertModel(bert_config).save_pretrained(folder)
    return folder
