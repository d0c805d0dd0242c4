"""Faults of refusals: error bodies in other shapes, wrong status codes, validation that servers skipped, errors
sent inside a stream, keys that are not checked, rate-limit headers. Each is something OpenAI-compatible servers
have shipped (research notes, quirks 12, 13 and 15; the mock servers the suite was tried on)."""

from __future__ import annotations

from typing import Any

from ..wire import APIError
from . import FaultContext, fault

KNOWN_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
SAMPLING_RANGES = {"temperature": (0, 2), "top_p": (0, 1), "n": (1, 128)}
HTML_PAGE = b"<!doctype html><html><head><title>App</title></head><body><div id=\"root\"></div></body></html>"


def _message(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message")) if isinstance(error, dict) else str(body)


def _each_error(change):
    """An ``error`` hook applying ``change(status, body, ctx)`` to every error response."""
    def hook(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
        return change(error[0], error[1], ctx)
    return hook


def _without_param_and_code(body: Any) -> Any:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return body
    return {"error": {k: v for k, v in error.items() if k not in ("param", "code")}}


def _param_null(body: Any) -> Any:
    error = body.get("error") if isinstance(body, dict) else None
    return {"error": {**error, "param": None}} if isinstance(error, dict) else body


def _is_chat(ctx: FaultContext) -> bool:
    return ctx.endpoint == "chat.completions"


def _streamed(ctx: FaultContext) -> bool:
    return _is_chat(ctx) and isinstance(ctx.request, dict) and ctx.request.get("stream") is True


def _clamp_sampling(body: dict, ctx: FaultContext) -> dict:
    out = dict(body)
    for key, (low, high) in SAMPLING_RANGES.items():
        value = out.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = min(max(value, low), high)
    return out


def _unknown_roles_as_user(body: dict, ctx: FaultContext) -> dict:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    return {**body, "messages": [{**m, "role": "user"} if isinstance(m, dict) and m.get("role") not in KNOWN_ROLES
                                 else m for m in messages]}


def _crash_without_messages(body: dict, ctx: FaultContext) -> dict:
    if _is_chat(ctx) and "messages" not in body:
        raise APIError(500, "The server had an error while processing your request. Sorry about that!", None, None,
                       "server_error")
    return body


def _drop_string_max_tokens(body: dict, ctx: FaultContext) -> dict:
    return {k: v for k, v in body.items() if not (k == "max_tokens" and isinstance(v, str))}


def _unparsable_json_crashes(status: int, body: Any, ctx: FaultContext) -> tuple[int, Any]:
    if status == 400 and _message(body).startswith("We could not parse the JSON body"):
        return 500, "Internal Server Error"
    return status, body


def _error_in_stream_status(status: int, body: Any, ctx: FaultContext) -> tuple[int, Any]:
    return (200, body) if _streamed(ctx) and status >= 400 else (status, body)


def _error_in_stream_body(body: Any, ctx: FaultContext) -> Any:
    """The (already JSON) error body of a streamed request, sent as one SSE event and [DONE]."""
    if not _streamed(ctx) or not isinstance(body, bytes):
        return body
    return b"data: " + body.strip() + b"\n\ndata: [DONE]\n\n"


def _stream_content_type(headers: dict[str, str], ctx: FaultContext) -> dict[str, str]:
    return {**headers, "content-type": "text/event-stream; charset=utf-8"} if _streamed(ctx) else headers


def _unrouted(ctx: FaultContext) -> bool:
    return ctx.endpoint == "unrouted"


def _unknown_path_served(status: int, body: Any, ctx: FaultContext) -> tuple[int, Any]:
    return (200, body) if _unrouted(ctx) and status == 404 else (status, body)


def _without_rate_limits(headers: dict[str, str], ctx: FaultContext) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not k.startswith("x-ratelimit-")}


def _limited(ctx: FaultContext) -> bool:
    """The one request the rate limiter of ``rate-limit-no-retry-hint`` trips on: a chat completion with a
    temperature above 2 (one request of a run, so the client's retries of it cost little time)."""
    temperature = ctx.request.get("temperature") if isinstance(ctx.request, dict) else None
    return _is_chat(ctx) and isinstance(temperature, (int, float)) and temperature > 2


def _rate_limited(status: int, body: Any, ctx: FaultContext) -> tuple[int, Any]:
    if not _limited(ctx):
        return status, body
    return 429, APIError(429, "Rate limit reached for requests. Please try again later.", None,
                         "rate_limit_exceeded", "requests").body()


def _negative_rate_limits(headers: dict[str, str], ctx: FaultContext) -> dict[str, str]:
    return {k: ("-1" if k.startswith(("x-ratelimit-limit-", "x-ratelimit-remaining-")) else
                "0" if k.startswith("x-ratelimit-reset-") else v) for k, v in headers.items()}


fault("error-detail-body", ["errors.body.shape", "property.negative.error-shape",
                             "property.positive.response-schema"],
      "Errors come back in FastAPI's default shape {\"detail\": \"...\"} instead of {\"error\": {...}}.",
      error=_each_error(lambda status, body, ctx: (status, {"detail": _message(body)})))

fault("error-string", ["errors.body.shape"],
      "Errors come back as {\"error\": \"<message>\"}: the error is a plain string, not an object.",
      error=_each_error(lambda status, body, ctx: (status, {"error": _message(body)})))

fault("error-no-param-code", ["errors.body.shape"],
      "Error objects carry message and type only; param and code are left out.",
      error=_each_error(lambda status, body, ctx: (status, _without_param_and_code(body))))

fault("error-param-null", ["errors.param.names-field"],
      "Validation errors never name the offending parameter: error.param is always null.",
      error=_each_error(lambda status, body, ctx: (status, _param_null(body))))

fault("validation-422", ["errors.status.bad-request"],
      "Invalid requests and query parameters are refused with 422 (FastAPI's default) instead of 400.",
      error=_each_error(lambda status, body, ctx: (422 if status == 400 else status, body)))

fault("sampling-unchecked", ["errors.invalid.temperature", "errors.invalid.top-p", "errors.invalid.n",
                              "property.negative.rejected"],
      "temperature, top_p and n outside their ranges are silently clamped into range and served.",
      request=_clamp_sampling)

fault("unknown-role-as-user", ["errors.invalid.role"],
      "A message with a role that does not exist is treated as a user message.",
      request=_unknown_roles_as_user)

fault("missing-messages-500", ["errors.invalid.missing-messages", "property.negative.no-server-error"],
      "A chat completion without messages crashes the server: HTTP 500 instead of 400.",
      request=_crash_without_messages)

fault("wrong-type-ignored", ["errors.invalid.wrong-type"],
      "max_tokens given as a string is ignored and the request served without a token limit.",
      request=_drop_string_max_tokens)

fault("malformed-json-500", ["errors.invalid.malformed-json"],
      "A request body that is not valid JSON crashes the server: HTTP 500 \"Internal Server Error\".",
      error=_each_error(_unparsable_json_crashes))

fault("stream-error-event", ["errors.stream.before-events"],
      "An invalid streamed request is answered 200 text/event-stream with the error as a data: event, then [DONE].",
      error=_each_error(_error_in_stream_status), response_body=_error_in_stream_body,
      response_headers=_stream_content_type)

fault("unknown-route-html-200", ["errors.status.unknown-route"],
      "Paths outside the API answer 200 with an HTML page (a web app's catch-all route).",
      error=_each_error(_unknown_path_served),
      response_body=lambda body, ctx: HTML_PAGE if _unrouted(ctx) else body,
      response_headers=lambda headers, ctx: {**headers, "content-type": "text/html; charset=utf-8"}
      if _unrouted(ctx) else headers)

fault("unknown-model-400", ["errors.status.unknown-model"],
      "A chat completion for a model that does not exist is refused with 400 instead of 404.",
      error=_each_error(lambda status, body, ctx: (400 if _is_chat(ctx) and status == 404 else status, body)))

fault("auth-not-enforced", ["errors.auth.key-enforced"],
      "Requests without a key or with a wrong key are served (a run given a key warns; claiming auth fails it).",
      auth=lambda ok, ctx: True)

fault("auth-403", ["errors.auth.missing-key", "errors.auth.wrong-key"],
      "A missing or wrong key is refused with 403 instead of 401.",
      error=_each_error(lambda status, body, ctx: (403 if status == 401 else status, body)))

fault("rate-limit-headers-missing", ["errors.headers.rate-limit"],
      "Responses carry no x-ratelimit-* headers.",
      response_headers=_without_rate_limits)

fault("rate-limit-headers-negative", ["errors.headers.rate-limit"],
      "x-ratelimit-limit-* and -remaining-* are -1 (and resets 0) when the backend has no limits.",
      response_headers=_negative_rate_limits)

fault("rate-limit-no-retry-hint", ["errors.rate-limit.retry-after"],
      "A 429 carries neither Retry-After nor x-ratelimit-reset-* headers, so a client cannot tell when to retry "
      "(nginx limit_req answers so). The limiter trips on one request of a run, the chat completion with "
      "temperature above 2, on every attempt.",
      error=_each_error(_rate_limited),
      response_headers=lambda headers, ctx: _without_rate_limits(headers, ctx) if _limited(ctx) else headers)


def _unknown_model_code_lost(status: int, body: Any, ctx: FaultContext) -> tuple[int, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    if status == 404 and isinstance(error, dict) and error.get("code") == "model_not_found":
        return status, {"error": {**error, "type": "not_found_error", "code": None}}
    return status, body


fault("unknown-model-code-null", ["errors.unknown-model.code"],
      "The 404 for an unknown model says so only in its message: error.code is null (type not_found_error).",
      error=_each_error(_unknown_model_code_lost))


def _metadata_unbounded(body: Any, ctx: FaultContext) -> Any:
    """Metadata is stored as given: no limit on the number of pairs (the provider sees the first 16)."""
    meta = body.get("metadata") if isinstance(body, dict) else None
    if _is_chat(ctx) and isinstance(meta, dict) and len(meta) > 16:
        return {**body, "metadata": dict(list(meta.items())[:16])}
    return body


fault("metadata-unbounded", ["errors.invalid.metadata"],
      "Chat completion metadata of any size is accepted: 17 key-value pairs are served, not refused.",
      request=_metadata_unbounded)

