"""Checks of how a target refuses: status codes for invalid requests, unknown routes and bad keys, error.param,
errors of streamed requests, and the headers around errors (x-request-id, rate limits, Retry-After).

The error body itself (OpenAI's {"error": {...}} shape) is judged by ``common.error_body`` on every error.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, errored, expect, failed, passed, short, skipped
from . import check
from .common import error_body_problems, no_response

INVALID_REQUIREMENTS = (
    "errors.invalid.missing-messages", "errors.invalid.role", "errors.invalid.temperature", "errors.invalid.top-p",
    "errors.invalid.n", "errors.invalid.wrong-type", "errors.invalid.malformed-json", "errors.invalid.metadata",
)
AUTH_REQUIREMENTS = ("errors.auth.missing-key", "errors.auth.wrong-key")
# Go-style durations as OpenAI sends them in x-ratelimit-reset-*: "1s", "6m0s", "120ms", "1h2m3.5s".
DURATION = re.compile(r"^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$")
COUNT_KINDS = ("limit", "remaining")
ROUTE_MISSING = (404, 405)  # statuses that, unless they name the parameter, say the route is not there


def _is_client_error(ex: Exchange) -> bool:
    return ex.status is not None and 400 <= ex.status < 500


def _not_about_the_request(ex: Exchange, judging_auth: bool = False) -> str | None:
    """Why an answer says nothing about how the request itself is handled: it was rate limited, or (unless the
    key is what is judged) the suite's own key was refused. None when the answer can be judged."""
    if ex.status == 429:
        return f"was rate limited (HTTP 429 after {ex.retries} retries)"
    if ex.status in (401, 403) and not judging_auth:
        return f"was refused with HTTP {ex.status}: check the API key the suite uses"
    return None


def unjudgeable(ex: Exchange, requirements: Sequence[str], judging_auth: bool = False) -> list[Finding]:
    """``error`` findings when the exchange cannot be judged (no response, or see _not_about_the_request)."""
    why = _not_about_the_request(ex, judging_auth)
    if why is None:
        return no_response(ex, requirements)
    return [errored(r, f"not judged: {ex.method} {ex.path} {why}", status=ex.status) for r in requirements]


def _dropped(ex: Exchange) -> bool:
    """The server closed the connection instead of answering (on a fresh connection: it gave up on this request)."""
    return ex.status is None and ex.error_kind == "closed"


def route_not_served(ex: Exchange, fields: Sequence[str] = ()) -> str | None:
    """Why a 404/405 answer to an invalid request means the route is not there (so the refusal says nothing about
    the request), or None. A 404/405 is taken as about the request only when it names one of the ``fields``, in
    error.param or in its text; ``{"detail": "Not Found"}`` or "Invalid URL (...)" is a missing route."""
    if ex.status not in ROUTE_MISSING:
        return None
    body = ex.json()
    error = body.get("error") if isinstance(body, dict) else None
    param = error.get("param") if isinstance(error, dict) else None
    if isinstance(param, str) and _param_tokens(param) & set(fields):
        return None
    text = ex.body.decode("utf-8", "replace").lower() if isinstance(ex.body, bytes) else ""
    if any(re.search(rf"\b{re.escape(field.lower())}\b", text) for field in fields):
        return None  # the message is about the field ("The model `x` does not exist")
    return (f"not judged: route not served: {ex.method} {ex.path} answered HTTP {ex.status} "
            f"{short(body if body is not None else ex.body, 120)}, so the refusal says nothing about the request")


@check(*INVALID_REQUIREMENTS)
def rejected(ex: Exchange, requirement: str, what: str, fields: Sequence[str] = ()) -> Iterable[Finding]:
    """An invalid request (``what`` describes it) is refused with a 4xx: not served, and not a server failure.
    Not judged where the route itself is not served (see route_not_served)."""
    missing = route_not_served(ex, fields)
    if missing:
        yield skipped(requirement, missing)
        return
    if _dropped(ex):
        yield failed(requirement, f"{what} got no answer: {ex.error}; expected a 4xx error")
        return
    unjudged = unjudgeable(ex, (requirement,))
    if unjudged:
        yield from unjudged
        return
    if _is_client_error(ex):
        yield passed(requirement)
    elif ex.ok:
        yield failed(requirement, f"{what} was accepted: {ex.describe()}; expected a 4xx error (OpenAI: 400)",
                     status=ex.status, body=short(ex.body, 200))
    else:
        yield failed(requirement, f"{what} answered {ex.describe()}; a client error must be a 4xx"
                                  + (", never a 5xx" if ex.status >= 500 else ""), status=ex.status)


