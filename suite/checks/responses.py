"""Checks of the Responses API: the response object, its output items and usage, retrieval, continuation by
previous_response_id, function calls, and the typed event stream."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import wirejson
from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .common import created_recent, id_prefix, incremental, is_int, no_response, not_a_stream

SHAPE = "responses.create.shape"
OUTPUT_MESSAGE = "responses.output.message"
USAGE = "responses.usage.consistent"
MAX_OUTPUT = "responses.max-output-tokens.incomplete"
PREVIOUS = "responses.previous-response.accepted"
RETRIEVE = "responses.retrieve.same"
STREAM_FORMAT = "responses.stream.format"
EVENT_MATCHES = "responses.stream.event-field.matches"
EVENT_PRESENT = "responses.stream.event-field.present"
SEQUENCE = "responses.stream.sequence-number"
CREATED_FIRST = "responses.stream.created-first"
TERMINAL_LAST = "responses.stream.terminal-last"
TERMINAL_RESPONSE = "responses.stream.terminal-response"
TEXT_DELTAS = "responses.stream.text-deltas"
FUNCTION_CALL = "responses.tools.function-call"

STATUSES = ("completed", "incomplete", "in_progress", "failed", "cancelled", "queued")
# The terminal event types and the status the response they carry must have.
TERMINAL_EVENTS = {"response.completed": "completed", "response.incomplete": "incomplete",
                   "response.failed": "failed"}
UNIX_SECONDS_LIMIT = 10**11  # larger values are milliseconds


def requested(ex: Exchange, key: str) -> Any:
    return ex.request_json.get(key) if isinstance(ex.request_json, dict) else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def response_problems(obj: Any) -> list[str]:
    """What keeps ``obj`` from being a response object (empty: fine)."""
    if not isinstance(obj, dict):
        return [f"is {short(obj, 80)}, expected a response object"]
    problems = []
    if obj.get("object") != "response":
        problems.append(f"object is {short(obj.get('object'), 40)}, expected \"response\"")
    if not isinstance(obj.get("id"), str) or not obj.get("id"):
        problems.append(f"id is {short(obj.get('id'), 40)}, expected a non-empty string")
    created = obj.get("created_at")
    if not is_number(created) or created <= 0:
        problems.append(f"created_at is {short(created, 40)}, expected Unix seconds (a number)")
    elif created > UNIX_SECONDS_LIMIT:
        problems.append(f"created_at is {created}, which looks like milliseconds, not Unix seconds")
    if obj.get("status") not in STATUSES:
        problems.append(f"status is {short(obj.get('status'), 40)}, expected one of {', '.join(STATUSES)}")
    if not isinstance(obj.get("output"), list):
        problems.append(f"output is {short(obj.get('output'), 60) if 'output' in obj else 'missing'}, "
                        f"expected an array of output items")
    return problems


def json_response(ex: Exchange) -> dict | None:
    """The body of a non-streamed 200 answer when it is a JSON object."""
    body = ex.json() if ex.status == 200 and not ex.is_stream else None
    return body if isinstance(body, dict) else None


def final_response(ex: Exchange) -> dict | None:
    """The finished response: the body of a non-streamed answer, or what the terminal event of a stream carries."""
    if requested(ex, "stream") is True:
        terminal = [chunk for _, chunk in stream_events(ex) if chunk.get("type") in TERMINAL_EVENTS]
        response = terminal[-1].get("response") if terminal else None
        return response if isinstance(response, dict) else None
    return json_response(ex)


def not_judged(ex: Exchange, requirements: Iterable[str], why: str = "") -> list[Finding]:
    if ex.status is None:
        return no_response(ex, requirements)
    reason = why or f"{ex.method} {ex.path} answered {ex.describe()}"
    return [skipped(r, f"not judged: {reason}") for r in requirements]


def output_items(response: dict) -> list:
    output = response.get("output")
    return output if isinstance(output, list) else []


def output_text(response: dict) -> str:
    """All output_text of the response's message items, in order (what SDKs expose as output_text)."""
    texts = final_texts(response) or {}
    return "".join(texts[key] for key in sorted(texts))


@check(SHAPE)
def create_shape(ex: Exchange) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (SHAPE,))
        return
    body = json_response(ex)
    if body is None:
        yield failed(SHAPE, f"POST /responses without stream answered {ex.describe()}, expected 200 "
                            f"application/json with a response object", status=ex.status, body=short(ex.body, 300))
        return
    problems = response_problems(body)
    yield expect(SHAPE, not problems, "; ".join(problems), problems=problems, received=short(body, 300))


