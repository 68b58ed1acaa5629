"""User-facing errors: the CLI prints them as one line, without a traceback."""

from __future__ import annotations


class CxrAlignError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class InputError(CxrAlignError):
    """Bad input data: a missing column, an unreadable file, a wrong layout."""


class ConfigError(CxrAlignError):
    """An impossible option or configuration value."""


class OutputExistsError(CxrAlignError):
    """The output path exists and ``--overwrite`` was not given."""
