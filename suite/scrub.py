"""Scrubbing: secrets never reach disk (cassettes, reports, logs).

Header and query names that carry credentials are replaced by placeholders, and known secret values (the API
key of the run) are replaced wherever they appear in text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

PLACEHOLDER = "<REDACTED>"
_SECRET_NAMES = {"authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie",
                 "set-cookie", "proxy-authorization", "x-goog-api-key"}
# "token" but not "tokens": x-ratelimit-remaining-tokens and max_tokens are counters the checks read, not secrets.
_SECRET_PATTERN = re.compile(r"(key|token(?!s)|secret|passw|auth|session|credential|signature)", re.I)


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or bool(_SECRET_PATTERN.search(lowered))


def scrub_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: (PLACEHOLDER if is_secret_name(name) else value) for name, value in headers.items()}


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, PLACEHOLDER)
    return text


def scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    """Replace secret strings anywhere inside JSON-like data."""
    secrets = [s for s in secrets if s and len(s) >= 4]
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, list):
        return [scrub_value(item, secrets) for item in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), secrets): scrub_value(v, secrets) for k, v in value.items()}
    return value
