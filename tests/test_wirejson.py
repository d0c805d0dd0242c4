"""Pathological bodies are "not JSON" with a precise reason, in bounded time, never a suite error."""

from __future__ import annotations

import time

import pytest
from oaic import wirejson
from oaic.exchange import Exchange, sse_body
from oaic.sse import decode

DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.mark.parametrize("body, reason", [
    (DEEP, "nesting deeper than 128 levels"),
    (b'{"a": ' + b"{" * 129 + b"}" * 129 + b"}", "nesting deeper than 128 levels"),
    (b'{"a": ' + b'[{"k": ' * 64 + b"1" + b"}]" * 64 + b', "b": "]]]]"}', "nesting deeper than 128 levels"),
    (b'{"n": 1e999}', "number out of range: 1e999 overflows a double"),
    (b'{"n": -1e999}', "number out of range"),
    (b'{"n": ' + b"9" * 5000 + b"}", "number out of range: an integer with 5000 digits"),
    (b'{"s": "caf\xe9"}', "not valid UTF-8"),
    (b'{"a": 1', "Expecting ',' delimiter"),
])
def test_pathological_bodies_are_not_json_with_a_precise_reason(body, reason):
    start = time.monotonic()
    ex = Exchange.from_parts("GET", "/models", body=body)
    assert ex.json() is None and reason in ex.json_error
    assert time.monotonic() - start < 2


def test_what_is_legal_still_parses():
    assert wirejson.loads(b'{"a": "[[[[{{{{\\"]]]", "b": ' + b"[" * 127 + b"]" * 127 + b"}") is not None
    assert wirejson.loads(b'{"a": ' + b'[{"k": ' * 63 + b"1" + b"}]" * 63 + b', "b": "[[[["}') is not None
    assert wirejson.loads(b"[" + b"[[]]," * 1000 + b"[]]") is not None  # many brackets, shallow
    assert wirejson.loads('\ufeff{"a": 1}'.encode()) == {"a": 1}  # RFC 8259 section 8.1: a BOM may be ignored
    assert wirejson.loads(b'{"n": 1e308, "i": ' + b"9" * 4300 + b"}")["n"] == 1e308
    assert wirejson.loads(b'"\\ud83d\\ude00"') == "\U0001f600"  # an escaped pair is one character


def test_lone_surrogates_are_located_at_any_depth():
    value = wirejson.loads(b'{"data": [{"owned_by": "x\\udc80"}], "k\\ud800": 1, "ok": "\\ud83d\\ude00"}')
    assert sorted(wirejson.lone_surrogates(value)) == [("/data/0/owned_by", "x\udc80"), ("/k\ud800 (key)", "k\ud800")]
    deep: list = []
    node = deep
    for _ in range(5000):  # deeper than any recursion limit: walked without recursion
        node.append([])
        node = node[0]
    node.append("\udfff")
    assert len(wirejson.lone_surrogates(deep)) == 1


def test_stream_events_share_the_bounds():
    ex = Exchange.from_parts(body=sse_body('{"a": ' + "[" * 300 + "]" * 300 + "}", '{"n": 1e999}'), stream=True)
    events = ex.data_events()
    assert "nesting deeper than 128 levels" in events[0].json_error
    assert "number out of range" in events[1].json_error
    assert ex.chunks_json() == []


def test_an_enormous_sse_line_fed_in_pieces_is_decoded_in_linear_time():
    line = b"data: " + b"x" * 17_000_000 + b"\n\n"
    start = time.monotonic()
    decoder = decode(line, [(0.0, line[i:i + 65536]) for i in range(0, len(line), 65536)])
    assert len(decoder.events) == 1 and len(decoder.events[0].data) == 17_000_000
    many = b"".join(b'data: {"i":%d}\n\n' % i for i in range(100_000))
    assert len(decode(many).events) == 100_000
    assert time.monotonic() - start < 5
