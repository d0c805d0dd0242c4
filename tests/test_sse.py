"""The SSE decoder on the wire cases that break naive clients."""

from __future__ import annotations

import json

from oaic.exchange import Exchange, sse_body
from oaic.sse import SSEDecoder, decode


def events_of(*pieces: bytes):
    decoder = SSEDecoder()
    for i, piece in enumerate(pieces):
        decoder.feed(piece, float(i))
    decoder.close(float(len(pieces)))
    return decoder


def test_plain_openai_stream():
    decoder = decode(sse_body({"a": 1}, {"b": 2}))
    assert [e.data for e in decoder.events] == ['{"a":1}', '{"b":2}', "[DONE]"]
    assert decoder.events[-1].is_done and not decoder.problems


def test_multiline_data_is_joined_with_newline():
    decoder = decode(b"data: {\"a\":\ndata: 1}\n\n")
    assert decoder.events[0].data == '{"a":\n1}'
    assert decoder.events[0].json() == {"a": 1}
    assert decoder.events[0].raw_lines == ['data: {"a":', "data: 1}"]


def test_comment_lines_are_counted_not_events():
    decoder = decode(b": ping\n\ndata: {}\n\n: keep-alive\ndata: [DONE]\n\n")
    assert [e.data for e in decoder.events] == ["{}", "[DONE]"]
    assert decoder.comment_count == 2
    assert decoder.events[1].comments == ["keep-alive"]


def test_crlf_and_lone_cr_line_endings():
    crlf = decode(b"data: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\r\n")
    cr = decode(b"data: {\"x\":1}\r\rdata: [DONE]\r\r")
    for decoder in (crlf, cr):
        assert [e.data for e in decoder.events] == ['{"x":1}', "[DONE]"]
        assert not decoder.problems


def test_crlf_split_across_network_chunks():
    decoder = events_of(b"data: 1\r", b"\n\r", b"\ndata: [DONE]\r\n\r\n")
    assert [e.data for e in decoder.events] == ["1", "[DONE]"]


def test_utf8_character_split_across_chunks():
    body = ("data: " + json.dumps({"content": "你好"}, ensure_ascii=False) + "\n\n").encode()
    cut = body.index("好".encode()) + 1  # inside the 3-byte character
    decoder = events_of(body[:cut], body[cut:])
    assert decoder.events[0].json() == {"content": "你好"}
    assert not decoder.problems


def test_invalid_utf8_is_a_problem_not_a_crash():
    decoder = decode(b"data: \xff\xfe\n\n")
    assert decoder.problems and "UTF-8" in decoder.problems[0]
    assert decoder.events[0].data is not None


def test_invalid_json_is_surfaced_on_the_event():
    decoder = decode(b"data: {not json}\n\ndata: [DONE]\n\n")
    event = decoder.events[0]
    assert event.json() is None and event.json_error.startswith("invalid JSON")


def test_missing_done_and_unterminated_last_event():
    decoder = decode(b"data: {\"a\":1}\n\ndata: {\"b\":2}")
    assert [e.data for e in decoder.events] == ['{"a":1}', '{"b":2}']
    assert not decoder.events[-1].terminated
    assert "stream ended inside an event" in decoder.problems[0]


def test_event_id_retry_fields_and_offsets():
    decoder = events_of(b"event: response.created\nid: 7\nretry: 1500\ndata: {}\n", b"\n")
    event = decoder.events[0]
    assert (event.event, event.id, event.retry, event.offset) == ("response.created", "7", 1500, 1.0)


def test_bad_retry_and_unknown_field_are_problems():
    decoder = decode(b"retry: soon\nfoo: bar\ndata: x\n\n")
    assert len(decoder.problems) == 2


def test_exchange_from_parts_decodes_streams():
    ex = Exchange.from_parts(body=sse_body({"a": 1}), stream=True)
    assert ex.is_stream and ex.content_type == "text/event-stream"
    assert [payload for _, payload in ex.chunks_json()] == [{"a": 1}]
