"""Checks of tool calling: tool_choice, the calls of a response, parallel calls, streamed assembly, round trips.

Every check reads what it needs to know about the request (the offered functions, tool_choice,
parallel_tool_calls) from ``ex.request_json``, so it judges a recorded transcript exactly as a live exchange.
Streamed calls are assembled the way clients do it (by ``index``, concatenating argument fragments); when a
server leaves out ``index``, assembly falls back to "a new id starts a new call" so the other rules can still
be judged while ``tools.stream.index-present`` reports the omission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .. import wirejson
from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .common import error_body_problems, is_int, json_pointer, no_response
from .errors import route_not_served

FORCED_FINISH_REASONS = ("tool_calls", "stop")  # OpenAI ends a forced (named/required) call with "stop"
CALL_REQUIREMENTS = ("tools.call.finish-reason", "tools.call.content", "tools.call.shape", "tools.call.id",
                     "tools.call.type", "tools.call.name", "tools.call.arguments-json",
                     "tools.call.arguments-strict", "tools.call.arguments-schema")
STREAM_REQUIREMENTS = ("tools.stream.index-present", "tools.stream.first-delta", "tools.stream.continuation",
                       "tools.stream.arguments-json", "tools.stream.finish-reason", "tools.call.name",
                       "tools.call.arguments-strict", "tools.call.arguments-schema")
ARGUMENT_REQUIREMENTS = ("tools.call.arguments-json", "tools.call.arguments-strict", "tools.call.arguments-schema")
CUT_SHORT = 'not judged: the answer was cut short by max_tokens (finish_reason "length")'
MAX_REPORTED = 5  # offending items listed in one message


# -- what the request asked for ----------------------------------------------------------------------------
def offered_functions(request: Any) -> dict[str, dict]:
    """The function definitions of the request's ``tools`` (or legacy ``functions``), by name."""
    if not isinstance(request, dict):
        return {}
    out: dict[str, dict] = {}
    for tool in request.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("function"), dict):
            out[str(tool["function"].get("name"))] = tool["function"]
    for function in request.get("functions") or []:
        if isinstance(function, dict):
            out[str(function.get("name"))] = function
    return out


def forced_choice(request: Any) -> str | None:
    """``"required"``, the forced function's name, or None when the model may choose (auto, default, none)."""
    choice = request.get("tool_choice") if isinstance(request, dict) else None
    if choice == "required":
        return "required"
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return str(choice["function"].get("name"))
    return None


def _finish_reasons_allowed(request: Any) -> tuple[str, ...]:
    return FORCED_FINISH_REASONS if forced_choice(request) else ("tool_calls",)


def _describe_choice(request: Any) -> str:
    choice = request.get("tool_choice") if isinstance(request, dict) else None
    return f"tool_choice {short(choice, 80)}" if choice is not None else "no tool_choice (auto)"


# -- the calls a response carries ----------------------------------------------------------------------------
@dataclass
class Call:
    """One tool call as a client sees it, non-streamed or assembled from a stream."""

    where: str  # JSON pointer, or "stream index N" for an assembled call
    id: Any = None
    type: Any = None
    name: Any = None
    arguments: Any = None  # the JSON string, or whatever the server sent instead


def first_choice(body: Any) -> tuple[dict | None, str]:
    """The choice with index 0 of a chat.completion, or None and why not."""
    if not isinstance(body, dict):
        return None, f"body is {type(body).__name__}, not a chat.completion object"
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        return None, f"choices is {short(choices, 80)}, expected a non-empty array"
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice, ""
    return None, f"no choice with index 0 in {short(choices, 160)}"


def message_calls(message: Any, base: str) -> tuple[list[Call], list[str]]:
    """The calls of ``message.tool_calls`` and the shape problems that keep any call from being read."""
    if not isinstance(message, dict):
        return [], [f"{base} is {short(message, 80)}, not a message object"]
    raw = message.get("tool_calls")
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [f"{base}/tool_calls is {type(raw).__name__} {short(raw, 120)}, expected an array"]
    calls, problems = [], []
    for i, entry in enumerate(raw):
        where = f"{base}/tool_calls/{i}"
        if not isinstance(entry, dict):
            problems.append(f"{where} is {short(entry, 80)}, not an object")
            continue
        function = entry.get("function")
        if not isinstance(function, dict):
            problems.append(f"{where}/function is {short(function, 80)}, expected an object with name and arguments")
            function = {}
        calls.append(Call(where, entry.get("id"), entry.get("type"), function.get("name"), function.get("arguments")))
    return calls, problems


