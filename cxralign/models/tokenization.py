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
