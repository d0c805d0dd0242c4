"""Faults of the Responses API and its event stream, as OpenAI-compatible servers have shipped them (quirk 18:
llama.cpp PR #24957, LiteLLM PR #28899; the streams of llm-mock-api and transformers serve; LiteLLM's retrieve)."""

from __future__ import annotations

import json
from typing import Any

from ..wire import APIError
from . import FaultContext, fault
from ._requests import serve_unknown_model, skip_stream_validation

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


def _created_ms(body: Any, ctx: FaultContext) -> Any:
    if isinstance(body.get("created_at"), int):
        body["created_at"] = body["created_at"] * 1000
    return body


def _chat_style_parts(value: Any) -> Any:
    """Every output_text content part, wherever it occurs, becomes a chat-style {"type": "text"} part."""
    if isinstance(value, list):
        for item in value:
            _chat_style_parts(item)
    elif isinstance(value, dict):
        if value.get("type") == "output_text" and "text" in value:
            value["type"] = "text"
        for item in value.values():
            _chat_style_parts(item)
    return value


def _chat_usage(response: Any) -> None:
    usage = response.get("usage") if isinstance(response, dict) else None
    if isinstance(usage, dict) and "input_tokens" in usage:
        response["usage"] = {"prompt_tokens": usage["input_tokens"], "completion_tokens": usage["output_tokens"],
                             "total_tokens": usage["total_tokens"]}


def _chat_usage_body(body: Any, ctx: FaultContext) -> Any:
    _chat_usage(body)
    return body


def _chat_usage_events(events: list[dict], ctx: FaultContext) -> list[dict]:
    for event in events:
        _chat_usage(event.get("response"))
    return events


def _not_stored_by_default(body: Any, ctx: FaultContext) -> Any:
    if ctx.endpoint == "responses.create" and isinstance(body, dict) and body.get("store") is None:
        return {**body, "store": False}
    return body


def _each_named_event(change):
    """An sse.bytes hook on Responses streams: ``change(event_name, data)`` -> (event_name, data) for each piece
    that is one "event:" line and one "data:" line."""
    def hook(pieces: list[Any], ctx: FaultContext) -> list[Any]:
        if ctx.endpoint != "responses.create":
            return pieces
        out = []
        for piece in pieces:
            lines = piece.split(b"\n") if isinstance(piece, bytes) else []
            if len(lines) == 4 and lines[0].startswith(b"event: ") and lines[1].startswith(b"data: "):
                name, data = change(lines[0][7:].decode(), json.loads(lines[1][6:]))
                piece = f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
            out.append(piece)
        return out
    return hook


def _type_only_in_event_line(name: str, data: Any) -> tuple[str, Any]:
    return name, {k: v for k, v in data.items() if k != "type"} if isinstance(data, dict) else data


def _without_created(events: list[dict], ctx: FaultContext) -> list[dict]:
    kept = [event for event in events if event.get("type") != "response.created"]
    for number, event in enumerate(kept):
        event["sequence_number"] = number
    return kept


fault("responses-created-at-ms", ["responses.create.shape"],
      "created_at is in milliseconds (JavaScript's Date.now()) instead of Unix seconds.",
      responses_response=_created_ms)

fault("responses-output-chat-parts", ["responses.output.message"],
      "Message output items carry chat-style {\"type\": \"text\"} content parts instead of output_text, which "
      "SDKs skip when they assemble output_text; streamed or not.",
      responses_response=lambda body, ctx: _chat_style_parts(body),
      responses_events=lambda events, ctx: _chat_style_parts(events))

fault("responses-usage-chat-names", ["responses.usage.consistent"],
      "usage uses the chat names prompt_tokens / completion_tokens instead of input_tokens / output_tokens, "
      "streamed or not.",
      responses_response=_chat_usage_body, responses_events=_chat_usage_events)

fault("responses-not-stored-by-default", ["responses.previous-response.accepted"],
      "Responses are stored only when the request says store: true (OpenAI stores by default), so a "
      "previous_response_id naming a response just created answers 404.",
      request=_not_stored_by_default)

fault("responses-stream-type-only-in-event-line", ["responses.stream.format"],
      "Streamed Responses events name their type only in the SSE event line: the JSON data carries no type.",
      sse_bytes=_each_named_event(_type_only_in_event_line))

fault("responses-stream-events-named-message", ["responses.stream.event-field.matches"],
      "Every streamed Responses event is sent as \"event: message\" (a generic SSE helper's name) instead of its "
      "type.",
      sse_bytes=_each_named_event(lambda name, data: ("message", data)))

fault("responses-stream-no-created", ["responses.stream.created-first"],
      "The Responses stream opens with response.in_progress: response.created is never sent.",
      responses_events=_without_created)

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


# -- unknown models, invalid streams, identity, streaming that streams -------------------------------------------
UUID_ID = "5f6a7b3f-1c9a-4e8b-9d2c-3e4f5a6b7c8d"


def _uuid_ids(value: Any, ctx: FaultContext) -> Any:
    for body in value if isinstance(value, list) else [value]:
        target = body.get("response") if isinstance(body.get("response"), dict) else body
        if "id" in target and target.get("object") == "response":
            target["id"] = UUID_ID
    return value


def _terminal_with_new_id(events: list[dict], ctx: FaultContext) -> list[dict]:
    """A gateway rebuilds the final response and gives it an id of its own."""
    for event in events:
        if event.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            event["response"] = {**event["response"], "id": event["response"]["id"] + "_final"}
    return events


def _text_in_one_delta(events: list[dict], ctx: FaultContext) -> list[dict]:
    """A buffering proxy: each text part's deltas arrive as one delta event, renumbered."""
    out: list[dict] = []
    for event in events:
        previous = out[-1] if out else None
        if (event.get("type") == "response.output_text.delta" and previous is not None
                and previous.get("type") == "response.output_text.delta"
                and previous.get("item_id") == event.get("item_id")
                and previous.get("content_index") == event.get("content_index")):
            previous["delta"] += event.get("delta", "")
            continue
        out.append(event)
    for number, event in enumerate(out):
        if "sequence_number" in event:
            event["sequence_number"] = number
    return out


fault("responses-unknown-model-served", ["responses.model.unknown-404"],
      "A response for a model that does not exist is served by the default model (a wildcard model route).",
      models_unknown=serve_unknown_model("responses.create"))

fault("responses-stream-skips-validation", ["responses.stream.invalid-rejected"],
      "Sampling parameters are validated only for non-streamed responses: temperature 5 with stream: true is "
      "streamed (clamped to 2).",
      request=skip_stream_validation("responses.create"))

fault("responses-id-uuid", ["responses.create.id-prefix"],
      "Response ids are bare UUIDs instead of resp_….",
      responses_response=_uuid_ids, responses_events=_uuid_ids)

fault("responses-stream-terminal-new-id", ["responses.stream.identity"],
      "The terminal event's response has an id of its own, not the id response.created announced.",
      responses_events=_terminal_with_new_id)

fault("responses-stream-one-delta", ["responses.stream.incremental"],
      "A buffering proxy sends each text part as one response.output_text.delta event.",
      responses_events=_text_in_one_delta)
