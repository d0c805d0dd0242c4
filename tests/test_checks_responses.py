"""Responses API checks on OpenAI's real answer (seed 000), OpenAI's documented event stream, and deviations
real servers shipped."""

from __future__ import annotations

import copy
import email.utils
import json
from pathlib import Path

from oaic.checks import responses
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).parent / "fixtures" / "responses"
SEED = json.loads((FIXTURES / "openai-create.json").read_text())
OPENAI = SEED["body"]
COUNTING = {"model": "gpt-4o-mini", "input": "Count from 1 to 100, separated by commas.", "max_output_tokens": 16}
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "Current weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def answer(body, status=200, request=None, path="/responses", method="POST"):
    return Exchange.from_parts(method, path, request_json=request if request is not None else SEED["request"],
                               status=status, body=body)


def incomplete(**changes):
    """OpenAI's answer cut by max_output_tokens."""
    body = copy.deepcopy(OPENAI)
    body.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"}, max_output_tokens=16,
                usage={**OPENAI["usage"], "output_tokens": 16, "total_tokens": 52})
    body["output"][0]["status"] = "incomplete"
    body.update(changes)
    return body


def openai_events(parts=("1, 2,", " 3, 4"), terminal="response.completed"):
    """The event sequence OpenAI streams for one text answer (operation createResponse, stream: true)."""
    base = {"id": "resp_67ccd2bed1ec8190", "object": "response", "created_at": 1741476542, "status": "in_progress",
            "model": "gpt-4o-mini-2024-07-18", "output": [], "usage": None}
    text = "".join(parts)
    where = {"item_id": "msg_67ccd2bf17f0", "output_index": 0, "content_index": 0}
    done_item = {"id": "msg_67ccd2bf17f0", "type": "message", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": text, "annotations": []}]}
    status = responses.TERMINAL_EVENTS[terminal]
    events = [
        {"type": "response.created", "response": base},
        {"type": "response.in_progress", "response": base},
        {"type": "response.output_item.added", "output_index": 0, "item": {**done_item, "status": "in_progress",
                                                                           "content": []}},
        {"type": "response.content_part.added", **where, "part": {"type": "output_text", "text": "",
                                                                   "annotations": []}},
        *({"type": "response.output_text.delta", **where, "delta": part, "logprobs": []} for part in parts),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": done_item["content"][0]},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {"type": terminal, "response": {**base, "status": status, "output": [done_item],
                                        "usage": {"input_tokens": 20, "output_tokens": 16, "total_tokens": 36}}},
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def sse(events, event_field=True, done=False):
    blocks = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        name = f"event: {event['type']}\n" if event_field and isinstance(event, dict) else ""
        blocks.append(f"{name}data: {data}\n\n")
    if done:
        blocks.append("data: [DONE]\n\n")
    return "".join(blocks).encode()


def streamed(body):
    return Exchange.from_parts("POST", "/responses", request_json={**COUNTING, "stream": True}, stream=True,
                               body=body)


STREAM_REQUIREMENTS = ("responses.stream.format", "responses.stream.event-field.matches",
                       "responses.stream.event-field.present", "responses.stream.sequence-number",
                       "responses.stream.created-first", "responses.stream.terminal-last",
                       "responses.stream.terminal-response", "responses.stream.text-deltas")


def stream_findings(ex):
    return (responses.stream_format(ex) + responses.event_fields(ex) + responses.sequence_numbers(ex)
            + responses.lifecycle(ex) + responses.terminal_response(ex) + responses.text_deltas(ex)
            + responses.output_message(ex) + responses.usage_consistent(ex) + responses.max_output_tokens(ex))


# -- the response object --------------------------------------------------------------------------------------
def test_openai_seed_passes():
    ex = answer(OPENAI)
    findings = (responses.create_shape(ex) + responses.output_message(ex) + responses.usage_consistent(ex))
    for req in ("responses.create.shape", "responses.output.message", "responses.usage.consistent"):
        assert_passes(findings, req)


