"""Image preprocessing policies, declared as data so they can be hashed and shown.

Every adapter describes its published preprocessing with one
:class:`ImagePreprocess`: the description goes into the model fingerprint (so a
change of policy never reuses stale cached embeddings) and onto the zoo card.
The object is a plain picklable callable, so DataLoader workers can run it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch
from PIL import Image

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


@dataclass(frozen=True)
class ImagePreprocess:
    """PIL image -> normalised CHW float tensor.

    ``resize_mode``: ``shortest`` scales the short side to ``resize`` (then
    ``crop`` centre-crops), ``longest`` scales the long side and zero-pads to a
    square (CheXzero's policy), ``squash`` ignores the aspect ratio.
    ``final_resize`` resizes once more after cropping/padding (CheXzero stores
    320 px images and feeds 224 px). ``mean``/``std`` are on the 0..1 scale.
    """

    resize: int
    crop: int | None = None
    resize_mode: Literal["shortest", "longest", "squash"] = "shortest"
    final_resize: int | None = None
    interpolation: Literal["bicubic", "bilinear"] = "bicubic"
    mean: tuple[float, ...] = OPENAI_MEAN
    std: tuple[float, ...] = OPENAI_STD
    channels: Literal[1, 3] = 3

    def __post_init__(self) -> None:
        if len(self.mean) not in (1, self.channels) or len(self.std) != len(self.mean):
            raise ValueError("mean/std must have one value or one per channel")

    @property
    def output_size(self) -> int:
        return self.final_resize or self.crop or self.resize

    def describe(self) -> dict[str, object]:
        """JSON-able description: goes into fingerprints, cache keys and cards."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    def _resize(self, image: Image.Image) -> Image.Image:
        resample = _RESAMPLE[self.interpolation]
        width, height = image.size
        if self.resize_mode == "squash":
            return image.resize((self.resize, self.resize), resample)
        if self.resize_mode == "shortest":
            scale = self.resize / min(width, height)
        else:
            scale = self.resize / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size != image.size:
            image = image.resize(size, resample)
        if self.resize_mode == "longest":
            canvas = Image.new(image.mode, (self.resize, self.resize), 0)
            canvas.paste(image, ((self.resize - size[0]) // 2, (self.resize - size[1]) // 2))
            image = canvas
        return image

    def _center_crop(self, image: Image.Image, size: int) -> Image.Image:
        width, height = image.size
        left = int(round((width - size) / 2.0))
        top = int(round((height - size) / 2.0))
        return image.crop((left, top, left + size, top + size))

    def __call__(self, image: Image.Image) -> torch.Tensor:
        image = image.convert("L") if self.channels == 1 else image.convert("RGB")
        image = self._resize(image)
        if self.crop is not None:
            image = self._center_crop(image, self.crop)
        if self.final_resize is not None and image.size != (self.final_resize, self.final_resize):
            image = image.resize((self.final_resize, self.final_resize), _RESAMPLE[self.interpolation])
        array = np.asarray(image, dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy())
        mean = torch.tensor(self.mean, dtype=torch.float32).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(-1, 1, 1)
        return (tensor - mean) / std
