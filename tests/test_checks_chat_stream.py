"""Streamed chat checks on OpenAI's real stream (tests/fixtures/openai/chat_stream.sse) and on the stream
deviations providers shipped (missing [DONE], missing finish chunk, repeated or missing role, usage mistakes,
errors inside a 200 stream, keep-alive comments)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from oaic.checks import chat_stream
from oaic.exchange import Exchange, sse_body

from tests.helpers import assert_fails, assert_no_failures, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
OPENAI_SSE = (FIXTURES / "chat_stream.sse").read_bytes()
OPENAI_CHUNKS = [json.loads(line[len("data: "):]) for line in OPENAI_SSE.decode().splitlines()
                 if line.startswith("data: {")]
USAGE = {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}
INVARIANTS = ("chat.stream.content-type", "chat.stream.data-json", "chat.stream.done-sentinel",
              "chat.stream.after-done", "chat.stream.no-error-event", "chat.stream.chunk-schema",
              "chat.stream.object", "chat.stream.identity", "chat.stream.role-first",
              "chat.stream.role-consistent", "chat.stream.role-once", "chat.stream.finish-once",
              "chat.stream.finish-reason", "chat.stream.no-content-after-finish")


def stream(body: bytes, status: int = 200, **kw) -> Exchange:
    return Exchange.from_parts(body=body, status=status, stream=True, **kw)


def of(chunks, done: bool = True) -> Exchange:
    return stream(sse_body(*chunks, done=done))


def openai_chunks() -> list[dict]:
    return copy.deepcopy(OPENAI_CHUNKS)


def with_usage_chunk(chunks: list[dict]) -> list[dict]:
    """OpenAI's include_usage form: usage null on every chunk, then a last chunk with choices [] and usage."""
    last = {**chunks[-1], "choices": [], "usage": USAGE}
    return [{**c, "usage": None} for c in chunks] + [last]


def test_openai_stream_passes():
    ex = stream(OPENAI_SSE)
    findings = chat_stream.invariants(ex)
    assert_no_failures(findings)
    for req in INVARIANTS + ("chat.stream.usage-unrequested",):
        assert_passes(findings, req)


def test_openai_stream_with_usage_passes():
    findings = chat_stream.invariants(of(with_usage_chunk(openai_chunks())), include_usage=True)
    assert_no_failures(findings)
    assert_passes(findings, "chat.stream.usage-final")


def test_keepalive_comments_and_crlf_are_fine():
    body = b": ping\r\n\r\n" + OPENAI_SSE.replace(b"\n\n", b"\r\n\r\n: keep-alive\r\n\r\n", 3)
    assert_no_failures(chat_stream.invariants(stream(body)))


def test_wrong_content_type():
    ex = stream(OPENAI_SSE, headers={"content-type": "text/plain"})
    assert_fails(chat_stream.content_type(ex), "chat.stream.content-type", "HTTP 200 text/event-stream")
    plain = Exchange.from_parts(body={"object": "chat.completion"})
    assert_fails(chat_stream.content_type(plain), "chat.stream.content-type", "ignored stream: true")
    assert {f.verdict for f in chat_stream.roles(plain)} == {"skip"}


def test_invalid_json_and_invalid_utf8():
    body = sse_body(OPENAI_CHUNKS[0], "{'id': 1}", OPENAI_CHUNKS[-1])
    assert_fails(chat_stream.wire(stream(body)), "chat.stream.data-json", "event #1 data is not JSON")
    assert_fails(chat_stream.wire(of([OPENAI_CHUNKS[0], [1, 2]])), "chat.stream.data-json", "JSON list")
    broken = OPENAI_SSE.replace("你好".encode(), b"\xe4\xbd", 1)
    assert_fails(chat_stream.wire(stream(broken)), "chat.stream.data-json", "not valid UTF-8")


def test_missing_done():
    ex = of(OPENAI_CHUNKS, done=False)
    assert_fails(chat_stream.wire(ex), "chat.stream.done-sentinel", "without data: [DONE] after 11")
    unterminated = stream(OPENAI_SSE.rstrip(b"\n"))
    assert_fails(chat_stream.wire(unterminated), "chat.stream.done-sentinel", "not ended by a blank line")


def test_events_after_done():
    ex = stream(OPENAI_SSE + sse_body(OPENAI_CHUNKS[-1], done=False))
    assert_fails(chat_stream.wire(ex), "chat.stream.after-done", "1 event(s) arrived after [DONE]")