def test_incomplete_at_max_output_tokens_passes():
    ex = answer(incomplete(), request=COUNTING)
    findings = responses.create_shape(ex) + responses.output_message(ex) + responses.max_output_tokens(ex)
    for req in ("responses.create.shape", "responses.output.message", "responses.max-output-tokens.incomplete"):
        assert_passes(findings, req)


def test_chat_completion_instead_of_response():
    chat = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1742907919,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]}
    finding = assert_fails(responses.create_shape(answer(chat)), "responses.create.shape",
                           'object is "chat.completion", expected "response"')
    assert "created_at is null" in finding.message and "output is missing" in finding.message


def test_created_at_in_milliseconds_and_unknown_status():
    assert_fails(responses.create_shape(answer({**OPENAI, "created_at": 1742907919000})), "responses.create.shape",
                 "milliseconds")
    assert_fails(responses.create_shape(answer({**OPENAI, "status": "done"})), "responses.create.shape",
                 'status is "done"')


def test_stream_answer_to_a_non_streamed_request():
    """transformers serve answers POST /responses without stream with an event stream."""
    body = (FIXTURES / "transformers-stream.sse").read_bytes()
    ex = Exchange.from_parts("POST", "/responses", request_json=COUNTING, status=200,
                             headers={"content-type": "text/event-stream; charset=utf-8"}, body=body)
    assert_fails(responses.create_shape(ex), "responses.create.shape", "without stream answered HTTP 200 "
                                                                       "text/event-stream")
    assert {f.verdict for f in responses.output_message(ex) + responses.usage_consistent(ex)} == {"skip"}


def test_message_item_with_chat_style_parts():
    body = copy.deepcopy(OPENAI)
    body["output"][0]["content"] = [{"type": "text", "text": "Hi"}]
    body["output"][0]["role"] = "model"
    finding = assert_fails(responses.output_message(answer(body)), "responses.output.message",
                           'output[0].role is "model"')
    assert '"text" (the chat-style part)' in finding.message


def test_output_text_without_text_and_completed_without_message():
    body = copy.deepcopy(OPENAI)
    body["output"][0]["content"][0]["text"] = None
    assert_fails(responses.output_message(answer(body)), "responses.output.message", "content[0].text is null")
    empty = {**OPENAI, "output": [{"type": "reasoning", "id": "rs_1", "summary": []}]}
    assert_fails(responses.output_message(answer(empty)), "responses.output.message", "has no message item")
    assert_fails(responses.output_message(answer({**OPENAI, "output": ["Hi"]})), "responses.output.message",
                 "expected an output item object")


def test_usage_chat_style_or_not_adding_up():
    chat_usage = {**OPENAI, "usage": {"prompt_tokens": 36, "completion_tokens": 82, "total_tokens": 118}}
    assert_fails(responses.usage_consistent(answer(chat_usage)), "responses.usage.consistent",
                 "chat-style prompt_tokens/completion_tokens")
    wrong_total = {**OPENAI, "usage": {**OPENAI["usage"], "total_tokens": 82}}
    assert_fails(responses.usage_consistent(answer(wrong_total)), "responses.usage.consistent",
                 "expected input_tokens + output_tokens = 118")
    assert_fails(responses.usage_consistent(answer({k: v for k, v in OPENAI.items() if k != "usage"})),
                 "responses.usage.consistent", "usage is missing")


def test_max_output_tokens_ignored_or_reason_missing():
    """LiteLLM's and transformers' answers: status completed although the output used up the limit."""
    over = {**OPENAI, "usage": {**OPENAI["usage"], "output_tokens": 87, "total_tokens": 123}}
    assert_fails(responses.max_output_tokens(answer(over, request=COUNTING)),
                 "responses.max-output-tokens.incomplete", 'status is "completed" after 87 output tokens')
    assert_fails(responses.max_output_tokens(answer(incomplete(incomplete_details=None), request=COUNTING)),
                 "responses.max-output-tokens.incomplete", "incomplete_details is null")
    short_answer = {**OPENAI, "usage": {**OPENAI["usage"], "output_tokens": 5, "total_tokens": 41}}
    assert [f.verdict for f in responses.max_output_tokens(answer(short_answer, request=COUNTING))] == ["skip"]


