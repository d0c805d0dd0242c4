"""A compact, scrubbed, size-capped JSON view of one Exchange, kept in results.json for the report's exchange viewer.

Everything in it came from a server and may be hostile: strings are made encodable (no lone surrogates) and
capped, so a huge or malformed answer can neither bloat the report nor break writing it.
"""

from __future__ import annotations

import json
from typing import Any

from .exchange import Exchange
from .scrub import scrub_headers

BODY_LIMIT = 64 * 1024  # characters of a response body kept
EVENT_LIMIT = 400  # SSE events kept per exchange
EVENT_TEXT_LIMIT = 4096  # characters kept per event
REQUEST_LIMIT = 16 * 1024  # characters of a request body kept


def clean(text: str, limit: int | None = None) -> str:
    """Text that can be written as UTF-8 (lone surrogates replaced), cut to ``limit`` characters."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n… ({len(text) - limit} more characters not kept)"
    return text.encode("utf-8", "replace").decode("utf-8")


def _clean_value(value: Any) -> Any:
    """A request body as JSON-able data with clean strings; oversized bodies become their (cut) text."""
    try:
        text = json.dumps(value, ensure_ascii=True, default=str)
    except (TypeError, ValueError):
        return clean(repr(value), REQUEST_LIMIT)
    if len(text) > REQUEST_LIMIT:
        return clean(text, REQUEST_LIMIT)
    return _fix(json.loads(text))


def _fix(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_fix(item) for item in value]
    if isinstance(value, dict):
        return {clean(str(k)): _fix(v) for k, v in value.items()}
    return value


def compact(exchange: Exchange, test: str = "", with_content: bool = True) -> dict[str, Any]:
    """The view of one exchange; without content (the run's budget for bodies is spent) the bodies are left out."""
    out: dict[str, Any] = {
        "test": test,
        "method": clean(exchange.method, 20),
        "path": clean(exchange.path, 2000),
        "request_headers": {clean(k, 200): clean(str(v), 2000) for k, v in scrub_headers(exchange.request_headers).items()},
        "request_body": _clean_value(exchange.request_json),
        "status": exchange.status,
        "headers": {clean(k, 200): clean(str(v), 2000) for k, v in scrub_headers(exchange.headers).items()},
        "elapsed": round(exchange.elapsed or 0.0, 4),
    }
    if exchange.first_byte is not None:
        out["first_byte"] = round(exchange.first_byte, 4)
    if exchange.error:
        out["error"] = clean(exchange.error, 2000)
    if not with_content:
        out["body"] = "(body not kept: the report's budget for exchange bodies was spent earlier in the run)"
    elif exchange.events is not None:
        events = exchange.events
        out["events"] = [[round(e.offset, 4), clean("\n".join(e.raw_lines), EVENT_TEXT_LIMIT)]
                         for e in events[:EVENT_LIMIT]]
        if len(events) > EVENT_LIMIT:
            out["events_dropped"] = len(events) - EVENT_LIMIT
        if exchange.stream_problems:
            out["stream_problems"] = [clean(p, 500) for p in exchange.stream_problems[:20]]
    else:
        out["body"] = clean(exchange.body.decode("utf-8", "replace"), BODY_LIMIT)
    return out


def content_size(view: dict[str, Any]) -> int:
    """Characters of body and event text in a view."""
    return len(view.get("body", "")) + sum(len(event[1]) for event in view.get("events", []))
