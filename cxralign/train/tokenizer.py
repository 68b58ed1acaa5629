"""WordPiece tokenizer built from the training reports (the default text tower's vocabulary).

The vocabulary is chosen by us, deterministically: special tokens, every character
(as a word start and as a ``##`` continuation), then whole words by frequency
(ties alphabetical), then the most frequent word-initial and ``##`` pieces of the
remaining words, until ``vocab_size``. Hugging Face's ``WordPieceTrainer`` breaks
frequency ties in hash-map order, which differs between processes: the same seed
gave different vocabularies (and DDP ranks disagreed on token ids). Tokenising is
done by ``tokenizers``' WordPiece model with BERT normalisation, saved as a
``BertTokenizerFast`` directory that ``AutoTokenizer.from_pretrained`` loads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_PIECE = 6


def _words(texts: Iterable[str]) -> Counter[str]:
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in texts:
        if text:
            counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    return counts


def build_vocabulary(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> list[str]:
    """The deterministic vocabulary described in the module docstring."""
    counts = _words(texts)
    alphabet = sorted({char for word in counts for char in word})
    vocab: list[str] = list(SPECIAL_TOKENS) + alphabet + [f"##{char}" for char in alphabet]
    seen = set(vocab)

    def add(tokens: Iterable[str]) -> None:
        for token in tokens:
            if len(vocab) >= vocab_size:
                return
            if token not in seen:
                seen.add(token)
                vocab.append(token)

    frequent = sorted((w for w, c in counts.items() if c >= min_frequency), key=lambda w: (-counts[w], w))
    add(frequent)
    pieces: Counter[str] = Counter()
    for word, count in counts.items():
        if word in seen:
            continue
        for end in range(2, min(len(word), MAX_PIECE) + 1):
            pieces[word[:end]] += count
        for start in range(1, len(word) - 1):
            for end in range(start + 2, min(len(word), start + MAX_PIECE) + 1):
                pieces[f"##{word[start:end]}"] += count
    add(sorted((p for p, c in pieces.items() if c >= min_frequency), key=lambda p: (-pieces[p], p)))
    return vocab


def train_wordpiece(texts: Iterable[str], vocab_size: int, *, min_frequency: int = 2):  # noqa: ANN201
    """A lower-casing WordPiece ``BertTokenizerFast`` over :func:`build_vocabulary`."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    vocab = build_vocabulary(texts, vocab_size, min_frequency)
    tokenizer = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    cls_id, sep_id = vocab.index("[CLS]"), vocab.index("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return BertTokenizerFast(
        tokenizer_object=tokenizer,
        do_lower_case=True,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    )


def load_tokenizer(path: str | Path):  # noqa: ANN201
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))
