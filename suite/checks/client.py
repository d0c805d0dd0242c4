"""client.*: what a client library handed back, compared with what the wire said.

A ``ClientCall`` is one SDK operation: the exchanges the capturing proxy saw for it (the first attempt, the
client's retries, the pages of a walk), when each started and ended, and the driver's answer (the SDK's parsed
result, or the exception it raised). Every check judges only what happened: no retry hint, no stall, no tool
call on the wire is a skip of that requirement, not a pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, failed, passed, short
from . import check

RETRY_STATUSES = (429, 503)
RETRY_AFTER_HONOURED_UP_TO = 60.0  # the SDKs honour a Retry-After of at most a minute, then back off their own way
TIMEOUT_SLACK = 3.0  # seconds past the client's timeout a stalled stream may take to end
STATUS_CLASSES = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError",
                  404: "NotFoundError", 409: "ConflictError", 422: "UnprocessableEntityError", 429: "RateLimitError"}
TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens")


@dataclass
class ClientCall:
    operation: str
    params: dict[str, Any]
    exchanges: list[Exchange]
    started: list[float]  # per exchange, when the proxy received the request (monotonic seconds)
    finished: list[float]  # per exchange, when the whole response was in
    answer: dict[str, Any]  # {"result": ...} or {"error": {...}}
    answered: float = 0.0  # when the driver answered
    max_retries: int = 2
    timeout: float = 30.0
    notes: list[str] = field(default_factory=list)

    @property
    def result(self) -> Any:
        return self.answer.get("result")

    @property
    def error(self) -> dict[str, Any] | None:
        error = self.answer.get("error")
        return error if isinstance(error, dict) else None

    @property
    def final(self) -> Exchange:
        return self.exchanges[-1]

    @property
    def streamed(self) -> bool:
        return self.params.get("stream") is True

    def where(self) -> str:
        return f"{self.operation} ({self.final.method} {self.final.path})"

    def raised(self) -> str:
        error = self.error or {}
        return f"{error.get('class') or error.get('kind') or 'an error'}: {short(str(error.get('message', '')), 160)}"


def _wire_error(ex: Exchange) -> dict[str, Any] | None:
    body = ex.json() if ex.content_type == "application/json" else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return None


def expected_class(status: int) -> str:
    if status in STATUS_CLASSES:
        return STATUS_CLASSES[status]
    return "InternalServerError" if status >= 500 else "APIStatusError"


def _is_answer(ex: Exchange) -> bool:
    """A response the server completed (not a refusal of the suite's, not a transport failure)."""
    return ex.status is not None and ex.error_kind is None and ex.recorded


@check("client.error.class", "client.error.fields")
def errors(call: ClientCall) -> Iterable[Finding]:
    """An HTTP error raises the documented exception class, carrying what the error body and headers said."""
    ex = call.final
    if not _is_answer(ex) or ex.status < 400:
        return
    if call.error is None:
        yield failed("client.error.class", f"{call.where()} was answered HTTP {ex.status} but the client returned "
                                           f"a result instead of raising", **ex.summary())
        return
    expected = expected_class(ex.status)
    got = str(call.error.get("class", "")).rsplit(".", 1)[-1]
    if got != expected and not (expected == "APIStatusError" and call.error.get("kind") == "status"):
        yield failed("client.error.class", f"{call.where()} was answered HTTP {ex.status}: the client raised "
                                           f"{call.error.get('class')!r}, expected {expected}", **ex.summary())
    else:
        yield passed("client.error.class")
    wrong = []
    if call.error.get("status") != ex.status:
        wrong.append(f"status {call.error.get('status')!r} (wire: {ex.status})")
    wire = _wire_error(ex) or {}
    for name in ("code", "param", "type"):
        if name in wire and call.error.get(name) != wire[name]:
            wrong.append(f"{name} {call.error.get(name)!r} (wire: {wire[name]!r})")
    request_id = ex.headers.get("x-request-id")
    if request_id and call.error.get("request_id") != request_id:
        wrong.append(f"request id {call.error.get('request_id')!r} (wire: {request_id!r})")
    if wrong:
        yield failed("client.error.fields", f"{call.where()}: the {got or 'exception'} raised for HTTP {ex.status} "
                                            f"carries {'; '.join(wrong)}", **ex.summary())
    else:
        yield passed("client.error.fields")


def _usage_difference(parsed: Any, wire: Any) -> str | None:
    if not isinstance(wire, dict):
        return None
    parsed = parsed if isinstance(parsed, dict) else {}
    for name in USAGE_FIELDS:
        if isinstance(wire.get(name), int) and parsed.get(name) != wire[name]:
            return f"usage.{name} is {parsed.get(name)!r}, the wire said {wire[name]!r}"
    return None


@check("client.response.usage", "client.response.finish-reason")
def parsed_response(call: ClientCall) -> Iterable[Finding]:
    """A whole (non-streamed) 200 response: the usage and finish reasons the client parsed are the wire's."""
    ex = call.final
    body = ex.json() if _is_answer(ex) and ex.status == 200 and not ex.is_stream else None
    if not isinstance(body, dict) or call.operation not in ("chat.completions.create", "completions.create",
                                                           "responses.create", "embeddings.create"):
        return
    if call.error is not None:
        yield failed("client.response.usage", f"{call.where()} was answered HTTP 200 with a JSON body, but the "
                                              f"client raised {call.raised()}", **ex.summary())
        return
    parsed = (call.result or {}).get("response") or {}
    if isinstance(body.get("usage"), dict):
        problem = _usage_difference(parsed.get("usage"), body["usage"])
        yield failed("client.response.usage", f"{call.where()}: {problem}", **ex.summary()) if problem \
            else passed("client.response.usage")
    wire_choices = [c for c in body.get("choices") or [] if isinstance(c, dict) and "finish_reason" in c]
    if wire_choices:
        got = [c.get("finish_reason") for c in parsed.get("choices") or [] if isinstance(c, dict)]
        want = [c["finish_reason"] for c in wire_choices]
        yield expect_equal("client.response.finish-reason", got, want, f"{call.where()}: finish reasons", ex)


def expect_equal(requirement: str, got: Any, want: Any, what: str, ex: Exchange) -> Finding:
    if got == want:
        return passed(requirement)
    return failed(requirement, f"{what} from the client are {short(json.dumps(got), 200)}, the wire said "
                               f"{short(json.dumps(want), 200)}", **ex.summary())


def _clean_stream(call: ClientCall) -> Exchange | None:
    """The final exchange when it is a stream the server finished properly, else None."""
    ex = call.final
    if not (_is_answer(ex) and ex.status == 200 and ex.is_stream) or ex.stream_problems:
        return None
    if any(isinstance(p, dict) and "error" in p for _, p in ex.chunks_json()):
        return None
    return ex


def wire_choices(ex: Exchange, text_key: str) -> dict[str, dict[str, Any]]:
    """Per choice index: the text deltas joined, the last finish reason, tool calls joined by their index."""
    out: dict[str, dict[str, Any]] = {}
    for _, chunk in ex.chunks_json():
        for choice in (chunk.get("choices") or []) if isinstance(chunk, dict) else []:
            if not isinstance(choice, dict):
                continue
            entry = out.setdefault(str(choice.get("index", 0)), {"text": "", "finish_reason": None, "tool_calls": {},
                                                                 "unindexed": False})
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            piece = choice.get(text_key) if text_key == "text" else delta.get("content")
            entry["text"] += piece if isinstance(piece, str) else ""
            if choice.get("finish_reason") is not None:
                entry["finish_reason"] = choice["finish_reason"]
            for call in delta.get("tool_calls") or []:
                if not isinstance(call, dict) or not isinstance(call.get("index"), int):
                    entry["unindexed"] = True
                    continue
                joined = entry["tool_calls"].setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
                joined["id"] = joined["id"] or call.get("id")
                function = call.get("function") if isinstance(call.get("function"), dict) else {}
                joined["name"] += function.get("name") or ""
                joined["arguments"] += function.get("arguments") or ""
    return out


@check("client.stream.events", "client.stream.text", "client.stream.tool-calls", "client.response.usage",
       "client.response.finish-reason")
def chat_stream(call: ClientCall) -> Iterable[Finding]:
    """A finished chat or legacy completions stream: every chunk yielded; text, tool calls, finish reasons and
    usage assembled as the deltas say."""
    ex = _clean_stream(call)
    if ex is None or not call.streamed or call.operation not in ("chat.completions.create", "completions.create"):
        return
    if call.error is not None:
        yield failed("client.stream.events", f"{call.where()}: the server finished its stream properly, but the "
                                             f"client raised {call.raised()}", **ex.summary())
        return
    result = call.result or {}
    wire_chunks = ex.chunks_json()
    yielded = result.get("chunks") or []
    yield expect_equal("client.stream.events", len(yielded), len(wire_chunks),
                       f"{call.where()}: the number of stream chunks", ex)
    wire = wire_choices(ex, "text" if call.operation == "completions.create" else "content")
    parsed = result.get("choices") or {}
    for index, want in sorted(wire.items()):
        got = parsed.get(index) or {}
        yield expect_equal("client.stream.text", got.get("text"), want["text"],
                           f"{call.where()}: the text of choice {index} assembled", ex)
        yield expect_equal("client.response.finish-reason", got.get("finish_reason"), want["finish_reason"],
                           f"{call.where()}: the finish reason of choice {index}", ex)
        if want["tool_calls"] and not want["unindexed"]:
            expected = [want["tool_calls"][i] for i in sorted(want["tool_calls"])]
            assembled = [{"id": c.get("id"), "name": c.get("name"), "arguments": c.get("arguments")}
                         for c in got.get("tool_calls") or [] if isinstance(c, dict)]
            yield expect_equal("client.stream.tool-calls", assembled, expected,
                               f"{call.where()}: the tool calls of choice {index} assembled", ex)
    usage = next((c["usage"] for _, c in reversed(wire_chunks) if isinstance(c, dict)
                  and isinstance(c.get("usage"), dict)), None)
    if usage is not None:
        problem = _usage_difference(result.get("usage"), usage)
        yield failed("client.response.usage", f"{call.where()} (stream): {problem}", **ex.summary()) if problem \
            else passed("client.response.usage")


@check("client.stream.events", "client.responses.final", "client.response.usage")
def responses_stream(call: ClientCall) -> Iterable[Finding]:
    """A finished Responses stream: every typed event yielded, in order; the final response is the one of the
    terminal event (response.completed, .incomplete or .failed)."""
    ex = _clean_stream(call)
    if ex is None or not call.streamed or call.operation != "responses.create":
        return
    if call.error is not None:
        yield failed("client.stream.events", f"{call.where()}: the server finished its stream properly, but the "
                                             f"client raised {call.raised()}", **ex.summary())
        return
    result = call.result or {}
    want = [p.get("type") for _, p in ex.chunks_json() if isinstance(p, dict)]
    got = [e.get("type") for e in result.get("events") or [] if isinstance(e, dict)]
    yield expect_equal("client.stream.events", got, want, f"{call.where()}: the event types", ex)
    completed = next((p.get("response") for _, p in reversed(ex.chunks_json()) if isinstance(p, dict)
                      and p.get("type") in TERMINAL_EVENTS and isinstance(p.get("response"), dict)), None)
    if completed is None:
        return
    final = result.get("final") if isinstance(result.get("final"), dict) else {}
    yield expect_equal("client.responses.final", [final.get("id"), final.get("status")],
                       [completed.get("id"), completed.get("status")],
                       f"{call.where()}: the final response's id and status", ex)
    if isinstance(completed.get("usage"), dict):
        problem = _usage_difference(final.get("usage"), completed["usage"])
        yield failed("client.response.usage", f"{call.where()} (stream): {problem}", **ex.summary()) if problem \
            else passed("client.response.usage")


@check("client.stream.failure", "client.stream.timeout")
def stream_failure(call: ClientCall) -> Iterable[Finding]:
    """A stream the server broke (cut off, stalled, an error event in a 200 stream) surfaces as an exception."""
    ex = call.final
    if ex.status != 200 or not ex.is_stream:
        return
    error_event = next((p["error"] for _, p in ex.chunks_json() if isinstance(p, dict) and p.get("error")), None)
    if ex.error_kind == "stall":
        waited = call.answered - call.finished[-1]
        if call.error is None:
            yield failed("client.stream.timeout", f"{call.where()}: the stream stalled, but the client returned a "
                                                  f"result as if it had ended", **ex.summary())
        elif call.error.get("kind") != "timeout" or waited > call.timeout + TIMEOUT_SLACK:
            yield failed("client.stream.timeout", f"{call.where()}: the stream stalled and the client ended after "
                                                  f"{waited:.1f}s with {call.raised()}, not with its timeout of "
                                                  f"{call.timeout:g}s", **ex.summary())
        else:
            yield passed("client.stream.timeout")
    elif ex.error_kind == "closed" or error_event is not None:
        what = "was cut off" if ex.error_kind == "closed" else f"carried an error event {short(json.dumps(error_event), 120)}"
        if call.error is None:
            yield failed("client.stream.failure", f"{call.where()}: the stream {what}, but the client returned a "
                                                  f"result as if it had ended normally", **ex.summary())
        else:
            yield passed("client.stream.failure")


def _retry_after(ex: Exchange) -> float | None:
    """Seconds the server asked to wait, when it said so in a form the SDKs read (-ms or seconds)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(ex.headers.get(name, "")) * scale
        except ValueError:
            continue
        if 0 < value <= RETRY_AFTER_HONOURED_UP_TO:
            return value
    return None


@check("client.retry.limit", "client.retry.retry-after")
def retries(call: ClientCall) -> Iterable[Finding]:
    """429/503 are retried, at most max_retries times, after the Retry-After the server asked for."""
    attempts = [ex for ex in call.exchanges if ex.status is not None]
    if not attempts or attempts[0].status not in RETRY_STATUSES or call.operation in ("chat.completions.list",
                                                                                      "models.list"):
        return
    limited = [i for i, ex in enumerate(call.exchanges) if ex.status in RETRY_STATUSES]
    retried = len(call.exchanges) - 1
    if call.max_retries > 0 and retried == 0:
        yield failed("client.retry.limit", f"{call.where()} was answered HTTP {attempts[0].status} and the client "
                                           f"gave up without retrying (max_retries {call.max_retries})",
                     **attempts[0].summary())
    elif retried > call.max_retries:
        yield failed("client.retry.limit", f"{call.where()}: the client sent the request {retried + 1} times, "
                                           f"more than 1 + max_retries ({call.max_retries})", **call.final.summary())
    else:
        yield passed("client.retry.limit")
    for i in limited:
        if i + 1 >= len(call.exchanges):
            continue
        asked = _retry_after(call.exchanges[i])
        if asked is None:
            continue
        waited = call.started[i + 1] - call.finished[i]
        if waited + 0.05 < asked:
            yield failed("client.retry.retry-after", f"{call.where()}: HTTP {call.exchanges[i].status} asked to "
                                                     f"retry after {asked:g}s; the client retried after "
                                                     f"{waited:.2f}s", **call.exchanges[i].summary())
        else:
            yield passed("client.retry.retry-after")


def _ids(items: Iterable[Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else item for item in items]


@check("client.pagination.auto")
def auto_pagination(call: ClientCall) -> Iterable[Finding]:
    """Iterating a list yields every item of every page once, in order, requesting each page once."""
    if call.operation not in ("chat.completions.list", "models.list"):
        return
    pages = [ex for ex in call.exchanges if _is_answer(ex) and ex.status == 200]
    bodies = [ex.json() for ex in pages]
    if not pages or not all(isinstance(b, dict) and isinstance(b.get("data"), list) for b in bodies) \
            or len(pages) != len(call.exchanges):
        return  # an error or a malformed page: the pagination.* requirements judge the server
    ex = pages[0]
    if call.error is not None:
        yield failed("client.pagination.auto", f"{call.where()}: walking the list, the client raised "
                                               f"{call.raised()}", **ex.summary())
        return
    paths = [p.path for p in pages]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        yield failed("client.pagination.auto", f"{call.where()}: the client requested the page {repeated[0]} more "
                                               f"than once", pages=paths)
        return
    want = [i for b in bodies for i in _ids(b["data"])]
    got = _ids((call.result or {}).get("items") or [])
    truncated = (call.result or {}).get("truncated") is True
    if truncated:
        want = want[:len(got)]
    if got != want:
        yield failed("client.pagination.auto", f"{call.where()}: the client yielded {len(got)} items "
                                               f"{short(json.dumps(got), 160)}; the {len(pages)} page(s) it fetched "
                                               f"hold {len(want)}: {short(json.dumps(want), 160)}", pages=paths)
        return
    if bodies[-1].get("has_more") is True and not truncated:
        yield failed("client.pagination.auto", f"{call.where()}: the client stopped after {len(pages)} page(s) "
                                               f"though the last one says has_more: true", pages=paths)
        return
    yield passed("client.pagination.auto")


def judge(call: ClientCall) -> list[Finding]:
    """Every client.* check that applies to this call."""
    out: list[Finding] = []
    for fn in (errors, parsed_response, chat_stream, responses_stream, stream_failure, retries, auto_pagination):
        out += fn(call)
    return out
