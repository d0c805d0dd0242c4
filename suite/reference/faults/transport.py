"""Faults of the wire: stalled and dropped streams, broken SSE payloads, wrong content types, oversized bodies,
missing headers. Each one is something an OpenAI-compatible server has shipped (see the research notes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Close, FaultContext, Stall, fault

STALL_SECONDS = 600.0  # far beyond any client deadline; the server stops as soon as the client gives up
HUGE_BODY_BYTES = 17 * 1024 * 1024  # just over the suite's 16 MiB bound
PAD_BLOCK = b" " * 65536


def _midway(pieces: list[Any], marker: Any) -> list[Any]:
    """The pieces up to the middle of the stream (at least one), then the marker."""
    cut = max(1, len(pieces) // 2)
    return list(pieces[:cut]) + [marker]


def _break_middle_payload(data: list[str], ctx: FaultContext) -> list[str]:
    payloads = [i for i, item in enumerate(data) if item != "[DONE]"]
    if not payloads:
        return data
    target = payloads[len(payloads) // 2]
    out = list(data)
    out[target] = out[target][: max(1, len(out[target]) // 2)]  # a JSON object cut in half
    return out


def _is_stream(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").startswith("text/event-stream")


def _huge(body: bytes, ctx: FaultContext) -> Any:
    if ctx.endpoint != "chat.completions" or not isinstance(body, bytes):
        return body

    def produce() -> Iterator[bytes]:
        yield body.rstrip(b"\n")
        for _ in range(HUGE_BODY_BYTES // len(PAD_BLOCK)):
            yield PAD_BLOCK  # whitespace after the JSON value: still JSON, only far too large
        yield b"\n"

    return produce()


def _retype(value: str):
    def hook(headers: dict[str, str], ctx: FaultContext) -> dict[str, str]:
        return headers if _is_stream(headers) else {**headers, "content-type": value}
    return hook


fault("stream-stall", ["transport.response.timely"],
      "Streams stop half-way and keep the connection open, sending neither a finish_reason nor [DONE].",
      exercised_by=["chat.stream.usage-final"],
      sse_bytes=lambda pieces, ctx: _midway(pieces, Stall(STALL_SECONDS)))

fault("stream-close", ["transport.response.complete"],
      "Streams are cut off half-way: the server closes the connection without finishing the response.",
      exercised_by=["chat.stream.usage-final"],
      sse_bytes=lambda pieces, ctx: _midway(pieces, Close()))

fault("stream-invalid-json", ["chat.stream.data-json"],
      "One data: line in the middle of every stream carries a JSON object cut in half.",
      sse_data=_break_middle_payload)

fault("stream-text-plain", ["chat.stream.content-type"],
      "Streams are sent with content type text/plain instead of text/event-stream.",
      response_headers=lambda headers, ctx: {**headers, "content-type": "text/plain; charset=utf-8"}
      if _is_stream(headers) else headers)

fault("json-text-html", ["transport.json.content-type", "property.positive.content-type"],
      "Non-streamed responses, errors included, are labelled text/html although the body is JSON.",
      exercised_by=["models.list.shape"],
      response_headers=_retype("text/html; charset=utf-8"))

fault("body-huge", ["transport.response.bounded"],
      "A non-streamed chat completion is followed by 17 MiB of whitespace (generated as it is sent).",
      exercised_by=["chat.response.schema"],
      response_body=_huge)

fault("no-request-id", ["errors.headers.request-id"],
      "Responses carry no x-request-id header.",
      response_headers=lambda headers, ctx: {k: v for k, v in headers.items() if k != "x-request-id"})

fault("headers-never-sent", ["transport.response.timely"],
      "Non-streamed chat completions never start: no status line arrives before the client gives up.",
      exercised_by=["chat.response.schema"],
      response_body=lambda body, ctx: [Stall(STALL_SECONDS), body] if ctx.endpoint == "chat.completions" else body)
