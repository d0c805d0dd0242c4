"""Responses API: create (cut by max_output_tokens), retrieve it, continue it, stream it, call a function, an
unknown model and an invalid streamed request (seven requests)."""

from __future__ import annotations

import pytest
from oaic.checks import common, errors, responses

pytestmark = pytest.mark.needs("responses")

# A counting prompt keeps any model going beyond MAX_OUTPUT_TOKENS (OpenAI's minimum is 16), so the response is
# cut by the limit and the deltas of a stream are many.
COUNTING = "Count from 1 to 100, separated by commas."
MAX_OUTPUT_TOKENS = 16
UNKNOWN_MODEL = "oaic-no-such-model-7b3e"
IDENTITY = ("responses.create.id-prefix", "responses.create.created-recent")
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False},
}


def counting_request(target, **extra):
    return {"model": target.model("responses"), "input": COUNTING, "max_output_tokens": MAX_OUTPUT_TOKENS, **extra}


@pytest.fixture(scope="module")
def created(api, target):
    """The counting response, created once and only when a test first asks for it."""
    sent = []

    def get():
        if not sent:
            sent.append(api.post("/responses", json=counting_request(target)))
        return sent[0]

    return get


def created_id(ex) -> str | None:
    body = responses.json_response(ex)
    value = body.get("id") if body else None
    return value if isinstance(value, str) and value else None


@pytest.mark.covers("responses.create.shape", "responses.output.message", "responses.usage.consistent",
                    "responses.max-output-tokens.incomplete", *IDENTITY)
def test_create_response(created, verdicts):
    ex = created()
    verdicts.extend(responses.create_shape(ex))
    verdicts.extend(responses.identity(ex))
    verdicts.extend(responses.output_message(ex))
    verdicts.extend(responses.usage_consistent(ex))
    verdicts.extend(responses.max_output_tokens(ex))


@pytest.mark.covers("responses.retrieve.same")
def test_retrieve_response(api, created, verdicts):
    response_id = created_id(created())
    if response_id is None:
        verdicts.skip(["responses.retrieve.same"], "not judged: no response was created (see responses.create.shape)")
        return
    ex = api.get(f"/responses/{response_id}")
    verdicts.extend(responses.retrieve_same(created(), ex))


@pytest.mark.covers("responses.previous-response.accepted")
def test_continue_with_previous_response_id(api, target, created, verdicts):
    response_id = created_id(created())
    if response_id is None:
        verdicts.skip(["responses.previous-response.accepted"],
                      "not judged: no response was created (see responses.create.shape)")
        return
    ex = api.post("/responses", json={"model": target.model("responses"), "input": "Continue.",
                                      "max_output_tokens": MAX_OUTPUT_TOKENS, "previous_response_id": response_id})
    verdicts.extend(responses.previous_response(created(), ex))


@pytest.mark.needs("responses_streaming")
@pytest.mark.covers("responses.stream.*", "responses.output.message", "responses.usage.consistent",
                    "responses.max-output-tokens.incomplete", *IDENTITY)
def test_streamed_response(api, target, verdicts):
    ex = api.post("/responses", json=counting_request(target, stream=True))
    verdicts.extend(responses.identity(ex))
    verdicts.extend(responses.stream_identity(ex))
    verdicts.extend(responses.streams_incrementally(ex))
    verdicts.extend(responses.stream_format(ex))
    verdicts.extend(responses.event_fields(ex))
    verdicts.extend(responses.sequence_numbers(ex))
    verdicts.extend(responses.lifecycle(ex))
    verdicts.extend(responses.terminal_response(ex))
    verdicts.extend(responses.text_deltas(ex))
    verdicts.extend(responses.output_message(ex))
    verdicts.extend(responses.usage_consistent(ex))
    verdicts.extend(responses.max_output_tokens(ex))


@pytest.mark.needs("tools")
@pytest.mark.covers("responses.tools.function-call", "responses.output.message")
def test_function_call(api, target, verdicts):
    ex = api.post("/responses", json={
        "model": target.model("responses"),
        "input": "What is the weather in Paris right now? Use the get_weather tool.",
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "max_output_tokens": MAX_OUTPUT_TOKENS,
    })
    verdicts.extend(responses.function_call(ex))
    verdicts.extend(responses.output_message(ex))


@pytest.mark.covers("responses.model.unknown-404", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, target, verdicts):
    ex = api.post("/responses", json={**counting_request(target), "model": UNKNOWN_MODEL})
    verdicts.extend(errors.unknown_model(ex, "responses.model.unknown-404", "a response request"))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.needs("responses_streaming")
@pytest.mark.covers("responses.stream.invalid-rejected", "errors.body.shape")
def test_invalid_streamed_request(api, target, verdicts):
    """Out of range with stream: true: refused before the stream opens, not with a response.failed event."""
    ex = api.post("/responses", json=counting_request(target, stream=True, temperature=5),
                  headers={"connection": "close"})
    verdicts.extend(errors.rejected_before_stream(ex, "a streamed response request with temperature 5 (the range "
                                                      "is 0..2)", ("temperature",),
                                                  req="responses.stream.invalid-rejected"))
    verdicts.extend(common.error_body(ex))