def test_previous_response_accepted():
    first = answer(OPENAI)
    follow_up_request = {"model": "gpt-4o-mini", "input": "Now shorter.", "previous_response_id": OPENAI["id"]}
    body = {**OPENAI, "id": "resp_2", "previous_response_id": OPENAI["id"]}
    assert_passes(responses.previous_response(first, answer(body, request=follow_up_request)),
                  "responses.previous-response.accepted")
    not_found = {"error": {"message": "Previous response not found.", "type": "invalid_request_error",
                           "param": "previous_response_id", "code": "previous_response_not_found"}}
    assert_fails(responses.previous_response(first, answer(not_found, status=404, request=follow_up_request)),
                 "responses.previous-response.accepted", "HTTP 404")
    assert_fails(responses.previous_response(first, answer({**body, "previous_response_id": "resp_x"},
                                                           request=follow_up_request)),
                 "responses.previous-response.accepted", 'previous_response_id is "resp_x"')
    assert_fails(responses.previous_response(first, answer(OPENAI, request=follow_up_request)),
                 "responses.previous-response.accepted", "same id")


def test_retrieve_same_response():
    created = answer(OPENAI)
    path = f"/responses/{OPENAI['id']}"
    assert_passes(responses.retrieve_same(created, answer(OPENAI, method="GET", path=path, request={})),
                  "responses.retrieve.same")
    server_error = {"error": {"message": "Cannot connect to host", "type": "internal_server_error", "param": None,
                              "code": "500"}}
    assert_fails(responses.retrieve_same(created, answer(server_error, status=500, method="GET", path=path)),
                 "responses.retrieve.same", "HTTP 500")
    other = copy.deepcopy(OPENAI)
    other["output"][0]["content"][0]["text"] = "Another story."
    assert_fails(responses.retrieve_same(created, answer(other, method="GET", path=path)), "responses.retrieve.same",
                 'output text is "Another story."')
    assert_fails(responses.retrieve_same(created, answer({**OPENAI, "id": "resp_other"}, method="GET", path=path)),
                 "responses.retrieve.same", 'id is "resp_other"')


# -- function calls --------------------------------------------------------------------------------------------
def tool_answer(*items, status="completed"):
    request = {"model": "gpt-4o-mini", "input": "What is the weather in Paris?", "tools": [WEATHER_TOOL],
               "tool_choice": "required"}
    return answer({**OPENAI, "status": status, "output": list(items)}, request=request)


CALL = {"type": "function_call", "id": "fc_67ccf18f", "call_id": "call_unLAR8MvFNptuiZK6K6HCy5k",
        "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"}


def test_function_call_passes():
    assert_passes(responses.function_call(tool_answer(CALL)), "responses.tools.function-call")


def test_function_call_missing_or_malformed():
    message = OPENAI["output"][0]
    assert_fails(responses.function_call(tool_answer(message)), "responses.tools.function-call",
                 'no function_call output item (item types: ["message"])')
    assert_fails(responses.function_call(tool_answer({**CALL, "arguments": {"city": "Paris"}})),
                 "responses.tools.function-call", "arguments is a JSON object, expected a string")
    assert_fails(responses.function_call(tool_answer({**CALL, "arguments": "{\"city\": "})),
                 "responses.tools.function-call", "not valid JSON")
    finding = assert_fails(responses.function_call(tool_answer({**CALL, "call_id": None, "name": "weather"})),
                           "responses.tools.function-call", "call_id is null")
    assert 'name is "weather"' in finding.message


def test_function_call_cut_by_max_output_tokens_is_not_judged_on_its_arguments():
    cut = {**CALL, "arguments": "{\"city\": \"Par", "status": "incomplete"}
    assert_passes(responses.function_call(tool_answer(cut, status="incomplete")), "responses.tools.function-call")
    assert_fails(responses.function_call(tool_answer({**cut, "call_id": ""}, status="incomplete")),
                 "responses.tools.function-call", "call_id is \"\"")
    assert_fails(responses.function_call(tool_answer({**cut, "status": "completed"})),
                 "responses.tools.function-call", "not valid JSON")