def response_calls(ex: Exchange) -> list[Call]:
    """The calls a response made, non-streamed or assembled from the stream (empty when it made none)."""
    if ex.is_stream:
        return assemble_stream(ex).calls
    choice, _ = first_choice(ex.json())
    if choice is None:
        return []
    return message_calls(choice.get("message"), "/choices/0/message")[0]


def _names(calls: list[Call]) -> list[Any]:
    return [c.name for c in calls]


# -- a stream, assembled like a client does -------------------------------------------------------------------
@dataclass
class StreamCall:
    opened_in: int  # the SSE event of the delta that opened the call
    id: Any = None
    name: Any = None
    type: Any = None
    fragments: list[Any] = field(default_factory=list)


@dataclass
class StreamAssembly:
    """The calls of a stream and every way its tool-call deltas broke the streaming rules."""

    calls: list[Call] = field(default_factory=list)
    by_key: dict[Any, StreamCall] = field(default_factory=dict)  # key: the index, or ("no index", n)
    missing_index: list[str] = field(default_factory=list)
    first_delta: list[str] = field(default_factory=list)
    continuation: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # a second call's id arriving on an index already in use
    fragments: list[str] = field(default_factory=list)  # argument fragments that are not strings
    shape: list[str] = field(default_factory=list)
    finish_reason: Any = None
    finish_chunk: int | None = None
    last_key: Any = None

    def key_of(self, entry: dict, where: str) -> Any:
        """The call a delta belongs to: its index, or without one, a new id starts a new call."""
        index = entry.get("index")
        if is_int(index):
            return index
        self.missing_index.append(f"{where} has index {short(index, 40) if 'index' in entry else 'missing'}: "
                                  f"{short(entry, 160)}")
        known = self.by_key.get(self.last_key)
        if known is None or (_present(entry.get("id")) and entry.get("id") != known.id):
            return ("no index", len(self.by_key) + 1)
        return self.last_key

    def add(self, entry: dict, event: int, where: str) -> None:
        function = entry.get("function") if isinstance(entry.get("function"), dict) else {}
        key = self.last_key = self.key_of(entry, where)
        label = f"index {key}" if is_int(key) else "an unindexed call"
        call = self.by_key.get(key)
        if call is None:
            call = self.by_key[key] = StreamCall(event, entry.get("id"), function.get("name"), entry.get("type"))
            missing = [name for name, ok in (
                ("id", isinstance(call.id, str) and call.id != ""),
                ('type "function"', call.type == "function"),
                ("function.name", isinstance(call.name, str) and call.name != ""),
            ) if not ok]
            if missing:
                self.first_delta.append(f"{where} opens {label} without {', '.join(missing)}: {short(entry, 160)}")
        else:
            self._continue(call, entry, function, where, label)
        arguments = function.get("arguments")
        if arguments is not None:
            if not isinstance(arguments, str):
                self.fragments.append(f"{where} function.arguments is {type(arguments).__name__} "
                                      f"{short(arguments, 100)}, not a string fragment")
            call.fragments.append(arguments)

    def _continue(self, call: StreamCall, entry: dict, function: dict, where: str, label: str) -> None:
        """A later delta of a call: anything but an argument fragment is concatenated by clients."""
        extra = []
        new_id = entry.get("id")
        if _present(new_id) and new_id != call.id:
            self.merged.append(f"{where} carries id {short(new_id, 60)} on {label}, which already belongs to call "
                               f"{short(call.id, 60)}")
            extra.append(f"a new id {short(new_id, 60)}")
        elif _present(new_id):
            extra.append(f"the id {short(new_id, 60)} again")
        if _present(function.get("name")):
            extra.append(f"function.name {short(function['name'], 60)}")
        if extra:
            self.continuation.append(f"{where} continues {label} (opened in event {call.opened_in}) but carries "
                                     + " and ".join(extra))


def _present(value: Any) -> bool:
    """A delta field counts when it carries something: null (SDK dumps) and "" add nothing when concatenated."""
    return value is not None and value != ""


