"""Image decoding: every container a chest X-ray arrives in becomes the right 8-bit picture."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxralign.data.images import load_image
from cxralign.errors import InputError

GRADIENT = np.tile(np.arange(0, 256, dtype=np.uint8), (8, 1))  # left dark, right bright


def _dicom(path, pixels: np.ndarray, photometric: str = "MONOCHROME2", **extra) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    for name, value in extra.items():
        setattr(ds, name, value)
    ds.save_as(path, enforce_file_format=True)


def test_8bit_png_is_kept_exactly(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(GRADIENT, mode="L").save(path)
    image = load_image(path)
    assert image.mode == "L"
    assert np.array_equal(np.asarray(image), GRADIENT)


def test_16bit_png_uses_its_own_range(tmp_path):
    # 12-bit data stored in a 16-bit PNG: dividing by 65535 would make it nearly black.
    pixels = (np.tile(np.arange(256, dtype=np.uint16), (8, 1)) * 16).astype(np.uint16)
    path = tmp_path / "b.png"
    Image.fromarray(pixels).save(path)
    assert Image.open(path).mode.startswith("I")
    image = load_image(path)
    assert image.mode == "L"
    array = np.asarray(image)
    assert array.min() == 0 and array.max() == 255
    assert np.all(np.diff(array[0].astype(int)) >= 0)


def test_jpeg_rgb_and_rgba(tmp_path):
    rgb = np.stack([GRADIENT] * 3, axis=-1)
    jpeg = tmp_path / "c.jpg"
    Image.fromarray(rgb).save(jpeg, quality=95)
    assert load_image(jpeg).mode == "RGB"
    rgba = np.dstack([rgb, np.full(GRADIENT.shape, 255, np.uint8)])
    rgba[:, :10, 3] = 0  # transparent strip composites onto black
    image = load_image(Image.fromarray(rgba, mode="RGBA"))
    assert image.mode == "RGB"
    assert np.asarray(image)[:, :10].max() == 0
    assert np.asarray(image)[0, 200, 0] == 200


def test_bytes_input(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(GRADIENT).save(buffer, format="PNG")
    assert np.array_equal(np.asarray(load_image(buffer.getvalue())), GRADIENT)


def test_dicom_monochrome2_and_monochrome1_inversion(tmp_path):
    pixels = np.tile(np.arange(0, 4096, 16, dtype=np.uint16), (4, 1))
    _dicom(tmp_path / "m2.dcm", pixels)
    _dicom(tmp_path / "m1.dcm", pixels, photometric="MONOCHROME1")
    normal = np.asarray(load_image(tmp_path / "m2.dcm"))
    inverted = np.asarray(load_image(tmp_path / "m1.dcm"))
    assert normal[0, 0] == 0 and normal[0, -1] == 255
    assert inverted[0, 0] == 255 and inverted[0, -1] == 0
    # raw bytes work too (DICM magic detected without a suffix)
    data = (tmp_path / "m2.dcm").read_bytes()
    assert np.array_equal(np.asarray(load_image(data)), normal)


def test_dicom_window_is_applied(tmp_path):
    pixels = np.tile(np.arange(0, 4096, 16, dtype=np.uint16), (4, 1))
    _dicom(tmp_path / "w.dcm", pixels, WindowCenter=1024, WindowWidth=512)
    array = np.asarray(load_image(tmp_path / "w.dcm"))
    # everything below the window is black, everything above it white
    assert array[0, 10] == 0  # value 160 < 768
    assert array[0, 200] == 255  # value 3200 > 1280
    inside = array[0, 64]  # value 1024 = window centre -> mid grey
    assert 100 < inside < 160


def test_missing_and_corrupt_files_name_the_path(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_image(tmp_path / "nope.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match="broken.png"):
        load_image(broken)
