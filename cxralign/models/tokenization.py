"""Tokenisers that say how many texts they cut.

Radiology reports are routinely longer than CLIP's 77 tokens. Every tokenizer
here truncates the way its model was trained to (keeping the end-of-text or
[SEP] token) and returns the number of texts that did not fit, so the harness
can report it instead of silently scoring a prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch

from cxralign.models.base import TokenizedTexts


class Tokenizer(Protocol):
    context_length: int
    name: str

    def __call__(self, texts: Sequence[str]) -> TokenizedTexts: ...


class ClipBpeTokenizer:
    """OpenAI CLIP byte-pair tokenizer (open_clip's ``SimpleTokenizer``) with counted truncation."""

    name = "openai-clip-bpe"

    def __init__(self, context_length: int = 77, inner: Any | None = None) -> None:
        if inner is None:
            from open_clip.tokenizer import SimpleTokenizer

            inner = SimpleTokenizer(context_length=context_length)
        self._inner = inner
        self.context_length = context_length

    def __call__(self, texts: Sequence[str]) -> TokenizedTexts:
        inner = self._inner
        length = self.context_length
        ids = torch.zeros(len(texts), length, dtype=torch.long)
        n_truncated = 0
        for row, text in enumerate(texts):
            tokens = [inner.sot_token_id, *inner.encode(text), inner.eot_token_id]
            if len(tokens) > length:
                n_truncated += 1
                tokens = tokens[:length]
                tokens[-1] = inner.eot_token_id
            ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        return TokenizedTexts(input_ids=ids, attention_mask=(ids != 0).long(), n_truncated=n_truncated)


class HFTextTokenizer:
    """A transformers tokenizer padded to ``context_length``; truncation keeps [CLS] ... [SEP]."""

    def __init__(
        self,
        tokenizer: Any,
        context_length: int,
        *,
        lowercase: bool = False,
        strip_trailing: str = "",
        clean: Callable[[str], str] | None = None,
    ) -> None:
        self._inner = tokenizer
        self.context_length = int(context_length)
        self.lowercase = lowercase
        self.strip_trailing = strip_trailing  # characters removed from each text's end (hi-ml: "!?.")
        self.clean = clean  # the authors' own text clean-up before tokenising (GLoRIA)
        self.name = f"hf:{getattr(tokenizer, 'name_or_path', type(tokenizer).__name__)}"
        if strip_trailing:
            self.name += f"+rstrip{strip_trailing}"
        if clean is not None:
            self.name += f"+{clean.__name__}"

    @classmethod
    def from_pretrained(cls, name_or_path: str, context_length: int, **kwargs: Any) -> HFTextTokenizer:
        from transformers import AutoTokenizer

        from cxralign.models.checkpoints import hub_call

        options = {k: kwargs.pop(k) for k in ("lowercase", "strip_trailing", "clean") if k in kwargs}
        tokenizer = hub_call(name_or_path, AutoTokenizer.from_pretrained, name_or_path, **kwargs)
        return cls(tokenizer, context_length, **options)

    def __call__(self, texts: Sequence[str]) -> TokenizedTexts:
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        if self.strip_trailing:
            texts = [t.rstrip(self.strip_trailing) for t in texts]
        if self.clean is not None:
            texts = [self.clean(t) for t in texts]
        full = self._inner(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        n_truncated = sum(len(ids) > self.context_length for ids in full)
        encoded = self._inner(
            texts,
            padding="max_length",
            truncation=True,
            max_length=self.context_length,
            return_tensors="pt",
        )
        return TokenizedTexts(
            input_ids=encoded["input_ids"],
            attention_mask=encoded.get("attention_mask"),
            n_truncated=n_truncated,
        )


class WordPieceTokenizer:
    """A saved BERT ``tokenizer.json`` run by the ``tokenizers`` library alone: the ids transformers'
    ``BertTokenizerFast`` gives, [CLS] ... [SEP] kept on truncation, padded to ``context_length``,
    without importing transformers (reference models tokenise this way)."""

    def __init__(self, inner: Any, context_length: int, *, name: str, pad_token: str = "[PAD]") -> None:
        self._inner = inner
        self.context_length = int(context_length)
        self.name = name
        inner.enable_truncation(max_length=self.context_length)
        inner.enable_padding(
            length=self.context_length, pad_id=inner.token_to_id(pad_token) or 0, pad_token=pad_token
        )

    @classmethod
    def from_directory(cls, path: Any, context_length: int) -> WordPieceTokenizer:
        """Load ``path/tokenizer.json``; ``name`` is the one the transformers tokenizer had (same fingerprints)."""
        import json
        from pathlib import Path

        from tokenizers import Tokenizer

        settings_file = Path(path) / "tokenizer_config.json"
        settings = json.loads(settings_file.read_text()) if settings_file.is_file() else {}
        inner = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
        return cls(inner, context_length, name=f"hf:{path}", pad_token=settings.get("pad_token") or "[PAD]")

    def __call__(self, texts: Sequence[str]) -> TokenizedTexts:
        encodings = self._inner.encode_batch(list(texts), add_special_tokens=True)
        n_truncated = sum(bool(encoding.overflowing) for encoding in encodings)
        return TokenizedTexts(
            input_ids=torch.tensor([e.ids for e in encodings], dtype=torch.long),
            attention_mask=torch.tensor([e.attention_mask for e in encodings], dtype=torch.long),
            n_truncated=n_truncated,
        )
