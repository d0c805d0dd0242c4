"""The property checks on hand-made answers: each requirement fails on a violating answer and passes on a
conformant one (the real OpenAI transcripts included)."""

from __future__ import annotations

import json
from pathlib import Path

from oaic.checks import property as checks
from oaic.exchange import Exchange, sse_body
from oaic.profile import profile
from oaic.properties.cases import NEGATIVE, POSITIVE, PlannedRequest, PropertyExample

from tests.helpers import assert_fails, assert_no_failures, assert_passes

OPENAI = Path(__file__).resolve().parent / "fixtures" / "openai"
CHAT = profile().operation("createChatCompletion")
MODELS = profile().operation("listModels")
GET_STORED = profile().operation("getChatCompletion")
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}
ERROR_BODY = {"error": {"message": "Unrecognized request argument", "type": "invalid_request_error",
                        "param": "messages", "code": None}}
CHAT_BODY = {"model": "m", "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 16}


def example(status, body, headers=JSON, request_body=None, mode=POSITIVE, expect_success=True, path="/chat/completions",
            method="POST", op="createChatCompletion", raw_body=None, note="generated"):
    request_body = CHAT_BODY if request_body is None and method == "POST" and raw_body is None else request_body
    request = PlannedRequest(op, mode, method, path, body=request_body, raw_body=raw_body, note=note,
                             expect_success=expect_success)
    ex = Exchange.from_parts(method, path, request_body, status=status, headers=headers, body=body,
                             stream=headers.get("content-type") == "text/event-stream")
    return PropertyExample(request, ex)


def fixture(name):
    return json.loads((OPENAI / name).read_text())


def stream_of(name="chat_stream.sse"):
    return (OPENAI / name).read_text()


# -- positive mode -------------------------------------------------------------------------------------------
def test_real_openai_answers_pass_every_positive_requirement():
    examples = [example(200, fixture("chat_completion.json")), example(200, fixture("chat_completion_wire.json")),
                example(200, fixture("tool_call_completion.json")),
                example(200, stream_of(), SSE, request_body={**CHAT_BODY, "stream": True})]
    findings = checks.judge_positive(examples, CHAT)
    assert_no_failures(findings)
    for requirement in checks.POSITIVE_IDS:
        assert_passes(findings, requirement)
    assert_no_failures(checks.judge_positive([example(200, fixture("models_list.json"), method="GET",
                                                      path="/models", op="listModels")], MODELS))


def test_server_error_on_a_valid_request_fails():
    findings = checks.judge_positive([example(500, {"error": {"message": "boom", "type": "server_error",
                                                              "param": None, "code": None}})], CHAT)
    assert_fails(findings, "property.positive.no-server-error", contains="a valid request got HTTP 500")
    assert not [f for f in findings if f.requirement == "property.positive.accepted"]


def test_valid_request_refused_fails_accepted_but_not_for_unknown_ids():
    findings = checks.judge_positive([example(400, ERROR_BODY)], CHAT)
    assert_fails(findings, "property.positive.accepted", contains="Unrecognized request argument")
    assert_passes(findings, "property.positive.response-schema")  # a 400 in OpenAI's shape is documented
    lookup = example(404, ERROR_BODY, method="GET", path="/chat/completions/abc", op="getChatCompletion",
                     expect_success=False)
    assert_no_failures(checks.judge_positive([lookup], GET_STORED))


def test_undocumented_status_fails():
    findings = checks.judge_positive([example(422, {"detail": [{"loc": ["body"], "msg": "x"}]})], CHAT)
    assert_fails(findings, "property.positive.status-documented", contains="HTTP 422 is not a documented status")
    findings = checks.judge_positive([example(201, fixture("chat_completion.json"))], CHAT)
    assert_fails(findings, "property.positive.status-documented", contains="201")


def test_wrong_content_type_fails():
    findings = checks.judge_positive([example(200, fixture("chat_completion.json"), {"content-type": "text/plain"})],
                                     CHAT)
    assert_fails(findings, "property.positive.content-type", contains="expected application/json")
    streamed = example(200, fixture("chat_completion.json"), JSON, request_body={**CHAT_BODY, "stream": True})
    assert_fails(checks.judge_positive([streamed], CHAT), "property.positive.content-type",
                 contains="expected text/event-stream")


def test_body_off_schema_fails_with_the_pointer():
    body = fixture("chat_completion.json")
    body["choices"][0]["finish_reason"] = "eos"
    failure = assert_fails(checks.judge_positive([example(200, body)], CHAT), "property.positive.response-schema",
                           contains="/choices/0/finish_reason")
    assert "CreateChatCompletionResponse" in failure.message
    error_in_other_shape = example(400, {"detail": "bad"})
    assert_fails(checks.judge_positive([error_in_other_shape], CHAT), "property.positive.response-schema",
                 contains="does not match ErrorResponse")


def test_stream_event_off_schema_or_not_json_fails():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "eos"}]}
    streamed = {**CHAT_BODY, "stream": True}
    findings = checks.judge_positive([example(200, sse_body(chunk), SSE, request_body=streamed)], CHAT)
    assert_fails(findings, "property.positive.response-schema", contains="event #0 does not match")
    broken = "data: {\"id\": \n\ndata: [DONE]\n\n"
    findings = checks.judge_positive([example(200, broken, SSE, request_body=streamed)], CHAT)
    assert_fails(findings, "property.positive.response-schema", contains="not JSON")


