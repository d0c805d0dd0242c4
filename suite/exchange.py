"""Exchange: one captured HTTP request and response, as the checks see it.

Everything a check may look at is here, so checks stay pure functions over exchanges, and an exchange can be
built from a live response, a cassette, or a hand-written transcript in a self-test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import wirejson
from .sse import SSEEvent, decode

_UNSET = object()


@dataclass
class Exchange:
    method: str
    path: str  # path relative to the base URL, with the query string, e.g. "/models?limit=2"
    request_json: Any = None
    request_headers: dict[str, str] = field(default_factory=dict)  # scrubbed
    status: int | None = None  # None when no response arrived
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    events: list[SSEEvent] | None = None  # set when the response was read as an SSE stream
    stream_problems: list[str] = field(default_factory=list)
    comment_lines: int = 0
    error: str | None = None  # transport failure, described for a human
    error_kind: str | None = None  # connect | timeout | stall | deadline | closed | too-large | budget
    elapsed: float = 0.0
    first_byte: float | None = None  # seconds to the first body byte
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # body as it arrived (kept for recordings)
    retries: int = 0
    recorded: bool = True  # False when replay found no recording

    _json: Any = field(default=_UNSET, repr=False, compare=False)
    _json_error: str | None = field(default=None, repr=False, compare=False)

    # -- body -----------------------------------------------------------------------------------------
    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_stream(self) -> bool:
        return self.events is not None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (then ``json_error`` says why)."""
        if self._json is _UNSET:
            self._json = None
            if not self.body.strip():
                self._json_error = "empty body"
            else:
                try:
                    self._json = wirejson.loads(self.body)
                except wirejson.NotJSON as exc:
                    self._json_error = f"body is not JSON ({exc}): {self.body[:200]!r}"
        return self._json

    @property
    def json_error(self) -> str | None:
        self.json()
        return self._json_error

    # -- stream ---------------------------------------------------------------------------------------
    def data_events(self) -> list[SSEEvent]:
        """Events with a data field, in order (a stream's payloads and its [DONE])."""
        return [e for e in (self.events or []) if e.data is not None]

    def chunks_json(self) -> list[tuple[SSEEvent, Any]]:
        """(event, parsed JSON) for every data event that is not [DONE] and parses as JSON."""
        out = []
        for event in self.data_events():
            if event.is_done:
                continue
            value = event.json()
            if event.json_error is None:
                out.append((event, value))
        return out

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """A one-line description of what came back, for messages."""
        if self.status is None:
            return f"no response ({self.error})"
        ctype = self.headers.get("content-type", "no content type")
        if self.is_stream:
            return f"HTTP {self.status} {ctype}, {len(self.events or [])} SSE events"
        body = self.body[:160].decode("utf-8", "replace")
        return f"HTTP {self.status} {ctype}: {body!r}"

    # -- construction for replay and self-tests ---------------------------------------------------------
    @classmethod
    def from_parts(
        cls,
        method: str = "POST",
        path: str = "/chat/completions",
        request_json: Any = None,
        status: int | None = 200,
        headers: dict[str, str] | None = None,
        body: Any = b"",
        stream: bool | None = None,
        chunks: list[tuple[float, bytes]] | None = None,
        **extra: Any,
    ) -> Exchange:
        """Build an exchange from a transcript: ``body`` may be bytes, str, or JSON-able data."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if "content-type" not in headers and status is not None:
            headers["content-type"] = "text/event-stream" if stream else "application/json"
        ex = cls(method=method, path=path, request_json=request_json, status=status, headers=headers, body=body,
                 chunks=chunks or [(0.0, body)], **extra)
        if stream or (stream is None and ex.content_type == "text/event-stream"):
            decoder = decode(body, ex.chunks)
            ex.events = decoder.events
            ex.stream_problems = decoder.problems
            ex.comment_lines = decoder.comment_count
        return ex

    def summary(self) -> dict[str, Any]:
        """What a report shows as evidence about this exchange."""
        out: dict[str, Any] = {"request": f"{self.method} {self.path}", "status": self.status}
        if self.error:
            out["transport_error"] = self.error
        return out


def sse_body(*payloads: Any, done: bool = True, line_end: str = "\n") -> bytes:
    """Serialize payloads as an OpenAI-style SSE body: ``data: <json>`` blocks, then ``data: [DONE]``."""
    parts = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        parts.append(f"data: {data}{line_end}{line_end}")
    if done:
        parts.append(f"data: [DONE]{line_end}{line_end}")
    return "".join(parts).encode("utf-8")
