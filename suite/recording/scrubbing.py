"""Scrubbing for recordings: no credential reaches a cassette or a recorded profile.

Names first: headers and query parameters that carry credentials (suite/scrub.py decides which) get a
placeholder. Then values: every secret of the run (the API key, the values of credential headers, a password
in the base URL) is replaced wherever it appears, in URIs, header values and request and response bodies,
because servers echo keys back (error messages that quote the key, cookies, debug headers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..scrub import PLACEHOLDER, is_secret_name, scrub_text
from ..target import Target

_MIN_SECRET = 4  # shorter values would scrub ordinary text; scrub.py applies the same floor


def run_secrets(target: Target) -> list[str]:
    """Every secret value the run sends."""
    values = [target.api_key or ""]
    values += [value for name, value in target.headers.items() if is_secret_name(name)]
    password = urlsplit(target.base_url).password if target.base_url else None
    values.append(password or "")
    return sorted({v for v in values if len(v) >= _MIN_SECRET}, key=len, reverse=True)


def scrub_uri(uri: str, secrets: Iterable[str]) -> str:
    parts = urlsplit(uri)
    if parts.query:
        query = [(name, PLACEHOLDER if is_secret_name(name) else value)
                 for name, value in parse_qsl(parts.query, keep_blank_values=True)]
        parts = parts._replace(query=urlencode(query))
    return scrub_text(urlunsplit(parts), secrets)


def scrub_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    secrets = list(secrets)
    return {name: PLACEHOLDER if is_secret_name(name) else scrub_text(value, secrets)
            for name, value in headers.items()}


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if len(secret) >= _MIN_SECRET:
            data = data.replace(secret.encode("utf-8"), PLACEHOLDER.encode("utf-8"))
    return data


def scrub_chunks(chunks: list[tuple[float, bytes]], secrets: Iterable[str]) -> tuple[bytes, list[int]]:
    """The scrubbed body and the end position of every chunk in it.

    A secret split across two network reads is still found (the body is scrubbed whole); a chunk boundary that
    fell inside a secret moves to the end of its placeholder, so the timing of every other byte is kept.
    """
    body = b"".join(chunk for _, chunk in chunks)
    ends, total = [], 0
    for _, chunk in chunks:
        total += len(chunk)
        ends.append(total)
    for secret in secrets:
        if len(secret) >= _MIN_SECRET:
            body, ends = _replace_keeping_boundaries(body, ends, secret.encode("utf-8"),
                                                     PLACEHOLDER.encode("utf-8"))
    return body, ends


def _replace_keeping_boundaries(body: bytes, ends: list[int], old: bytes, new: bytes) -> tuple[bytes, list[int]]:
    starts = []
    position = body.find(old)
    while position != -1:
        starts.append(position)
        position = body.find(old, position + len(old))
    if not starts:
        return body, ends
    grow = len(new) - len(old)
    moved = []
    for end in ends:
        shift = 0
        for start in starts:
            if start + len(old) <= end:
                shift += grow
            elif start < end:  # the boundary fell inside this occurrence
                end = start + len(old)
                shift += grow
            else:
                break
        moved.append(end + shift)
    return body.replace(old, new), moved
