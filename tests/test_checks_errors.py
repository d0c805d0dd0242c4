"""Error checks on OpenAI's own error answers (tests/fixtures/errors) and on refusals providers got wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oaic.checks import errors
from oaic.exchange import Exchange, sse_body

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "errors"
OPENAI_ERRORS = json.loads((FIXTURES / "openai_errors.json").read_text(encoding="utf-8"))
OPENAI_HEADERS = json.loads((FIXTURES / "openai_headers.json").read_text(encoding="utf-8"))
INVALID = OPENAI_ERRORS["invalid_request_error"]
CHUNK = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}]}
COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]}


def refusal(status=400, body=None, **kw) -> Exchange:
    return Exchange.from_parts(status=status, body=INVALID if body is None else body, **kw)


def error_with_param(param) -> dict:
    return {"error": {**INVALID["error"], "param": param}}


# -- invalid requests ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("requirement", errors.INVALID_REQUIREMENTS)
def test_a_400_in_openai_shape_passes_every_invalid_case(requirement):
    assert_passes(errors.rejected(refusal(), requirement, "temperature 5"), requirement)


@pytest.mark.parametrize("requirement", errors.INVALID_REQUIREMENTS)
def test_accepting_an_invalid_request_fails(requirement):
    accepted = Exchange.from_parts(body=COMPLETION)
    assert_fails(errors.rejected(accepted, requirement, "temperature 5"), requirement, "temperature 5 was accepted")


@pytest.mark.parametrize("requirement", errors.INVALID_REQUIREMENTS)
def test_a_server_error_for_an_invalid_request_fails(requirement):
    crashed = Exchange.from_parts(status=500, headers={"content-type": "text/plain"}, body="Internal Server Error")
    assert_fails(errors.rejected(crashed, requirement, "a body that is not valid JSON"), requirement, "never a 5xx")


def test_an_invalid_request_answered_as_a_stream_says_so():
    stream = Exchange.from_parts(body=sse_body(CHUNK), stream=True)
    finding = assert_fails(errors.rejected(stream, "errors.invalid.missing-messages", "no messages"),
                           "errors.invalid.missing-messages", "was accepted")
    assert "SSE events" in finding.message


def test_a_dropped_connection_for_an_invalid_request_fails():
    dropped = Exchange(method="POST", path="/chat/completions", error="connection closed after 0 bytes: reset",
                       error_kind="closed")
    assert_fails(errors.rejected(dropped, "errors.invalid.role", "role wizard"), "errors.invalid.role",
                 "role wizard got no answer: connection closed")
    assert_fails(errors.rejected_before_stream(dropped, "no messages"), "errors.stream.before-events",
                 "got no answer")


def test_a_rate_limited_request_is_not_judged_for_how_it_is_handled():
    limited = too_many(OPENAI_HEADERS["rate_limited_429_headers"])
    for findings in (errors.rejected(limited, "errors.invalid.n", "n 0"), errors.rejected_before_stream(limited, "x"),
                     errors.auth_rejected(limited, "errors.auth.wrong-key", "x"), errors.unknown_route(limited)):
        assert [f.verdict for f in findings] == ["error"] and "rate limited" in findings[0].message
    assert errors.bad_request(limited, "n 0") == [] and errors.param_names_field(limited, ("n",), "n 0") == []


def test_a_refused_suite_key_leaves_the_invalid_request_unjudged():
    unauthorized = refusal(401, OPENAI_ERRORS["authentication_error"])
    for findings in (errors.rejected(unauthorized, "errors.invalid.n", "n 0"), errors.unknown_route(unauthorized)):
        assert [f.verdict for f in findings] == ["error"] and "check the API key" in findings[0].message
    assert errors.bad_request(unauthorized, "n 0") == []


def test_no_response_is_not_judged():
    findings = errors.rejected(Exchange(method="POST", path="/chat/completions", error="refused", error_kind="connect"),
                               "errors.invalid.n", "n 0")
    assert [f.verdict for f in findings] == ["error"]


NOT_FOUND_OPENAI = {"error": {"message": "Invalid URL (POST /v1/chat/completions)", "type": "invalid_request_error",
                               "param": None, "code": "unknown_url"}}


@pytest.mark.parametrize("status, body", [(404, {"detail": "Not Found"}), (405, {"detail": "Method Not Allowed"}),
                                          (404, NOT_FOUND_OPENAI), (404, "<html>not here</html>")])
def test_an_invalid_request_to_a_route_not_served_is_not_judged(status, body):
    missing = refusal(status, body)
    for findings, requirement in ((errors.rejection_findings(missing, "errors.invalid.n", "n 0", ("n",)),
                                   "errors.invalid.n"),
                                  (errors.rejected_before_stream(missing, "no messages", ("messages",)),
                                   "errors.stream.before-events")):
        assert [(f.requirement, f.verdict) for f in findings] == [(requirement, "skip")]
        assert "route not served" in findings[0].message and f"HTTP {status}" in findings[0].message


def test_a_key_sent_to_a_route_not_served_is_not_judged():
    findings = errors.auth_rejected(refusal(404, {"detail": "Not Found"}), "errors.auth.wrong-key", "a wrong key")
    assert [f.verdict for f in findings] == ["skip"] and "route not served" in findings[0].message


def test_a_404_that_names_the_parameter_is_a_refusal_of_the_request():
    about_n = refusal(404, error_with_param("n"))
    assert errors.route_not_served(about_n, ("n",)) is None
    assert_passes(errors.rejected(about_n, "errors.invalid.n", "n 0", ("n",)), "errors.invalid.n")
    assert errors.route_not_served(refusal(), ()) is None  # a 400 is never a missing route


def test_400_passes_and_422_or_other_4xx_fail_bad_request():
    assert_passes(errors.bad_request(refusal(), "n 0"), "errors.status.bad-request")
    fastapi = refusal(422, {"detail": [{"loc": ["body", "n"], "msg": "ensure this value is greater than 0"}]})
    assert_fails(errors.bad_request(fastapi, "n 0"), "errors.status.bad-request", "refused with HTTP 422")
    assert_fails(errors.bad_request(refusal(404, error_with_param("n")), "n 0", ("n",)), "errors.status.bad-request",
                 "HTTP 404")
    assert errors.bad_request(Exchange.from_parts(body=COMPLETION), "n 0") == []  # accepted: the MUST says it


@pytest.mark.parametrize("param, fields", [
    ("model", ("model",)),  # OpenAI's own example
    ("messages[0].role", ("role", "messages")),
    ("messages.0.role", ("role", "messages")),
    ("body.temperature", ("temperature",)),
    ("top_p", ("top_p",)),
])
def test_param_naming_the_field_passes(param, fields):
    assert_passes(errors.param_names_field(refusal(body=error_with_param(param)), fields, "x"),
                  "errors.param.names-field")


@pytest.mark.parametrize("body, text", [
    (error_with_param(None), "error.param is null"),
    (error_with_param("model"), "error.param is \"model\"; expected it to name 'temperature'"),
    ({"error": {"message": "bad", "type": "invalid_request_error", "code": None}}, "error.param is missing"),
    (error_with_param("temperatures"), "expected it to name 'temperature'"),
])
def test_param_not_naming_the_field_fails(body, text):
    assert_fails(errors.param_names_field(refusal(body=body), ("temperature",), "temperature 5"),
                 "errors.param.names-field", text)


def test_param_is_not_judged_on_other_shapes_or_acceptances():
    assert errors.param_names_field(refusal(body={"detail": "bad"}), ("n",), "n 0") == []
    assert errors.param_names_field(Exchange.from_parts(body=COMPLETION), ("n",), "n 0") == []


# -- streamed requests --------------------------------------------------------------------------------------
def test_a_json_400_before_any_event_passes():
    assert_passes(errors.rejected_before_stream(refusal(), "no messages"), "errors.stream.before-events")


@pytest.mark.parametrize("status, body, text", [
    (200, sse_body(CHUNK), "opened an event stream: HTTP 200"),
    (200, sse_body(INVALID), "first data: \"{\\\"error\\\""),  # an error inside a 200 stream (LiteLLM, OpenRouter)
    (400, sse_body(INVALID), "HTTP 400 text/event-stream"),
])
def test_an_event_stream_for_an_invalid_streamed_request_fails(status, body, text):
    ex = Exchange.from_parts(status=status, body=body, stream=True)
    assert_fails(errors.rejected_before_stream(ex, "no messages"), "errors.stream.before-events", text)


def test_a_200_json_answer_to_an_invalid_streamed_request_fails():
    ex = Exchange.from_parts(body=COMPLETION)
    assert_fails(errors.rejected_before_stream(ex, "no messages"), "errors.stream.before-events",
                 "expected an HTTP 4xx JSON error")


# -- routes and keys ----------------------------------------------------------------------------------------
def test_unknown_route():
    ok = refusal(404, {"error": {"message": "Invalid URL (GET /v1/oaic-no-such-route)", "type": "invalid_request_error",
                                 "param": None, "code": None}}, method="GET", path="/oaic-no-such-route")
    assert_passes(errors.unknown_route(ok), "errors.status.unknown-route")
    spa = Exchange.from_parts(method="GET", path="/oaic-no-such-route", status=200, body="<html></html>",
                              headers={"content-type": "text/html"})
    assert_fails(errors.unknown_route(spa), "errors.status.unknown-route", "expected 404")
    assert_fails(errors.unknown_route(refusal(405, method="GET")), "errors.status.unknown-route", "HTTP 405")


@pytest.mark.parametrize("requirement", errors.AUTH_REQUIREMENTS)
def test_openai_401_passes(requirement):
    assert_passes(errors.auth_rejected(refusal(401, OPENAI_ERRORS["authentication_error"]), requirement, "x"),
                  requirement)


@pytest.mark.parametrize("requirement", errors.AUTH_REQUIREMENTS)
@pytest.mark.parametrize("status, body, text", [
    (200, COMPLETION, "was served"),
    (403, OPENAI_ERRORS["permission_error"], "answered 403"),
    (400, INVALID, "expected 401"),
])
def test_a_bad_key_not_answered_401_fails(requirement, status, body, text):
    assert_fails(errors.auth_rejected(refusal(status, body), requirement, "with a wrong API key"), requirement, text)


# -- headers ------------------------------------------------------------------------------------------------
def test_request_id():
    assert_passes(errors.request_id(refusal(headers={"x-request-id": "req_123"})), "errors.headers.request-id")
    assert_fails(errors.request_id(refusal()), "errors.headers.request-id", "has no x-request-id header")
    assert_fails(errors.request_id(refusal(headers={"x-request-id": " "})), "errors.headers.request-id")


def success(headers: dict) -> Exchange:
    return Exchange.from_parts(body=COMPLETION, headers=headers)


def test_openai_rate_limit_headers_pass_and_are_reported():
    findings = errors.rate_limit_headers(success(OPENAI_HEADERS["rate_limit_headers"]))
    assert_passes(findings, "errors.headers.rate-limit")
    assert "x-ratelimit-remaining-requests=3499" in findings[0].message


@pytest.mark.parametrize("headers, text", [
    ({}, "carries no x-ratelimit-* header"),
    ({"x-ratelimit-limit-tokens": "-1", "x-ratelimit-remaining-tokens": "-1"}, "'-1' is not a non-negative integer"),
    ({"x-ratelimit-remaining-requests": "many"}, "'many' is not a non-negative integer"),
    ({"x-ratelimit-reset-requests": "soon"}, "'soon' is not a duration"),
    ({"x-ratelimit-limit-requests": "10", "x-ratelimit-remaining-requests": "11"}, "11 exceeds"),
])
def test_missing_or_malformed_rate_limit_headers_fail(headers, text):
    assert_fails(errors.rate_limit_headers(success(headers)), "errors.headers.rate-limit", text)


def test_rate_limit_headers_are_not_judged_on_a_failure():
    findings = errors.rate_limit_headers(refusal())
    assert [f.verdict for f in findings] == ["error"]


@pytest.mark.parametrize("value, seconds", [("30s", 30), ("6m0s", 360), ("120ms", 0.12), ("1h2m3.5s", 3723.5),
                                            ("0.5", 0.5), ("2", 2)])
def test_parse_duration(value, seconds):
    assert errors.parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["soon", "-1", "", "5 minutes", "1d"])
def test_parse_duration_rejects(value):
    assert errors.parse_duration(value) is None


def too_many(headers: dict) -> Exchange:
    return refusal(429, {"error": {"message": "Rate limit reached for requests", "type": "requests", "param": None,
                                   "code": "rate_limit_exceeded"}}, headers=headers)


@pytest.mark.parametrize("headers", [
    OPENAI_HEADERS["rate_limited_429_headers"],
    {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"},
    {"x-ratelimit-reset-tokens": "1m30s"},
    {"retry-after-ms": "250"},
])
def test_a_429_with_a_retry_hint_passes(headers):
    assert_passes(errors.retry_hint(too_many(headers)), "errors.rate-limit.retry-after")


def test_a_429_without_a_usable_retry_hint_fails():
    assert_fails(errors.retry_hint(too_many({})), "errors.rate-limit.retry-after", "without Retry-After")
    assert_fails(errors.retry_hint(too_many({"retry-after": "later"})), "errors.rate-limit.retry-after",
                 "unreadable retry hint retry-after: 'later'")


def test_retry_hint_only_judges_429():
    assert errors.retry_hint(refusal()) == []
    assert errors.retry_hint(success({})) == []


def test_rejection_findings_judge_status_code_and_param_together():
    fastapi = refusal(422, error_with_param(None))
    findings = errors.rejection_findings(fastapi, "errors.invalid.temperature", "temperature 5", ("temperature",))
    assert_passes(findings, "errors.invalid.temperature")
    assert_fails(findings, "errors.status.bad-request", "422")
    assert_fails(findings, "errors.param.names-field", "null")


def test_a_target_given_a_key_that_serves_without_one_is_warned():
    from oaic.checks.errors import key_enforced

    open_door = Exchange.from_parts("GET", "/models", status=200, body={"object": "list", "data": []})
    assert_fails(key_enforced(open_door), "errors.auth.key-enforced", "without any key was served")
    locked = Exchange.from_parts("GET", "/models", status=401, body={"error": {"message": "no key", "type": "x",
                                                                               "param": None, "code": None}})
    assert_passes(key_enforced(locked), "errors.auth.key-enforced")


# -- unknown models in every area, and invalid streamed requests of every streaming area ---------------------------
NOT_FOUND = {"error": {"message": "The model `oaic-no-such-model-7b3e` does not exist or you do not have access to "
                                  "it.", "type": "invalid_request_error", "param": None, "code": "model_not_found"}}


@pytest.mark.parametrize("requirement", errors.UNKNOWN_MODEL)
def test_unknown_model_404_passes_and_a_default_model_fails(requirement):
    assert_passes(errors.unknown_model(refusal(404, NOT_FOUND), requirement, "a request"), requirement)
    served = Exchange.from_parts(body={"object": "list", "data": [], "model": "default"})
    assert_fails(errors.unknown_model(served, requirement, "a request"), requirement, "presumably by a default model")
    assert_fails(errors.unknown_model(refusal(400, NOT_FOUND), requirement, "a request"), requirement, "expected 404")


def test_unknown_model_on_a_route_that_is_not_there_is_not_judged():
    findings = errors.unknown_model(refusal(404, {"detail": "Not Found"}), "embeddings.model.unknown-404", "x")
    assert [f.verdict for f in findings] == ["skip"]


def test_unknown_model_code():
    assert_passes(errors.unknown_model_code(refusal(404, NOT_FOUND)), "errors.unknown-model.code")
    vague = {"error": {**NOT_FOUND["error"], "code": None}}
    assert_fails(errors.unknown_model_code(refusal(404, vague)), "errors.unknown-model.code", "model_not_found")
    assert errors.unknown_model_code(refusal(400, vague)) == []  # a wrong status is the area's finding


@pytest.mark.parametrize("requirement", errors.STREAM_REJECTED)
def test_an_invalid_streamed_request_that_streams_for_ever_fails(requirement):
    cut = Exchange.from_parts(body=sse_body(CHUNK, CHUNK, done=False), stream=True,
                              request_json={"stream": True, "temperature": 5}, error_kind="deadline",
                              error="response not complete after the total deadline of 3s")
    finding = assert_fails(errors.rejected_before_stream(cut, "temperature 5", ("temperature",), req=requirement),
                           requirement, "opened an event stream")
    assert "total deadline" in finding.message
    assert_passes(errors.rejected_before_stream(refusal(), "temperature 5", ("temperature",), req=requirement),
                  requirement)
