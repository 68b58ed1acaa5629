"""Read chest X-rays from any common container into an 8-bit PIL image.

Models only ever see ``L`` (grayscale) or ``RGB`` images from here: 16-bit PNGs
and DICOM pixel data are rescaled to 8 bits from their own value range, DICOM
windowing (VOI LUT or window centre/width) is applied, and MONOCHROME1 images
are inverted so that bone is always bright. A file that cannot be read raises
:class:`cxralign.errors.InputError` naming the path, never a blank image.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cxralign.errors import InputError

ImageSource = str | os.PathLike[str] | bytes | Image.Image

_DICOM_SUFFIXES = {".dcm", ".dicom", ".dic"}


def _describe(source: ImageSource) -> str:
    if isinstance(source, bytes):
        return f"<{len(source)} bytes>"
    if isinstance(source, Image.Image):
        return "<PIL image>"
    return str(source)


def _is_dicom_bytes(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Linearly map the image's own value range onto 0..255 (a flat image becomes 0)."""
    pixels = pixels.astype(np.float64, copy=False)
    low, high = float(np.min(pixels)), float(np.max(pixels))
    if high <= low:
        return np.zeros(pixels.shape, dtype=np.uint8)
    scaled = (pixels - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Any PIL mode -> ``L`` or ``RGB`` with 8 bits per channel."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image)), mode="L")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        # Transparent pixels composite onto black, the background of a radiograph.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        merged = Image.alpha_composite(background, rgba).convert("RGB")
        return merged.convert("L") if image.mode in ("LA",) else merged
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")


normalise_mode = _normalise_mode
"""Public name: :class:`cxralign.models.transforms.ImagePreprocess` normalises a PIL image handed to it directly."""


def _read_dicom(source: str | os.PathLike[str] | bytes) -> Image.Image:
    import pydicom
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    dataset = pydicom.dcmread(handle, force=True)
    if "PixelData" not in dataset:
        raise InputError(f"DICOM {_describe(source)} has no pixel data")
    pixels = dataset.pixel_array
    if pixels.ndim == 3 and getattr(dataset, "SamplesPerPixel", 1) == 1:
        pixels = pixels[0]  # multi-frame: the first frame is the radiograph
    photometric = str(getattr(dataset, "PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric.startswith("MONOCHROME"):
        pixels = apply_modality_lut(pixels, dataset)
        pixels = apply_voi_lut(pixels, dataset, index=0)
        scaled = _to_uint8(pixels)
        if photometric == "MONOCHROME1":
            scaled = 255 - scaled
        return Image.fromarray(scaled, mode="L")
    if pixels.ndim == 3 and pixels.shape[-1] == 3:
        return Image.fromarray(_to_uint8(pixels) if pixels.dtype != np.uint8 else pixels, mode="RGB")
    raise InputError(f"DICOM {_describe(source)} has unsupported photometric interpretation {photometric}")


def load_image(source: ImageSource) -> Image.Image:
    """Decode ``source`` (path, raw bytes or PIL image) into an ``L`` or ``RGB`` image."""
    if isinstance(source, Image.Image):
        return _normalise_mode(source)
    try:
        if isinstance(source, bytes):
            if _is_dicom_bytes(source[:132]):
                return _read_dicom(source)
            with Image.open(io.BytesIO(source)) as image:
                image.load()
                return _normalise_mode(image)
        path = Path(source)
        if not path.is_file():
            raise InputError(f"image not found: {path}")
        with open(path, "rb") as handle:
            head = handle.read(132)
        if path.suffix.lower() in _DICOM_SUFFIXES or _is_dicom_bytes(head):
            return _read_dicom(path)
        with Image.open(path) as image:
            image.load()
            return _normalise_mode(image)
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, AttributeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot read image {_describe(source)}: {reason}") from error
    except Exception as error:  # pydicom raises its own error types for broken files
        if type(error).__module__.startswith("pydicom"):
            raise InputError(f"cannot read image {_describe(source)}: {error}") from error
        raise