def test_error_inside_200_stream():
    error = {"error": {"message": "upstream failed", "type": "server_error", "param": None, "code": None}}
    ex = of(OPENAI_CHUNKS[:3] + [error])
    assert_fails(chat_stream.error_events(ex), "chat.stream.no-error-event", "carried an error at event #3")
    # the error event is reported once, not again as a chunk without "object"
    assert_passes(chat_stream.chunk_shape(ex), "chat.stream.object")


@pytest.mark.parametrize("index, key, value, requirement, message", [
    (2, "object", "chat.completion", "chat.stream.object", 'event #2: object is "chat.completion"'),
    (3, "id", "chatcmpl-other", "chat.stream.identity", "event #3: id is \"chatcmpl-other\", but event #0"),
    (4, "created", 1742903313, "chat.stream.identity", "created is 1742903313"),
    (0, "created", ..., "chat.stream.identity", "event #0: created is missing"),
    (5, "model", "gpt-4o", "chat.stream.identity", "model is \"gpt-4o\""),
    (6, "system_fingerprint", "fp_other", "chat.stream.identity", "system_fingerprint"),
    (1, "choices", "none", "chat.stream.chunk-schema", "event #1 /choices"),
])
def test_chunk_deviations(index, key, value, requirement, message):
    chunks = openai_chunks()
    if value is ...:
        del chunks[index][key]
    else:
        chunks[index][key] = value
    assert_fails(chat_stream.chunk_shape(of(chunks)), requirement, message)


def test_fingerprint_only_in_some_chunks_is_fine():
    chunks = openai_chunks()
    for chunk in chunks[1:]:
        del chunk["system_fingerprint"]
    assert_passes(chat_stream.chunk_shape(of(chunks)), "chat.stream.identity")


def delta(chunks: list[dict], index: int, **values) -> list[dict]:
    chunks[index]["choices"][0]["delta"].update(values)
    return chunks


def test_roles():
    missing = openai_chunks()
    del missing[0]["choices"][0]["delta"]["role"]
    assert_fails(chat_stream.roles(of(missing)), "chat.stream.role-first", 'missing, expected "assistant"')
    assert_fails(chat_stream.roles(of(delta(openai_chunks(), 0, role=""))), "chat.stream.role-first", '""')
    assert_fails(chat_stream.roles(of(delta(openai_chunks(), 3, role=""))), "chat.stream.role-consistent",
                 'event #3 has role ""')
    repeated = openai_chunks()
    for chunk in repeated:
        chunk["choices"][0]["delta"]["role"] = "assistant"
    findings = chat_stream.roles(of(repeated))
    assert_fails(findings, "chat.stream.role-once", "event #1 repeats role")
    assert_passes(findings, "chat.stream.role-consistent")


def test_finish_reasons():
    no_finish = openai_chunks()[:-1]
    assert_fails(chat_stream.finishes(of(no_finish)), "chat.stream.finish-once", "never got a finish_reason")
    twice = openai_chunks()
    twice[5]["choices"][0]["finish_reason"] = "stop"
    assert_fails(chat_stream.finishes(of(twice)), "chat.stream.finish-once", "got 2 finish_reasons")
    eos = openai_chunks()
    eos[-1]["choices"][0]["finish_reason"] = "eos"
    assert_fails(chat_stream.finishes(of(eos)), "chat.stream.finish-reason", 'finish_reason "eos"')
    late = openai_chunks()
    late.append(copy.deepcopy(late[1]))
    assert_fails(chat_stream.finishes(of(late)), "chat.stream.no-content-after-finish",
                 "finished at event #10 but got output at event #11")
    # content in the finish chunk itself is fine
    assert_passes(chat_stream.finishes(of(delta(openai_chunks(), 10, content="!"))),
                  "chat.stream.no-content-after-finish")
    assert_fails(chat_stream.finishes(of([{"id": "x"}])), "chat.stream.finish-once", "no chunk carried")