def test_function_call_rejected_with_a_server_error():
    ex = tool_answer(CALL)
    failed = answer({"error": {"message": "boom", "type": "internal_server_error", "param": None, "code": "500"}},
                    status=500, request=ex.request_json)
    assert_fails(responses.function_call(failed), "responses.tools.function-call", "HTTP 500")


# -- the event stream ------------------------------------------------------------------------------------------
def test_openai_stream_passes():
    findings = stream_findings(streamed(sse(openai_events())))
    for req in STREAM_REQUIREMENTS + ("responses.output.message", "responses.usage.consistent"):
        assert_passes(findings, req)


def test_openai_incomplete_stream_with_done_passes():
    events = openai_events(terminal="response.incomplete")
    events[-1]["response"]["incomplete_details"] = {"reason": "max_output_tokens"}
    findings = stream_findings(streamed(sse(events, done=True)))
    for req in STREAM_REQUIREMENTS + ("responses.max-output-tokens.incomplete",):
        assert_passes(findings, req)


def test_llm_mock_api_stream_lacks_event_fields():
    findings = stream_findings(streamed((FIXTURES / "llm-mock-api-stream.sse").read_bytes()))
    assert_fails(findings, "responses.stream.event-field.present", "13 of 13 events have no SSE event field")
    for req in set(STREAM_REQUIREMENTS) - {"responses.stream.event-field.present",
                                           "responses.stream.event-field.matches"}:
        assert_passes(findings, req)


def test_transformers_stream_completed_at_the_limit():
    findings = stream_findings(streamed((FIXTURES / "transformers-stream.sse").read_bytes()))
    assert_fails(findings, "responses.max-output-tokens.incomplete", "after 16 output tokens")
    assert_passes(findings, "responses.stream.text-deltas")
    assert_passes(findings, "responses.stream.sequence-number")


def test_stream_not_sse_or_not_json():
    as_json = Exchange.from_parts("POST", "/responses", request_json={**COUNTING, "stream": True}, body=OPENAI)
    findings = stream_findings(as_json)
    assert_fails(findings, "responses.stream.format", "expected text/event-stream")
    assert {f.verdict for f in findings if f.requirement in STREAM_REQUIREMENTS[1:]} == {"skip"}
    events = openai_events()
    events[3] = "{not json"
    assert_fails(responses.stream_format(streamed(sse(events))), "responses.stream.format", "event 3: data is not "
                                                                                             "JSON")


def test_event_field_differs_from_type():
    body = sse(openai_events()).replace(b"event: response.output_text.delta", b"event: message", 1)
    finding = assert_fails(responses.event_fields(streamed(body)), "responses.stream.event-field.matches",
                           "SSE event field is 'message' but the data's type is 'response.output_text.delta'")
    assert finding.evidence["event"] == 4


def test_sequence_number_missing_or_not_increasing():
    """Quirk: Responses streams with missing or repeated sequence_number."""
    events = openai_events()
    del events[2]["sequence_number"]
    assert_fails(responses.sequence_numbers(streamed(sse(events))), "responses.stream.sequence-number",
                 "event 2 (response.output_item.added) has sequence_number missing")
    events = openai_events()
    events[5]["sequence_number"] = 3
    assert_fails(responses.sequence_numbers(streamed(sse(events))), "responses.stream.sequence-number",
                 "sequence_number 3 after 4")


def test_stream_not_opened_by_created():
    events = openai_events()[1:]
    assert_fails(responses.lifecycle(streamed(sse(events))), "responses.stream.created-first",
                 "the first event is 'response.in_progress'")


def test_stream_without_terminal_event_or_with_events_after_it():
    """Quirk: no terminal event at all; or events after it."""
    events = openai_events()
    assert_fails(responses.lifecycle(streamed(sse(events[:-1]))), "responses.stream.terminal-last",
                 "no terminal event")
    assert [f.verdict for f in responses.terminal_response(streamed(sse(events[:-1])))] == ["skip"]
    moved = events[:-2] + [events[-1], events[-2]]
    assert_fails(responses.lifecycle(streamed(sse(moved))), "responses.stream.terminal-last",
                 '1 event(s) follow it, the first: {"type": "response.output_item.done"')
    twice = events + [{**events[-1], "sequence_number": 99}]
    assert_fails(responses.lifecycle(streamed(sse(twice))), "responses.stream.terminal-last", "2 terminal events")