def assemble_stream(ex: Exchange) -> StreamAssembly:
    """The tool calls of choice 0, assembled by index from the deltas, and what broke the rules on the way."""
    out = StreamAssembly()
    for event, chunk in ex.chunks_json():
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason") is not None:
                out.finish_reason, out.finish_chunk = choice["finish_reason"], event.index
            delta = choice.get("delta")
            entries = delta.get("tool_calls") if isinstance(delta, dict) else None
            if entries is None:
                continue
            if not isinstance(entries, list):
                out.shape.append(f"event {event.index}: delta.tool_calls is {short(entries, 100)}, expected an array")
                continue
            for position, entry in enumerate(entries):
                where = f"event {event.index} delta.tool_calls[{position}]"
                if isinstance(entry, dict):
                    out.add(entry, event.index, where)
                else:
                    out.shape.append(f"{where} is {short(entry, 80)}, not an object")
    for key, call in out.by_key.items():
        if all(isinstance(f, str) for f in call.fragments):
            arguments: Any = "".join(call.fragments)
        else:
            arguments = call.fragments[0] if len(call.fragments) == 1 else call.fragments
        label = f"stream index {key}" if is_int(key) else f"stream unindexed call {key[1]}"
        out.calls.append(Call(label, call.id, call.type, call.name, arguments))
    return out


# -- rules that hold for every call, streamed or not ----------------------------------------------------------
def _name_findings(calls: list[Call], offered: dict[str, dict]) -> Iterable[Finding]:
    req = "tools.call.name"
    bad = [f"{c.where}: {short(c.name, 60)}" for c in calls if not isinstance(c.name, str) or c.name not in offered]
    yield expect(req, not bad, f"tool calls name functions the request did not offer ({', '.join(bad[:MAX_REPORTED])}); "
                               f"offered: {', '.join(sorted(offered)) or 'none'}",
                 calls=bad[:MAX_REPORTED], offered=sorted(offered))


def parse_arguments(arguments: Any) -> tuple[Any, str | None]:
    """(parsed value, None) or (None, why the arguments are not a string holding JSON)."""
    if not isinstance(arguments, str):
        kind = "a JSON object" if isinstance(arguments, dict) else type(arguments).__name__
        return None, f"arguments is {kind} {short(arguments, 120)}, not a string holding JSON"
    try:
        return wirejson.loads(arguments), None
    except ValueError as exc:
        return None, f"arguments {short(arguments, 160)} is not valid JSON ({exc})"


def _parallel_strict_waived(calls: list[Call], request: Any) -> bool:
    """OpenAI documents that Structured Outputs does not hold for parallel calls: strict is only guaranteed when
    the answer made a single call or the request turned parallel_tool_calls off."""
    parallel_off = isinstance(request, dict) and request.get("parallel_tool_calls") is False
    return len(calls) > 1 and not parallel_off


def _schema_findings(calls: list[Call], offered: dict[str, dict], kind: str, request: Any) -> Iterable[Finding]:
    """Parsed arguments against the called function's parameters: MUST under strict, SHOULD otherwise."""
    for strict, req in ((True, "tools.call.arguments-strict"), (False, "tools.call.arguments-schema")):
        if strict and _parallel_strict_waived(calls, request):
            yield skipped(req, f"not judged: the answer made {len(calls)} parallel calls, and OpenAI does not "
                               "guarantee strict schemas for parallel calls (parallel_tool_calls false does)")
            continue
        judged, problems = 0, []
        for c in calls:
            function = offered.get(c.name) if isinstance(c.name, str) else None
            if function is None or (function.get("strict") is True) != strict:
                continue
            value, error = parse_arguments(c.arguments)
            if error is not None:
                continue  # tools.call.arguments-json / tools.stream.arguments-json report it
            parameters = function.get("parameters")
            if not isinstance(parameters, dict):
                parameters = {"type": "object", "properties": {}}  # omitted parameters: an empty parameter list
            try:
                errors = sorted(Draft202012Validator(parameters).iter_errors(value), key=lambda e: list(e.path))
            except SchemaError:
                continue  # the request's own schema is broken; nothing to judge the arguments by
            judged += 1
            for error in errors[:2]:
                problems.append(f"{c.where} {c.name}({short(value, 120)}): {json_pointer(*error.path)}: "
                                f"{error.message[:160]}")
        if not judged:
            yield skipped(req, f"not judged: no {kind} with JSON arguments to a{' strict' if strict else ' non-strict'}"
                               " function")
            continue
        yield expect(req, not problems, f"arguments do not validate against the {'strict ' if strict else ''}"
                                        "function's parameters schema: " + "; ".join(problems[:MAX_REPORTED]),
                     violations=problems[:MAX_REPORTED])


