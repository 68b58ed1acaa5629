"""Shared test setup: no network, no progress bars, fixtures other test modules use."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def phantom_dataset(tmp_path_factory: pytest.TempPathFactory):
    """A small phantom dataset on disk (96 studies, 64x64, every finding common); returns its directory.

    Layout: ``data/{train,validation,test}.parquet``, ``manifest.json``, ``README.md`` (see docs/phantoms.md).
    """
    from cxralign.data.phantoms import write_phantom_dataset

    out = tmp_path_factory.mktemp("phantoms") / "phantoms"
    write_phantom_dataset(out, 96, seed=0, size=64, prevalence=0.3)
    return out


@pytest.fixture(scope="session")
def phantom_dataset_medium(tmp_path_factory: pytest.TempPathFactory):
    """320 studies (64x64): large enough that the test split has findings with both negate and affirm items,
    so CXR-Align's balanced headline exists (96 studies leave that set empty)."""
    from cxralign.data.phantoms import write_phantom_dataset

    out = tmp_path_factory.mktemp("phantoms-medium") / "phantoms"
    write_phantom_dataset(out, 320, seed=0, size=64, prevalence=0.3)
    return out
