"""Faults of the Responses API and its event stream, as OpenAI-compatible servers have shipped them (quirk 18:
llama.cpp PR #24957, LiteLLM PR #28899; the streams of llm-mock-api and transformers serve; LiteLLM's retrieve)."""

from __future__ import annotations

import json
from typing import Any

from ..wire import APIError
from . import FaultContext, fault

TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _unnamed_events(pieces: list[Any], ctx: FaultContext) -> list[Any]:
    """Drop the SSE event lines: only data lines remain."""
    if ctx.endpoint != "responses.create":
        return pieces
    return [b"".join(line for line in piece.splitlines(keepends=True) if not line.startswith(b"event:"))
            if isinstance(piece, bytes) else piece for piece in pieces]


def _no_sequence_numbers(events: list[dict], ctx: FaultContext) -> list[dict]:
    for event in events:
        event.pop("sequence_number", None)
    return events


def _no_terminal(events: list[dict], ctx: FaultContext) -> list[dict]:
    return [event for event in events if event.get("type") not in TERMINAL]


def _terminal_without_output(events: list[dict], ctx: FaultContext) -> list[dict]:
    for event in events:
        if event.get("type") in TERMINAL:
            event["response"] = {k: v for k, v in event["response"].items() if k not in ("output", "status")}
    return events


def _first_delta_dropped(events: list[dict], ctx: FaultContext) -> list[dict]:
    first = next((i for i, e in enumerate(events) if e.get("type") == "response.output_text.delta"), None)
    return events if first is None else events[:first] + events[first + 1:]


def _completed_response(response: dict) -> None:
    if response.get("status") == "incomplete":
        response["status"] = "completed"
        response["incomplete_details"] = None


def _incomplete_as_completed_body(body: Any, ctx: FaultContext) -> Any:
    _completed_response(body)
    return body


def _incomplete_as_completed_events(events: list[dict], ctx: FaultContext) -> list[dict]:
    for event in events:
        if event.get("type") == "response.incomplete":
            event["type"] = "response.completed"
            _completed_response(event["response"])
    return events


def _retrieve_fails(body: Any, ctx: FaultContext) -> Any:
    if ctx.endpoint == "responses.retrieve":
        raise APIError(500, "Cannot connect to the backend that stored this response.", None, "500",
                       "internal_server_error")
    return body


def _arguments_as_object(body: Any, ctx: FaultContext) -> Any:
    for item in body.get("output", []):
        if item.get("type") == "function_call" and isinstance(item.get("arguments"), str):
            item["arguments"] = json.loads(item["arguments"])
    return body


fault("responses-stream-unnamed-events", ["responses.stream.event-field.present"],
      "Streamed Responses events carry no SSE event field, only data lines (llm-mock-api, transformers serve).",
      sse_bytes=_unnamed_events)

fault("responses-stream-no-sequence-number", ["responses.stream.sequence-number"],
      "Streamed Responses events lack sequence_number (llama.cpp PR #24957).",
      responses_events=_no_sequence_numbers)

fault("responses-stream-no-terminal", ["responses.stream.terminal-last"],
      "The Responses stream ends without response.completed / response.incomplete (LiteLLM PR #28899).",
      responses_events=_no_terminal)

fault("responses-stream-terminal-without-output", ["responses.stream.terminal-response"],
      "The terminal event's response lacks output and status (llama.cpp PR #24957).",
      responses_events=_terminal_without_output)

fault("responses-stream-delta-dropped", ["responses.stream.text-deltas"],
      "The first response.output_text.delta is never sent: the deltas do not add up to the final text.",
      responses_events=_first_delta_dropped)

fault("responses-incomplete-as-completed", ["responses.max-output-tokens.incomplete"],
      "A response cut by max_output_tokens says status \"completed\" with no incomplete_details (LiteLLM, "
      "transformers serve).",
      responses_response=_incomplete_as_completed_body, responses_events=_incomplete_as_completed_events)

fault("responses-retrieve-500", ["responses.retrieve.same"],
      "GET /responses/{id} of a response just created answers 500 (LiteLLM without a storing backend).",
      responses_response=_retrieve_fails)

fault("responses-function-arguments-object", ["responses.tools.function-call"],
      "function_call items carry arguments as a JSON object instead of a string holding JSON.",
      responses_response=_arguments_as_object)
