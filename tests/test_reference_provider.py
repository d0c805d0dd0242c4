"""The reference provider behaves like OpenAI where the suite relies on it, and its fault machinery works: the
promises the conformance run against the clean provider does not spell out on its own."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest
from oaic.exchange import Exchange
from oaic.reference.faults import FAULTS, FaultContext, fault
from oaic.reference.server import ReferenceServer
from oaic.reference.wire import APIError

KEY = "sk-oaic-provider-test"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer",
                                                                                      "minimum": 1}},
                   "required": ["city", "days"], "additionalProperties": False}}}
CLOCK = {"type": "function", "function": {"name": "get_time", "description": "Get the local time in a city",
                                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                         "required": ["city"]}}}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(api_key=KEY) as running:
        yield running


@pytest.fixture
def api(server):
    server.reset(api_key=KEY)
    with httpx.Client(base_url=server.base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=5) as client:
        yield client


def chat(api, content: str, **extra):
    return api.post("/chat/completions", json={"model": "ref-chat", "messages": [{"role": "user", "content": content}],
                                               **extra})


def stream_chunks(response: httpx.Response) -> list[dict]:
    ex = Exchange.from_parts(body=response.content, stream=True)
    assert ex.data_events()[-1].is_done
    return [value for _, value in ex.chunks_json()]


def test_stop_sequence_cuts_the_reply_streamed_or_not(api):
    whole = chat(api, "Say 'alpha beta gamma'", stop=["beta"]).json()
    assert whole["choices"][0]["message"]["content"] == "alpha "
    chunks = stream_chunks(chat(api, "Say 'alpha beta gamma'", stop=["beta"], stream=True))
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "alpha "


def test_token_limit_gives_length_with_exactly_that_many_tokens(api):
    for field in ("max_tokens", "max_completion_tokens"):
        body = chat(api, "Tell me a long story.", **{field: 7}).json()
        assert body["choices"][0]["finish_reason"] == "length"
        assert body["usage"]["completion_tokens"] == 7


def test_same_prompt_same_answer_and_n_choices_interleave(api):
    assert chat(api, "Describe a lake.").json()["choices"][0]["message"] == \
        chat(api, "Describe a lake.").json()["choices"][0]["message"]
    chunks = stream_chunks(chat(api, "Describe a lake.", n=2, stream=True))
    order = [c["choices"][0]["index"] for c in chunks]
    assert order[:4] == [0, 1, 0, 1]
    finishes = [(c["choices"][0]["index"], c["choices"][0]["finish_reason"]) for c in chunks
                if c["choices"][0]["finish_reason"]]
    assert sorted(finishes) == [(0, "stop"), (1, "stop")]


def test_usage_chunk_only_when_asked(api):
    plain = stream_chunks(chat(api, "Hi", stream=True))
    assert all("usage" not in c for c in plain)
    asked = stream_chunks(chat(api, "Hi", stream=True, stream_options={"include_usage": True}))
    assert asked[-1]["choices"] == [] and asked[-1]["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None for c in asked[:-1])


def test_logprobs_list_k_alternatives_best_first(api):
    content = chat(api, "Hi", logprobs=True, top_logprobs=3).json()["choices"][0]["logprobs"]["content"]
    for entry in content:
        assert entry["logprob"] <= 0 and bytes(entry["bytes"]).decode() == entry["token"]
        ranked = [alt["logprob"] for alt in entry["top_logprobs"]]
        assert len(ranked) == 3 and ranked == sorted(ranked, reverse=True)
    assert chat(api, "Hi", logprobs=True).json()["choices"][0]["logprobs"]["content"][0]["top_logprobs"] == []


def test_structured_output_follows_the_schema(api):
    schema = {"type": "object", "properties": {"name": {"type": "string", "minLength": 3},
                                               "tags": {"type": "array", "items": {"enum": ["a", "b"]},
                                                        "minItems": 2},
                                               "size": {"anyOf": [{"type": "number", "minimum": 10},
                                                                  {"type": "null"}]}},
              "required": ["name", "tags", "size"], "additionalProperties": False}
    body = chat(api, "Describe it.", response_format={"type": "json_schema", "json_schema": {
        "name": "thing", "schema": schema, "strict": True}}).json()
    jsonschema.validate(json.loads(body["choices"][0]["message"]["content"]), schema)
    as_object = chat(api, "Answer in JSON.", response_format={"type": "json_object"}).json()
    assert isinstance(json.loads(as_object["choices"][0]["message"]["content"]), dict)
    assert chat(api, "No keyword here.", response_format={"type": "json_object"}).status_code == 400


def test_tool_calls_follow_tool_choice_and_parallel_flag(api):
    def calls(**extra):
        body = api.post("/chat/completions", json={"model": "ref-tools", "tools": [WEATHER, CLOCK], **extra,
                                                   "messages": [{"role": "user", "content": extra.pop(
                                                       "prompt", "Weather and time in Lima?")}]}).json()
        return body["choices"][0]["message"].get("tool_calls") or []

    both = calls(tool_choice="auto")
    assert [c["function"]["name"] for c in both] == ["get_weather", "get_time"]
    assert len({c["id"] for c in both}) == 2
    for call in both:
        schema = (WEATHER if call["function"]["name"] == "get_weather" else CLOCK)["function"]["parameters"]
        jsonschema.validate(json.loads(call["function"]["arguments"]), schema)
    assert len(calls(tool_choice="auto", parallel_tool_calls=False)) == 1
    assert calls(tool_choice="none") == []
    named = calls(tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert [c["function"]["name"] for c in named] == ["get_time"]


def test_streamed_tool_call_opens_each_index_then_sends_fragments(api):
    response = api.post("/chat/completions", json={
        "model": "ref-tools", "tools": [WEATHER], "tool_choice": "required", "stream": True,
        "messages": [{"role": "user", "content": "Weather in Paris and Rome?"}]})
    deltas = [d for c in stream_chunks(response) for d in c["choices"][0]["delta"].get("tool_calls") or []]
    opened = {}
    for delta in deltas:
        if delta["index"] not in opened:
            assert delta["function"]["arguments"] == "" and delta["id"] and delta["type"] == "function"
            opened[delta["index"]] = ""
        else:
            assert set(delta) == {"index", "function"} and set(delta["function"]) == {"arguments"}
            opened[delta["index"]] += delta["function"]["arguments"]
    assert [json.loads(a)["city"] for a in opened.values()] == ["Paris", "Rome"]


def test_tool_messages_must_answer_a_call(api):
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    base = [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": None, "tool_calls": [call]}]

    def send(messages):
        return api.post("/chat/completions", json={"model": "ref-tools", "tools": [WEATHER], "messages": messages})

    answered = send(base + [{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}])
    assert answered.status_code == 200 and "sunny" in answered.json()["choices"][0]["message"]["content"]
    assert send(base).json()["error"]["param"] == "messages[1].role"  # the call was never answered
    missing = send(base + [{"role": "tool", "content": "sunny"}]).json()["error"]
    assert missing["param"] == "messages[2].tool_call_id" and missing["code"] == "missing_required_parameter"
    assert send(base + [{"role": "tool", "tool_call_id": "call_9", "content": "x"}]).status_code == 400


def test_invalid_stream_request_is_a_json_error(api):
    response = chat(api, "Hi", stream=True, temperature=9)
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    assert response.json()["error"]["param"] == "temperature"


def test_every_answer_has_a_request_id_and_errors_have_openai_shape(api):
    for response in (api.get("/nope"), api.delete("/models"), api.get("/models/none"),
                     api.post("/chat/completions", content=b"{", headers={"content-type": "application/json"})):
        assert response.headers["x-request-id"].startswith("req_")
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert api.get("/nope").status_code == 404 and api.delete("/models").status_code == 405


def test_key_is_required(server):
    missing = httpx.get(server.base_url + "/models")
    wrong = httpx.get(server.base_url + "/models", headers={"authorization": "Bearer sk-wrong-key-123456"})
    for response in (missing, wrong):
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key" not in wrong.text  # the key is never echoed in full


def test_stored_list_pages_forward_and_backward(api):
    ids = [chat(api, f"Say {i}.", store=True, metadata={"run": "pages"}).json()["id"] for i in range(5)]
    seen, after = [], None
    while True:
        page = api.get("/chat/completions", params={"limit": 2, **({"after": after} if after else {})}).json()
        seen += [c["id"] for c in page["data"]]
        assert page["first_id"] == page["data"][0]["id"] and page["last_id"] == page["data"][-1]["id"]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == ids
    newest_first = api.get("/chat/completions", params={"order": "desc", "metadata[run]": "pages"}).json()
    assert [c["id"] for c in newest_first["data"]] == ids[::-1]
    assert api.get("/chat/completions", params={"limit": 101}).status_code == 400
    assert api.get("/chat/completions", params={"order": "up"}).json()["error"]["param"] == "order"


def test_embeddings_dimensions_and_base64_decode_to_the_same_unit_vector(api):
    import base64
    import struct

    floats = api.post("/embeddings", json={"model": "ref-embed", "input": "river", "dimensions": 16}).json()
    vector = floats["data"][0]["embedding"]
    assert len(vector) == 16 and abs(sum(v * v for v in vector) - 1) < 1e-6
    packed = api.post("/embeddings", json={"model": "ref-embed", "input": "river", "dimensions": 16,
                                           "encoding_format": "base64"}).json()["data"][0]["embedding"]
    assert struct.unpack("<16f", base64.b64decode(packed)) == pytest.approx(vector, abs=1e-6)


def test_responses_stream_numbers_every_event(api):
    response = api.post("/responses", json={"model": "ref-responses", "input": "Tell me a long story.",
                                            "stream": True, "max_output_tokens": 16})
    ex = Exchange.from_parts(body=response.content, stream=True)
    events = [(e.event, e.json()) for e in ex.data_events()]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert all(name == data["type"] for name, data in events)
    assert events[0][0] == "response.created" and events[-1][0] == "response.incomplete"
    final = events[-1][1]["response"]
    assert final["incomplete_details"] == {"reason": "max_output_tokens"} and final["usage"]["output_tokens"] == 16
    deltas = "".join(data["delta"] for name, data in events if name == "response.output_text.delta")
    assert deltas == final["output"][0]["content"][0]["text"]


# -- the fault machinery ----------------------------------------------------------------------------------------
def test_stalled_stream_ends_when_the_client_gives_up(server):
    server.reset(["stream-stall"])
    with httpx.Client(base_url=server.base_url, timeout=0.5) as client:
        with pytest.raises(httpx.ReadTimeout):
            with client.stream("POST", "/chat/completions", json={
                    "model": "ref-chat", "stream": True, "messages": [{"role": "user", "content": "Hi there"}]}) as r:
                for _ in r.iter_bytes():
                    pass
        assert client.get("/models").status_code == 200  # the server is free again


def test_closed_stream_is_cut_off_mid_way(server):
    server.reset(["stream-close"])
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(server.base_url + "/chat/completions", timeout=5, json={
            "model": "ref-chat", "stream": True, "messages": [{"role": "user", "content": "Hi there"}]})


def test_a_hook_may_answer_with_an_error(server):
    def refuse(body, ctx: FaultContext):
        raise APIError(503, "overloaded", None, None, "server_error")

    entry = fault("test-only-overloaded", ["errors.body.shape"], "Every chat completion answers 503.",
                  public=False, request=refuse)
    try:
        server.reset([entry.name])
        response = httpx.post(server.base_url + "/chat/completions", json={"model": "ref-chat", "messages": []})
        assert response.status_code == 503 and response.json()["error"]["type"] == "server_error"
    finally:
        del FAULTS[entry.name]


def test_a_provider_bug_is_a_500_in_openai_shape(server):
    def crash(body, ctx: FaultContext):
        raise RuntimeError("bug")

    entry = fault("test-only-crash", ["errors.body.shape"], "Every chat completion crashes.", public=False,
                  request=crash)
    try:
        server.reset([entry.name])
        response = httpx.post(server.base_url + "/chat/completions", json={"model": "ref-chat", "messages": []})
        assert response.status_code == 500 and response.json()["error"]["type"] == "server_error"
        assert response.headers["x-request-id"]
    finally:
        del FAULTS[entry.name]


def test_list_query_hook_sees_the_parsed_query_and_shapes_the_page(server):
    from dataclasses import replace

    from oaic.reference.stored import ListQuery

    seen = []

    def one_more(query, ctx: FaultContext):
        seen.append((ctx.endpoint, query))
        return replace(query, limit=query.limit + 1)

    entry = fault("test-only-one-more", ["pagination.limit.respected"], "Every list page holds one item too many.",
                  public=False, stored_query=one_more)
    try:
        server.reset([entry.name])
        with httpx.Client(base_url=server.base_url, timeout=5) as api:
            ids = [chat(api, f"Say {i}.", store=True, metadata={"run": "query"}).json()["id"] for i in range(4)]
            listed = api.get("/chat/completions", params={"limit": 1, "after": ids[0], "order": "asc",
                                                          "model": "ref-chat", "metadata[run]": "query"}).json()
            messages = api.get(f"/chat/completions/{ids[0]}/messages", params={"order": "desc"}).json()
            invalid = api.get("/chat/completions", params={"limit": 0})  # rejected before the hook
    finally:
        del FAULTS[entry.name]
    assert [c["id"] for c in listed["data"]] == ids[1:3] and listed["has_more"] is True
    assert len(messages["data"]) == 1 and invalid.status_code == 400
    assert seen == [("stored.list", ListQuery(1, "asc", ids[0], "ref-chat", {"run": "query"})),
                    ("stored.messages", ListQuery(order="desc"))]