# -- non-streamed responses ----------------------------------------------------------------------------------
def _status_problem(ex: Exchange) -> str | None:
    """Why a response is not a 200 chat.completion we can read, or None."""
    if ex.status != 200:
        return f"answered {ex.describe()}"
    if ex.is_stream:
        return None
    choice, why = first_choice(ex.json())
    if choice is None:
        return f"answered HTTP 200 but {ex.json_error or why}"
    return None


@check("tools.request.accepted")
def request_accepted(ex: Exchange) -> Iterable[Finding]:
    """A request with tools (streamed or not) gets a 200 completion."""
    req = "tools.request.accepted"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    problem = _status_problem(ex)
    if problem is None and ex.is_stream and not any(
            isinstance(chunk, dict) and isinstance(chunk.get("choices"), list) for _, chunk in ex.chunks_json()):
        problem = f"answered HTTP 200 but the stream held no chat.completion.chunk ({len(ex.events or [])} events)"
    yield expect(req, problem is None, f"a request offering {len(offered_functions(ex.request_json))} function "
                                       f"tool(s) {problem}, expected 200 with a chat completion",
                 status=ex.status, body=None if ex.is_stream else short(ex.body, 300))


@check(*CALL_REQUIREMENTS)
def tool_calls(ex: Exchange) -> Iterable[Finding]:
    """Whatever a non-streamed answer to a request with tools carries obeys the rules of tool calls."""
    if ex.status is None:
        yield from no_response(ex, CALL_REQUIREMENTS)
        return
    problem = _status_problem(ex)
    if problem is not None:
        yield from (skipped(r, f"not judged: the request {problem}") for r in CALL_REQUIREMENTS)
        return
    choice, _ = first_choice(ex.json())
    base = "/choices/0/message"
    message = choice.get("message")
    calls, shape_problems = message_calls(message, base)
    finish = choice.get("finish_reason")
    offered = offered_functions(ex.request_json)

    allowed = _finish_reasons_allowed(ex.request_json)
    cut = finish == "length"
    if calls and cut:
        yield skipped("tools.call.finish-reason", CUT_SHORT)
    elif calls:
        yield expect("tools.call.finish-reason", finish in allowed,
                     f"the choice carries {len(calls)} tool call(s) but finish_reason is {short(finish)}, expected "
                     + " or ".join(f'"{r}"' for r in allowed) + f" ({_describe_choice(ex.request_json)})",
                     pointer="/choices/0/finish_reason", received=finish)
    elif finish == "tool_calls":
        yield failed("tools.call.finish-reason", "finish_reason is \"tool_calls\" but the message carries no tool "
                     f"call (tool_calls: {short(message.get('tool_calls') if isinstance(message, dict) else None)})",
                     pointer="/choices/0/finish_reason")
    if shape_problems:
        yield failed("tools.call.shape", "message.tool_calls is not an array of call objects: "
                     + "; ".join(shape_problems[:MAX_REPORTED]), problems=shape_problems[:MAX_REPORTED])
    if not calls:
        judged = {"tools.call.finish-reason"} if finish == "tool_calls" else set()
        judged |= {"tools.call.shape"} if shape_problems else set()
        yield from (skipped(r, "not judged: the answer made no tool call") for r in CALL_REQUIREMENTS
                    if r not in judged)
        return
    if not shape_problems:
        yield passed("tools.call.shape")
    content = message.get("content")
    yield expect("tools.call.content", content is None or isinstance(content, str),
                 f"the message with tool calls has content {type(content).__name__} {short(content, 160)}, "
                 f"expected null or a string", pointer=f"{base}/content", received=short(content, 200))
    bad_ids = [f"{c.where}/id: {short(c.id, 60)}" for c in calls if not isinstance(c.id, str) or not c.id]
    yield expect("tools.call.id", not bad_ids, "tool calls without a non-empty string id: "
                 + "; ".join(bad_ids[:MAX_REPORTED]), calls=bad_ids[:MAX_REPORTED])
    bad_types = [f"{c.where}/type: {short(c.type, 60)}" for c in calls if c.type != "function"]
    yield expect("tools.call.type", not bad_types, 'tool calls of function tools without type "function": '
                 + "; ".join(bad_types[:MAX_REPORTED]), calls=bad_types[:MAX_REPORTED])
    yield from _name_findings(calls, offered)
    if cut:
        yield from (skipped(r, CUT_SHORT) for r in ARGUMENT_REQUIREMENTS)
        return
    bad_args = [f"{c.where}/function/arguments: {why}" for c in calls
                for why in [parse_arguments(c.arguments)[1]] if why]
    yield expect("tools.call.arguments-json", not bad_args, "; ".join(bad_args[:MAX_REPORTED]),
                 calls=bad_args[:MAX_REPORTED])
    yield from _schema_findings(calls, offered, "call", ex.request_json)


