"""The numpy PNG encoder writes exactly Pillow's bytes (the phantom manifests' hashes depend on it)."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image, features

from cxralign.data.phantoms import generate
from cxralign.data.phantoms.dataset import PNG_COMPRESS_LEVEL, encode_png
from cxralign.data.phantoms.png import encode_gray_png

pytestmark = pytest.mark.skipif(
    features.version("zlib") != zlib.ZLIB_RUNTIME_VERSION,
    reason="Pillow and Python link different zlib builds here, so their deflate streams may differ",
)


def pillow_png(image: np.ndarray, level: int = PNG_COMPRESS_LEVEL) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG", compress_level=level, optimize=False)
    return buffer.getvalue()


def test_drawn_phantoms_encode_to_pillows_bytes():
    images = [sample.image for sample in generate(12, seed=3, size=96)]
    for image in images:
        assert encode_gray_png(image, PNG_COMPRESS_LEVEL) == pillow_png(image)
        assert encode_png(image) == pillow_png(image)


@pytest.mark.parametrize(
    "shape",
    [(1, 1), (1, 9), (9, 1), (5, 7), (64, 64), (300, 257)],  # 300x257 noise: several IDAT chunks
)
@pytest.mark.parametrize("level", [0, 1, 2, 3, 6, 9])  # 0 and 4-9 fall back to Pillow
def test_random_images_and_edge_shapes_encode_to_pillows_bytes(shape, level):
    rng = np.random.default_rng(sum(shape) + level)
    noise = rng.integers(0, 256, size=shape, dtype=np.uint8)
    smooth = np.cumsum(rng.integers(0, 3, size=shape), axis=1).astype(np.uint8)  # Sub/Paeth win
    flat = np.full(shape, 128, np.uint8)  # ties everywhere: the first filter tried must win
    for image in (noise, smooth, flat):
        encoded = encode_gray_png(image, level)
        assert (encoded is None) == (level not in (1, 2, 3))
        assert encoded is None or encoded == pillow_png(image, level)
        assert encode_png(image) == pillow_png(image)


def test_multi_chunk_stream_is_actually_exercised():
    noise = np.random.default_rng(0).integers(0, 256, size=(300, 257), dtype=np.uint8)
    encoded = encode_gray_png(noise, 1)
    assert encoded is not None and encoded.count(b"IDAT") == 2
