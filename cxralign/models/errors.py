"""One-line errors raised while resolving and loading models."""

from __future__ import annotations

from cxralign.errors import ConfigError, CxrAlignError, InputError


class ModelSpecError(ConfigError):
    """A ``--model`` spec that does not parse or names nothing known."""


class CheckpointError(InputError):
    """A checkpoint that is missing, unreadable, or does not fit the architecture."""


class UntrustedCheckpointError(CheckpointError):
    """A pickle that needs arbitrary code to load, refused without ``--trust-checkpoint``."""


class HubUnavailableError(CxrAlignError):
    """Weights named by a hub id that are not cached locally while the hub cannot be reached."""
