"""Transport-level and error-body checks applied to every exchange."""

from __future__ import annotations

import pytest
from oaic.checks import common, transport
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

OPENAI_ERROR = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": None,
                          "code": "invalid_api_key"}}


def test_healthy_exchange_passes_transport_checks():
    ex = Exchange.from_parts(body={"ok": True})
    findings = transport.transport_health(ex) + transport.json_response(ex)
    for req in ("transport.response.timely", "transport.response.complete", "transport.response.bounded",
                "transport.json.content-type"):
        assert_passes(findings, req)


@pytest.mark.parametrize("kind, requirement, text", [
    ("timeout", "transport.response.timely", "no response headers"),
    ("stall", "transport.response.timely", "stream stalled"),
    ("deadline", "transport.response.timely", "total deadline"),
    ("closed", "transport.response.complete", "connection closed"),
    ("too-large", "transport.response.bounded", "exceeded"),
])
def test_transport_failures(kind, requirement, text):
    errors = {"timeout": "no response headers within 1s", "stall": "stream stalled: no bytes for 1s after 10 bytes",
              "deadline": "response not complete after the total deadline of 5s",
              "closed": "connection closed after 10 bytes: peer closed", "too-large": "response body exceeded 16 bytes"}
    ex = Exchange(method="POST", path="/chat/completions", status=None if kind == "timeout" else 200,
                  error=errors[kind], error_kind=kind)
    assert_fails(transport.transport_health(ex), requirement, text)


def test_non_json_content_type_and_unparseable_json():
    html = Exchange.from_parts(status=502, headers={"content-type": "text/html"}, body="<html>Bad gateway</html>")
    assert_fails(transport.json_response(html), "transport.json.content-type", "text/html")
    broken = Exchange.from_parts(status=200, body=b'{"id": ')
    assert_fails(transport.json_response(broken), "transport.json.content-type", "not JSON")


def test_openai_error_body_passes():
    assert_passes(common.error_body(Exchange.from_parts(status=401, body=OPENAI_ERROR)), "errors.body.shape")


@pytest.mark.parametrize("body, headers, text", [
    ({"detail": "Not Found"}, {}, "no 'error' object"),
    ({"error": "model not found"}, {}, "'error' is str"),
    ({"error": {"message": "x", "type": "y"}}, {}, "error.param is missing"),
    ({"error": {"message": "x", "type": "y", "param": None, "code": 404}}, {}, "error.code is 404"),
    ({"error": {"message": None, "type": "y", "param": None, "code": None}}, {}, "error.message is null"),
    ("<html>oops</html>", {"content-type": "text/html"}, "not application/json"),
    ("", {}, "empty body"),
])
def test_non_openai_error_bodies_fail_and_show_what_came_back(body, headers, text):
    ex = Exchange.from_parts(status=400, headers=headers, body=body)
    finding = assert_fails(common.error_body(ex), "errors.body.shape", text)
    assert "HTTP 400" in finding.message


def test_provider_extras_are_allowed():
    body = {"error": {**OPENAI_ERROR["error"], "n_prompt_tokens": 10, "n_ctx": 8}}
    assert_passes(common.error_body(Exchange.from_parts(status=400, body=body)), "errors.body.shape")


def test_honest_unsupported():
    assert common.honest_unsupported(Exchange.from_parts(status=404, body=OPENAI_ERROR))
    assert not common.honest_unsupported(Exchange.from_parts(status=404, body={"detail": "Not Found"}))
    assert not common.honest_unsupported(Exchange.from_parts(status=400, body=OPENAI_ERROR))


def test_a_download_that_asked_for_bytes_is_not_held_to_json():
    def download(accept: str, status: int = 200) -> Exchange:
        return Exchange.from_parts(method="GET", path="/files/file-abc/content", status=status, body=b"raw\n",
                                   headers={"content-type": "application/octet-stream"},
                                   request_headers={"accept": accept})
    assert transport.json_response(download("application/binary")) == []
    assert_fails(transport.json_response(download("*/*")), "transport.json.content-type", "application/octet-stream")
    assert_fails(transport.json_response(download("application/binary", 404)), "transport.json.content-type",
                 "expected application/json")