def test_usage_final():
    assert_fails(chat_stream.usage_final(of(openai_chunks())), "chat.stream.usage-final", "none of the 11")
    with_choice = with_usage_chunk(openai_chunks())
    with_choice[-1]["choices"] = [{"index": 0, "delta": {}, "finish_reason": None, "logprobs": None}]
    assert_fails(chat_stream.usage_final(of(with_choice)), "chat.stream.usage-final", "expected []")
    on_finish = openai_chunks()
    on_finish[-1]["usage"] = USAGE
    assert_fails(chat_stream.usage_final(of(on_finish)), "chat.stream.usage-final", "expected []")
    early = with_usage_chunk(openai_chunks())
    early[2]["usage"] = USAGE
    assert_fails(chat_stream.usage_final(of(early)), "chat.stream.usage-final", "#2 carries usage before")
    wrong_total = with_usage_chunk(openai_chunks())
    wrong_total[-1]["usage"] = {**USAGE, "total_tokens": 10}
    assert_fails(chat_stream.usage_final(of(wrong_total)), "chat.stream.usage-final", "total_tokens is 10")


def test_usage_unrequested():
    assert_fails(chat_stream.usage_unrequested(of(with_usage_chunk(openai_chunks()))),
                 "chat.stream.usage-unrequested", "although stream_options.include_usage was not requested")


def two_choices() -> list[dict]:
    """An n=2 stream: the OpenAI chunks for index 0 interleaved with a copy for index 1."""
    out = []
    for chunk in openai_chunks():
        second = copy.deepcopy(chunk)
        second["choices"][0]["index"] = 1
        out += [chunk, second]
    return out


def test_n_choices():
    findings = chat_stream.n_choices(of(two_choices()), 2) + chat_stream.invariants(of(two_choices()))
    assert_no_failures(findings)
    assert_passes(findings, "chat.stream.n-choices")
    assert_fails(chat_stream.n_choices(of(openai_chunks()), 2), "chat.stream.n-choices", "[0], expected 0..1")
    unfinished = [c for c in two_choices()
                  if not (c["choices"][0]["index"] == 1 and c["choices"][0]["finish_reason"])]
    assert_fails(chat_stream.n_choices(of(unfinished), 2), "chat.stream.n-choices", "choice 1 got 0 finish")


def with_stream_logprobs(k: int, logprob: float = -0.2) -> list[dict]:
    chunks = openai_chunks()
    for chunk in chunks:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            top = [{"token": text, "logprob": logprob, "bytes": list(text.encode())}] + [
                {"token": "x", "logprob": logprob - 1, "bytes": [120]}] * (k - 1)
            chunk["choices"][0]["logprobs"] = {"content": [{**top[0], "top_logprobs": top}], "refusal": None}
    return chunks


def test_stream_logprobs():
    assert_passes(chat_stream.logprobs(of(with_stream_logprobs(2)), 2), "chat.stream.logprobs")
    req = "chat.stream.logprobs"
    assert_fails(chat_stream.logprobs(of(openai_chunks()), 2), req, "expected logprobs.content")
    assert_fails(chat_stream.logprobs(of(with_stream_logprobs(1)), 2), req, "has 1 alternatives")
    assert_fails(chat_stream.logprobs(of(with_stream_logprobs(2, 0.5)), 2), req, "never above 0")