def item_problems(item: Any, where: str) -> list[str]:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        return [f"{where} is {short(item, 80)}, expected an output item object with a string type"]
    if item["type"] != "message":
        return []
    problems = []
    if item.get("role") != "assistant":
        problems.append(f"{where}.role is {short(item.get('role'), 40)}, expected \"assistant\"")
    content = item.get("content")
    if not isinstance(content, list):
        return problems + [f"{where}.content is {short(content, 60)}, expected an array of content parts"]
    for i, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            problems.append(f"{where}.content[{i}] is {short(part, 60)}, expected a content part with a string type")
        elif part["type"] == "output_text" and not isinstance(part.get("text"), str):
            problems.append(f"{where}.content[{i}].text is {short(part.get('text'), 60)}, expected a string")
        elif part["type"] == "text":
            problems.append(f"{where}.content[{i}].type is \"text\" (the chat-style part), expected \"output_text\"")
    return problems


@check(OUTPUT_MESSAGE)
def output_message(ex: Exchange) -> Iterable[Finding]:
    """Output items are well-formed; a completed answer to a text prompt holds assistant text."""
    response = final_response(ex)
    if response is None or not isinstance(response.get("output"), list):
        yield from not_judged(ex, (OUTPUT_MESSAGE,), "no response object with an output array came back")
        return
    problems = [p for i, item in enumerate(response["output"]) for p in item_problems(item, f"output[{i}]")]
    if not problems and response.get("status") == "completed" and not requested(ex, "tools") \
            and not any(isinstance(i, dict) and i.get("type") == "message" for i in response["output"]):
        types = [i.get("type") if isinstance(i, dict) else i for i in response["output"]]
        problems.append(f"the completed response to a text prompt has no message item (output item types: "
                        f"{short(types, 120)})")
    yield expect(OUTPUT_MESSAGE, not problems, "; ".join(problems[:5]), problems=problems[:10],
                 output=short(response["output"], 300))


@check(USAGE)
def usage_consistent(ex: Exchange) -> Iterable[Finding]:
    response = final_response(ex)
    if response is None:
        yield from not_judged(ex, (USAGE,), "no response object came back")
        return
    if response.get("status") not in ("completed", "incomplete"):
        yield skipped(USAGE, f"not judged: status {short(response.get('status'), 40)} has no final usage")
        return
    usage = response.get("usage")
    if not isinstance(usage, dict):
        yield failed(USAGE, f"usage is {short(usage, 80) if 'usage' in response else 'missing'} on a "
                            f"{response.get('status')} response, expected {{input_tokens, output_tokens, "
                            f"total_tokens}}", pointer="/usage")
        return
    keys = ("input_tokens", "output_tokens", "total_tokens")
    problems = [f"usage.{k} is {short(usage.get(k), 40)}, expected a non-negative integer" for k in keys
                if not is_int(usage.get(k)) or usage[k] < 0]
    if not problems and usage["total_tokens"] != usage["input_tokens"] + usage["output_tokens"]:
        problems.append(f"usage.total_tokens is {usage['total_tokens']}, expected input_tokens + output_tokens = "
                        f"{usage['input_tokens'] + usage['output_tokens']}")
    if problems and ("prompt_tokens" in usage or "completion_tokens" in usage):
        problems.append("(the usage has chat-style prompt_tokens/completion_tokens instead)")
    yield expect(USAGE, not problems, "; ".join(problems), pointer="/usage", usage=short(usage, 200))