@check("errors.status.bad-request")
def bad_request(ex: Exchange, what: str, fields: Sequence[str] = ()) -> Iterable[Finding]:
    """A refused invalid request uses 400 like OpenAI (judged only when it was refused with some 4xx, on a route
    the target serves)."""
    if not _is_client_error(ex) or _not_about_the_request(ex) or route_not_served(ex, fields):
        return
    yield expect("errors.status.bad-request", ex.status == 400,
                 f"{what} was refused with HTTP {ex.status}; OpenAI answers 400 (SDKs raise BadRequestError for "
                 f"400 only)", status=ex.status)


def _param_tokens(param: str) -> set[str]:
    """'messages[0].role' -> {'messages', '0', 'role'}; also takes 'body.temperature' or 'messages.0.role'."""
    return {t for t in re.split(r"[^A-Za-z0-9_]+", param) if t}


@check("errors.param.names-field")
def param_names_field(ex: Exchange, fields: Sequence[str], what: str) -> Iterable[Finding]:
    """The error of a refused parameter names it in error.param (any of ``fields`` counts as naming it).

    Judged only on a 4xx with an ``error`` object; a body in another shape is errors.body.shape's finding."""
    judged = _is_client_error(ex) and not _not_about_the_request(ex) and not route_not_served(ex, fields)
    body = ex.json() if judged else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return
    param = error.get("param")
    named = isinstance(param, str) and bool(_param_tokens(param) & set(fields))
    yield expect("errors.param.names-field", named,
                 f"{what} was refused, but error.param is {short(param, 80) if 'param' in error else 'missing'}; "
                 f"expected it to name {fields[0]!r}", pointer="/error/param", received=short(error, 300))


STREAM_REJECTED = ("errors.stream.before-events", "completions.stream.invalid-rejected",
                   "responses.stream.invalid-rejected")
UNKNOWN_MODEL = ("errors.status.unknown-model", "completions.model.unknown-404", "embeddings.model.unknown-404",
                 "responses.model.unknown-404", "moderations.model.unknown-404", "audio.model.unknown-404")


@check(*STREAM_REJECTED)
def rejected_before_stream(ex: Exchange, what: str, fields: Sequence[str] = (),
                           req: str = "errors.stream.before-events") -> Iterable[Finding]:
    """An invalid request with stream true gets an HTTP 4xx JSON error, not an event stream (even one that carries
    an error event, or one that never ends: the transport's total deadline cuts it) and not a 200."""
    missing = route_not_served(ex, fields)
    if missing:
        yield skipped(req, missing)
        return
    if _dropped(ex):
        yield failed(req, f"{what} got no answer: {ex.error}; expected an HTTP 4xx JSON error")
        return
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    if ex.is_stream or ex.content_type == "text/event-stream":
        first = next((e.data for e in ex.data_events()), None)
        cut = f", then {ex.error}" if ex.error else ""
        yield failed(req, f"{what} opened an event stream: HTTP {ex.status} text/event-stream with "
                          f"{len(ex.events or [])} events (first data: {short(first, 160)}){cut}; expected an HTTP "
                          f"4xx JSON error before any event", status=ex.status, first_event=short(first, 300))
        return
    yield expect(req, _is_client_error(ex), f"{what} answered {ex.describe()}; expected an HTTP 4xx JSON error",
                 status=ex.status)


@check(*UNKNOWN_MODEL)
def unknown_model(ex: Exchange, req: str, what: str) -> Iterable[Finding]:
    """A request naming a model that does not exist (``what`` describes it) answers 404: not served by a default
    model, not another status. A 404 that does not mention the model is the route's (not judged)."""
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    missing = route_not_served(ex, ("model",))
    if missing:
        yield skipped(req, missing)
        return
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    served = " (served, presumably by a default model)" if ex.ok else ""
    yield expect(req, ex.status == 404, f"{what} naming a model that does not exist answered {ex.describe()}"
                                        f"{served}; expected 404 model_not_found", status=ex.status,
                 body=short(ex.body, 200))