def test_done_sentinel_where_the_stream_has_none_fails():
    responses = profile().operation("createResponse")
    event = {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "m", "output_index": 0,
             "content_index": 0, "delta": "hi"}
    findings = checks.judge_positive([example(200, sse_body(event), SSE, request_body={"model": "m", "stream": True},
                                              path="/responses", op="createResponse")], responses)
    assert_fails(findings, "property.positive.response-schema", contains="[DONE]")


def test_failures_are_capped_per_operation():
    findings = checks.judge_positive([example(503, b"overloaded", {"content-type": "text/plain"})] * 5, CHAT)
    failures = [f for f in findings if f.requirement == "property.positive.no-server-error"]
    assert len(failures) == checks.FAILURES_SHOWN and failures[-1].evidence["more_failures"] == 2


def test_no_response_is_not_judged():
    ex = example(None, b"")
    ex.exchange.error, ex.exchange.error_kind = "connection refused", "connect"
    findings = checks.judge_positive([ex], CHAT)
    assert {f.verdict for f in findings} == {"error"}


# -- negative mode -------------------------------------------------------------------------------------------
def negative(status, body, headers=JSON, **kwargs):
    return example(status, body, headers, mode=NEGATIVE, expect_success=False,
                   request_body={"model": "m"}, note="missing required 'messages'", **kwargs)


def test_invalid_request_rejected_in_openai_shape_passes():
    findings = checks.judge_negative([negative(400, ERROR_BODY)], CHAT)
    for requirement in checks.NEGATIVE_IDS:
        assert_passes(findings, requirement)


def test_server_error_on_an_invalid_request_fails():
    findings = checks.judge_negative([negative(500, {"error": "KeyError: 'messages'"})], CHAT)
    assert_fails(findings, "property.negative.no-server-error", contains="missing required 'messages'")
    assert not [f for f in findings if f.requirement == "property.negative.rejected"]


def test_invalid_request_accepted_fails():
    findings = checks.judge_negative([negative(200, fixture("chat_completion.json"))], CHAT)
    assert_fails(findings, "property.negative.rejected", contains="was accepted with HTTP 200")


def test_rejection_not_in_openai_shape_fails():
    findings = checks.judge_negative([negative(422, {"detail": [{"loc": ["body", "messages"]}]})], CHAT)
    assert_passes(findings, "property.negative.rejected")
    assert_fails(findings, "property.negative.error-shape", contains="no 'error' object")
    plain = negative(400, b"Bad Request", {"content-type": "text/plain"})
    assert_fails(checks.judge_negative([plain], CHAT), "property.negative.error-shape", contains="text/plain")


def test_an_invalid_request_to_a_route_not_served_is_not_counted_as_rejected():
    findings = checks.judge_negative([negative(404, {"detail": "Not Found"})], CHAT)
    rejected = [f for f in findings if f.requirement == "property.negative.rejected"]
    assert [f.verdict for f in rejected] == ["skip"] and "route not served" in rejected[0].message
    assert_fails(findings, "property.negative.error-shape", contains="no 'error' object")


def test_optional_members_set_to_null_are_read_as_absent():
    body = fixture("chat_completion_wire.json")
    body["usage"] = None  # optional, not nullable in the profile: clients read it as absent
    assert_passes(checks.judge_positive([example(200, body)], CHAT), "property.positive.response-schema")
    body["choices"][0]["finish_reason"] = None  # required: null is not a value here
    assert_fails(checks.judge_positive([example(200, body)], CHAT), "property.positive.response-schema",
                 contains="/choices/0/finish_reason")


def test_a_rate_limit_does_not_count_as_a_rejection():
    limited = negative(429, {"error": {"message": "slow down", "type": "requests", "param": None,
                                       "code": "rate_limit_exceeded"}})
    findings = checks.judge_negative([limited], CHAT)
    assert not [f for f in findings if f.requirement == "property.negative.rejected"]
    assert_passes(findings, "property.negative.error-shape")
