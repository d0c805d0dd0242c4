"""POST /chat/completions: validation, deterministic choices (text, structured output, tool calls), the
chat.completion body and the chat.completion.chunk stream, in the shapes of OpenAI's recorded transcripts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import messages as msgs
from . import text
from .instances import instance
from .params import Params, invalid_type, invalid_value, metadata
from .toolplan import PlannedCall, Tool, plan
from .wire import APIError, EventStream, JSONBody

if TYPE_CHECKING:
    from .app import Call

KNOWN = {
    "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
    "presence_penalty", "reasoning_effort", "response_format", "seed", "service_tier", "stop", "store", "stream",
    "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "web_search_options",
    "verbosity", "prompt_cache_key", "safety_identifier",
}
SYSTEM_FINGERPRINT = "fp_oaic_ref"


@dataclass
class ChatRequest:
    model: str
    messages: list[dict]
    n: int = 1
    limit: int | None = None
    stops: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    logprobs: bool = False
    top_logprobs: int = 0
    format: str = "text"  # text | json_object | json_schema
    schema: dict | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: Any = "auto"  # "none" | "auto" | "required" | a tool name
    parallel: bool = True
    legacy_functions: bool = False  # tools came from the deprecated functions parameter
    store: bool = False
    metadata: dict | None = None
    raw: dict = field(default_factory=dict)


def parse(body: Any, call: Call) -> ChatRequest:
    if not isinstance(body, dict):
        raise invalid_type("body", body, ("object",))
    p = Params(body, KNOWN)
    model_name = p.string("model", required=True)
    messages = msgs.validate(p.array("messages", required=True, min_items=1))
    call.require_model(model_name)
    req = ChatRequest(model=model_name, messages=messages, raw=body)
    p.number("temperature", 0, 2)
    p.number("top_p", 0, 1)
    p.number("frequency_penalty", -2, 2)
    p.number("presence_penalty", -2, 2)
    p.integer("seed")
    p.string("user")
    p.string("service_tier", allowed=("auto", "default", "flex", "scale", "priority"))
    p.string("reasoning_effort", allowed=("minimal", "low", "medium", "high"))
    _logit_bias(p)
    req.n = p.integer("n", 1, 128, default=1)
    max_tokens = p.integer("max_tokens", 1)
    max_completion = p.integer("max_completion_tokens", 1)
    req.limit = max_completion if max_completion is not None else max_tokens
    req.stops = parse_stops(p)
    req.stream = bool(p.boolean("stream", False))
    options = p.object("stream_options")
    if options is not None:
        if not req.stream:
            raise APIError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                           "stream_options", "invalid_value")
        req.include_usage = bool(Params(options, {"include_usage", "include_obfuscation"}, "stream_options.")
                                 .boolean("include_usage", False))
    req.logprobs = bool(p.boolean("logprobs", False))
    top = p.integer("top_logprobs", 0, 20)
    if top is not None and not req.logprobs:
        raise APIError(400, "Invalid value for 'top_logprobs': 'logprobs' must be set to true when "
                            "'top_logprobs' is used.", "top_logprobs", "invalid_value")
    req.top_logprobs = top or 0
    _response_format(p, req)
    _tools(p, req)
    req.store = bool(p.boolean("store", False))
    req.metadata = metadata(p)
    return req


def _logit_bias(p: Params) -> None:
    bias = p.object("logit_bias")
    for token in bias or {}:
        Params(bias, None, "logit_bias.").number(token, -100, 100)


def parse_stops(p: Params) -> list[str]:
    stop = p.value("stop", ("string", "array"))
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if len(stops) > 4:
        raise APIError(400, f"Invalid 'stop': array too long. Expected an array with maximum length 4, but got an "
                            f"array with length {len(stops)} instead.", "stop", "array_above_max_length")
    for i, item in enumerate(stops):
        if not isinstance(item, str):
            raise invalid_type(f"stop[{i}]", item, ("string",))
    return stops


def _response_format(p: Params, req: ChatRequest) -> None:
    fmt = p.object("response_format")
    if fmt is None:
        return
    fp = Params(fmt, {"type", "json_schema"}, "response_format.")
    req.format = fp.string("type", required=True, allowed=("text", "json_object", "json_schema"))
    if req.format == "json_schema":
        spec = fp.object("json_schema", required=True)
        sp = Params(spec, {"name", "description", "schema", "strict"}, "response_format.json_schema.")
        name = sp.string("name", required=True)
        if not name or len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
            raise APIError(400, "Invalid 'response_format.json_schema.name': string does not match pattern. "
                                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                           "response_format.json_schema.name", "invalid_value")
        sp.boolean("strict")
        req.schema = sp.object("schema", default={"type": "object"})
    elif req.format == "json_object":
        if not any("json" in msgs.text_of(m).lower() for m in req.messages):
            raise APIError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' of "
                                "type 'json_object'.", "messages", None)


def _tools(p: Params, req: ChatRequest) -> None:
    tools = p.array("tools", max_items=128)
    functions = p.array("functions", max_items=128)
    if tools:
        req.tools = [_tool(item, f"tools[{i}]") for i, item in enumerate(tools)]
    elif functions:
        req.legacy_functions = True
        req.tools = [_function(item, f"functions[{i}]") for i, item in enumerate(functions)]
    names = [t.name for t in req.tools]
    choice_key = "function_call" if req.legacy_functions else "tool_choice"
    choice = p.value(choice_key, ("string", "object"))
    if choice is not None and not req.tools:
        raise APIError(400, f"Invalid value for '{choice_key}': '{choice_key}' is only allowed when 'tools' are "
                            f"specified.", choice_key, None)
    if p.body.get("parallel_tool_calls") is not None and not req.tools:
        raise APIError(400, "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when "
                            "'tools' are specified.", "parallel_tool_calls", None)
    req.parallel = bool(p.boolean("parallel_tool_calls", True)) and not req.legacy_functions
    if choice is None:
        req.tool_choice = "auto"
    elif isinstance(choice, str):
        allowed = ("none", "auto") if req.legacy_functions else ("none", "auto", "required")
        if choice not in allowed:
            raise invalid_value(choice_key, choice, allowed)
        req.tool_choice = choice
    else:
        if req.legacy_functions:
            name = choice.get("name")
        else:
            if choice.get("type") != "function":
                raise invalid_value(f"{choice_key}.type", choice.get("type"), ("function",))
            function = choice.get("function")
            name = function.get("name") if isinstance(function, dict) else None
        if name not in names:
            raise APIError(400, f"Invalid value for '{choice_key}': no function named '{name}' was specified in the "
                                f"'{'functions' if req.legacy_functions else 'tools'}' parameter.", choice_key, None)
        req.tool_choice = name


def _tool(item: Any, where: str) -> Tool:
    if not isinstance(item, dict):
        raise invalid_type(where, item, ("object",))
    tp = Params(item, {"type", "function"}, where + ".")
    tp.string("type", required=True, allowed=("function",))
    return _function(tp.object("function", required=True), where + ".function")


def _function(item: Any, where: str) -> Tool:
    if not isinstance(item, dict):
        raise invalid_type(where, item, ("object",))
    fp = Params(item, {"name", "description", "parameters", "strict"}, where + ".")
    name = fp.string("name", required=True)
    if not name or len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
        raise APIError(400, f"Invalid '{where}.name': string does not match pattern. Expected a string that matches "
                            f"the pattern '^[a-zA-Z0-9_-]+$'.", f"{where}.name", "invalid_value")
    fp.boolean("strict")
    return Tool(name, fp.string("description", default=""), fp.object("parameters", default={"type": "object"}))


# -- the "model" --------------------------------------------------------------------------------------------
@dataclass
class Choice:
    index: int
    tokens: list[str] = field(default_factory=list)
    finish_reason: str = "stop"
    calls: list[PlannedCall] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def completion_tokens(self) -> int:
        return len(self.tokens) + sum(text.count_tokens(c.name + c.arguments) + 3 for c in self.calls)


def choices(req: ChatRequest, salt: str) -> list[Choice]:
    prompt = msgs.prompt_of(req.messages)
    results = msgs.tool_results(req.messages)
    out = []
    for index in range(req.n):
        choice_salt = f"{salt}:{index}"
        calls = [] if results else plan(req.tools, req.tool_choice, req.parallel, prompt, choice_salt)
        if calls:
            out.append(Choice(index, [], "function_call" if req.legacy_functions else "tool_calls", calls))
            continue
        generation = text.generate(_content(req, prompt, results, index), req.stops, req.limit)
        out.append(Choice(index, generation.tokens, generation.finish_reason))
    return out


def _content(req: ChatRequest, prompt: str, results: list[str], variant: int) -> str:
    if req.format == "json_schema":
        return json.dumps(instance(req.schema or {"type": "object"}), separators=(",", ":"))
    if results:
        answer = "The tool returned: " + "; ".join(r.strip()[:200] for r in results) + "."
    else:
        answer = text.reply_text(prompt, variant)
    if req.format == "json_object":
        return json.dumps({"answer": answer})
    return answer


def usage(req: ChatRequest, made: list[Choice]) -> dict:
    prompt = msgs.prompt_tokens(req.messages, text.count_tokens) + sum(
        text.count_tokens(t.name + t.description + json.dumps(t.parameters)) for t in req.tools)
    completion = sum(c.completion_tokens() for c in made)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                                      "rejected_prediction_tokens": 0},
    }


# -- wire shapes ----------------------------------------------------------------------------------------------
def message(req: ChatRequest, choice: Choice) -> dict:
    out: dict[str, Any] = {"role": "assistant", "content": choice.text if not choice.calls else None,
                           "refusal": None, "annotations": []}
    if choice.calls and req.legacy_functions:
        out["function_call"] = {"name": choice.calls[0].name, "arguments": choice.calls[0].arguments}
    elif choice.calls:
        out["tool_calls"] = [{"id": c.call_id, "type": "function",
                              "function": {"name": c.name, "arguments": c.arguments}} for c in choice.calls]
    return out


def logprobs(req: ChatRequest, tokens: list[str]) -> dict | None:
    if not req.logprobs:
        return None
    return {"content": [text.token_logprob(t, req.top_logprobs) for t in tokens], "refusal": None}


def completion_body(req: ChatRequest, completion_id: str, created: int, made: list[Choice]) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": req.model,
        "choices": [{"index": c.index, "message": message(req, c),
                     "logprobs": logprobs(req, c.tokens) if not c.calls else None,
                     "finish_reason": c.finish_reason} for c in made],
        "usage": usage(req, made),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def chunks(req: ChatRequest, completion_id: str, created: int, made: list[Choice]) -> list[dict]:
    """The stream: per choice a role chunk, content (or tool-call) chunks, one finish chunk; the choices'
    chunks interleaved as OpenAI does; then the usage chunk when asked for."""
    def chunk(choices_: list[dict]) -> dict:
        out = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": req.model,
               "service_tier": "default", "system_fingerprint": SYSTEM_FINGERPRINT, "choices": choices_}
        if req.include_usage:
            out["usage"] = None
        return out

    per_choice = [_choice_deltas(req, c) for c in made]
    out = []
    for step in range(max(len(d) for d in per_choice)):
        for deltas in per_choice:
            if step < len(deltas):
                out.append(chunk([deltas[step]]))
    if req.include_usage:
        final = chunk([])
        final["usage"] = usage(req, made)
        out.append(final)
    return out


def _choice_deltas(req: ChatRequest, c: Choice) -> list[dict]:
    def entry(delta: dict, lp: Any = None, finish: str | None = None) -> dict:
        return {"index": c.index, "delta": delta, "logprobs": lp, "finish_reason": finish}

    if c.calls and req.legacy_functions:
        call = c.calls[0]
        out = [entry({"role": "assistant", "content": None, "function_call": {"name": call.name, "arguments": ""},
                      "refusal": None})]
        out += [entry({"function_call": {"arguments": piece}}) for piece in text.tokenize(call.arguments)]
    elif c.calls:
        out = []
        for k, call in enumerate(c.calls):
            head = {"index": k, "id": call.call_id, "type": "function",
                    "function": {"name": call.name, "arguments": ""}}
            first = {"role": "assistant", "content": None, "tool_calls": [head], "refusal": None} if k == 0 \
                else {"tool_calls": [head]}
            out.append(entry(first))
            out += [entry({"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
                    for piece in text.tokenize(call.arguments)]
    else:
        out = [entry({"role": "assistant", "content": "", "refusal": None})]
        out += [entry({"content": token}, logprobs(req, [token])) for token in c.tokens]
    out.append(entry({}, None, c.finish_reason))
    return out


# -- the endpoint ---------------------------------------------------------------------------------------------
def create(call: Call) -> JSONBody | EventStream:
    req = parse(call.body, call)
    provider = call.provider
    completion_id = provider.new_id("chatcmpl-")
    created = provider.now()
    made = choices(req, completion_id)
    if req.store:
        provider.stored.add(completion_body(req, completion_id, created, made), req, created)
    if req.stream:
        return EventStream(call.apply("chat.chunks", chunks(req, completion_id, created, made)))
    return JSONBody(call.apply("chat.response", completion_body(req, completion_id, created, made)))
