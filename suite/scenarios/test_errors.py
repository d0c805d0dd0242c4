"""Errors: invalid chat requests, an invalid streamed request, an unknown route, bad keys, and the headers around
errors. Every refused request is also judged for OpenAI's error body, and for its retry hint when it was a 429.
The unknown route needs no capability: every API in OpenAI's style answers it."""

from __future__ import annotations

import json

import pytest
from oaic.checks import common, errors

WRONG_KEY = "sk-oaic-wrong-key-0000000000000000"
UNKNOWN_ROUTE = "/oaic-no-such-route"
# Each probe on a connection of its own: a server that crashes on one bad request may drop its keep-alive
# connection, and that must not fail the next probe.
OWN_CONNECTION = {"connection": "close"}


def valid_request(model: str | None, **extra: object) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 1, **extra}


# (requirement, what, fields error.param may name, how to break a valid request)
INVALID_CASES = [
    ("errors.invalid.role", "a message with role \"wizard\"", ("role", "messages"),
     lambda m: {**valid_request(m), "messages": [{"role": "wizard", "content": "Say OK."}]}),
    ("errors.invalid.temperature", "temperature 5 (the range is 0..2)", ("temperature",),
     lambda m: valid_request(m, temperature=5)),
    ("errors.invalid.top-p", "top_p 1.5 (the range is 0..1)", ("top_p",), lambda m: valid_request(m, top_p=1.5)),
    ("errors.invalid.n", "n 0 (the minimum is 1)", ("n",), lambda m: valid_request(m, n=0)),
    ("errors.invalid.metadata", "metadata with 17 key-value pairs (the limit is 16)", ("metadata",),
     lambda m: valid_request(m, metadata={f"k{i}": "v" for i in range(17)})),
    ("errors.invalid.wrong-type", "max_tokens \"eight\" (a string, not an integer)", ("max_tokens",),
     lambda m: {**valid_request(m), "max_tokens": "eight"}),
]


def judge_error(verdicts, ex) -> None:
    """What applies to every refusal: OpenAI's error body, and a retry hint when it was a 429."""
    verdicts.extend(common.error_body(ex))
    verdicts.extend(errors.retry_hint(ex))


@pytest.mark.needs("chat")
@pytest.mark.parametrize("requirement, what, fields, build", [
    pytest.param(*case, id=case[0].rsplit(".", 1)[1], marks=pytest.mark.covers(case[0])) for case in INVALID_CASES])
@pytest.mark.covers("errors.status.bad-request", "errors.param.names-field", "errors.body.shape",
                    "errors.rate-limit.retry-after")
def test_invalid_request_is_refused(api, target, verdicts, requirement, what, fields, build):
    ex = api.post("/chat/completions", json=build(target.model("chat")), headers=OWN_CONNECTION)
    verdicts.extend(errors.rejection_findings(ex, requirement, what, fields))
    judge_error(verdicts, ex)


@pytest.mark.needs("chat")
@pytest.mark.covers("errors.invalid.malformed-json", "errors.status.bad-request", "errors.body.shape")
def test_malformed_json_is_refused(api, target, verdicts):
    truncated = json.dumps(valid_request(target.model("chat")))[:-1] + ","  # the closing brace is missing
    ex = api.request("POST", "/chat/completions", content=truncated.encode(), headers=OWN_CONNECTION)
    verdicts.extend(errors.rejection_findings(ex, "errors.invalid.malformed-json", "a body that is not valid JSON"))
    judge_error(verdicts, ex)


@pytest.mark.needs("chat")
@pytest.mark.covers("errors.invalid.missing-messages", "errors.stream.before-events", "errors.status.bad-request",
                    "errors.param.names-field", "errors.body.shape", "errors.headers.request-id")
def test_missing_messages_is_refused_before_any_stream_event(api, target, verdicts):
    streaming = target.claims("streaming")
    request = {"model": target.model("chat"), "max_tokens": 1, **({"stream": True} if streaming else {})}
    ex = api.post("/chat/completions", json=request, headers=OWN_CONNECTION)
    what = "a chat completion without messages" + (" and with stream: true" if streaming else "")
    verdicts.extend(errors.rejection_findings(ex, "errors.invalid.missing-messages", what, ("messages",)))
    if streaming:
        verdicts.extend(errors.rejected_before_stream(ex, what, ("messages",)))
    verdicts.extend(errors.request_id(ex))
    judge_error(verdicts, ex)


@pytest.mark.covers("errors.status.unknown-route", "errors.body.shape", "errors.headers.request-id")
def test_unknown_route_is_404(api, verdicts):
    ex = api.get(UNKNOWN_ROUTE, headers=OWN_CONNECTION)
    verdicts.extend(errors.unknown_route(ex))
    verdicts.extend(errors.request_id(ex))
    judge_error(verdicts, ex)


@pytest.mark.needs("chat", "auth")
@pytest.mark.parametrize("requirement, what, headers", [
    pytest.param("errors.auth.missing-key", "without an API key", {},
                 marks=pytest.mark.covers("errors.auth.missing-key"), id="missing-key"),
    pytest.param("errors.auth.wrong-key", "with a wrong API key", {"authorization": f"Bearer {WRONG_KEY}"},
                 marks=pytest.mark.covers("errors.auth.wrong-key"), id="wrong-key"),
])
@pytest.mark.covers("errors.body.shape")
def test_bad_key_is_401(api, target, verdicts, requirement, what, headers):
    ex = api.request("POST", "/chat/completions", json=valid_request(target.model("chat")),
                     headers={**OWN_CONNECTION, **headers}, auth=False)
    verdicts.extend(errors.auth_rejected(ex, requirement, what))
    judge_error(verdicts, ex)


@pytest.mark.needs("chat", "rate_limit_headers")
@pytest.mark.covers("errors.headers.rate-limit", "errors.headers.request-id")
def test_rate_limit_headers(api, target, verdicts):
    ex = api.post("/chat/completions", json=valid_request(target.model("chat")))
    verdicts.extend(errors.rate_limit_headers(ex))
    verdicts.extend(errors.request_id(ex))
    judge_error(verdicts, ex)
