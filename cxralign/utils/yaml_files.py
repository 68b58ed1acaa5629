"""YAML files a user hands in (configs, lexicons): read as one mapping, or one clear error line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from cxralign.errors import ConfigError


def read_yaml_mapping(
    path: str | os.PathLike[str], what: str, shape: str = "a mapping at the top level"
) -> dict[str, Any]:
    """The mapping in ``path`` ({} for an empty file); ``what`` names the file in errors ("config")."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{what} {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path} must hold {shape}")
    return data