@check(MAX_OUTPUT)
def max_output_tokens(ex: Exchange) -> Iterable[Finding]:
    """A response that used up max_output_tokens is incomplete, and says why."""
    limit = requested(ex, "max_output_tokens")
    response = final_response(ex)
    if response is None or not is_int(limit):
        yield from not_judged(ex, (MAX_OUTPUT,), "no response object came back")
        return
    status, details = response.get("status"), response.get("incomplete_details")
    usage = response.get("usage")
    used = usage.get("output_tokens") if isinstance(usage, dict) else None
    if status == "incomplete":
        reason = details.get("reason") if isinstance(details, dict) else None
        if reason == "content_filter":
            yield skipped(MAX_OUTPUT, "not judged: the response was cut by the content filter")
        else:
            yield expect(MAX_OUTPUT, reason == "max_output_tokens",
                         f"status is \"incomplete\" but incomplete_details is {short(details, 80)}, expected "
                         f"{{\"reason\": \"max_output_tokens\"}}", pointer="/incomplete_details")
    elif status != "completed":
        yield skipped(MAX_OUTPUT, f"not judged: status {short(status, 40)}")
    elif not is_int(used):
        yield skipped(MAX_OUTPUT, "not judged: status \"completed\" and no usage.output_tokens to tell whether "
                                  f"max_output_tokens ({limit}) was reached")
    elif used >= limit:
        yield failed(MAX_OUTPUT, f"status is \"completed\" after {used} output tokens with max_output_tokens {limit}: "
                                 f"expected status \"incomplete\" with incomplete_details.reason "
                                 f"\"max_output_tokens\"", output_tokens=used, max_output_tokens=limit)
    else:
        yield skipped(MAX_OUTPUT, f"not judged: the model finished on its own after {used} of {limit} tokens")


@check(PREVIOUS)
def previous_response(first: Exchange, follow_up: Exchange) -> Iterable[Finding]:
    """The follow-up names the first response's id in previous_response_id and gets a new response."""
    wanted = requested(follow_up, "previous_response_id")
    if follow_up.status is None:
        yield from no_response(follow_up, (PREVIOUS,))
        return
    body = json_response(follow_up)
    if body is None:
        yield failed(PREVIOUS, f"previous_response_id {short(wanted, 80)} (a response created just before) was "
                               f"answered {follow_up.describe()}, expected 200 with a new response",
                     status=follow_up.status, body=short(follow_up.body, 300))
        return
    problems = response_problems(body)
    echoed = body.get("previous_response_id")
    if echoed is not None and echoed != wanted:
        problems.append(f"previous_response_id is {short(echoed, 80)}, expected the id sent, {short(wanted, 80)}")
    first_body = json_response(first)
    if first_body and body.get("id") == first_body.get("id"):
        problems.append(f"the follow-up has the same id as the response it continues ({short(body.get('id'), 80)})")
    yield expect(PREVIOUS, not problems, "; ".join(problems), received=short(body, 300))


@check(RETRIEVE)
def retrieve_same(created: Exchange, retrieved: Exchange) -> Iterable[Finding]:
    """GET /responses/{id} gives back the response POST /responses created."""
    original = json_response(created)
    if retrieved.status is None:
        yield from no_response(retrieved, (RETRIEVE,))
        return
    body = json_response(retrieved)
    if body is None:
        path = retrieved.path if len(retrieved.path) <= 60 else retrieved.path[:59] + "…"  # ids can be huge
        yield failed(RETRIEVE, f"GET {path} answered {retrieved.describe()}, expected 200 with the response just "
                               f"created", status=retrieved.status, path=retrieved.path,
                     body=short(retrieved.body, 300))
        return
    problems = [f"the retrieved response {p}" for p in response_problems(body)]
    if original:
        if body.get("id") != original.get("id"):
            problems.append(f"id is {short(body.get('id'), 80)}, expected {short(original.get('id'), 80)}")
        if original.get("status") in TERMINAL_EVENTS.values() and body.get("status") != original.get("status"):
            problems.append(f"status is {short(body.get('status'), 40)}, the created response had "
                            f"{short(original.get('status'), 40)}")
        if output_text(body) != output_text(original):
            problems.append(f"output text is {short(output_text(body), 120)}, the created response had "
                            f"{short(output_text(original), 120)}")
    yield expect(RETRIEVE, not problems, "; ".join(problems), received=short(body, 300))


