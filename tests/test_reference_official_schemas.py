"""The reference provider's answers validate against OpenAI's own schemas (the official document beside the clone,
normalized by oaic.official), so "faithful" is checked against more than the suite's own profile."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from oaic.exchange import Exchange
from oaic.reference.server import running

OFFICIAL = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "openai-openapi.json"
pytestmark = pytest.mark.skipif(not OFFICIAL.is_file(), reason="the official document is not beside the clone")
PARAMETERS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CHAT_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                              "parameters": PARAMETERS}}
RESPONSES_TOOL = {"type": "function", "name": "get_weather", "description": "Weather in a city",
                  "parameters": PARAMETERS}


@pytest.fixture(scope="module")
def official(tmp_path_factory):
    import os

    from oaic.official import load_official

    previous = os.environ.get("OAIC_CACHE_DIR")
    os.environ["OAIC_CACHE_DIR"] = str(tmp_path_factory.mktemp("official-cache"))
    try:
        return load_official(str(OFFICIAL))
    finally:
        if previous is None:
            os.environ.pop("OAIC_CACHE_DIR")
        else:
            os.environ["OAIC_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def api():
    with running() as base_url, httpx.Client(base_url=base_url, timeout=5) as client:
        yield client


def events(response: httpx.Response) -> list:
    return [value for _, value in Exchange.from_parts(body=response.content, stream=True).chunks_json()]


def chat(api, content: str, **extra):
    return api.post("/chat/completions", json={"model": "ref-chat", "messages": [{"role": "user", "content": content}],
                                               **extra})


def answers(api) -> list[tuple[str, object]]:
    """(official schema name, body) for every kind of answer the provider gives."""
    stored = chat(api, "Say stored.", store=True, metadata={"k": "v"}, logprobs=True, top_logprobs=2).json()
    response = api.post("/responses", json={"model": "ref-responses", "input": "Say hi."}).json()
    out = [
        ("ListModelsResponse", api.get("/models").json()),
        ("Model", api.get("/models/ref-chat").json()),
        ("ErrorResponse", api.get("/models/none").json()),
        ("ErrorResponse", chat(api, "Hi", temperature=5).json()),
        ("CreateChatCompletionResponse", stored),
        ("CreateChatCompletionResponse", chat(api, "Weather in Oslo?", tools=[CHAT_TOOL]).json()),
        ("CreateChatCompletionResponse", chat(api, "Answer in JSON.", n=2,
                                              response_format={"type": "json_object"}).json()),
        ("ChatCompletionList", api.get("/chat/completions").json()),
        ("CreateChatCompletionResponse", api.get(f"/chat/completions/{stored['id']}").json()),
        ("CreateChatCompletionResponse", api.post(f"/chat/completions/{stored['id']}",
                                                  json={"metadata": {"k": "w"}}).json()),
        ("ChatCompletionDeleted", api.delete(f"/chat/completions/{stored['id']}").json()),
        ("CreateCompletionResponse", api.post("/completions", json={"model": "ref-instruct", "prompt": "Once",
                                                                    "logprobs": 2}).json()),
        ("CreateEmbeddingResponse", api.post("/embeddings", json={"model": "ref-embed", "input": ["a", "b"]}).json()),
        ("Response", response),
        ("Response", api.post("/responses", json={"model": "ref-responses", "input": "Weather in Oslo?",
                                                  "tools": [RESPONSES_TOOL]}).json()),
        ("Response", api.post("/responses", json={"model": "ref-responses", "input": "Tell me a long story.",
                                                  "max_output_tokens": 16}).json()),
        ("ResponseItemList", api.get(f"/responses/{response['id']}/input_items").json()),
    ]
    for request in ({"messages": [{"role": "user", "content": "Hi"}], "logprobs": True, "n": 2},
                    {"messages": [{"role": "user", "content": "Weather in Oslo and Rome?"}], "tools": [CHAT_TOOL],
                     "stream_options": {"include_usage": True}}):
        out += [("CreateChatCompletionStreamResponse", chunk) for chunk in events(
            api.post("/chat/completions", json={"model": "ref-chat", "stream": True, **request}))]
    # The document gives legacy stream chunks the non-streamed schema, whose finish_reason may not be null; OpenAI
    # streams null until the last chunk of a choice, so only finishing chunks can be held to that schema.
    out += [("CreateCompletionResponse", chunk) for chunk in events(
        api.post("/completions", json={"model": "ref-instruct", "prompt": "Once", "stream": True}))
        if all(choice["finish_reason"] for choice in chunk["choices"])]
    for request in ({"input": "Say hi."}, {"input": "Weather in Oslo?", "tools": [RESPONSES_TOOL]},
                    {"input": "Tell me a long story.", "max_output_tokens": 16}):
        out += [("ResponseStreamEvent", event) for event in events(
            api.post("/responses", json={"model": "ref-responses", "stream": True, **request}))]
    return out


def test_every_answer_validates_against_the_official_schemas(api, official):
    problems = []
    for name, body in answers(api):
        errors = official.schema_errors(f"/components/schemas/{name}", body)
        if errors:
            problems.append(f"{name}: {errors[:2]}")
    assert not problems, "\n".join(problems)


def test_stored_messages_follow_the_recorded_transcript_not_the_documented_schema(api, official):
    """The official ChatCompletionMessageList types its items as assistant messages (required refusal, role
    "assistant"); OpenAI returns the request's own messages with their roles (seed 000, "Get chat messages")."""
    stored = chat(api, "Say stored.", store=True).json()
    messages = api.get(f"/chat/completions/{stored['id']}/messages").json()
    assert messages["data"] == [{"id": f"{stored['id']}-0", "role": "user", "content": "Say stored.", "name": None,
                                 "content_parts": None}]
    assert official.schema_errors("/components/schemas/ChatCompletionMessageList", messages)
