"""The phantom banks' Gaussian filter is scipy.ndimage's, bit for bit (the banks, and so every image, depend on it)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from cxralign.data.phantoms.banks import gaussian_filter


@pytest.mark.parametrize("mode", ["reflect", "wrap"])
@pytest.mark.parametrize(
    "shape, sigma",
    [
        ((448, 280), 3.584),  # a vessel layer at 224 px
        ((448, 280), 0.6),  # the smallest sigma the banks use (radius 2)
        ((224, 112), 0.56),  # bronchi
        ((96, 96), 6.0),  # a texture field (wrap) at a small size
        ((30, 7), 13.4),  # kernel wider than the line: the edge is extended more than once
        ((1, 9), 1.0),
    ],
)
def test_equals_ndimage_bit_for_bit(shape, sigma, mode):
    rng = np.random.default_rng(len(shape) + int(10 * sigma))
    values = rng.standard_normal(shape)
    values[rng.random(shape) < 0.9] = 0.0  # sparse, like the splatted vessel points
    assert np.array_equal(
        gaussian_filter(values, sigma, mode), ndimage.gaussian_filter(values, sigma, mode=mode)
    )


def test_rejects_an_unknown_mode():
    with pytest.raises(KeyError):
        gaussian_filter(np.zeros((4, 4)), 1.0, "mirror")


def test_data_phantoms_imports_neither_scipy_nor_pandas(tmp_path):
    """Start-up is part of the CLI's images/s: the writer needs neither (``-X importtime`` lists every import)."""
    command = [sys.executable, "-X", "importtime", "-m", "cxralign", "data", "phantoms", "--n", "40"]
    command += ["--size", "64", "--workers", "2", "--out", str(tmp_path / "out")]
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "CXRALIGN_NO_PROGRESS": "1"}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "numpy" in imported and "pyarrow" in imported  # the listing is real
    assert not {name for name in imported if name.split(".")[0] in ("scipy", "pandas")}
