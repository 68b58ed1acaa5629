"""8-bit grayscale PNG encoding, byte for byte what Pillow writes, with the row filters in numpy.

Pillow (``Image.save(format="PNG", compress_level=L, optimize=False)``) picks a filter
per row by the minimum sum of absolute differences, trying None, Up, Sub and Paeth in
that order (a later filter must be strictly better), then deflates the filtered rows
with zlib (memLevel 9) and writes the stream as IDAT chunks of 64 KiB. Its filter loop
runs byte by byte in C and costs more than the deflate itself at level 1; here every
row's four candidates are computed at once as whole-array operations. The phantom
writer's manifests are unchanged (tests compare against Pillow on drawn and random images).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IDAT_BLOCK = 65536  # Pillow's ImageFile.MAXBLOCK: the encoder's output buffer, one IDAT chunk each
FAST_LEVELS = (1, 2, 3)  # zlib levels whose output does not depend on how the input is fed
FILTER_CODES = np.array([0, 2, 1, 4], dtype=np.uint8)  # None, Up, Sub, Paeth: Pillow's order of trial


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def filter_rows(image: np.ndarray) -> np.ndarray:
    """(h, w) uint8 -> (h, w + 1) filtered scanlines, each led by its filter type (Pillow's choice).

    Written with arithmetic on contiguous arrays only: ``np.where`` on int16 costs 100x more here.
    """
    height, width = image.shape
    padded = np.zeros((height + 1, width + 1), np.int16)  # a row of zeros above, a column left
    padded[1:, 1:] = image
    left, above, corner = padded[1:, :-1], padded[:-1, 1:], padded[:-1, :-1]
    to_above = above - corner
    to_left = left - corner
    pc = np.abs(to_above + to_left)  # Paeth: |estimate - corner|; pa, pb: to left, above
    pa = np.abs(to_above)
    pb = np.abs(to_left)
    use_left = pa <= pb
    use_left &= pa <= pc
    predictor = to_above * (pb <= pc)  # (predictor - corner): above where it is nearer, else 0
    predictor += (to_left - predictor) * use_left
    predictor += corner
    wrapped = padded.astype(np.uint8)
    pixels = wrapped[1:, 1:]
    candidates = (  # uint8 arithmetic wraps mod 256, as the PNG filters do
        pixels,
        pixels - wrapped[:-1, 1:],
        pixels - wrapped[1:, :-1],
        pixels - predictor.astype(np.uint8),
    )
    costs = np.stack([np.minimum(v, 0 - v).sum(axis=1, dtype=np.int32) for v in candidates])
    choice = np.argmin(costs, axis=0)  # first minimum: a later filter must be strictly better
    out = np.empty((height, width + 1), np.uint8)
    out[:, 0] = FILTER_CODES[choice]
    body = out[:, 1:]
    np.copyto(body, candidates[3])
    for code in (0, 1, 2):
        rows = np.flatnonzero(choice == code)
        if len(rows):
            body[rows] = candidates[code][rows]
    return out


def encode_gray_png(image: np.ndarray, compress_level: int) -> bytes | None:
    """The PNG Pillow writes for this (h, w) uint8 image, or None where the bytes could differ.

    Only levels 1-3 (zlib's fast matcher) are written here, checked against Pillow by the
    tests: zlib cuts level 0's stored blocks where its output buffer fills, and the lazy
    matcher of levels 4-9 can decide differently when Pillow feeds it one row at a time.
    """
    if compress_level not in FAST_LEVELS:
        return None
    height, width = image.shape
    compressor = zlib.compressobj(compress_level, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY)
    stream = compressor.compress(filter_rows(image).tobytes()) + compressor.flush()
    block = max(IDAT_BLOCK, width * 4)
    if not stream or len(stream) % block == 0:  # Pillow may then write an empty last IDAT: let it
        return None
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    chunks += [_chunk(b"IDAT", stream[i : i + block]) for i in range(0, len(stream), block)]
    chunks.append(_chunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunks)