@check(FUNCTION_CALL)
def function_call(ex: Exchange) -> Iterable[Finding]:
    """tool_choice "required" with one function tool gives a function_call item the client can execute."""
    response = json_response(ex)
    if response is None:
        if ex.status is None:
            yield from no_response(ex, (FUNCTION_CALL,))
        else:
            yield failed(FUNCTION_CALL, f"POST /responses with a function tool answered {ex.describe()}, expected 200 "
                                        f"with a function_call item", status=ex.status, body=short(ex.body, 300))
        return
    tools = requested(ex, "tools") or []
    names = {t.get("name") for t in tools if isinstance(t, dict)}
    calls = [(i, item) for i, item in enumerate(output_items(response))
             if isinstance(item, dict) and item.get("type") == "function_call"]
    if not calls:
        types = [item.get("type") if isinstance(item, dict) else item for item in output_items(response)]
        if response.get("status") == "incomplete":
            yield skipped(FUNCTION_CALL, "not judged: the response stopped (incomplete) before calling the tool")
        else:
            yield failed(FUNCTION_CALL, f"tool_choice \"required\" gave no function_call output item (item types: "
                                        f"{short(types, 160)})", output=short(response.get("output"), 300))
        return
    problems = []
    for i, call in calls:
        where = f"output[{i}]"
        if not isinstance(call.get("call_id"), str) or not call.get("call_id"):
            problems.append(f"{where}.call_id is {short(call.get('call_id'), 60)}, expected a non-empty string "
                            f"(the client sends it back with the result)")
        if call.get("name") not in names:
            problems.append(f"{where}.name is {short(call.get('name'), 60)}, expected one of the tools sent "
                            f"({short(sorted(map(str, names)), 100)})")
        # A call cut by max_output_tokens (incomplete) may end mid-arguments, as OpenAI's would.
        if "incomplete" not in (response.get("status"), call.get("status")):
            problems += arguments_problems(call.get("arguments"), where)
    yield expect(FUNCTION_CALL, not problems, "; ".join(problems), calls=short([c for _, c in calls], 400))


def arguments_problems(arguments: Any, where: str) -> list[str]:
    if isinstance(arguments, dict):
        return [f"{where}.arguments is a JSON object, expected a string holding JSON (clients json-parse it)"]
    if not isinstance(arguments, str):
        return [f"{where}.arguments is {short(arguments, 60)}, expected a string holding a JSON object"]
    try:
        parsed = wirejson.loads(arguments)
    except ValueError as exc:
        return [f"{where}.arguments is not valid JSON ({exc}): {short(arguments, 120)}"]
    if not isinstance(parsed, dict):
        return [f"{where}.arguments is {short(arguments, 80)}, expected a JSON object"]
    return []


# -- streaming ------------------------------------------------------------------------------------------------
def stream_events(ex: Exchange) -> list[tuple[Any, dict]]:
    """(SSE event, JSON object) for every data event of the stream that is a JSON object."""
    return [(event, value) for event, value in ex.chunks_json() if isinstance(value, dict)]


def typed_events(ex: Exchange) -> list[tuple[Any, dict]]:
    return [(event, value) for event, value in stream_events(ex) if isinstance(value.get("type"), str)]


@check(STREAM_FORMAT)
def stream_format(ex: Exchange) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (STREAM_FORMAT,))
        return
    problem = not_a_stream(ex)
    if problem:
        yield failed(STREAM_FORMAT, problem, status=ex.status, body=short(ex.body, 300))
        return
    events = ex.data_events()
    problems = []
    for position, event in enumerate(events):
        if event.is_done:
            if position != len(events) - 1:
                problems.append(f"event {event.index}: [DONE] before the end of the stream")
            continue
        value = event.json()
        if event.json_error:
            problems.append(f"event {event.index}: data is not JSON ({event.json_error}): {event.data[:120]}")
        elif not isinstance(value, dict) or not isinstance(value.get("type"), str):
            problems.append(f"event {event.index}: data is {short(value, 120)}, expected an event object with a "
                            f"string type")
    if not events:
        problems.append("the stream carries no data event")
    yield expect(STREAM_FORMAT, not problems, "; ".join(problems[:3])
                 + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""), problems=problems[:10])


def stream_judgeable(ex: Exchange, requirements: tuple[str, ...]) -> list[Finding]:
    """Skips for requirements about stream events when there is no stream of typed events to judge."""
    if not_a_stream(ex) or not typed_events(ex):
        return not_judged(ex, requirements, "no stream of typed events came back (see responses.stream.format)")
    return []


@check(EVENT_MATCHES, EVENT_PRESENT)
def event_fields(ex: Exchange) -> Iterable[Finding]:
    """Each event names its type twice: in the SSE event field and in the JSON data."""
    blocked = stream_judgeable(ex, (EVENT_MATCHES, EVENT_PRESENT))
    if blocked:
        yield from blocked
        return
    events = typed_events(ex)
    named = [(event, value) for event, value in events if event.event is not None]
    mismatched = [(event, value) for event, value in named if event.event != value["type"]]
    if not named:
        yield skipped(EVENT_MATCHES, "not judged: no event carries an SSE event field")
    elif mismatched:
        event, value = mismatched[0]
        yield failed(EVENT_MATCHES, f"event {event.index}: SSE event field is {event.event!r} but the data's type is "
                                    f"{value['type']!r}" + (f" (and {len(mismatched) - 1} more)"
                                                            if len(mismatched) > 1 else ""),
                     event=event.index, raw_lines=event.raw_lines[:3])
    else:
        yield passed(EVENT_MATCHES)
    missing = [event.index for event, _ in events if event.event is None]
    if missing:
        yield failed(EVENT_PRESENT, f"{len(missing)} of {len(events)} events have no SSE event field (the first is "
                                    f"event {missing[0]}); expected \"event: <type>\" before each data line",
                     events_without_event_field=missing[:20])
    else:
        yield passed(EVENT_PRESENT)