@check("errors.unknown-model.code")
def unknown_model_code(ex: Exchange) -> Iterable[Finding]:
    """The 404 of an unknown model says so in error.code (judged only on a 404 in OpenAI's error shape)."""
    req = "errors.unknown-model.code"
    body = ex.json() if ex.status == 404 and not route_not_served(ex, ("model",)) else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return
    yield expect(req, error.get("code") == "model_not_found",
                 f"{ex.method} {ex.path} for an unknown model answered 404 with error.code "
                 f"{short(error.get('code'), 60) if 'code' in error else 'missing'}; OpenAI says \"model_not_found\"",
                 pointer="/error/code", received=short(error, 300))


@check("errors.status.unknown-route")
def unknown_route(ex: Exchange) -> Iterable[Finding]:
    req = "errors.status.unknown-route"
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    yield expect(req, ex.status == 404, f"{ex.method} {ex.path}, a path outside the API, answered {ex.describe()}; "
                                        f"expected 404", status=ex.status)


@check(*AUTH_REQUIREMENTS)
def auth_rejected(ex: Exchange, requirement: str, what: str) -> Iterable[Finding]:
    missing = route_not_served(ex)
    if missing:  # a 404 says the route is not there, not how keys are checked
        yield skipped(requirement, missing)
        return
    unjudged = unjudgeable(ex, (requirement,), judging_auth=True)
    if unjudged:
        yield from unjudged
        return
    if ex.status == 401:
        yield passed(requirement)
    elif ex.ok:
        yield failed(requirement, f"a request {what} was served: {ex.describe()}; expected 401",
                     status=ex.status)
    elif ex.status == 403:
        yield failed(requirement, f"a request {what} answered 403; OpenAI answers 401 for a missing or wrong key "
                                  f"(403 is for a valid key without permission)", status=ex.status)
    else:
        yield failed(requirement, f"a request {what} answered {ex.describe()}; expected 401", status=ex.status)


@check("errors.auth.key-enforced")
def key_enforced(ex: Exchange) -> Iterable[Finding]:
    """Discovery asked GET /models without the key the run was given: a target that needs no key warns (fine for a
    local server, a hole for a hosted one)."""
    req = "errors.auth.key-enforced"
    if ex.status is None:
        return
    if ex.status in (401, 403):
        yield passed(req)
    elif ex.ok:
        yield failed(req, f"the run was given a key, but GET /models without any key was served: {ex.describe()}; "
                          f"anyone who can reach this target can use it", status=ex.status)


@check("errors.headers.request-id")
def request_id(ex: Exchange) -> Iterable[Finding]:
    """The response carries a non-empty x-request-id (OpenAI sends one on successes and errors alike)."""
    if ex.status is None:
        return
    yield expect("errors.headers.request-id", bool(ex.headers.get("x-request-id", "").strip()),
                 f"{ex.method} {ex.path} → HTTP {ex.status} has no x-request-id header", headers=sorted(ex.headers))


def parse_duration(value: str) -> float | None:
    """Seconds in a rate-limit reset value: a Go-style duration ("6m0s", "120ms") or a plain number of seconds."""
    text = value.strip()
    try:
        seconds = float(text)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    if not DURATION.match(text):
        return None
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    return sum(float(number) * units[unit] for number, _, unit in re.findall(r"(\d+(\.\d+)?)(ms|us|µs|ns|h|m|s)",
                                                                             text))


def _rate_limit_problems(headers: dict[str, str]) -> list[str]:
    problems = []
    counts: dict[str, dict[str, int]] = {}
    for name, value in headers.items():
        parts = name.split("-")  # x-ratelimit-<kind>-<what>
        kind = parts[2] if len(parts) > 2 else ""
        what = "-".join(parts[3:])
        if kind in COUNT_KINDS:
            if not re.fullmatch(r"\d+", value.strip()):
                problems.append(f"{name}: {value!r} is not a non-negative integer")
            else:
                counts.setdefault(what, {})[kind] = int(value)
        elif kind == "reset" and parse_duration(value) is None:
            problems.append(f"{name}: {value!r} is not a duration (e.g. 1s, 6m0s, 120ms) or seconds")
    for what, pair in counts.items():
        if "limit" in pair and "remaining" in pair and pair["remaining"] > pair["limit"]:
            problems.append(f"x-ratelimit-remaining-{what} {pair['remaining']} exceeds x-ratelimit-limit-{what} "
                            f"{pair['limit']}")
    return problems