# -- tool_choice -------------------------------------------------------------------------------------------------
def _choice_verdict(ex: Exchange, req: str, expected: str) -> tuple[list[Call] | None, Finding | None]:
    """The calls of a readable 200 answer, or the finding that says why there is none."""
    if ex.status is None:
        return None, no_response(ex, (req,))[0]
    problem = _status_problem(ex)
    if problem is not None:
        return None, failed(req, f"{_describe_choice(ex.request_json)} {problem}, expected 200 with {expected}",
                            status=ex.status, body=None if ex.is_stream else short(ex.body, 300))
    return response_calls(ex), None


@check("tools.choice.auto")
def choice_auto(ex: Exchange) -> Iterable[Finding]:
    req = "tools.choice.auto"
    calls, verdict = _choice_verdict(ex, req, "a message or tool calls")
    if verdict is not None:
        yield verdict
        return
    yield expect(req, bool(calls) or _has_text(ex), 'tool_choice "auto" was answered with neither text nor a tool '
                                                     f"call: {_answer_summary(ex)}", pointer="/choices/0/message")


@check("tools.choice.required")
def choice_required(ex: Exchange) -> Iterable[Finding]:
    req = "tools.choice.required"
    calls, verdict = _choice_verdict(ex, req, "at least one tool call")
    if verdict is not None:
        yield verdict
        return
    yield expect(req, bool(calls), 'tool_choice "required" was answered without any tool call: '
                                   f"{_answer_summary(ex)}", pointer="/choices/0/message")


@check("tools.choice.named")
def choice_named(ex: Exchange) -> Iterable[Finding]:
    req = "tools.choice.named"
    forced = forced_choice(ex.request_json)
    calls, verdict = _choice_verdict(ex, req, f"a call to {forced}")
    if verdict is not None:
        yield verdict
        return
    names = _names(calls)
    if not calls:
        yield failed(req, f"tool_choice named {forced!r} was answered without any tool call: {_answer_summary(ex)}",
                     pointer="/choices/0/message")
        return
    others = [n for n in names if n != forced]
    yield expect(req, not others, f"tool_choice named {forced!r} was answered with calls to "
                                  f"{', '.join(short(n, 60) for n in names)}", forced=forced, called=names)


@check("tools.choice.none")
def choice_none(ex: Exchange) -> Iterable[Finding]:
    req = "tools.choice.none"
    calls, verdict = _choice_verdict(ex, req, "a message without tool calls")
    if verdict is not None:
        yield verdict
        return
    finish = _finish_reason(ex)
    yield expect(req, not calls and finish != "tool_calls",
                 f'tool_choice "none" was answered with {len(calls)} tool call(s) '
                 f"({', '.join(short(n, 60) for n in _names(calls)) or 'none'}) and finish_reason {short(finish)}, "
                 "expected a message without calls", called=_names(calls), finish_reason=finish)


def _finish_reason(ex: Exchange) -> Any:
    if ex.is_stream:
        return assemble_stream(ex).finish_reason
    return (first_choice(ex.json())[0] or {}).get("finish_reason")


