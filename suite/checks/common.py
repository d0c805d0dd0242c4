"""Checks and helpers shared by every area: OpenAI error bodies, refusals, JSON pointers (the transport checks
that judge every exchange are in transport.py)."""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, errored, expect, failed, passed, short, skipped
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


def rejected_ideally_400(ex: Exchange, requirement: str, status_400: str, what: str) -> Iterable[Finding]:
    """``what`` (an invalid request) is refused with a 4xx (``requirement``), and ideally with OpenAI's 400
    (``status_400``: an SDK raises another error class for 404 or 422)."""
    if ex.status is None:
        yield from no_response(ex, (requirement,))
        return
    if 400 <= ex.status < 500:
        yield passed(requirement)
        yield expect(status_400, ex.status == 400, f"{what} was rejected with HTTP {ex.status}; OpenAI answers 400 "
                                                   f"(SDKs raise a different error class for {ex.status})",
                     status=ex.status)
        return
    kind = "was accepted" if 200 <= ex.status < 300 else "answered a server error" if ex.status >= 500 else "answered"
    yield failed(requirement, f"{what} {kind}: HTTP {ex.status}, expected a 400 error", status=ex.status,
                 body=short(ex.body, 200))


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


# -- identity and streaming families shared by every area with a create operation ----------------------------
CLOCK_TOLERANCE_S = 600  # created vs the answer's own Date header: both come from the target's clocks
CREATED_RECENT = ("chat.response.created-recent", "completions.response.created-recent",
                  "responses.create.created-recent", "files.object.created-recent", "batches.object.created-recent")
ID_PREFIXES = {"chat.response.id-prefix": "chatcmpl-", "completions.response.id-prefix": "cmpl-",
               "responses.create.id-prefix": "resp_"}
INCREMENTAL = ("chat.stream.incremental", "completions.stream.incremental", "responses.stream.incremental")
# An answer of at least this many words is several tokens on any tokenizer, so it cannot honestly be one chunk.
MULTI_TOKEN_WORDS = 4


def answer_time(ex: Exchange) -> float | None:
    """Unix seconds of the answer from its Date header (recorded with it, so a replay judges the same)."""
    value = ex.headers.get("date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@check(*CREATED_RECENT)
def created_recent(ex: Exchange, requirement: str, created: Any, where: str = "created") -> Iterable[Finding]:
    """``created`` (an object's created or created_at, as the answer gave it) is the time of the request: within
    CLOCK_TOLERANCE_S of the answer's Date header. A value that is not an integer is the shape check's finding; an
    answer without a Date header cannot be judged."""
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        yield skipped(requirement, f"not judged: {where} is {short(created, 40)}, not a number (the shape check's "
                                   f"finding)")
        return
    now = answer_time(ex)
    if now is None:
        yield skipped(requirement, f"not judged: {ex.method} {ex.path} answered without a Date header to compare "
                                   f"{where} {created} with")
        return
    drift = created - now
    if -CLOCK_TOLERANCE_S - ex.elapsed <= drift <= CLOCK_TOLERANCE_S:
        yield passed(requirement)
        return
    hint = " (milliseconds?)" if created > 10 ** 11 else (" (a fixed value?)" if drift < 0 else "")
    yield failed(requirement, f"{where} is {created}{hint}, {abs(drift):.0f}s {'before' if drift < 0 else 'after'} "
                              f"the answer's Date header ({ex.headers.get('date')}); expected the Unix time of the "
                              f"request in seconds", created=created, date=ex.headers.get("date"))


@check(*ID_PREFIXES)
def id_prefix(requirement: str, ident: Any, where: str = "id") -> Iterable[Finding]:
    """An id has the area's prefix (a missing or empty id is the shape check's finding)."""
    if not isinstance(ident, str) or not ident:
        return
    prefix = ID_PREFIXES[requirement]
    yield expect(requirement, ident.startswith(prefix),
                 f"{where} is {short(ident, 80)}; OpenAI's ids of this kind start with {prefix!r}", id=short(ident, 120))


@check(*INCREMENTAL)
def incremental(requirement: str, pieces: list[str], what: str) -> Iterable[Finding]:
    """A stream whose text (the non-empty ``pieces``, in order) is clearly several tokens came in more than one
    piece. A short answer may honestly come in one piece: not judged."""
    text = "".join(pieces)
    words = len(text.split())
    if words < MULTI_TOKEN_WORDS:
        yield skipped(requirement, f"not judged: the streamed {what} ({short(text, 80)}) is too short to need more "
                                   f"than one chunk")
        return
    yield expect(requirement, len(pieces) > 1,
                 f"the whole streamed {what} ({words} words: {short(text, 120)}) arrived in one event; a stream "
                 f"sends it as it is generated", pieces=len(pieces))
