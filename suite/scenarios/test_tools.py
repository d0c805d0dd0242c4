"""Tool calling: tool_choice auto/required/named/none, parallel calls, streamed assembly, round trips, functions.

Forced cases (required, named) must produce calls on any conformant server, so they carry the assertions about
*whether* a call is made; the auto cases only check that whatever comes back obeys the rules of tool calls. The
prompts ask about the weather in named places, which makes get_weather the natural call; the required case asks
something no tool is needed for and the named case forces the other tool, so a server that ignores tool_choice is
caught. When "required" is refused, the streamed tool calls are judged on an "auto" stream (or, without a call
there, a named one) instead. At most 13 requests.
"""

from __future__ import annotations

import json

import pytest
from oaic.checks import common, tools

pytestmark = pytest.mark.needs("tools")

MAX_TOKENS = 150  # room for a call's arguments; an answer cut by max_tokens is not judged on its arguments
CITY = {"type": "string", "description": "The name of the place, e.g. Paris"}
WEATHER = {"type": "function", "function": {
    "name": "get_weather",
    "description": "Current weather conditions for a place",
    "parameters": {"type": "object", "properties": {"city": CITY,
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"]}}}
TIME = {"type": "function", "function": {
    "name": "get_time",
    "description": "Local clock time for a place",
    "parameters": {"type": "object", "properties": {"city": CITY}, "required": ["city"]}}}
STRICT_WEATHER = {"type": "function", "function": {
    "name": "get_weather",
    "description": "Current weather conditions for a place",
    "strict": True,
    "parameters": {"type": "object", "properties": {"city": CITY}, "required": ["city"],
                   "additionalProperties": False}}}
ONE_PLACE = "What's the weather in Paris right now?"
NO_TOOL_NEEDED = "Tell me about Paris."  # only a forced tool_choice makes this a call
TWO_PLACES = "What's the weather in Paris and in Tokyo right now? Look up each place separately."
CALL_ID, SECOND_CALL_ID = "call_oaic_paris_1", "call_oaic_tokyo_2"
RESULT = json.dumps({"temperature_c": 21, "sky": "clear"})


def chat(target, prompt=ONE_PLACE, **extra):
    return {"model": target.model("tools"), "messages": [{"role": "user", "content": prompt}],
            "tools": [WEATHER, TIME], "max_tokens": MAX_TOKENS, **extra}


def assistant_call(*ids_and_places):
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": "get_weather", "arguments": json.dumps({"city": place})}}
        for call_id, place in ids_and_places]}


def tool_result(call_id):
    return {"role": "tool", "tool_call_id": call_id, "content": RESULT}


@pytest.mark.covers("tools.request.accepted", "tools.choice.auto", "tools.call.*")
def test_auto_with_a_strict_function(api, target, verdicts):
    ex = api.post("/chat/completions", json={**chat(target), "tools": [STRICT_WEATHER, TIME], "tool_choice": "auto"})
    verdicts.extend(tools.request_accepted(ex))
    verdicts.extend(tools.choice_auto(ex))
    verdicts.extend(tools.tool_calls(ex))
    verdicts.extend(tools.no_function_call_beside(ex))


@pytest.mark.covers("tools.choice.required", "tools.call.*", "tools.stream.*", "tools.request.accepted")
def test_required_streamed_and_not(api, target, verdicts):
    body = chat(target, NO_TOOL_NEEDED, tool_choice="required")
    plain = api.post("/chat/completions", json=body)
    verdicts.extend(tools.choice_required(plain))
    verdicts.extend(tools.tool_calls(plain))
    verdicts.extend(tools.no_function_call_beside(plain))
    if not target.claims("streaming"):
        verdicts.skip([r for r in tools.STREAM_REQUIREMENTS if r.startswith("tools.stream.")]
                      + ["tools.stream.not-dropped"], "not claimed: the target does not claim capability 'streaming'")
        return
    if refused(plain):
        stream_without_required(api, target, verdicts, plain)
        return
    streamed = api.post("/chat/completions", json={**body, "stream": True})
    verdicts.extend(tools.request_accepted(streamed))
    verdicts.extend(tools.stream_tool_calls(streamed))
    verdicts.extend(tools.no_function_call_beside(streamed))
    verdicts.extend(tools.stream_not_dropped(plain, streamed))


def refused(ex):
    """The target refused the request itself (a 4xx that is not about the key, the rate or a missing route)."""
    return ex.status is not None and 400 <= ex.status < 500 and ex.status not in (401, 403, 404, 405, 429)


def stream_without_required(api, target, verdicts, refusal):
    """tool_choice "required" was refused: the streamed tool calls are still judged, on a stream asked with
    "auto" and a prompt that calls for a tool, or failing a call there, with the function named."""
    streamed = api.post("/chat/completions", json=chat(target, tool_choice="auto", stream=True))
    verdicts.extend(tools.request_accepted(streamed))
    if not tools.response_calls(streamed):
        named = {"type": "function", "function": {"name": "get_weather"}}
        streamed = api.post("/chat/completions", json=chat(target, tool_choice=named, stream=True))
        verdicts.extend(tools.request_accepted(streamed))
    verdicts.extend(tools.stream_tool_calls(streamed))
    verdicts.skip(["tools.stream.not-dropped"], f'not judged: tool_choice "required" was refused '
                                                f"({refusal.describe()}), so no non-streamed call to compare with")


@pytest.mark.covers("tools.choice.named", "tools.call.*")
def test_named_choice_overrides_the_prompt(api, target, verdicts):
    ex = api.post("/chat/completions", json=chat(target, tool_choice={"type": "function",
                                                                        "function": {"name": "get_time"}}))
    verdicts.extend(tools.choice_named(ex))
    verdicts.extend(tools.tool_calls(ex))


@pytest.mark.covers("tools.choice.none", "tools.call.*")
def test_none_choice_answers_in_text(api, target, verdicts):
    ex = api.post("/chat/completions", json=chat(target, ONE_PLACE + " Answer in one short sentence.",
                                                 tool_choice="none"))
    verdicts.extend(tools.choice_none(ex))
    verdicts.extend(tools.tool_calls(ex))


@pytest.mark.needs("parallel_tool_calls")
@pytest.mark.covers("tools.parallel.distinct", "tools.call.*", "tools.stream.*", "tools.request.accepted")
def test_parallel_calls_are_kept_apart(api, target, verdicts):
    """Two places, default parallel_tool_calls: streamed when the target streams, where merging shows."""
    streaming = target.claims("streaming")
    ex = api.post("/chat/completions", json=chat(target, TWO_PLACES, stream=True) if streaming
                  else chat(target, TWO_PLACES))
    verdicts.extend(tools.request_accepted(ex))
    verdicts.extend(tools.parallel_distinct(ex))
    verdicts.extend(tools.stream_tool_calls(ex) if streaming else tools.tool_calls(ex))


@pytest.mark.needs("parallel_tool_calls")
@pytest.mark.covers("tools.parallel.disabled", "tools.call.*")
def test_parallel_calls_disabled(api, target, verdicts):
    ex = api.post("/chat/completions", json=chat(target, TWO_PLACES, parallel_tool_calls=False))
    verdicts.extend(tools.parallel_disabled(ex))
    verdicts.extend(tools.tool_calls(ex))


@pytest.mark.covers("tools.roundtrip.accepted", "tools.call.*")
def test_round_trip_with_a_tool_result(api, target, verdicts):
    body = chat(target)
    body["messages"] += [assistant_call((CALL_ID, "Paris")), tool_result(CALL_ID)]
    ex = api.post("/chat/completions", json=body)
    verdicts.extend(tools.roundtrip_accepted(ex))
    verdicts.extend(tools.tool_calls(ex))


@pytest.mark.needs("parallel_tool_calls")
@pytest.mark.covers("tools.roundtrip.parallel-results", "tools.call.*")
def test_round_trip_with_parallel_results(api, target, verdicts):
    body = chat(target, TWO_PLACES)
    body["messages"] += [assistant_call((CALL_ID, "Paris"), (SECOND_CALL_ID, "Tokyo")),
                         tool_result(CALL_ID), tool_result(SECOND_CALL_ID)]
    ex = api.post("/chat/completions", json=body)
    verdicts.extend(tools.roundtrip_parallel_results(ex))
    verdicts.extend(tools.tool_calls(ex))


@pytest.mark.covers("tools.roundtrip.missing-id-rejected", "errors.body.shape")
def test_tool_message_without_tool_call_id(api, target, verdicts):
    body = chat(target)
    body["messages"] += [assistant_call((CALL_ID, "Paris")), {"role": "tool", "content": RESULT}]
    ex = api.post("/chat/completions", json=body)
    verdicts.extend(tools.missing_id_rejected(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("tools.roundtrip.unknown-id-rejected", "errors.body.shape")
def test_tool_message_for_a_call_never_made(api, target, verdicts):
    body = chat(target)
    body["messages"] += [assistant_call((CALL_ID, "Paris")), tool_result("call_oaic_never_made_9")]
    ex = api.post("/chat/completions", json=body)
    verdicts.extend(tools.unknown_id_rejected(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.needs("legacy_functions")
@pytest.mark.covers("tools.legacy.functions")
def test_deprecated_functions(api, target, verdicts):
    body = chat(target)
    del body["tools"]
    ex = api.post("/chat/completions", json={**body, "functions": [WEATHER["function"]],
                                             "function_call": {"name": "get_weather"}})
    verdicts.extend(tools.legacy_function_call(ex))