@check(SEQUENCE)
def sequence_numbers(ex: Exchange) -> Iterable[Finding]:
    blocked = stream_judgeable(ex, (SEQUENCE,))
    if blocked:
        yield from blocked
        return
    problems = []
    previous: tuple[int, int] | None = None  # (event index, sequence_number)
    for event, value in typed_events(ex):
        number = value.get("sequence_number")
        if not is_int(number):
            problems.append(f"event {event.index} ({value['type']}) has sequence_number "
                            f"{short(number, 40) if 'sequence_number' in value else 'missing'}, expected an integer")
            continue
        if previous is not None and number <= previous[1]:
            problems.append(f"event {event.index} ({value['type']}) has sequence_number {number} after "
                            f"{previous[1]} (event {previous[0]}): expected strictly increasing numbers")
        previous = (event.index, number)
    yield expect(SEQUENCE, not problems, "; ".join(problems[:3])
                 + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""), problems=problems[:10])


@check(CREATED_FIRST, TERMINAL_LAST)
def lifecycle(ex: Exchange) -> Iterable[Finding]:
    """response.created opens the stream; exactly one terminal event closes it."""
    blocked = stream_judgeable(ex, (CREATED_FIRST, TERMINAL_LAST))
    if blocked:
        yield from blocked
        return
    events = typed_events(ex)
    first_event, first = events[0]
    yield expect(CREATED_FIRST, first["type"] == "response.created",
                 f"the first event is {first['type']!r} (event {first_event.index}), expected \"response.created\"",
                 event=first_event.index)
    terminal = [(event, value) for event, value in events if value["type"] in TERMINAL_EVENTS]
    if not terminal:
        last_event, last = events[-1]
        yield failed(TERMINAL_LAST, f"no terminal event (response.completed, response.incomplete or "
                                    f"response.failed) in {len(events)} events; the last is {last['type']!r}",
                     last_event=last_event.index)
        return
    if len(terminal) > 1:
        yield failed(TERMINAL_LAST, f"{len(terminal)} terminal events: "
                                    + ", ".join(f"{v['type']} (event {e.index})" for e, v in terminal))
        return
    event, value = terminal[0]
    # Only an optional [DONE] may follow the terminal event.
    following = [e for e in ex.data_events() if e.index > event.index and not e.is_done]
    yield expect(TERMINAL_LAST, not following,
                 f"{value['type']} (event {event.index}) is not the last event: {len(following)} event(s) follow it, "
                 f"the first: {following[0].data[:100] if following else ''}", terminal_event=event.index)


@check(TERMINAL_RESPONSE)
def terminal_response(ex: Exchange) -> Iterable[Finding]:
    blocked = stream_judgeable(ex, (TERMINAL_RESPONSE,))
    if blocked:
        yield from blocked
        return
    terminal = [(event, value) for event, value in typed_events(ex) if value["type"] in TERMINAL_EVENTS]
    if not terminal:
        yield skipped(TERMINAL_RESPONSE, "not judged: the stream has no terminal event (see "
                                         "responses.stream.terminal-last)")
        return
    event, value = terminal[-1]
    response = value.get("response")
    problems = [f"response {p}" for p in response_problems(response)]
    expected_status = TERMINAL_EVENTS[value["type"]]
    if isinstance(response, dict) and response.get("status") in STATUSES and response["status"] != expected_status:
        problems.append(f"response.status is {response['status']!r} in a {value['type']} event, expected "
                        f"{expected_status!r}")
    yield expect(TERMINAL_RESPONSE, not problems, f"{value['type']} (event {event.index}): " + "; ".join(problems),
                 event=event.index, response=short(response, 300))


