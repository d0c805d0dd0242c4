"""client.* checks: what a client library handed back against what the wire said, on OpenAI's real stream
(tests/fixtures/openai/chat_stream.sse) and on hand-made answers of clients that get it wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from oaic.checks import client
from oaic.checks.client import ClientCall
from oaic.exchange import Exchange, sse_body

from tests.helpers import assert_fails, assert_no_failures, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
OPENAI_SSE = (FIXTURES / "chat_stream.sse").read_bytes()
OPENAI_CHUNKS = [json.loads(line[len("data: "):]) for line in OPENAI_SSE.decode().splitlines()
                 if line.startswith("data: {")]
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def call(exchanges: list[Exchange], answer: dict, operation: str = "chat.completions.create",
         params: dict | None = None, started: list[float] | None = None, finished: list[float] | None = None,
         answered: float = 0.0, **kw) -> ClientCall:
    n = len(exchanges)
    return ClientCall(operation, params if params is not None else CHAT, exchanges,
                      started or [float(i) for i in range(n)], finished or [i + 0.1 for i in range(n)], answer,
                      answered, **kw)


def stream_answer(chunks: list[dict], text_key: str = "content") -> dict:
    """What a correct client reports for these chunks."""
    choices: dict[str, dict] = {}
    usage = None
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            entry = choices.setdefault(str(choice["index"]), {"text": "", "finish_reason": None, "tool_calls": []})
            delta = choice.get("delta") or {}
            entry["text"] += (choice.get("text") if text_key == "text" else delta.get("content")) or ""
            entry["finish_reason"] = choice.get("finish_reason") or entry["finish_reason"]
            for tc in delta.get("tool_calls") or []:
                while len(entry["tool_calls"]) <= tc["index"]:
                    entry["tool_calls"].append({"id": None, "name": "", "arguments": ""})
                joined = entry["tool_calls"][tc["index"]]
                joined["id"] = joined["id"] or tc.get("id")
                joined["name"] += (tc.get("function") or {}).get("name") or ""
                joined["arguments"] += (tc.get("function") or {}).get("arguments") or ""
    return {"result": {"chunks": chunks, "choices": choices, "usage": usage}}


def streamed(chunks: list[dict], **kw) -> Exchange:
    return Exchange.from_parts(body=sse_body(*chunks), stream=True, request_json={**CHAT, "stream": True}, **kw)


STREAM_PARAMS = {**CHAT, "stream": True}


# -- streams --------------------------------------------------------------------------------------------------
def test_openai_stream_through_a_correct_client_passes():
    findings = client.judge(call([Exchange.from_parts(body=OPENAI_SSE, stream=True)], stream_answer(OPENAI_CHUNKS),
                                 params=STREAM_PARAMS))
    assert_no_failures(findings)
    for requirement in ("client.stream.events", "client.stream.text", "client.response.finish-reason"):
        assert_passes(findings, requirement)


def test_a_dropped_last_chunk_fails_events_and_finish_reason():
    answer = stream_answer(OPENAI_CHUNKS[:-1])
    findings = client.judge(call([Exchange.from_parts(body=OPENAI_SSE, stream=True)], answer, params=STREAM_PARAMS))
    assert_fails(findings, "client.stream.events", "number of stream chunks")
    assert_fails(findings, "client.response.finish-reason")


def test_text_assembled_wrong_fails():
    answer = stream_answer(OPENAI_CHUNKS)
    answer["result"]["choices"]["0"]["text"] = answer["result"]["choices"]["0"]["text"][1:]
    findings = client.judge(call([Exchange.from_parts(body=OPENAI_SSE, stream=True)], answer, params=STREAM_PARAMS))
    assert_fails(findings, "client.stream.text", "text of choice 0")


def tool_chunks() -> list[dict]:
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def tc(index: int, **fields) -> dict:
        return {"tool_calls": [{"index": index, **fields}]}

    return [chunk({"role": "assistant", "content": None}),
            chunk(tc(0, id="call_a", type="function", function={"name": "get_weather", "arguments": ""})),
            chunk(tc(0, function={"arguments": '{"city": "Pa'})), chunk(tc(0, function={"arguments": 'ris"}'})),
            chunk(tc(1, id="call_b", type="function", function={"name": "get_weather", "arguments": ""})),
            chunk(tc(1, function={"arguments": '{"city": "Tokyo"}'})), chunk({}, "tool_calls")]


def test_tool_calls_assembled_by_index_pass_and_by_position_fail():
    chunks = tool_chunks()
    good = client.judge(call([streamed(chunks)], stream_answer(chunks), params=STREAM_PARAMS))
    assert_passes(good, "client.stream.tool-calls")
    wrong = stream_answer(chunks)
    wrong["result"]["choices"]["0"]["tool_calls"] = [
        {"id": "call_a", "name": "get_weather", "arguments": '{"city": "Paris"}{"city": "Tokyo"}'},
        {"id": "call_b", "name": "get_weather", "arguments": ""}]
    assert_fails(client.judge(call([streamed(chunks)], wrong, params=STREAM_PARAMS)), "client.stream.tool-calls",
                 "tool calls of choice 0")


def test_tool_deltas_without_index_are_not_judged():
    chunks = tool_chunks()
    for chunk in chunks:
        for tc in chunk["choices"][0]["delta"].get("tool_calls") or []:
            del tc["index"]
    findings = client.judge(call([streamed(chunks)], {"result": {"chunks": chunks, "choices": {}}},
                                 params=STREAM_PARAMS))
    assert not [f for f in findings if f.requirement == "client.stream.tool-calls"]


def test_stream_usage_parsed_wrong_fails():
    chunks = copy.deepcopy(OPENAI_CHUNKS) + [{"id": "x", "object": "chat.completion.chunk", "created": 1,
                                              "model": "m", "choices": [], "usage": {"prompt_tokens": 3,
                                                                                     "completion_tokens": 4,
                                                                                     "total_tokens": 7}}]
    answer = stream_answer(chunks)
    assert_passes(client.judge(call([streamed(chunks)], answer, params=STREAM_PARAMS)), "client.response.usage")
    answer["result"]["usage"] = None
    assert_fails(client.judge(call([streamed(chunks)], answer, params=STREAM_PARAMS)), "client.response.usage",
                 "prompt_tokens is None")


def test_a_finished_stream_the_client_raises_on_fails():
    findings = client.judge(call([Exchange.from_parts(body=OPENAI_SSE, stream=True)],
                                 {"error": {"kind": "other", "class": "KeyError", "message": "delta"}},
                                 params=STREAM_PARAMS))
    assert_fails(findings, "client.stream.events", "KeyError")


def test_legacy_completions_stream_text():
    chunks = [{"id": "c", "object": "text_completion", "created": 1, "model": "m",
               "choices": [{"index": 0, "text": piece, "finish_reason": finish, "logprobs": None}]}
              for piece, finish in (("Hel", None), ("lo", None), ("", "length"))]
    answer = stream_answer(chunks, "text")
    ok = client.judge(call([streamed(chunks)], answer, "completions.create", STREAM_PARAMS))
    assert_passes(ok, "client.stream.text")
    answer["result"]["choices"]["0"]["text"] = "Hel"
    assert_fails(client.judge(call([streamed(chunks)], answer, "completions.create", STREAM_PARAMS)),
                 "client.stream.text")


# -- Responses stream -------------------------------------------------------------------------------------------
def responses_events() -> list[dict]:
    response = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}
    done = {**response, "status": "completed", "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}}
    return [{"type": "response.created", "sequence_number": 0, "response": response},
            {"type": "response.output_text.delta", "sequence_number": 1, "delta": "Hi"},
            {"type": "response.completed", "sequence_number": 2, "response": done}]


def test_responses_stream_events_and_final():
    events = responses_events()
    ex = Exchange.from_parts(path="/responses", body=sse_body(*events, done=False), stream=True)
    good = {"result": {"events": events, "final": events[-1]["response"]}}
    findings = client.judge(call([ex], good, "responses.create", {"stream": True}))
    assert_passes(findings, "client.responses.final")
    assert_passes(findings, "client.stream.events")
    assert_passes(findings, "client.response.usage")
    wrong = {"result": {"events": events[:-1], "final": events[0]["response"]}}
    findings = client.judge(call([ex], wrong, "responses.create", {"stream": True}))
    assert_fails(findings, "client.stream.events", "event types")
    assert_fails(findings, "client.responses.final", "id and status")


# -- whole responses ------------------------------------------------------------------------------------------------
def test_whole_response_usage_and_finish_reason():
    body = json.loads((FIXTURES / "chat_completion.json").read_text())
    ex = Exchange.from_parts(body=body)
    assert_no_failures(client.judge(call([ex], {"result": {"response": body}})))
    assert_passes(client.judge(call([ex], {"result": {"response": body}})), "client.response.finish-reason")
    wrong = copy.deepcopy(body)
    wrong["usage"]["total_tokens"] += 1
    wrong["choices"][0]["finish_reason"] = None
    findings = client.judge(call([ex], {"result": {"response": wrong}}))
    assert_fails(findings, "client.response.usage", "total_tokens")
    assert_fails(findings, "client.response.finish-reason")
    assert_fails(client.judge(call([ex], {"error": {"kind": "other", "class": "ValidationError"}})),
                 "client.response.usage", "raised")


# -- errors ---------------------------------------------------------------------------------------------------------
ERROR_BODY = {"error": {"message": "Invalid value for temperature", "type": "invalid_request_error",
                        "param": "temperature", "code": "invalid_value"}}


def error_exchange(status: int = 400) -> Exchange:
    return Exchange.from_parts(status=status, body=ERROR_BODY, headers={"x-request-id": "req_123"})


def right_error(status: int = 400, name: str = "BadRequestError") -> dict:
    return {"error": {"kind": "status", "class": f"openai.{name}", "status": status, "code": "invalid_value",
                      "param": "temperature", "type": "invalid_request_error", "request_id": "req_123"}}


def test_errors_raise_the_documented_class_with_the_wire_fields():
    findings = client.judge(call([error_exchange()], right_error()))
    assert_passes(findings, "client.error.class")
    assert_passes(findings, "client.error.fields")
    assert_passes(client.judge(call([error_exchange(500)], right_error(500, "InternalServerError"))),
                  "client.error.class")


def test_a_wrong_class_or_missing_fields_fail():
    assert_fails(client.judge(call([error_exchange()], right_error(name="APIError"))), "client.error.class",
                 "expected BadRequestError")
    assert_fails(client.judge(call([error_exchange()], {"result": {"response": {}}})), "client.error.class",
                 "instead of raising")
    lost = right_error()
    del lost["error"]["request_id"]
    lost["error"]["param"] = None
    assert_fails(client.judge(call([error_exchange()], lost)), "client.error.fields", "param None")


# -- broken streams -----------------------------------------------------------------------------------------------
def test_a_cut_stream_or_error_event_must_raise():
    cut = Exchange.from_parts(body=sse_body(*OPENAI_CHUNKS[:2], done=False), stream=True, error_kind="closed",
                              error="connection closed")
    assert_fails(client.judge(call([cut], stream_answer(OPENAI_CHUNKS[:2]), params=STREAM_PARAMS)),
                 "client.stream.failure", "cut off")
    assert_passes(client.judge(call([cut], {"error": {"kind": "connection", "class": "httpx.RemoteProtocolError"}},
                                    params=STREAM_PARAMS)), "client.stream.failure")
    event = streamed([OPENAI_CHUNKS[0], {"error": {"message": "upstream failed", "type": "server_error"}}])
    assert_fails(client.judge(call([event], stream_answer([OPENAI_CHUNKS[0]]), params=STREAM_PARAMS)),
                 "client.stream.failure", "error event")


def test_a_stalled_stream_must_end_with_the_client_timeout():
    stalled = Exchange.from_parts(body=sse_body(*OPENAI_CHUNKS[:2], done=False), stream=True, error_kind="stall",
                                  error="stream stalled")
    timely = {"error": {"kind": "timeout", "class": "openai.APITimeoutError"}}
    assert_passes(client.judge(call([stalled], timely, params=STREAM_PARAMS, finished=[1.0], answered=2.0,
                                    timeout=1.0)), "client.stream.timeout")
    assert_fails(client.judge(call([stalled], timely, params=STREAM_PARAMS, finished=[1.0], answered=30.0,
                                   timeout=1.0)), "client.stream.timeout", "not with its timeout")
    assert_fails(client.judge(call([stalled], stream_answer(OPENAI_CHUNKS[:2]), params=STREAM_PARAMS)),
                 "client.stream.timeout", "as if it had ended")


# -- retries --------------------------------------------------------------------------------------------------------
def limited(retry_after: str | None = "1") -> Exchange:
    headers = {"retry-after": retry_after} if retry_after else {}
    return Exchange.from_parts(status=429, headers=headers, body={"error": {"message": "slow down", "type":
                                                                            "requests", "code": None,
                                                                            "param": None}})


def test_retries_within_the_limit_after_retry_after():
    ok = Exchange.from_parts(body=json.loads((FIXTURES / "chat_completion.json").read_text()))
    findings = client.judge(call([limited(), ok], {"result": {"response": ok.json()}}, started=[0.0, 1.2],
                                 finished=[0.1, 1.3]))
    assert_passes(findings, "client.retry.limit")
    assert_passes(findings, "client.retry.retry-after")
    hurried = client.judge(call([limited(), ok], {"result": {"response": ok.json()}}, started=[0.0, 0.2],
                                finished=[0.1, 0.3]))
    assert_fails(hurried, "client.retry.retry-after", "retried after 0.10s")


def test_no_retry_or_too_many_fail():
    assert_fails(client.judge(call([limited(None)], right_error(429, "RateLimitError"))), "client.retry.limit",
                 "without retrying")
    assert_fails(client.judge(call([limited(None)] * 4, right_error(429, "RateLimitError"), max_retries=2)),
                 "client.retry.limit", "4 times")


# -- pagination -----------------------------------------------------------------------------------------------------
def page(ids: list[str], has_more: bool, path: str) -> Exchange:
    return Exchange.from_parts("GET", path, body={"object": "list", "data": [{"id": i} for i in ids],
                                                  "has_more": has_more, "first_id": ids[0], "last_id": ids[-1]})


def test_auto_pagination_walks_every_page_once():
    pages = [page(["a", "b"], True, "/chat/completions?limit=2"), page(["c"], False, "/chat/completions?after=b")]
    items = {"result": {"items": [{"id": i} for i in "abc"]}}
    assert_passes(client.judge(call(pages, items, "chat.completions.list", {"query": {}})), "client.pagination.auto")
    short = {"result": {"items": [{"id": i} for i in "ab"]}}
    assert_fails(client.judge(call(pages, short, "chat.completions.list", {"query": {}})), "client.pagination.auto",
                 "yielded 2 items")
    assert_fails(client.judge(call(pages[:1], {"result": {"items": [{"id": "a"}, {"id": "b"}]}},
                                   "chat.completions.list", {"query": {}})), "client.pagination.auto", "has_more")
    again = [pages[0], pages[0], pages[1]]
    assert_fails(client.judge(call(again, items, "chat.completions.list", {"query": {}})), "client.pagination.auto",
                 "more than once")