def test_options_require_stream():
    error = {"error": {"message": "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                       "type": "invalid_request_error", "param": "stream_options", "code": None}}
    assert_passes(chat_stream.options_require_stream(Exchange.from_parts(status=400, body=error)),
                  "chat.stream.options-require-stream")
    ok = Exchange.from_parts(body=json.loads((FIXTURES / "chat_completion.json").read_text()))
    assert_fails(chat_stream.options_require_stream(ok), "chat.stream.options-require-stream", "expected 400")


def test_matches_non_stream():
    plain = Exchange.from_parts(body=json.loads((FIXTURES / "chat_completion.json").read_text()))
    assert_passes(chat_stream.matches_non_stream(stream(OPENAI_SSE), plain), "chat.stream.matches-non-stream")
    other = of(delta(openai_chunks(), 2, content="?"))
    assert_fails(chat_stream.matches_non_stream(other, plain), "chat.stream.matches-non-stream",
                 "the stream said")
    stalled = stream(OPENAI_SSE)
    stalled.error_kind, stalled.error = "stall", "stream stalled: no bytes for 30s after 200 bytes"
    assert [f.verdict for f in chat_stream.matches_non_stream(stalled, plain)] == ["skip"]


def saying(content) -> Exchange:
    body = json.loads((FIXTURES / "chat_completion.json").read_text())
    body["choices"][0]["message"]["content"] = content
    return Exchange.from_parts(body=body)


def test_stream_equivalence_is_judged_only_on_a_deterministic_prompt_dependent_target():
    red, blue = saying("Red, green, blue."), saying("Cat, dog, cow.")
    assert chat_stream.equivalence_unproven(red, saying("Red, green, blue."), blue) is None
    random = chat_stream.equivalence_unproven(red, saying("Blue, red, pink."), blue)
    assert "not deterministic for this prompt" in random
    canned = chat_stream.equivalence_unproven(red, red, saying("Red, green, blue."))
    assert "same answer" in canned and "to a different prompt" in canned
    refused = Exchange.from_parts(status=400, body={"error": {"message": "no", "type": "x", "param": None,
                                                               "code": None}})
    assert "needs three non-streamed answers" in chat_stream.equivalence_unproven(red, red, refused)


def test_timing():
    body = sse_body(*OPENAI_CHUNKS[:3])
    chunks = [(0.5, body[:10]), (0.5, body[10:len(body) // 2]), (0.9, body[len(body) // 2:])]
    first, gaps = chat_stream.timing(Exchange.from_parts(body=body, stream=True, chunks=chunks))
    assert first == 0.5 and len(gaps) == 3 and max(gaps) == pytest.approx(0.4)


ODD_CHUNKS = sse_body({"choices": [None, {"delta": "x", "index": "0"}]}, {"choices": {}})


@pytest.mark.parametrize("body", [b"", b"data: [DONE]\n\n", b"data: 3\n\ndata: null\n\n", b"event: x\n\n",
                                  ODD_CHUNKS])
def test_stream_checks_survive_any_body(body):
    ex = stream(body)
    findings = chat_stream.invariants(ex, include_usage=True) + chat_stream.n_choices(ex, 2) \
        + chat_stream.logprobs(ex, 2)
    crashed = [f.message for f in findings if "raised" in f.message]
    assert not crashed, crashed


# -- keys, identity and streaming that streams ----------------------------------------------------------------------
def test_openai_stream_keys_identity_and_incremental_pass():
    ex = stream(OPENAI_SSE, headers={"content-type": "text/event-stream", "date": "Tue, 25 Mar 2025 11:48:33 GMT"})
    findings = chat_stream.invariants(ex)
    for req in ("chat.stream.required-keys", "chat.response.id-prefix", "chat.response.created-recent"):
        assert_passes(findings, req)
    pieces = chat_stream.content_pieces(ex)
    if len("".join(pieces).split()) >= 4:
        assert_passes(chat_stream.streams_incrementally(ex), "chat.stream.incremental")


def test_finish_reason_key_dropped_by_the_serializer():
    chunks = openai_chunks()
    for chunk in chunks:
        for choice in chunk["choices"]:
            if choice["finish_reason"] is None:
                del choice["finish_reason"]
    assert_fails(chat_stream.required_keys(of(chunks)), "chat.stream.required-keys", "no finish_reason key")


def test_stream_id_and_created_judged_on_the_first_chunk():
    chunks = [{**c, "id": "gen-1742903312", "created": 1_700_000_000} for c in openai_chunks()]
    ex = stream(sse_body(*chunks), headers={"content-type": "text/event-stream",
                                            "date": "Tue, 25 Mar 2025 11:48:33 GMT"})
    findings = chat_stream.identity(ex)
    assert_fails(findings, "chat.response.id-prefix", "event #0: id")
    assert_fails(findings, "chat.response.created-recent", "event #0: created")


def answer_in(pieces):
    first = openai_chunks()[0]
    rest = [{**first, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None,
                                   "logprobs": None}]} for piece in pieces]
    last = {**first, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}]}
    return of([first, *rest, last])


def test_a_whole_answer_in_one_chunk_is_not_streaming():
    assert_fails(chat_stream.streams_incrementally(answer_in(["1, 2, 3, 4, 5, 6, 7, 8"])), "chat.stream.incremental",
                 "arrived in one event")
    assert_passes(chat_stream.streams_incrementally(answer_in(["1, 2,", " 3, 4, 5"])), "chat.stream.incremental")
    short_answer = chat_stream.streams_incrementally(answer_in(["Hello!"]))
    assert [f.verdict for f in short_answer] == ["skip"]
