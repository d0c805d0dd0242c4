"""Checks and helpers shared by every area: OpenAI error bodies, refusals, JSON pointers (the transport checks
that judge every exchange are in transport.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, errored, expect, short
from . import check

OPENAI_ERROR_STATUSES_UNSUPPORTED = (404, 405, 501)


def no_response(ex: Exchange, requirements: Iterable[str]) -> list[Finding]:
    """When no response arrived, requirements about the response cannot be judged (transport.* says why)."""
    if ex.status is not None:
        return []
    return [errored(r, f"not judged: {ex.method} {ex.path} got no response ({ex.error})", **ex.summary())
            for r in requirements]


def error_body_problems(ex: Exchange) -> list[str]:
    """What keeps an error response from being OpenAI's {"error": {message, type, param, code}} (empty: fine)."""
    problems = []
    if ex.content_type != "application/json":
        problems.append(f"content type is {ex.headers.get('content-type', '(none)')!r}, not application/json")
    body = ex.json()
    if body is None:
        problems.append(ex.json_error or "body is not JSON")
        return problems
    if not isinstance(body, dict) or "error" not in body:
        keys = list(body) if isinstance(body, dict) else type(body).__name__
        problems.append(f"body has no 'error' object (top-level: {short(keys, 120)})")
        return problems
    error = body["error"]
    if not isinstance(error, dict):
        problems.append(f"'error' is {type(error).__name__} {short(error, 120)}, not an object")
        return problems
    for key in ("message", "type"):
        if not isinstance(error.get(key), str):
            problems.append(f"error.{key} is {short(error.get(key), 80) if key in error else 'missing'}, "
                            f"expected a string")
    for key in ("param", "code"):
        if key not in error:
            problems.append(f"error.{key} is missing (expected a string or null)")
        elif error[key] is not None and not isinstance(error[key], str):
            problems.append(f"error.{key} is {short(error[key], 80)}, expected a string or null")
    return problems


@check("errors.body.shape")
def error_body(ex: Exchange) -> Iterable[Finding]:
    """Any non-2xx answer the suite provokes carries OpenAI's error body."""
    if ex.status is None or ex.status < 400:
        return
    problems = error_body_problems(ex)
    yield expect("errors.body.shape", not problems,
                 f"{ex.method} {ex.path} → HTTP {ex.status}: error body not in OpenAI's shape: "
                 + "; ".join(problems), status=ex.status, body=short(ex.body, 300))


def not_a_stream(ex: Exchange) -> str | None:
    """Why a stream: true request did not get an SSE stream (None when it did)."""
    if ex.status != 200:
        return f"stream: true answered {ex.describe()}, expected 200 text/event-stream"
    if not ex.is_stream or ex.content_type != "text/event-stream":
        return (f"stream: true answered content type {ex.headers.get('content-type', '(none)')!r}, expected "
                f"text/event-stream")
    return None


def honest_unsupported(ex: Exchange) -> bool:
    """The target said plainly that it does not implement this: 404/405/501 with an OpenAI error body."""
    return ex.status in OPENAI_ERROR_STATUSES_UNSUPPORTED and not error_body_problems(ex)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def json_pointer(*parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