def _has_text(ex: Exchange) -> bool:
    """The answer carries text: message content (non-streamed) or a content delta (streamed)."""
    if not ex.is_stream:
        message = (first_choice(ex.json())[0] or {}).get("message")
        return isinstance(message, dict) and isinstance(message.get("content"), str)
    for _, chunk in ex.chunks_json():
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("content"), str) and delta["content"]:
                return True
    return False


def _answer_summary(ex: Exchange) -> str:
    if ex.is_stream:
        return f"the stream carried no tool-call delta (finish_reason {short(assemble_stream(ex).finish_reason)})"
    choice = first_choice(ex.json())[0] or {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    return (f"content {short(message.get('content'), 120)}, tool_calls {short(message.get('tool_calls'), 80)}, "
            f"finish_reason {short(choice.get('finish_reason'))}")


# -- parallel calls -----------------------------------------------------------------------------------------------
@check("tools.parallel.disabled")
def parallel_disabled(ex: Exchange) -> Iterable[Finding]:
    req = "tools.parallel.disabled"
    calls, verdict = _choice_verdict(ex, req, "at most one tool call")
    if verdict is not None:
        yield verdict
        return
    if not calls:
        yield skipped(req, "not judged: the answer made no tool call at all")
        return
    yield expect(req, len(calls) <= 1, f"parallel_tool_calls false was answered with {len(calls)} tool calls "
                                       f"({', '.join(short(n, 60) for n in _names(calls))}), expected at most one",
                 calls=[c.where for c in calls])


@check("tools.parallel.distinct")
def parallel_distinct(ex: Exchange) -> Iterable[Finding]:
    req = "tools.parallel.distinct"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    if _status_problem(ex) is not None:
        yield skipped(req, f"not judged: the request {_status_problem(ex)}")
        return
    assembly = assemble_stream(ex) if ex.is_stream else None
    calls = assembly.calls if assembly else response_calls(ex)
    merged = assembly.merged if assembly else []
    if len(calls) < 2 and not merged:
        yield skipped(req, f"not judged: the answer made {len(calls)} tool call(s), not several")
        return
    ids = [c.id for c in calls if isinstance(c.id, str) and c.id]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    problems = [f"id {short(i, 60)} is used by {ids.count(i)} calls" for i in duplicates] + merged
    yield expect(req, not problems, "parallel tool calls are not kept apart: "
                                    + "; ".join(problems[:MAX_REPORTED]), problems=problems[:MAX_REPORTED],
                 ids=ids)


# -- streams ----------------------------------------------------------------------------------------------------------
@check(*STREAM_REQUIREMENTS)
def stream_tool_calls(ex: Exchange) -> Iterable[Finding]:
    """The tool-call deltas of a stream, one rule at a time, and the calls they assemble into."""
    if ex.status is None:
        yield from no_response(ex, STREAM_REQUIREMENTS)
        return
    if ex.status != 200 or not ex.is_stream:
        yield from (skipped(r, f"not judged: the streamed request answered {ex.describe()}")
                    for r in STREAM_REQUIREMENTS)
        return
    a = assemble_stream(ex)
    request = ex.request_json
    allowed = _finish_reasons_allowed(request)
    cut = a.finish_reason == "length"
    if a.calls and cut:
        yield skipped("tools.stream.finish-reason", CUT_SHORT)
    elif a.calls:
        expected = " or ".join(f'"{r}"' for r in allowed)
        if a.finish_reason is None:
            message = (f"the stream carried {len(a.calls)} tool call(s) but no chunk carried a finish_reason; "
                       f"expected {expected}")
        else:
            message = (f"the stream carried {len(a.calls)} tool call(s) but finished with finish_reason "
                       f"{short(a.finish_reason)} (event {a.finish_chunk}); expected {expected} "
                       f"({_describe_choice(request)})")
        yield expect("tools.stream.finish-reason", a.finish_reason in allowed, message,
                     finish_reason=a.finish_reason, event=a.finish_chunk)
    elif a.finish_reason == "tool_calls":
        yield failed("tools.stream.finish-reason", "the stream finished with finish_reason \"tool_calls\" "
                     f"(event {a.finish_chunk}) but carried no tool-call delta", event=a.finish_chunk)
    if not a.calls and not a.shape:
        yield from (skipped(r, "not judged: the stream carried no tool-call delta") for r in STREAM_REQUIREMENTS
                    if r != "tools.stream.finish-reason" or a.finish_reason != "tool_calls")
        return
    yield expect("tools.stream.index-present", not a.missing_index,
                 f"{len(a.missing_index)} tool-call delta(s) without an integer index (clients assemble calls by "
                 "it; parallel calls merge): " + "; ".join(a.missing_index[:MAX_REPORTED]),
                 deltas=a.missing_index[:MAX_REPORTED])
    first = a.first_delta + a.shape
    yield expect("tools.stream.first-delta", not first, "; ".join(first[:MAX_REPORTED]),
                 deltas=first[:MAX_REPORTED])
    yield expect("tools.stream.continuation", not a.continuation,
                 "later deltas of a call must carry only argument fragments (clients concatenate every string): "
                 + "; ".join(a.continuation[:MAX_REPORTED]), deltas=a.continuation[:MAX_REPORTED])
    offered = offered_functions(request)
    yield from _name_findings(a.calls, offered)
    if cut:
        yield from (skipped(r, CUT_SHORT) for r in ("tools.stream.arguments-json", *ARGUMENT_REQUIREMENTS[1:]))
        return
    bad_json = list(a.fragments)
    for c in a.calls:
        if isinstance(c.arguments, str):
            error = parse_arguments(c.arguments)[1]
            if error:
                bad_json.append(f"{c.where} ({short(c.name, 60)}): concatenated {error}")
    yield expect("tools.stream.arguments-json", not bad_json, "; ".join(bad_json[:MAX_REPORTED]),
                 problems=bad_json[:MAX_REPORTED])
    yield from _schema_findings(a.calls, offered, "streamed call", request)


@check("tools.stream.not-dropped")
def stream_not_dropped(plain: Exchange, streamed: Exchange) -> Iterable[Finding]:
    """The same forced request, without and with streaming: the stream must not lose the calls."""
    req = "tools.stream.not-dropped"
    if plain.status is None or streamed.status is None:
        yield from no_response(plain if plain.status is None else streamed, (req,))
        return
    plain_calls = response_calls(plain) if _status_problem(plain) is None else []
    if not plain_calls:
        yield skipped(req, "not judged: the request made no tool call without streaming either")
        return
    if _status_problem(streamed) is not None or not streamed.is_stream:
        yield skipped(req, f"not judged: the streamed request answered {streamed.describe()}")
        return
    streamed_calls = response_calls(streamed)
    yield expect(req, bool(streamed_calls),
                 f"without streaming the request called {', '.join(short(n, 60) for n in _names(plain_calls))}; "
                 f"streamed, it carried no tool-call delta (finish_reason "
                 f"{short(assemble_stream(streamed).finish_reason)})",
                 non_streamed_calls=_names(plain_calls))


# -- round trips ----------------------------------------------------------------------------------------------------
def _answered(ex: Exchange, req: str, what: str) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    problem = _status_problem(ex)
    if problem is not None:
        yield failed(req, f"{what} {problem}, expected 200 with an answer", status=ex.status,
                     body=short(ex.body, 300))
        return
    choice, _ = first_choice(ex.json())
    message = choice.get("message")
    answered = isinstance(message, dict) and (isinstance(message.get("content"), str)
                                              or bool(message.get("tool_calls")))
    yield expect(req, answered, f"{what} was answered 200 without a message: {short(message, 200)}",
                 pointer="/choices/0/message")


@check("tools.roundtrip.accepted")
def roundtrip_accepted(ex: Exchange) -> Iterable[Finding]:
    yield from _answered(ex, "tools.roundtrip.accepted", "a conversation with a tool call and its tool result")


@check("tools.roundtrip.parallel-results")
def roundtrip_parallel_results(ex: Exchange) -> Iterable[Finding]:
    yield from _answered(ex, "tools.roundtrip.parallel-results",
                         "a conversation with parallel tool calls and one tool result per call")


def _rejected(ex: Exchange, req: str, what: str) -> Iterable[Finding]:
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    missing = route_not_served(ex, ("messages", "tool_call_id"))
    if missing:
        yield skipped(req, missing)
        return
    if ex.status != 400:
        yield failed(req, f"{what} was answered {ex.describe()}, expected 400 invalid_request_error",
                     status=ex.status, body=short(ex.body, 300))
        return
    problems = error_body_problems(ex)
    yield expect(req, not problems, f"{what} was answered 400, but not in OpenAI's error shape: "
                                    + "; ".join(problems), body=short(ex.body, 300))


@check("tools.roundtrip.missing-id-rejected")
def missing_id_rejected(ex: Exchange) -> Iterable[Finding]:
    yield from _rejected(ex, "tools.roundtrip.missing-id-rejected", "a tool message without tool_call_id")


@check("tools.roundtrip.unknown-id-rejected")
def unknown_id_rejected(ex: Exchange) -> Iterable[Finding]:
    yield from _rejected(ex, "tools.roundtrip.unknown-id-rejected",
                         "a tool message answering a call id that no preceding assistant message made")


# -- deprecated functions --------------------------------------------------------------------------------------------
@check("tools.legacy.functions")
def legacy_function_call(ex: Exchange) -> Iterable[Finding]:
    req = "tools.legacy.functions"
    if ex.status is None:
        yield from no_response(ex, (req,))
        return
    problem = _status_problem(ex)
    if problem is not None:
        yield failed(req, f"a request with functions and function_call {problem}, expected 200 with "
                          "message.function_call", status=ex.status, body=short(ex.body, 300))
        return
    request = ex.request_json if isinstance(ex.request_json, dict) else {}
    forced = request.get("function_call")
    forced_name = forced.get("name") if isinstance(forced, dict) else None
    choice, _ = first_choice(ex.json())
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    call = message.get("function_call")
    problems = []
    if not isinstance(call, dict):
        problems.append(f"message.function_call is {short(call, 120)}"
                        + (f" (the answer used tool_calls {short(message.get('tool_calls'), 120)} instead)"
                           if message.get("tool_calls") else ""))
    else:
        if forced_name is not None and call.get("name") != forced_name:
            problems.append(f"function_call.name is {short(call.get('name'), 60)}, expected {forced_name!r}")
        error = parse_arguments(call.get("arguments"))[1]
        if error:
            problems.append(f"function_call.{error}")
    finish = choice.get("finish_reason")
    if finish not in ("function_call", "stop"):
        problems.append(f'finish_reason is {short(finish)}, expected "function_call" (or "stop" for a forced call)')
    yield expect(req, not problems, "the deprecated function_call answer is not what OpenAI sends: "
                 + "; ".join(problems), pointer="/choices/0/message/function_call", received=short(message, 300))


# -- the deprecated function_call beside tool_calls ---------------------------------------------------------------
NO_FUNCTION_CALL = "tools.call.no-function-call"


def _messages_with_calls(ex: Exchange) -> list[tuple[str, dict]]:
    """(where, message or delta) of every message (non-streamed) or delta (streamed) that carries tool_calls."""
    if ex.is_stream:
        return [(f"event #{event.index}, choice {pos}", choice["delta"]) for event, chunk in ex.chunks_json()
                if isinstance(chunk, dict) and isinstance(chunk.get("choices"), list)
                for pos, choice in enumerate(chunk["choices"])
                if isinstance(choice, dict) and isinstance(choice.get("delta"), dict) and choice["delta"].get("tool_calls")]
    body = ex.json() if ex.status == 200 else None
    choices = body.get("choices") if isinstance(body, dict) else None
    return [(json_pointer("choices", pos, "message"), choice["message"]) for pos, choice in
            enumerate(choices if isinstance(choices, list) else [])
            if isinstance(choice, dict) and isinstance(choice.get("message"), dict) and choice["message"].get("tool_calls")]


@check(NO_FUNCTION_CALL)
def no_function_call_beside(ex: Exchange) -> Iterable[Finding]:
    """An answer to tools carries tool_calls alone: the deprecated function_call is absent or null beside them.
    Judged only where tool calls came back."""
    if ex.status != 200 or isinstance(ex.request_json, dict) and ex.request_json.get("functions"):
        return
    carrying = _messages_with_calls(ex)
    if not carrying:
        return
    both = [where for where, message in carrying if message.get("function_call") is not None]
    yield expect(NO_FUNCTION_CALL, not both,
                 f"{both[0] if both else ''}: the deprecated function_call is sent beside tool_calls"
                 + (f" (and in {len(both) - 1} more)" if len(both) > 1 else "")
                 + "; a client that still reads function_call runs the call twice", places=both[:10])
