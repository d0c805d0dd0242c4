"""Tool-calling checks on OpenAI's own answers (must pass) and on violating transcripts, one deviation each."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from oaic.checks import tools
from oaic.exchange import Exchange, sse_body
from oaic.findings import ERROR, FAIL, PASS, SKIP

from tests.helpers import assert_fails, assert_no_failures, assert_passes

FIXTURES = Path(__file__).parent / "fixtures"
SEED_REQUEST = json.loads((FIXTURES / "tools" / "seed_request.json").read_text())
SEED_COMPLETION = json.loads((FIXTURES / "openai" / "tool_call_completion.json").read_text())
STREAM_CHUNKS = [json.loads(line[len("data: "):]) for line in
                 (FIXTURES / "tools" / "stream_parallel.sse").read_text().splitlines()
                 if line.startswith("data: {")]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"]}}}
STRICT_WEATHER = {"type": "function", "function": {
    "name": "get_weather", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}


def request(*, tools_=(WEATHER,), **extra):
    return {"model": "m", "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": list(tools_),
            **extra}


def call(name="get_weather", arguments='{"city": "Paris"}', call_id="call_1", **extra):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}, **extra}


def completion(calls=None, finish="tool_calls", content=None, req=None, status=200, **message_extra):
    message = {"role": "assistant", "content": content, **message_extra}
    if calls is not None:
        message["tool_calls"] = calls
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    return Exchange.from_parts(request_json=req or request(), status=status, body=body)


def seed():
    return Exchange.from_parts(request_json=SEED_REQUEST, body=SEED_COMPLETION)


def stream(chunks=None, req=None):
    req = req or {**SEED_REQUEST, "stream": True}
    return Exchange.from_parts(request_json=req, body=sse_body(*(STREAM_CHUNKS if chunks is None else chunks)),
                               stream=True)


def chunks_with(edit):
    """A copy of the good parallel stream, with ``edit(chunks)`` applied."""
    chunks = copy.deepcopy(STREAM_CHUNKS)
    edit(chunks)
    return chunks


def delta_calls(chunks, number):
    return chunks[number]["choices"][0]["delta"]["tool_calls"]


def verdict(findings, requirement):
    return [f.verdict for f in findings if f.requirement == requirement]


# -- OpenAI's own answers pass ------------------------------------------------------------------------------------
def test_seed_tool_call_completion_passes_every_call_rule():
    ex = seed()
    findings = (tools.tool_calls(ex) + tools.request_accepted(ex) + tools.choice_auto(ex)
                + tools.parallel_distinct(ex))
    assert_no_failures(findings)
    for req in ("tools.call.finish-reason", "tools.call.content", "tools.call.shape", "tools.call.id",
                "tools.call.type", "tools.call.name", "tools.call.arguments-json", "tools.call.arguments-schema",
                "tools.request.accepted", "tools.choice.auto"):
        assert_passes(findings, req)
    assert verdict(findings, "tools.call.arguments-strict") == [SKIP]  # the seed's function is not strict
    assert verdict(findings, "tools.parallel.distinct") == [SKIP]  # one call


def test_openai_style_parallel_stream_passes_every_stream_rule():
    ex = stream()
    findings = tools.stream_tool_calls(ex) + tools.parallel_distinct(ex) + tools.request_accepted(ex)
    assert_no_failures(findings)
    for req in ("tools.stream.index-present", "tools.stream.first-delta", "tools.stream.continuation",
                "tools.stream.arguments-json", "tools.stream.finish-reason", "tools.call.name",
                "tools.call.arguments-schema", "tools.parallel.distinct"):
        assert_passes(findings, req)
    assert [(c.id, c.arguments) for c in tools.response_calls(ex)] == [
        ("call_3Tq8yVbL0m2cJ1WnXo5pRk7D", '{"location": "Paris"}'),
        ("call_9Hf4sKdE6uQ2aZ0xYv1nMb3C", '{"location": "Tokyo"}')]


def test_sdk_dumped_stream_with_explicit_nulls_passes():
    """The Python SDK dumps later deltas with id/type/name null: that is absence, not a repeated id."""
    def nulls(chunks):
        for chunk in chunks:
            for entry in chunk["choices"][0]["delta"].get("tool_calls") or []:
                entry.setdefault("id", None)
                entry.setdefault("type", None)
                entry["function"].setdefault("name", None)
    assert_no_failures(tools.stream_tool_calls(stream(chunks_with(nulls))))


def test_text_stream_and_text_answer_judge_no_call_rule():
    text_stream = Exchange.from_parts(request_json=request(stream=True), stream=True,
                                      body=(FIXTURES / "openai" / "chat_stream.sse").read_bytes())
    plain = Exchange.from_parts(request_json=request(), body=json.loads(
        (FIXTURES / "openai" / "chat_completion.json").read_text()))
    findings = tools.stream_tool_calls(text_stream) + tools.tool_calls(plain)
    assert {f.verdict for f in findings} == {SKIP}
    assert_passes(tools.choice_auto(plain) + tools.choice_none(plain), "tools.choice.none")


# -- requests and tool_choice ------------------------------------------------------------------------------------------
def test_request_with_tools_rejected():
    ex = Exchange.from_parts(request_json=request(), status=400, body={"detail": "tools not supported"})
    assert_fails(tools.request_accepted(ex), "tools.request.accepted", contains="HTTP 400")
    assert {f.verdict for f in tools.tool_calls(ex)} == {SKIP}


def test_streamed_request_with_tools_without_chunks():
    ex = Exchange.from_parts(request_json=request(stream=True), body=b"data: [DONE]\n\n", stream=True)
    assert_fails(tools.request_accepted(ex), "tools.request.accepted", contains="no chat.completion.chunk")


def test_auto_answered_with_neither_text_nor_call():
    ex = completion(calls=None, finish="stop", content=None, req=request(tool_choice="auto"))
    assert_fails(tools.choice_auto(ex), "tools.choice.auto", contains="neither text nor a tool call")
    assert_passes(tools.choice_auto(completion(calls=None, finish="stop", content="Sunny.")), "tools.choice.auto")


def test_required_answered_with_text():
    ex = completion(calls=None, finish="stop", content="It is sunny.", req=request(tool_choice="required"))
    assert_fails(tools.choice_required(ex), "tools.choice.required", contains="without any tool call")
    assert_passes(tools.choice_required(completion([call()], req=request(tool_choice="required"))),
                  "tools.choice.required")


def test_required_rejected():
    ex = Exchange.from_parts(request_json=request(tool_choice="required"), status=400,
                             body={"error": {"message": "tool_choice required is not supported", "type": "x",
                                             "param": None, "code": None}})
    assert_fails(tools.choice_required(ex), "tools.choice.required", contains="HTTP 400")


NAMED = {"type": "function", "function": {"name": "get_time"}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def test_named_choice_ignored():
    req = request(tools_=(WEATHER, TIME), tool_choice=NAMED)
    assert_fails(tools.choice_named(completion([call("get_weather")], req=req)), "tools.choice.named",
                 contains="calls to \"get_weather\"")
    assert_fails(tools.choice_named(completion(None, "stop", "Sunny.", req=req)), "tools.choice.named",
                 contains="without any tool call")
    assert_passes(tools.choice_named(completion([call("get_time")], finish="stop", req=req)), "tools.choice.named")


def test_none_choice_ignored():
    req = request(tool_choice="none")
    assert_fails(tools.choice_none(completion([call()], req=req)), "tools.choice.none", contains="1 tool call")
    assert_passes(tools.choice_none(completion(None, "stop", "Sunny.", req=req)), "tools.choice.none")


def test_none_choice_ignored_in_a_stream():
    ex = stream(req={**request(tool_choice="none"), "stream": True})
    assert_fails(tools.choice_none(ex), "tools.choice.none", contains="2 tool call")


# -- the calls of a response ----------------------------------------------------------------------------------------
def test_finish_reason_stop_with_calls_under_auto():
    ex = completion([call()], finish="stop")
    assert_fails(tools.tool_calls(ex), "tools.call.finish-reason", contains='expected "tool_calls"')


def test_finish_reason_stop_accepted_when_the_call_was_forced():
    for choice in ("required", NAMED):
        req = request(tools_=(WEATHER, TIME), tool_choice=choice)
        assert_passes(tools.tool_calls(completion([call("get_time")], finish="stop", req=req)),
                      "tools.call.finish-reason")


def test_finish_reason_tool_calls_without_calls():
    for calls in (None, []):
        ex = completion(calls, finish="tool_calls", content="")
        assert_fails(tools.tool_calls(ex), "tools.call.finish-reason", contains="carries no tool call")


def test_content_is_a_list():
    ex = completion([call()], content=[{"type": "text", "text": "calling"}])
    assert_fails(tools.tool_calls(ex), "tools.call.content", contains="content list")
    assert_passes(tools.tool_calls(completion([call()], content="Let me check.")), "tools.call.content")


def test_tool_calls_not_an_array():
    ex = completion(call())
    assert_fails(tools.tool_calls(ex), "tools.call.shape", contains="expected an array")
    ex = completion([call(), "call_2", {"id": "call_3", "type": "function", "function": "get_weather"}])
    found = tools.tool_calls(ex)
    assert_fails(found, "tools.call.shape", contains="not an object")
    assert_fails(found, "tools.call.shape", contains="expected an object with name and arguments")


def test_call_without_id():
    for bad in (None, "", 7):
        ex = completion([call(call_id=bad)])
        assert_fails(tools.tool_calls(ex), "tools.call.id", contains="/choices/0/message/tool_calls/0/id")


def test_call_without_type():
    ex = completion([{"id": "call_1", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}])
    assert_fails(tools.tool_calls(ex), "tools.call.type", contains='without type "function"')


def test_call_to_a_function_that_was_not_offered():
    ex = completion([call("get_stock_price")])
    assert_fails(tools.tool_calls(ex), "tools.call.name", contains="get_stock_price")


def test_arguments_sent_as_an_object():
    ex = completion([call(arguments={"city": "Paris"})])
    assert_fails(tools.tool_calls(ex), "tools.call.arguments-json", contains="a JSON object")


def test_arguments_that_are_not_json():
    for bad in ('{"city": "Par', "city=Paris", "", None):
        ex = completion([call(arguments=bad)])
        assert_fails(tools.tool_calls(ex), "tools.call.arguments-json", contains="arguments")


def test_arguments_against_a_non_strict_schema():
    ex = completion([call(arguments='{"city": "Paris", "unit": "kelvin"}')])
    found = assert_fails(tools.tool_calls(ex), "tools.call.arguments-schema", contains="/unit")
    assert found.verdict == FAIL  # the results model turns it into warn (SHOULD)
    ex = completion([call(arguments='{"unit": "celsius"}')])
    assert_fails(tools.tool_calls(ex), "tools.call.arguments-schema", contains="'city' is a required property")


def test_arguments_against_a_strict_schema():
    req = request(tools_=(STRICT_WEATHER,))
    ex = completion([call(arguments='{"city": "Paris", "country": "FR"}')], req=req)
    findings = tools.tool_calls(ex)
    assert_fails(findings, "tools.call.arguments-strict", contains="Additional properties")
    assert verdict(findings, "tools.call.arguments-schema") == [SKIP]
    assert_passes(tools.tool_calls(completion([call()], req=req)), "tools.call.arguments-strict")


def test_strict_is_not_judged_on_parallel_calls_unless_parallel_calls_are_off():
    """OpenAI: Structured Outputs does not hold for parallel calls; parallel_tool_calls false restores it."""
    off_schema = [call(call_id="call_1"), call(call_id="call_2", arguments='{"city": "Tokyo", "country": "JP"}')]
    parallel = completion(off_schema, req=request(tools_=(STRICT_WEATHER,)))
    assert verdict(tools.tool_calls(parallel), "tools.call.arguments-strict") == [SKIP]
    serial = completion(off_schema, req=request(tools_=(STRICT_WEATHER,), parallel_tool_calls=False))
    assert_fails(tools.tool_calls(serial), "tools.call.arguments-strict", contains="Additional properties")
    streamed = stream([{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [
        {"index": 0, "delta": {"tool_calls": [
            {"index": i, "id": f"call_{i}", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris", "country": "FR"}'}}]},
         "finish_reason": None}]} for i in (0, 1)], req={**request(tools_=(STRICT_WEATHER,)), "stream": True})
    assert verdict(tools.stream_tool_calls(streamed), "tools.call.arguments-strict") == [SKIP]


def test_function_without_parameters_takes_an_empty_object():
    req = request(tools_=({"type": "function", "function": {"name": "get_weather"}},))
    assert_passes(tools.tool_calls(completion([call(arguments="{}")], req=req)), "tools.call.arguments-schema")
    assert_fails(tools.tool_calls(completion([call(arguments="[]")], req=req)), "tools.call.arguments-schema",
                 contains="is not of type 'object'")


# -- parallel calls ------------------------------------------------------------------------------------------------------
def test_parallel_disabled_but_two_calls():
    req = request(tool_choice="required", parallel_tool_calls=False)
    ex = completion([call(call_id="call_1"), call(call_id="call_2", arguments='{"city": "Tokyo"}')], req=req)
    assert_fails(tools.parallel_disabled(ex), "tools.parallel.disabled", contains="2 tool calls")
    assert_passes(tools.parallel_disabled(completion([call()], req=req)), "tools.parallel.disabled")
    assert verdict(tools.parallel_disabled(completion(None, "stop", "Sunny.", req=req)),
                   "tools.parallel.disabled") == [SKIP]


def test_parallel_calls_with_duplicate_ids():
    ex = completion([call(call_id="call_1"), call(call_id="call_1", arguments='{"city": "Tokyo"}')])
    assert_fails(tools.parallel_distinct(ex), "tools.parallel.distinct", contains="used by 2 calls")


def test_streamed_parallel_calls_merged_into_one_index():
    def merge(chunks):
        for chunk in chunks:
            for entry in chunk["choices"][0]["delta"].get("tool_calls") or []:
                entry["index"] = 0
    ex = stream(chunks_with(merge))
    assert_fails(tools.parallel_distinct(ex), "tools.parallel.distinct", contains="already belongs to call")
    findings = tools.stream_tool_calls(ex)
    assert_fails(findings, "tools.stream.continuation", contains="a new id")
    assert_fails(findings, "tools.stream.arguments-json", contains="not valid JSON")


def test_streamed_parallel_calls_with_duplicate_ids():
    def same_id(chunks):
        delta_calls(chunks, 7)[0]["id"] = delta_calls(chunks, 1)[0]["id"]
    assert_fails(tools.parallel_distinct(stream(chunks_with(same_id))), "tools.parallel.distinct",
                 contains="used by 2 calls")


# -- streams -------------------------------------------------------------------------------------------------------------
def test_stream_deltas_without_index():
    def drop_index(chunks):
        for chunk in chunks:
            for entry in chunk["choices"][0]["delta"].get("tool_calls") or []:
                del entry["index"]
    ex = stream(chunks_with(drop_index))
    findings = tools.stream_tool_calls(ex)
    assert_fails(findings, "tools.stream.index-present", contains="has index missing")
    # assembly still keeps the two calls apart by their ids, so nothing else is blamed
    assert_passes(findings, "tools.stream.arguments-json")
    assert len(tools.response_calls(ex)) == 2


def test_stream_index_not_an_integer():
    def text_index(chunks):
        delta_calls(chunks, 2)[0]["index"] = "0"
    assert_fails(tools.stream_tool_calls(stream(chunks_with(text_index))), "tools.stream.index-present",
                 contains='has index "0"')


def test_stream_first_delta_without_id_or_name():
    def strip(chunks):
        opening = delta_calls(chunks, 1)[0]
        del opening["id"]
        del opening["function"]["name"]
    assert_fails(tools.stream_tool_calls(stream(chunks_with(strip))), "tools.stream.first-delta",
                 contains="without id, function.name")


def test_stream_first_delta_without_type():
    def strip(chunks):
        del delta_calls(chunks, 1)[0]["type"]
    assert_fails(tools.stream_tool_calls(stream(chunks_with(strip))), "tools.stream.first-delta",
                 contains='without type "function"')


def test_stream_tool_calls_not_an_array():
    def scalar(chunks):
        chunks[1]["choices"][0]["delta"]["tool_calls"] = delta_calls(chunks, 1)[0]
    assert_fails(tools.stream_tool_calls(stream(chunks_with(scalar))), "tools.stream.first-delta",
                 contains="expected an array")


def test_stream_later_delta_repeats_id_and_name():
    def repeat(chunks):
        entry = delta_calls(chunks, 3)[0]
        entry["id"] = delta_calls(chunks, 1)[0]["id"]
        entry["function"]["name"] = "get_current_weather"
    found = assert_fails(tools.stream_tool_calls(stream(chunks_with(repeat))), "tools.stream.continuation",
                         contains="the id")
    assert "function.name" in found.message


def test_stream_argument_fragment_sent_as_object():
    def as_object(chunks):
        for number in range(2, 7):
            delta_calls(chunks, number)[0]["function"].pop("arguments")
        delta_calls(chunks, 2)[0]["function"]["arguments"] = {"location": "Paris"}
    assert_fails(tools.stream_tool_calls(stream(chunks_with(as_object))), "tools.stream.arguments-json",
                 contains="not a string fragment")


def test_stream_fragments_that_do_not_join_into_json():
    def truncate(chunks):
        delta_calls(chunks, 6)[0]["function"]["arguments"] = ""
    assert_fails(tools.stream_tool_calls(stream(chunks_with(truncate))), "tools.stream.arguments-json",
                 contains="concatenated arguments")


def test_stream_assembled_call_names_a_function_not_offered_or_breaks_the_schema():
    def rename(chunks):
        delta_calls(chunks, 1)[0]["function"]["name"] = "get_stock_price"
        delta_calls(chunks, 12)[0]["function"]["arguments"] = '", "unit": "kelvin"}'
    findings = tools.stream_tool_calls(stream(chunks_with(rename)))
    assert_fails(findings, "tools.call.name", contains="get_stock_price")
    assert_fails(findings, "tools.call.arguments-schema", contains="kelvin")


def test_stream_with_calls_finishing_stop_under_auto():
    def stop(chunks):
        chunks[-1]["choices"][0]["finish_reason"] = "stop"
    assert_fails(tools.stream_tool_calls(stream(chunks_with(stop))), "tools.stream.finish-reason",
                 contains='finish_reason "stop"')
    forced = {**SEED_REQUEST, "stream": True, "tool_choice": "required"}
    assert_passes(tools.stream_tool_calls(stream(chunks_with(stop), req=forced)), "tools.stream.finish-reason")


def test_stream_with_calls_and_no_finish_chunk():
    ex = stream(STREAM_CHUNKS[:-1])
    assert_fails(tools.stream_tool_calls(ex), "tools.stream.finish-reason", contains="no chunk carried")


def test_stream_finishing_tool_calls_without_calls():
    text = [STREAM_CHUNKS[0], {**STREAM_CHUNKS[0], "choices": [{"index": 0, "delta": {"content": "Hi"},
                                                                "finish_reason": None}]},
            {**STREAM_CHUNKS[-1]}]
    assert_fails(tools.stream_tool_calls(stream(text)), "tools.stream.finish-reason",
                 contains="carried no tool-call delta")


def test_stream_dropping_the_calls_of_a_forced_request():
    req = request(tool_choice="required")
    plain = completion([call()], req=req)
    text = [STREAM_CHUNKS[0], {**STREAM_CHUNKS[0], "choices": [{"index": 0, "delta": {"content": "Sunny"},
                                                                "finish_reason": "stop"}]}]
    dropped = stream(text, req={**req, "stream": True})
    assert_fails(tools.stream_not_dropped(plain, dropped), "tools.stream.not-dropped", contains="get_weather")
    assert_passes(tools.stream_not_dropped(plain, stream(req={**req, "stream": True})), "tools.stream.not-dropped")
    assert verdict(tools.stream_not_dropped(completion(None, "stop", "Sunny.", req=req), dropped),
                   "tools.stream.not-dropped") == [SKIP]


# -- round trips -----------------------------------------------------------------------------------------------------------
def test_round_trip_rejected_or_unanswered():
    bad = Exchange.from_parts(status=400, body={"error": {"message": "tool role not supported", "type": "x",
                                                          "param": None, "code": None}})
    assert_fails(tools.roundtrip_accepted(bad), "tools.roundtrip.accepted", contains="HTTP 400")
    assert_fails(tools.roundtrip_parallel_results(bad), "tools.roundtrip.parallel-results", contains="HTTP 400")
    empty = completion(None, "stop", None)
    assert_fails(tools.roundtrip_accepted(empty), "tools.roundtrip.accepted", contains="without a message")
    assert_passes(tools.roundtrip_accepted(completion(None, "stop", "It is 21 C in Paris.")),
                  "tools.roundtrip.accepted")
    assert_passes(tools.roundtrip_parallel_results(completion([call()])), "tools.roundtrip.parallel-results")


OPENAI_400 = {"error": {"message": "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                                   "message with 'tool_calls'.", "type": "invalid_request_error",
                        "param": "messages.[1].role", "code": None}}


@pytest.mark.parametrize("check, req", [(tools.missing_id_rejected, "tools.roundtrip.missing-id-rejected"),
                                        (tools.unknown_id_rejected, "tools.roundtrip.unknown-id-rejected")])
def test_invalid_tool_message_accepted_or_rejected_badly(check, req):
    assert_fails(check(completion(None, "stop", "Sure.")), req, contains="HTTP 200")
    assert_fails(check(Exchange.from_parts(status=422, body={"detail": [{"msg": "field required"}]})), req,
                 contains="expected 400")
    assert_fails(check(Exchange.from_parts(status=400, body={"detail": "bad tool message"})), req,
                 contains="not in OpenAI's error shape")
    assert_passes(check(Exchange.from_parts(status=400, body=OPENAI_400)), req)
    missing = check(Exchange.from_parts(status=404, body={"detail": "Not Found"}))  # no chat route at all
    assert [f.verdict for f in missing] == ["skip"] and "route not served" in missing[0].message


# -- deprecated functions ------------------------------------------------------------------------------------------------------
LEGACY_REQUEST = {"model": "m", "messages": [{"role": "user", "content": "Weather in Paris?"}],
                  "functions": [WEATHER["function"]], "function_call": {"name": "get_weather"}}


def legacy(message, finish="function_call"):
    return Exchange.from_parts(request_json=LEGACY_REQUEST, body={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, **message},
                     "finish_reason": finish}]})


def test_legacy_function_call():
    good = {"function_call": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    assert_passes(tools.legacy_function_call(legacy(good)), "tools.legacy.functions")
    assert_passes(tools.legacy_function_call(legacy(good, "stop")), "tools.legacy.functions")
    assert_fails(tools.legacy_function_call(legacy({"tool_calls": [call()]}, "tool_calls")),
                 "tools.legacy.functions", contains="used tool_calls")
    assert_fails(tools.legacy_function_call(legacy({"function_call": {"name": "get_weather",
                                                                      "arguments": {"city": "Paris"}}})),
                 "tools.legacy.functions", contains="a JSON object")
    assert_fails(tools.legacy_function_call(legacy({"function_call": {"name": "lookup", "arguments": "{}"}})),
                 "tools.legacy.functions", contains="expected 'get_weather'")
    rejected = Exchange.from_parts(request_json=LEGACY_REQUEST, status=400, body=OPENAI_400)
    assert_fails(tools.legacy_function_call(rejected), "tools.legacy.functions", contains="HTTP 400")


# -- robustness: any JSON shape is a finding, never a crash ------------------------------------------------------------------
ODD_BODIES = [[], "text", 3, None, {}, {"choices": {}}, {"choices": [1]}, {"choices": [{"message": []}]},
              {"choices": [{"index": 0, "message": {"tool_calls": {"0": 1}}, "finish_reason": 5}]},
              {"choices": [{"index": 0, "message": {"tool_calls": [{"function": {"name": ["x"], "arguments": 1}}]}}]}]
ODD_CHUNKS = [[1, "x"], [{"choices": "x"}], [{"choices": [{"delta": []}]}],
              [{"choices": [{"delta": {"tool_calls": [1, {"index": 0, "function": "f"}, {"function": {"arguments": [1]}}]}}]}],
              [{"choices": [{"delta": {"tool_calls": [{"index": 0, "id": 5, "function": {"name": 3}}]},
                             "finish_reason": "tool_calls"}]}]]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_never_raise(body):
    req = request(tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False)
    ex = Exchange.from_parts(request_json=req, body=json.dumps(body))
    findings = (tools.tool_calls(ex) + tools.request_accepted(ex) + tools.choice_auto(ex) + tools.choice_required(ex)
                + tools.choice_named(ex) + tools.choice_none(ex) + tools.parallel_disabled(ex)
                + tools.parallel_distinct(ex) + tools.roundtrip_accepted(ex) + tools.legacy_function_call(ex))
    assert ERROR not in {f.verdict for f in findings}, [f.message for f in findings if f.verdict == ERROR]


@pytest.mark.parametrize("chunks", ODD_CHUNKS)
def test_odd_streams_never_raise(chunks):
    ex = stream(chunks)
    findings = (tools.stream_tool_calls(ex) + tools.parallel_distinct(ex) + tools.choice_none(ex)
                + tools.choice_auto(ex) + tools.stream_not_dropped(completion([call()]), ex))
    assert ERROR not in {f.verdict for f in findings}, [f.message for f in findings if f.verdict == ERROR]


def test_odd_requests_never_raise():
    for req in (None, [], {"tools": "x", "tool_choice": 3}, {"tools": [1, {"type": "function", "function": 2}]},
                {"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": 7}}}]}):
        ex = Exchange.from_parts(request_json=req, body=SEED_COMPLETION)
        findings = tools.tool_calls(ex) + tools.choice_named(ex) + tools.stream_tool_calls(stream(req=req))
        assert ERROR not in {f.verdict for f in findings}, [f.message for f in findings if f.verdict == ERROR]
    assert PASS in {f.verdict for f in tools.tool_calls(Exchange.from_parts(request_json=SEED_REQUEST,
                                                                               body=SEED_COMPLETION))}


# -- precision: what a conformant server may do is never blamed ----------------------------------------------------------
def test_calls_cut_short_by_max_tokens_are_not_judged_on_their_arguments():
    findings = tools.tool_calls(completion([call(arguments='{"city": "Par')], finish="length"))
    for req in ("tools.call.finish-reason", "tools.call.arguments-json", "tools.call.arguments-schema"):
        assert verdict(findings, req) == [SKIP], req
    assert_passes(findings, "tools.call.name")

    def cut(chunks):
        del chunks[12:]
        chunks[11]["choices"][0]["finish_reason"] = "length"
    findings = tools.stream_tool_calls(stream(chunks_with(cut)))
    assert verdict(findings, "tools.stream.arguments-json") == [SKIP]
    assert verdict(findings, "tools.stream.finish-reason") == [SKIP]


def test_whole_call_in_one_delta_and_a_repeated_type_are_fine():
    """Some servers send a call whole in one delta, or repeat type "function": clients handle both."""
    whole = [{**STREAM_CHUNKS[0], "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "call_1", "type": "function",
         "function": {"name": "get_current_weather", "arguments": '{"location": "Paris"}'}}]}, "finish_reason": None}]},
        {**STREAM_CHUNKS[0], "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "type": "function", "function": {"arguments": ""}}]}, "finish_reason": "tool_calls"}]}]
    assert_no_failures(tools.stream_tool_calls(stream(whole)))


# -- the deprecated function_call beside tool_calls -----------------------------------------------------------------
def test_tool_calls_alone_pass():
    assert_passes(tools.no_function_call_beside(seed()), "tools.call.no-function-call")  # SDK dump: null beside
    assert_passes(tools.no_function_call_beside(stream()), "tools.call.no-function-call")


def test_function_call_beside_tool_calls():
    both = completion([call()], function_call={"name": "get_weather", "arguments": '{"city": "Paris"}'})
    assert_fails(tools.no_function_call_beside(both), "tools.call.no-function-call", "runs the call twice")

    def add_function_call(chunks):
        for chunk in chunks:
            for choice in chunk["choices"]:
                if choice["delta"].get("tool_calls"):
                    choice["delta"]["function_call"] = {"name": "get_weather", "arguments": ""}
    assert_fails(tools.no_function_call_beside(stream(chunks_with(add_function_call))),
                 "tools.call.no-function-call", "event #")
    assert tools.no_function_call_beside(completion(None, finish="stop", content="Hi")) == []  # no call: not judged