@check(TEXT_DELTAS)
def text_deltas(ex: Exchange) -> Iterable[Finding]:
    """Deltas per (output_index, content_index) add up to the part's text in output_text.done and the final response."""
    blocked = stream_judgeable(ex, (TEXT_DELTAS,))
    if blocked:
        yield from blocked
        return
    streamed: dict[tuple, str] = {}
    done: dict[tuple, str] = {}
    problems = []
    for event, value in typed_events(ex):
        key = (value.get("output_index"), value.get("content_index"))
        if value["type"] == "response.output_text.delta":
            if not isinstance(value.get("delta"), str):
                problems.append(f"event {event.index}: delta is {short(value.get('delta'), 60)}, expected a string")
                continue
            streamed[key] = streamed.get(key, "") + value["delta"]
        elif value["type"] == "response.output_text.done" and isinstance(value.get("text"), str):
            done[key] = value["text"]
    final = final_texts(final_response(ex))
    for key in sorted(set(streamed) | set(done) | set(final or {}), key=str):  # no final: a cut stream
        where = f"output[{short(key[0], 20)}].content[{short(key[1], 20)}]"
        text = streamed.get(key, "")
        if key in done and done[key] != text:
            problems.append(f"{where}: the deltas add up to {short(text, 100)} but response.output_text.done says "
                            f"{short(done[key], 100)}")
        if final is not None and key in streamed and key not in final:
            problems.append(f"{where}: text was streamed but the terminal response has no such output_text part")
        elif final is not None and key in final and final[key] != text:
            problems.append(f"{where}: the deltas add up to {short(text, 100)} but the terminal response's text is "
                            f"{short(final[key], 100)}")
    if not streamed and not done and not final:
        yield skipped(TEXT_DELTAS, "not judged: the stream carries no output text")
        return
    yield expect(TEXT_DELTAS, not problems, "; ".join(problems[:3]), problems=problems[:10])


def final_texts(response: dict | None) -> dict[tuple, str] | None:
    """{(output_index, content_index): text} of every output_text part of a finished response."""
    if response is None:
        return None
    texts = {}
    for i, item in enumerate(output_items(response)):
        content = item.get("content") if isinstance(item, dict) and item.get("type") == "message" else None
        for j, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("type") == "output_text" and isinstance(part.get("text"), str):
                texts[(i, j)] = part["text"]
    return texts


# -- identity and incremental streaming ---------------------------------------------------------------------------
STREAM_IDENTITY = "responses.stream.identity"


def carried_responses(ex: Exchange) -> list[tuple[int, dict]]:
    """(event index, response object) of every streamed event that carries the response."""
    return [(event.index, value["response"]) for event, value in typed_events(ex)
            if isinstance(value.get("response"), dict)] if not not_a_stream(ex) else []


def identity(ex: Exchange) -> list[Finding]:
    """The id prefix and creation time of a created response, or of the first response a stream carries
    (responses.stream.identity holds the others to the same values)."""
    body, where = json_response(ex), ""
    carried = carried_responses(ex)
    if body is None and carried:
        event, body = carried[0]
        where = f"event {event}: response."
    if body is None:
        return []
    return (id_prefix("responses.create.id-prefix", body.get("id"), f"{where}id")
            + created_recent(ex, "responses.create.created-recent", body.get("created_at"), f"{where}created_at"))


@check(STREAM_IDENTITY)
def stream_identity(ex: Exchange) -> Iterable[Finding]:
    blocked = stream_judgeable(ex, (STREAM_IDENTITY,))
    if blocked:
        yield from blocked
        return
    carried = carried_responses(ex)
    if not carried:
        yield skipped(STREAM_IDENTITY, "not judged: no streamed event carries the response")
        return
    first_event, first = carried[0]
    problems = [f"event {event}: response.{key} is {short(response.get(key), 60)}, but event {first_event} said "
                f"{short(first.get(key), 60)}" for event, response in carried[1:]
                for key in ("id", "created_at") if response.get(key) != first.get(key)]
    yield expect(STREAM_IDENTITY, not problems, "; ".join(problems[:3]), problems=problems[:10])


@check("responses.stream.incremental")
def streams_incrementally(ex: Exchange) -> Iterable[Finding]:
    if not_a_stream(ex) or not typed_events(ex):
        return
    pieces = [value["delta"] for _, value in typed_events(ex) if value["type"] == "response.output_text.delta"
              and isinstance(value.get("delta"), str) and value["delta"]]
    yield from incremental("responses.stream.incremental", pieces, "text")
