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

_RESAMPLE = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,  # pixel-area averaging: OpenCV's INTER_AREA when shrinking (GLoRIA)
}


@dataclass(frozen=True)
class ImagePreprocess:
    """PIL image -> normalised CHW float tensor.

    ``resize_mode``: ``shortest`` scales the short side to ``resize`` (then
    ``crop`` centre-crops), ``longest`` scales the long side and zero-pads to a
    square (CheXzero's policy), ``pad`` zero-pads to a square at full size and
    then resizes the square (MedCLIP's policy), ``squash`` ignores the aspect ratio.
    The scaled side is truncated to an integer, as torchvision's ``Resize``, the
    transformers image processors and CheXzero's ``preprocess`` all do.
    ``final_resize`` resizes once more after cropping/padding (CheXzero stores
    320 px images and feeds 224 px); with ``final_resize_on_tensor`` that resize runs
    on the normalised float tensor (torchvision, antialiased), as CheXzero's
    ``Resize`` after ``Normalize`` does (bicubic, unless ``interpolation`` is bilinear;
    ``lanczos`` then applies to the first resize only). ``grayscale`` reads an RGB image as
    ``L`` and replicates it to the 3 channels (CheXzero, MedCLIP and hi-ml paste or load into
    ``L``; ``after_resize`` with ``longest`` converts on pasting onto the canvas, after the
    resize, as CheXzero's ``preprocess`` does). ``mean``/``std`` are on the 0..1 scale.
    """

    resize: int
    crop: int | None = None
    resize_mode: Literal["shortest", "longest", "pad", "squash"] = "shortest"
    final_resize: int | None = None
    interpolation: Literal["bicubic", "bilinear", "lanczos", "box"] = "bicubic"
    mean: tuple[float, ...] = OPENAI_MEAN
    std: tuple[float, ...] = OPENAI_STD
    channels: Literal[1, 3] = 3
    final_resize_on_tensor: bool = False
    grayscale: bool | Literal["after_resize"] = False

    def __post_init__(self) -> None:
        if len(self.mean) not in (1, self.channels) or len(self.std) != len(self.mean):
            raise ValueError("mean/std must have one value or one per channel")

    @property
    def output_size(self) -> int:
        return self.final_resize or self.crop or self.resize

    def describe(self) -> dict[str, object]:
        """JSON-able description: goes into fingerprints, cache keys and cards.

        ``size_rounding`` records the integer truncation of scaled sides (rounding before
        parity testing against the upstream code), so embeddings cached under the old rule are not reused.
        """
        described = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
        for flag in ("final_resize_on_tensor", "grayscale"):
            if not described[flag]:
                del described[flag]
        return {**described, "size_rounding": "floor"}

    def _resize(self, image: Image.Image) -> Image.Image:
        resample = _RESAMPLE[self.interpolation]
        width, height = image.size
        if self.resize_mode == "pad":
            side = max(self.resize, width, height)
            canvas = Image.new(image.mode, (side, side), 0)
            canvas.paste(image, ((side - width) // 2, (side - height) // 2))
            image, width, height = canvas, side, side
        if self.resize_mode in ("squash", "pad"):
            return image.resize((self.resize, self.resize), resample)
        if self.resize_mode == "shortest":
            short, long = min(width, height), max(width, height)
            scaled_long = max(1, int(self.resize * long / short))
            size = (self.resize, scaled_long) if width <= height else (scaled_long, self.resize)
        else:
            scale = self.resize / max(width, height)
            size = (max(1, int(width * scale)), max(1, int(height * scale)))
        if size != image.size:
            image = image.resize(size, resample)
        if self.resize_mode == "longest":
            canvas = Image.new("L" if self.grayscale else image.mode, (self.resize, self.resize), 0)
            canvas.paste(image, ((self.resize - size[0]) // 2, (self.resize - size[1]) // 2))
            image = canvas
        return image

    def _center_crop(self, image: Image.Image, size: int) -> Image.Image:
        width, height = image.size
        left = int(round((width - size) / 2.0))
        top = int(round((height - size) / 2.0))
        return image.crop((left, top, left + size, top + size))

    def __call__(self, image: Image.Image) -> torch.Tensor:
        if image.mode not in ("L", "RGB"):
            from cxralign.data.images import normalise_mode

            image = normalise_mode(image)  # a 16-bit image is rescaled, never clipped at 255
        # CheXzero resizes the RGB image and converts when pasting onto its L canvas; others convert first
        late_gray = self.grayscale == "after_resize" and self.resize_mode == "longest" and image.mode == "RGB"
        if not late_gray:
            image = image.convert("L") if self.channels == 1 or self.grayscale else image.convert("RGB")
        image = self._resize(image)
        if self.crop is not None:
            image = self._center_crop(image, self.crop)
        final = self.final_resize
        if final is not None and image.size != (final, final) and not self.final_resize_on_tensor:
            image = image.resize((final, final), _RESAMPLE[self.interpolation])
        array = np.asarray(image, dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy())
        if self.grayscale and self.channels == 3:
            tensor = tensor.expand(3, -1, -1)
        mean = torch.tensor(self.mean, dtype=torch.float32).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(-1, 1, 1)
        tensor = (tensor - mean) / std
        if final is not None and self.final_resize_on_tensor and tensor.shape[-2:] != (final, final):
            from torchvision.transforms.functional import InterpolationMode, resize

            mode = InterpolationMode.BILINEAR if self.interpolation == "bilinear" else InterpolationMode.BICUBIC
            tensor = resize(tensor, [final, final], interpolation=mode, antialias=True)
        return tensor
