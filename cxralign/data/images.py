"""Read chest X-rays from any common container into an 8-bit PIL image.

Models only ever see ``L`` (grayscale) or ``RGB`` images from here: 16-bit PNGs
and DICOM pixel data are rescaled to 8 bits from their own value range, DICOM
windowing (VOI LUT or window centre/width) is applied, and MONOCHROME1 images
are inverted so that bone is always bright. EXIF orientation is applied (a phone
JPEG saved sideways is read upright). A file that cannot be read, including a
decompression bomb (a small file whose header claims a huge image), raises
:class:`cxralign.errors.InputError` naming the path, never a blank image.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

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


def _read_pil(handle: str | os.PathLike[str] | io.BytesIO) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, do not warn
        with Image.open(handle) as image:
            image.load()
            return _normalise_mode(ImageOps.exif_transpose(image))


def load_image(source: ImageSource) -> Image.Image:
    """Decode ``source`` (path, raw bytes or PIL image) into an ``L`` or ``RGB`` image."""
    if isinstance(source, Image.Image):
        return _normalise_mode(source)
    try:
        if isinstance(source, bytes):
            if _is_dicom_bytes(source[:132]):
                return _read_dicom(source)
            return _read_pil(io.BytesIO(source))
        path = Path(source)
        if not path.is_file():
            raise InputError(f"image not found: {path}")
        with open(path, "rb") as handle:
            head = handle.read(132)
        if path.suffix.lower() in _DICOM_SUFFIXES or _is_dicom_bytes(head):
            return _read_dicom(path)
        return _read_pil(path)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(
            f"cannot read image {_describe(source)}: refused as a decompression bomb ({error})"
        ) from None
    except (MemoryError, Exception) as error:  # PIL, numpy and pydicom each raise their own types
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot read image {_describe(source)}: {reason}") from error
