"""How a request finds its recording: method, path with query, and canonical JSON body.

The body is compared as parsed JSON (key order and whitespace do not matter), so a request sent by the raw
client and the same request serialized by the OpenAI SDK hit the same recording. A body that is not JSON (a
scenario that sends malformed JSON on purpose) is compared byte for byte. Query parameters are compared in
sorted order. The functions named ``*_matcher`` follow vcrpy's matcher protocol (raise AssertionError saying how
two requests differ), so vcrpy's own diagnostics can use them too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

_NOT_JSON = object()


def path_and_query(uri: str) -> str:
    """The path of a URI with its query parameters in sorted order."""
    parts = urlsplit(uri)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + (f"?{urlencode(query)}" if query else "")


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def parsed_body(body: Any) -> Any:
    """The body as JSON data, or _NOT_JSON."""
    raw = body_bytes(body)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _NOT_JSON


def canonical_body(body: Any) -> bytes:
    data = parsed_body(body)
    if data is _NOT_JSON:
        return body_bytes(body)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def method_matcher(r1: Any, r2: Any) -> None:
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"method {r1.method} != {r2.method}")


def path_matcher(r1: Any, r2: Any) -> None:
    p1, p2 = path_and_query(r1.uri), path_and_query(r2.uri)
    if p1 != p2:
        raise AssertionError(f"path {p1} != {p2}")


def body_matcher(r1: Any, r2: Any) -> None:
    if canonical_body(r1.body) != canonical_body(r2.body):
        raise AssertionError(f"body differs {first_difference(parsed_body(r1.body), parsed_body(r2.body))}")


MATCHERS = (method_matcher, path_matcher, body_matcher)


def first_difference(a: Any, b: Any, pointer: str = "") -> str:
    """Where the requested body ``a`` first differs from the recorded ``b``, as a JSON pointer with both values."""
    if a is _NOT_JSON or b is _NOT_JSON:
        return "(a body that is not JSON)"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"at {pointer}/{key} (only in the {'request' if key in a else 'recording'})"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{pointer}/{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{pointer}/{index}")
        if len(a) != len(b):
            return f"at {pointer} ({len(a)} items requested, {len(b)} recorded)"
    return f"at {pointer or '/'}: requested {_short(a)}, recorded {_short(b)}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