def test_terminal_event_without_output_or_with_the_wrong_status():
    events = openai_events()
    del events[-1]["response"]["output"]
    assert_fails(responses.terminal_response(streamed(sse(events))), "responses.stream.terminal-response",
                 "response output is missing")
    events = openai_events()
    events[-1]["response"]["status"] = "in_progress"
    assert_fails(responses.terminal_response(streamed(sse(events))), "responses.stream.terminal-response",
                 "response.status is 'in_progress' in a response.completed event")
    events = openai_events()
    events[-1]["response"] = None
    assert_fails(responses.terminal_response(streamed(sse(events))), "responses.stream.terminal-response",
                 "expected a response object")


def test_deltas_that_do_not_add_up():
    events = openai_events()
    events[-1]["response"]["output"][0]["content"][0]["text"] = "1, 2, 3, 4, 5"
    assert_fails(responses.text_deltas(streamed(sse(events))), "responses.stream.text-deltas",
                 "the terminal response's text is \"1, 2, 3, 4, 5\"")
    events = openai_events()
    events[5]["delta"] = " 3, 4, 5"
    assert_fails(responses.text_deltas(streamed(sse(events))), "responses.stream.text-deltas",
                 "response.output_text.done says")
    no_deltas = [e for e in openai_events() if e["type"] != "response.output_text.delta"]
    assert_fails(responses.text_deltas(streamed(sse(no_deltas))), "responses.stream.text-deltas",
                 'the deltas add up to ""')
    cut = [e for e in openai_events() if e["type"] != "response.completed"]  # a stream that stalled before the end
    assert [f.verdict for f in responses.text_deltas(streamed(sse(cut)))] == ["pass"]


# -- identity and streaming that streams ----------------------------------------------------------------------------
def dated(ex, date):
    ex.headers["date"] = date
    return ex


STREAM_DATE = "Sat, 08 Mar 2025 23:29:03 GMT"  # openai_events' created_at + 1 s


def test_stream_identity_and_incremental_pass():
    ex = dated(streamed(sse(openai_events(parts=("1, 2,", " 3, 4,", " 5, 6")))), STREAM_DATE)
    findings = (responses.identity(ex) + responses.stream_identity(ex) + responses.streams_incrementally(ex))
    for req in ("responses.create.id-prefix", "responses.create.created-recent", "responses.stream.identity",
                "responses.stream.incremental"):
        assert_passes(findings, req)


def test_openai_seed_identity_passes():
    seed = answer(OPENAI)
    created = OPENAI["created_at"]
    dated(seed, email.utils.formatdate(created + 2, usegmt=True))
    findings = responses.identity(seed)
    assert_passes(findings, "responses.create.id-prefix")
    assert_passes(findings, "responses.create.created-recent")


def test_id_without_prefix_and_created_at_fixed():
    body = {**OPENAI, "id": "5f6a7b3f-1c9a-2e8b", "created_at": 1_700_000_000}
    findings = responses.identity(dated(answer(body), "Sat, 08 Mar 2025 23:29:03 GMT"))
    assert_fails(findings, "responses.create.id-prefix", "'resp_'")
    assert_fails(findings, "responses.create.created-recent", "a fixed value")


def test_terminal_event_with_another_id():
    events = openai_events()
    events[-1]["response"]["id"] = "resp_other"
    assert_fails(responses.stream_identity(streamed(sse(events))), "responses.stream.identity", "response.id")


def test_the_whole_text_in_one_delta():
    ex = streamed(sse(openai_events(parts=("1, 2, 3, 4, 5, 6",))))
    assert_fails(responses.streams_incrementally(ex), "responses.stream.incremental", "arrived in one event")
