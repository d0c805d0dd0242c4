"""The Responses API: POST /responses (plain or streamed with sequence-numbered events), GET and DELETE
/responses/{id}, GET /responses/{id}/input_items; previous_response_id continues a stored conversation."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import text
from .instances import instance
from .params import Params, invalid_type, invalid_value, metadata
from .stored import page
from .toolplan import Tool, plan
from .wire import APIError, EventStream, JSONBody

if TYPE_CHECKING:
    from .app import Call

KNOWN = {
    "model", "input", "instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "previous_response_id",
    "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_p", "truncation", "user", "text",
    "reasoning", "include", "background", "service_tier", "prompt_cache_key", "safety_identifier", "top_logprobs",
    "max_tool_calls", "prompt", "conversation",
}
MIN_OUTPUT_TOKENS = 16  # OpenAI rejects a smaller max_output_tokens


@dataclass
class StoredResponse:
    response: dict
    items: list[dict]  # the conversation so far: input items then output items, for previous_response_id
    inputs: list[dict]  # this response's own input items, for input_items


@dataclass
class StoredResponses:
    records: dict[str, StoredResponse] = field(default_factory=dict)

    def get(self, response_id: str) -> StoredResponse:
        record = self.records.get(response_id)
        if record is None:
            raise APIError(404, f"Response with id '{response_id}' not found.", None, None)
        return record


def _input_items(value: Any) -> list[dict]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    items = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid_type(where, item, ("object",))
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "system", "developer", "assistant"):
                raise invalid_value(f"{where}.role", role, ("user", "system", "developer", "assistant"))
            content = item.get("content")
            if isinstance(content, str):
                part_type = "output_text" if role == "assistant" else "input_text"
                content = [{"type": part_type, "text": content}]
            elif not isinstance(content, list):
                raise invalid_type(f"{where}.content", content, ("string", "array"))
            items.append({"type": "message", "role": role, "content": content})
        elif kind == "function_call_output":
            ip = Params(item, None, where + ".")
            ip.string("call_id", required=True)
            ip.value("output", ("string", "array"), required=True)
            items.append(dict(item))
        elif kind in ("function_call", "reasoning"):
            items.append(dict(item))
        else:
            raise invalid_value(f"{where}.type", kind, ("message", "function_call", "function_call_output"))
    return items


def _text_of(item: dict) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _tools(p: Params) -> tuple[list[Tool], Any]:
    tools = []
    for i, item in enumerate(p.array("tools") or []):
        where = f"tools[{i}]"
        if not isinstance(item, dict):
            raise invalid_type(where, item, ("object",))
        tp = Params(item, {"type", "name", "description", "parameters", "strict"}, where + ".")
        tp.string("type", required=True, allowed=("function",))
        tools.append(Tool(tp.string("name", required=True), tp.string("description", default=""),
                          tp.object("parameters", default={"type": "object"})))
    choice = p.value("tool_choice", ("string", "object"), default="auto")
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise invalid_value("tool_choice", choice, ("none", "auto", "required"))
    else:
        name = choice.get("name")
        if choice.get("type") != "function" or name not in [t.name for t in tools]:
            raise APIError(400, f"Invalid value for 'tool_choice': no function named '{name}' in 'tools'.",
                           "tool_choice", "invalid_value")
        choice = name
    return tools, choice


def _format(p: Params) -> tuple[dict, dict | None]:
    """The text.format the response echoes, and the JSON schema to follow (None for plain text)."""
    spec = p.object("text")
    fmt = (spec or {}).get("format") or {"type": "text"}
    if not isinstance(fmt, dict):
        raise invalid_type("text.format", fmt, ("object",))
    kind = fmt.get("type")
    if kind == "text":
        return {"type": "text"}, None
    if kind == "json_object":
        return {"type": "json_object"}, {"type": "object"}
    if kind == "json_schema":
        Params(fmt, None, "text.format.").string("name", required=True)
        return dict(fmt), fmt.get("schema") if isinstance(fmt.get("schema"), dict) else {"type": "object"}
    raise invalid_value("text.format.type", kind, ("text", "json_object", "json_schema"))


def create(call: Call) -> JSONBody | EventStream:
    body = call.body
    if not isinstance(body, dict):
        raise invalid_type("body", body, ("object",))
    provider = call.provider
    p = Params(body, KNOWN)
    model = p.string("model", required=True)
    new_items = _input_items(p.value("input", ("string", "array"), required=True))
    call.require_model(model)
    instructions = p.string("instructions")
    limit = p.integer("max_output_tokens", MIN_OUTPUT_TOKENS)
    temperature = p.number("temperature", 0, 2, default=1.0)
    top_p = p.number("top_p", 0, 1, default=1.0)
    store = bool(p.boolean("store", True))
    stream = bool(p.boolean("stream", False))
    parallel = bool(p.boolean("parallel_tool_calls", True))
    meta = metadata(p) or {}
    tools, choice = _tools(p)
    text_format, schema = _format(p)
    previous_id = p.string("previous_response_id")
    history: list[dict] = []
    if previous_id is not None:
        record = provider.responses.records.get(previous_id)
        if record is None:
            raise APIError(404, f"Previous response with id '{previous_id}' not found.", "previous_response_id",
                           "previous_response_not_found")
        history = copy.deepcopy(record.items)

    conversation = history + new_items
    response_id = provider.new_id("resp_")
    prompt = next((_text_of(i) for i in reversed(conversation) if i.get("type") == "message"
                   and i.get("role") == "user"), instructions or "")
    results = []
    for item in reversed(conversation):
        if item.get("type") != "function_call_output":
            break
        results.insert(0, item.get("output") if isinstance(item.get("output"), str) else json.dumps(item["output"]))
    output, status, tokens = _output(provider, response_id, tools, choice, parallel, prompt, results, schema,
                                     limit)
    generated = sum(len(t) for t in tokens.values())
    input_tokens = sum(text.count_tokens(_text_of(i) or json.dumps(i)) + 4 for i in conversation) + (
        text.count_tokens(instructions) if instructions else 0)
    response = {
        "id": response_id, "object": "response", "created_at": provider.now(), "status": status,
        "background": False, "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": instructions, "max_output_tokens": limit, "max_tool_calls": None, "model": model,
        "output": output, "parallel_tool_calls": parallel, "previous_response_id": previous_id,
        "reasoning": {"effort": None, "summary": None}, "service_tier": "default", "store": store,
        "temperature": temperature, "text": {"format": text_format}, "tool_choice": p.body.get("tool_choice", "auto"),
        "tools": [{"type": "function", "name": t.name, "description": t.description or None,
                   "parameters": t.parameters, "strict": True} for t in tools],
        "top_logprobs": 0, "top_p": top_p, "truncation": "disabled",
        "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": generated, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": input_tokens + generated},
        "metadata": meta,
    }
    if store:
        inputs = [{"id": f"{response_id}_in{i}", **item} for i, item in enumerate(new_items)]
        provider.responses.records[response_id] = StoredResponse(copy.deepcopy(response),
                                                                 conversation + copy.deepcopy(output), inputs)
    if stream:
        return EventStream(call.apply("responses.events", events(response, tokens)), done=False, named=True)
    return JSONBody(call.apply("responses.response", response))


def _output(provider, response_id: str, tools: list[Tool], choice: Any, parallel: bool, prompt: str,
            results: list[str], schema: dict | None, limit: int | None) -> tuple[list[dict], str, dict]:
    """(output items, status, the tokens of each output item by item id)."""
    calls = [] if results else plan(tools, choice, parallel, prompt, response_id)
    if calls:
        items = [{"id": provider.new_id("fc_"), "type": "function_call", "status": "completed",
                  "arguments": c.arguments, "call_id": c.call_id, "name": c.name} for c in calls]
        return items, "completed", {i["id"]: text.tokenize(i["name"] + i["arguments"]) for i in items}
    if schema is not None:
        content = json.dumps(instance(schema), separators=(",", ":"))
    elif results:
        content = "The tool returned: " + "; ".join(r.strip()[:200] for r in results) + "."
    else:
        content = text.reply_text(prompt)
    generation = text.generate(content, [], limit)
    status = "incomplete" if generation.finish_reason == "length" else "completed"
    message = {"id": provider.new_id("msg_"), "type": "message", "status": status, "role": "assistant",
               "content": [{"type": "output_text", "text": generation.text, "annotations": [], "logprobs": []}]}
    return [message], status, {message["id"]: generation.tokens}


def events(response: dict, tokens: dict[str, list[str]]) -> list[dict]:
    """The stream of a finished response, as OpenAI sends it: created, in_progress, per output item its added /
    delta / done events, then completed (or incomplete), each with the next sequence_number."""
    out: list[dict] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append({"type": kind, "sequence_number": len(out), **fields})

    final = copy.deepcopy(response)
    start = {**copy.deepcopy(final), "status": "in_progress", "output": [], "incomplete_details": None}
    del start["usage"]  # not known yet
    emit("response.created", response=start)
    emit("response.in_progress", response=start)
    for index, item in enumerate(final["output"]):
        if item["type"] == "function_call":
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "arguments": ""})
            for piece in text.tokenize(item["arguments"]):
                emit("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece)
            emit("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                 arguments=item["arguments"], name=item["name"])
        else:
            part = item["content"][0]
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "content": []})
            emit("response.content_part.added", item_id=item["id"], output_index=index, content_index=0,
                 part={"type": "output_text", "text": "", "annotations": [], "logprobs": []})
            for piece in tokens[item["id"]]:
                emit("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0,
                     delta=piece, logprobs=[])
            emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                 text=part["text"], logprobs=[])
            emit("response.content_part.done", item_id=item["id"], output_index=index, content_index=0, part=part)
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
    return out


def retrieve(call: Call) -> JSONBody:
    record = call.provider.responses.get(call.path_params["response_id"])
    return JSONBody(call.apply("responses.response", copy.deepcopy(record.response)))


def delete(call: Call) -> JSONBody:
    response_id = call.path_params["response_id"]
    call.provider.responses.get(response_id)
    del call.provider.responses.records[response_id]
    return JSONBody({"id": response_id, "object": "response", "deleted": True})


def input_items(call: Call) -> JSONBody:
    record = call.provider.responses.get(call.path_params["response_id"])
    query = dict(call.query)
    query.setdefault("order", "desc")  # OpenAI lists input items newest first by default
    return JSONBody(page(copy.deepcopy(record.inputs), query, lambda i: i["id"], "input item"))
