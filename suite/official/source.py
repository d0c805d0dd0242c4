"""Reading the official document: a local path or an http(s) URL, YAML or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError

FETCH_TIMEOUT = 60.0


def read_source(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(source, timeout=FETCH_TIMEOUT, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot fetch the OpenAPI document {source}: {exc}") from None
        if response.status_code != 200:
            raise UsageError(f"cannot fetch the OpenAPI document {source}: HTTP {response.status_code}")
        return response.content
    try:
        return Path(source).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the OpenAPI document {source}: {exc.strerror or exc}") from None


class _StringDates(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Unquoted dates stay strings, as they would be in the JSON form of the same document."""


_StringDates.add_constructor("tag:yaml.org,2002:timestamp", _StringDates.construct_yaml_str)


def parse(raw: bytes, source: str = "") -> dict[str, Any]:
    text = raw.decode("utf-8-sig", "replace")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_StringDates)
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"the OpenAPI document {source} is neither JSON nor YAML: {str(exc)[:200]}") from None
    if not isinstance(data, dict) or "paths" not in data or not str(data.get("openapi", "")).startswith("3."):
        raise UsageError(f"{source} is not an OpenAPI 3 document (no 'openapi: 3.x' and 'paths')")
    return data
