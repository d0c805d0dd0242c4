"""Where the data shipped inside the package lives: the bundled recordings and the example profiles.

They are sub-packages of ``oaic`` mapped onto the top-level ``cassettes/`` and ``examples/`` folders (see
pyproject.toml), so the same lookup works in a checkout, an editable install and an installed wheel.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_folder(name: str) -> Path:
    """The folder of the data sub-package ``oaic.<name>`` (a regular or namespace package)."""
    spec = importlib.util.find_spec(f"{__package__}.{name}")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package data {__package__}.{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_recordings() -> Path:
    return package_folder("cassettes")


def examples() -> Path:
    return package_folder("examples")
