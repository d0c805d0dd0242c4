"""transport.unicode-valid: JSON bodies and SSE data are UTF-8 and hold no lone surrogate; OpenAI's pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from oaic.checks import transport
from oaic.exchange import Exchange, sse_body

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
REQ = "transport.unicode-valid"


@pytest.mark.parametrize("name", ["chat_completion_wire.json", "models_list.json", "response.json"])
def test_openai_bodies_pass(name):
    ex = Exchange.from_parts("GET", "/x", body=(FIXTURES / name).read_bytes())
    assert_passes(transport.unicode_valid(ex), REQ)


def test_openai_stream_passes_and_is_judged_with_the_other_transport_checks():
    ex = Exchange.from_parts(body=(FIXTURES / "chat_stream.sse").read_bytes(), stream=True)
    assert_passes(transport.transport_health(ex), REQ)


def test_emoji_escaped_as_a_valid_pair_and_bidi_marks_are_fine():
    ex = Exchange.from_parts("GET", "/models", body=b'{"owned_by": "\\ud83d\\ude00 \xe2\x80\xae \\u0000"}')
    assert_passes(transport.unicode_valid(ex), REQ)


def test_lone_surrogate_in_a_body_fails_with_its_location():
    ex = Exchange.from_parts("GET", "/models", body=b'{"data": [{"id": "m", "owned_by": "x\\udc80"}]}')
    finding = assert_fails(transport.transport_health(ex), REQ, "/data/0/owned_by holds a lone UTF-16 surrogate")
    assert "\\udc80" in finding.message and finding.evidence["string"] == "x\udc80"


def test_lone_surrogate_in_a_stream_event_fails():
    ex = Exchange.from_parts(body=sse_body('{"choices": [{"delta": {"content": "\\ud83d"}}]}'), stream=True)
    assert_fails(transport.unicode_valid(ex), REQ, "event #0 JSON string at /choices/0/delta/content")


def test_invalid_utf8_fails_in_a_body_and_in_a_stream():
    body = Exchange.from_parts("GET", "/models", body=b'{"owned_by": "caf\xe9"}')
    assert_fails(transport.unicode_valid(body), REQ, "body is not valid UTF-8 at byte 17")
    stream = Exchange.from_parts(body=b'data: {"content": "caf\xe9"}\n\ndata: [DONE]\n\n', stream=True)
    assert_fails(transport.unicode_valid(stream), REQ, "stream line 1 is not valid UTF-8")


def test_not_judged_without_a_whole_json_or_stream_body():
    cut = Exchange.from_parts("GET", "/models", body=b'{"a": "\xe2\x80', error="closed", error_kind="closed")
    text = Exchange.from_parts("GET", "/models", headers={"content-type": "text/plain"}, body=b"\xff")
    assert transport.unicode_valid(cut) == [] and transport.unicode_valid(text) == []