@check("errors.headers.rate-limit")
def rate_limit_headers(ex: Exchange) -> Iterable[Finding]:
    """A successful chat completion reports its rate limits in x-ratelimit-* headers, and they are well formed."""
    req = "errors.headers.rate-limit"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    if not ex.ok:
        yield errored(req, f"not judged: the chat completion meant to show the headers answered {ex.describe()}",
                      status=ex.status)
        return
    headers = {k: v for k, v in ex.headers.items() if k.startswith("x-ratelimit-")}
    if not headers:
        yield failed(req, "a successful chat completion carries no x-ratelimit-* header (OpenAI sends "
                          "x-ratelimit-limit/remaining/reset-requests and -tokens)")
        return
    problems = _rate_limit_problems(headers)
    yield expect(req, not problems, "malformed rate-limit headers: " + "; ".join(problems),
                 pass_message="reported: " + ", ".join(f"{k}={v}" for k, v in sorted(headers.items())),
                 headers=headers)


def _readable_retry_hint(name: str, value: str) -> bool:
    """Retry-After is seconds or an HTTP date; the other hints are durations or seconds."""
    if parse_duration(value) is not None:
        return True
    if name != "retry-after":
        return False
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


@check("errors.rate-limit.retry-after")
def retry_hint(ex: Exchange) -> Iterable[Finding]:
    """A 429 tells the client when to retry. Yields nothing for any other status."""
    req = "errors.rate-limit.retry-after"
    if ex.status != 429:
        return
    hints = {k: v for k, v in ex.headers.items()
             if k in ("retry-after", "retry-after-ms") or k.startswith("x-ratelimit-reset")}
    where = f"{ex.method} {ex.path} → HTTP 429" + (f" (after {ex.retries} retries)" if ex.retries else "")
    if not hints:
        yield failed(req, f"{where} without Retry-After or x-ratelimit-reset-* headers; the client cannot tell "
                          f"when to retry", headers=sorted(ex.headers))
        return
    unreadable = [f"{k}: {v!r}" for k, v in hints.items() if not _readable_retry_hint(k, v)]
    yield expect(req, not unreadable, f"{where}: unreadable retry hint {'; '.join(unreadable)} (expected seconds, "
                                      f"an HTTP date, or a duration such as 30s)", headers=hints)


def rejection_findings(ex: Exchange, requirement: str, what: str, fields: Sequence[str] = ()) -> list[Finding]:
    """Everything said about one refused request: refused with a 4xx, with 400, naming the field."""
    out = rejected(ex, requirement, what, fields) + bad_request(ex, what, fields)
    if fields:
        out += param_names_field(ex, fields, what)
    return out


def answered_object(ex: Exchange, req: str, expected: str,
                    also: Sequence[str] = ()) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The precondition of a check that judges a 200 JSON object: (the object, []) or (None, the findings that say
    why there is none to judge: the exchange is unjudgeable (for ``req`` and the requirements ``also`` judged on
    the object), or the answer is not 200 with an object, a failure of ``req`` described against ``expected``)."""
    unjudged = unjudgeable(ex, (req, *also))
    if unjudged:
        return None, unjudged
    body = ex.json()
    if ex.status != 200 or not isinstance(body, dict):
        return None, [failed(req, f"{expected}: answered {ex.describe()}", status=ex.status)]
    return body, []


def deletion_confirmed(ex: Exchange, req: str, expected: dict[str, Any]) -> Iterable[Finding]:
    """A DELETE answered 200 with the deletion object ``expected`` (id, object, deleted: true): shared by every
    area with deletable objects (stored completions, files)."""
    body, unjudged = answered_object(ex, req, f"DELETE {ex.path} expected 200 with {short(expected)}")
    if body is None:
        yield from unjudged
        return
    wrong = [f"{key} is {short(body.get(key), 80) if key in body else 'missing'}, expected {short(value, 80)}"
             for key, value in expected.items() if body.get(key) != value]
    yield expect(req, not wrong, f"DELETE {ex.path}: " + "; ".join(wrong), received=short(body, 300))


def gone_after_delete(ex: Exchange, req: str, what: str) -> Iterable[Finding]:
    """A GET of something deleted (``what``) is a 404 in OpenAI's error shape."""
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    if ex.status != 404:
        yield failed(req, f"GET {ex.path} after deleting {what} answered {ex.describe()}, expected 404",
                     status=ex.status)
        return
    problems = error_body_problems(ex)
    yield expect(req, not problems, f"GET {ex.path} after the delete answered 404, but the body is not OpenAI's "
                                    f"error shape: {'; '.join(problems)}", body=short(ex.body, 300))
