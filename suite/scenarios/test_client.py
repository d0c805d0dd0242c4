"""A client library under test (``--client``/``--client-cmd``): a few requests chosen to exercise what clients
get wrong, so a gate run selected with ``--only 'client.*'`` stays small. The client.* verdicts come from the
transport the client runs through (see suite/clients/), for these requests and for every other scenario's;
these tests only send. At most 7 requests (more when the server rate limits and the client retries).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.needs("client")

HELLO = [{"role": "user", "content": "Say hello."}]
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather conditions for a place",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
TWO_PLACES = "What's the weather in Paris and in Tokyo right now? Look up each place separately."


@pytest.mark.covers("client.response.usage", "client.response.finish-reason", "client.retry.*")
def test_whole_chat_completion(api, target, verdicts):
    api.post("/chat/completions", json={"model": target.model("chat"), "messages": HELLO, "max_tokens": 8})


@pytest.mark.needs("streaming")
@pytest.mark.covers("client.stream.events", "client.stream.text", "client.stream.failure", "client.stream.timeout",
                    "client.response.usage", "client.response.finish-reason")
def test_chat_stream(api, target, verdicts):
    extra = {"stream_options": {"include_usage": True}} if target.claims("stream_usage") else {}
    api.post("/chat/completions", json={"model": target.model("chat"), "messages": HELLO, "max_tokens": 8,
                                        "stream": True, **extra})


@pytest.mark.needs("streaming")
@pytest.mark.needs("tools")
@pytest.mark.covers("client.stream.tool-calls")
def test_streamed_tool_calls(api, target, verdicts):
    api.post("/chat/completions", json={"model": target.model("tools"), "max_tokens": 150, "stream": True,
                                        "messages": [{"role": "user", "content": TWO_PLACES}], "tools": [WEATHER],
                                        "tool_choice": "required"})


@pytest.mark.needs("responses_streaming")
@pytest.mark.covers("client.responses.final", "client.stream.events")
def test_responses_stream(api, target, verdicts):
    api.post("/responses", json={"model": target.model("responses"), "input": "Say hello.",
                                 "max_output_tokens": 16, "stream": True})


@pytest.mark.covers("client.error.class", "client.error.fields", "client.retry.*")
def test_error_raises(api, target, verdicts):
    """An invalid temperature: every OpenAI-compatible server answers 400, and the client must raise."""
    api.post("/chat/completions", json={"model": target.model("chat"), "messages": HELLO, "max_tokens": 8,
                                        "temperature": 3})


@pytest.mark.needs("models")
@pytest.mark.covers("client.pagination.auto", "client.error.class", "client.error.fields")
def test_list_and_unknown_model(api, target, verdicts):
    api.get("/models")
    api.get("/models/oaic-no-such-model-7b3e")
