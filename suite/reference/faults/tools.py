"""Faults of tool calling, as OpenAI-compatible servers have shipped them (see the research notes, quirks 7-10):
tool_choice ignored, finish_reason "stop" next to calls, arguments as a JSON object, deltas without index,
parallel calls merged or sharing an id, calls dropped when streaming, tool messages not validated."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..wire import APIError
from . import FaultContext, fault

Body = dict[str, Any]


# -- helpers: the calls of a body or a stream ------------------------------------------------------------------------
def _chat(hook: Callable[[Any, FaultContext], Any]) -> Callable[[Any, FaultContext], Any]:
    """Apply ``hook`` on chat completions only (the request hook sees every endpoint)."""
    def guarded(value: Any, ctx: FaultContext) -> Any:
        return hook(value, ctx) if ctx.endpoint == "chat.completions" else value
    return guarded


def _each_message_with_calls(change: Callable[[dict], None]) -> Callable[[Any, FaultContext], Any]:
    """chat.response hook: ``change(message)`` for every message that carries tool_calls."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        for choice in body.get("choices", []):
            message = choice.get("message") or {}
            if message.get("tool_calls"):
                change(message)
        return body
    return _chat(hook)


def _each_call(change: Callable[[dict], None]) -> Callable[[Any, FaultContext], Any]:
    return _each_message_with_calls(lambda message: [change(call) for call in message["tool_calls"]])


def _tool_deltas(chunks: list[Body]) -> list[dict]:
    """Every entry of delta.tool_calls in a stream, in order."""
    return [entry for chunk in chunks for choice in chunk.get("choices", [])
            for entry in (choice.get("delta") or {}).get("tool_calls") or []]


def _each_delta(change: Callable[[dict], None]) -> Callable[[Any, FaultContext], Any]:
    def hook(chunks: Any, ctx: FaultContext) -> Any:
        for entry in _tool_deltas(chunks):
            change(entry)
        return chunks
    return _chat(hook)


def _finish_stop(value: Any, ctx: FaultContext) -> Any:
    """finish_reason "tool_calls" becomes "stop", in a body (dict) or a stream (list of chunks)."""
    choices = [c for chunk in value for c in chunk.get("choices", [])] if isinstance(value, list) \
        else value.get("choices", [])
    for choice in choices:
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return value


# -- the calls of a non-streamed answer ---------------------------------------------------------------------------------
def _arguments_as_object(call: dict) -> None:
    call["function"]["arguments"] = json.loads(call["function"]["arguments"])


def _arguments_off_schema(call: dict) -> None:
    arguments = json.loads(call["function"]["arguments"])
    call["function"]["arguments"] = json.dumps({key: 42 for key in arguments} or {"unexpected": 42})


def _flattened(call: dict) -> None:
    """A call in the Responses API's flat shape: name and arguments beside the id, no function object."""
    function = call.pop("function")
    call.update(name=function["name"], arguments=function["arguments"])


def _calls_unparsed(value: Any, ctx: FaultContext) -> Any:
    """With tool_choice auto, calls the model chose itself are cut from the text but never parsed into
    tool_calls: the message carries neither content nor calls."""
    request = ctx.request if isinstance(ctx.request, dict) else {}
    if request.get("tool_choice", "auto") != "auto":
        return value
    for choice in value.get("choices", []):
        message = choice.get("message") or {}
        if message.pop("tool_calls", None):
            message["content"] = None
            choice["finish_reason"] = "stop"
    return value


fault("tool-calls-unparsed", ["tools.choice.auto"],
      "With tool_choice auto, a call the model makes is stripped from the text but not parsed into tool_calls: "
      "the answer has content null, no tool_calls and finish_reason \"stop\".",
      chat_response=_chat(_calls_unparsed))

fault("tool-call-content-array", ["tools.call.content"],
      "The message that carries tool calls has content [] (an empty list of content blocks) instead of null.",
      chat_response=_each_message_with_calls(lambda message: message.update(content=[])))

fault("tool-call-flat", ["tools.call.shape"],
      "Tool calls come in the Responses API's flat shape {id, type, name, arguments}, without a function object.",
      chat_response=_each_call(_flattened))

fault("tool-call-no-type", ["tools.call.type"],
      "Tool calls come without type \"function\", which SDKs use to pick the call's class.",
      chat_response=_each_call(lambda call: call.pop("type", None)))

fault("tool-arguments-object", ["tools.call.arguments-json"],
      "Tool-call arguments are sent as a JSON object instead of a string holding JSON (llama.cpp PR #20202).",
      chat_response=_each_call(_arguments_as_object))

fault("tool-arguments-off-schema", ["tools.call.arguments-strict", "tools.call.arguments-schema"],
      "Tool-call arguments ignore the function's parameters schema: every argument becomes the number 42.",
      chat_response=_each_call(_arguments_off_schema))

fault("tool-finish-stop", ["tools.call.finish-reason"],
      "A completion that calls tools ends with finish_reason \"stop\" instead of \"tool_calls\" (Ollama #12557).",
      chat_response=_chat(_finish_stop))

fault("tool-call-no-id", ["tools.call.id"],
      "Tool calls come without an id, so a client has nothing to put in tool_call_id.",
      chat_response=_each_call(lambda call: call.pop("id", None)))

fault("tool-name-prefixed", ["tools.call.name"],
      "Tool calls name the function with a namespace prefix (functions.get_weather) instead of its own name.",
      chat_response=_each_call(lambda call: call["function"].update(name="functions." + call["function"]["name"])))


# -- tool_choice and parallel_tool_calls ignored ------------------------------------------------------------------------
def _ignore_choice(matches: Callable[[Any], bool]) -> Callable[[Any, FaultContext], Any]:
    def hook(body: Any, ctx: FaultContext) -> Any:
        if isinstance(body, dict) and matches(body.get("tool_choice")):
            return {**body, "tool_choice": "auto"}
        return body
    return _chat(hook)


def _ignore_parallel(body: Any, ctx: FaultContext) -> Any:
    return {k: v for k, v in body.items() if k != "parallel_tool_calls"} if isinstance(body, dict) else body


def _same_id_in_stream(chunks: list[Body]) -> list[Body]:
    opening = [entry for entry in _tool_deltas(chunks) if "id" in entry]
    for entry in opening:
        entry["id"] = opening[0]["id"]
    return chunks


fault("tool-choice-none-ignored", ["tools.choice.none"],
      "tool_choice \"none\" is treated as \"auto\": tools are still called.",
      request=_ignore_choice(lambda choice: choice == "none"))

fault("tool-choice-required-ignored", ["tools.choice.required"],
      "tool_choice \"required\" is treated as \"auto\": a prompt that needs no tool gets a text answer.",
      request=_ignore_choice(lambda choice: choice == "required"))

fault("tool-choice-named-ignored", ["tools.choice.named"],
      "A named tool_choice is treated as \"auto\": the model calls whichever tool the prompt suggests.",
      request=_ignore_choice(lambda choice: isinstance(choice, dict)))

fault("tool-parallel-flag-ignored", ["tools.parallel.disabled"],
      "parallel_tool_calls false is ignored: a prompt about two places gets two calls.",
      request=_chat(_ignore_parallel))

fault("tool-parallel-same-id", ["tools.parallel.distinct"],
      "Parallel calls share one id (DeepSeek, GLM; OpenRouter reusing the id), so their results cannot be told apart.",
      chat_response=_each_message_with_calls(
          lambda message: [call.update(id=message["tool_calls"][0]["id"]) for call in message["tool_calls"]]),
      chat_chunks=_chat(lambda chunks, ctx: _same_id_in_stream(chunks)))


# -- streams ------------------------------------------------------------------------------------------------------------
def _drop_calls(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """The stream of a request that calls tools: role, a short text, and finish "stop" (Ollama #9632)."""
    if not _tool_deltas(chunks):
        return chunks
    head = {k: v for k, v in chunks[0].items() if k != "choices"}
    choice = {"index": 0, "logprobs": None, "finish_reason": None}
    return [{**head, "choices": [{**choice, "delta": {"role": "assistant", "content": ""}}]},
            {**head, "choices": [{**choice, "delta": {"content": "I will look that up."}}]},
            {**head, "choices": [{**choice, "delta": {}, "finish_reason": "stop"}]}] \
        + [chunk for chunk in chunks if not chunk.get("choices")]  # the usage chunk, when asked for


def _repeat_head(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    heads: dict[int, dict] = {}
    for entry in _tool_deltas(chunks):
        if "id" in entry:
            heads[entry["index"]] = entry
        else:
            head = heads[entry["index"]]
            entry.update(id=head["id"], type="function")
            entry["function"]["name"] = head["function"]["name"]
    return chunks


def _merge_indexes(entry: dict) -> None:
    entry["index"] = 0


def _fragment_as_object(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """Each call's arguments arrive whole, as an object, in the delta that opens the call."""
    deltas = _tool_deltas(chunks)
    whole: dict[int, str] = {}
    for entry in deltas:
        whole[entry["index"]] = whole.get(entry["index"], "") + entry["function"].get("arguments", "")
    for entry in deltas:
        if "id" in entry:
            entry["function"]["arguments"] = json.loads(whole[entry["index"]])
        else:
            entry["function"].pop("arguments", None)
    return chunks


fault("tool-stream-no-index", ["tools.stream.index-present"],
      "Streamed tool-call deltas carry no index (Ollama #7881; Gemini's compatibility layer).",
      chat_chunks=_each_delta(lambda entry: entry.pop("index", None)))

fault("tool-stream-merged", ["tools.parallel.distinct", "tools.stream.continuation"],
      "Every streamed tool-call delta says index 0, so parallel calls merge into one broken call.",
      chat_chunks=_each_delta(_merge_indexes))

fault("tool-stream-untitled-opening", ["tools.stream.first-delta"],
      "The first delta of a streamed call carries neither id nor type.",
      chat_chunks=_each_delta(lambda entry: [entry.pop(key, None) for key in ("id", "type")]))

fault("tool-stream-repeated-head", ["tools.stream.continuation"],
      "Every delta of a streamed call repeats its id and name, which clients concatenate (call_1call_1...).",
      chat_chunks=_chat(_repeat_head))

fault("tool-stream-arguments-object", ["tools.stream.arguments-json"],
      "A streamed call sends its arguments whole, as a JSON object, instead of string fragments.",
      chat_chunks=_chat(_fragment_as_object))

fault("tool-stream-finish-stop", ["tools.stream.finish-reason"],
      "A stream that carries tool calls ends with finish_reason \"stop\" instead of \"tool_calls\".",
      chat_chunks=_chat(_finish_stop))

fault("tool-stream-dropped", ["tools.stream.not-dropped"],
      "Tool calls are dropped when streaming: the stream carries text and finish_reason \"stop\" (Ollama #9632).",
      chat_chunks=_chat(_drop_calls))


# -- round trips and the deprecated functions -------------------------------------------------------------------------
def _tool_call_id_ignored(body: Any, ctx: FaultContext) -> Any:
    """Tool messages are matched to calls by position, so a missing or unknown tool_call_id goes unnoticed."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return body
    messages, open_ids = [], []
    for message in body["messages"]:
        if isinstance(message, dict) and message.get("role") == "assistant":
            open_ids = [c.get("id") for c in message.get("tool_calls") or [] if isinstance(c, dict)]
        elif isinstance(message, dict) and message.get("role") == "tool" and open_ids:
            message = {**message, "tool_call_id": open_ids.pop(0)}
        messages.append(message)
    return {**body, "messages": messages}


def _reject_null_content(body: Any, ctx: FaultContext) -> Any:
    """An assistant message must have string content, as llama-cpp-python's request model demands."""
    for i, message in enumerate(body.get("messages") or [] if isinstance(body, dict) else []):
        if isinstance(message, dict) and message.get("role") == "assistant" and message.get("content") is None:
            raise APIError(400, f"messages[{i}].content: Input should be a valid string", f"messages[{i}].content")
    return body


def _functions_as_tool_calls(body: Any, ctx: FaultContext) -> Any:
    if not isinstance(ctx.request, dict) or "functions" not in ctx.request:
        return body
    for choice in body.get("choices", []):
        message = choice.get("message") or {}
        call = message.pop("function_call", None)
        if call:
            message["tool_calls"] = [{"id": "call_legacy_0", "type": "function", "function": call}]
            choice["finish_reason"] = "tool_calls"
    return body


def _reject_strict(body: Any, ctx: FaultContext) -> Any:
    for i, tool in enumerate(body.get("tools") or [] if isinstance(body, dict) else []):
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict) and "strict" in tool["function"]:
            raise APIError(400, f"Unrecognized request argument supplied: tools[{i}].function.strict",
                           f"tools[{i}].function.strict")
    return body


fault("tool-call-id-ignored", ["tools.roundtrip.missing-id-rejected", "tools.roundtrip.unknown-id-rejected"],
      "Tool messages are not checked against the calls they answer: a missing or unknown tool_call_id is accepted.",
      request=_chat(_tool_call_id_ignored))

fault("tool-result-null-content-rejected", ["tools.roundtrip.accepted", "tools.roundtrip.parallel-results"],
      "An assistant message with tool_calls and content null (as OpenAI itself sends it) is rejected with 400.",
      request=_chat(_reject_null_content))

fault("functions-answered-with-tool-calls", ["tools.legacy.functions"],
      "The deprecated functions/function_call are answered with tool_calls instead of message.function_call.",
      chat_response=_chat(_functions_as_tool_calls))

fault("tools-strict-rejected", ["tools.request.accepted"],
      "A function definition with strict is rejected with 400 as an unrecognized argument.",
      request=_chat(_reject_strict))


def _function_call_beside(message: Any) -> None:
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if calls and isinstance(calls[0], dict) and isinstance(calls[0].get("function"), dict):
        message["function_call"] = dict(calls[0]["function"])


def _function_call_beside_body(body: Body, ctx: FaultContext) -> Body:
    for choice in body.get("choices", []):
        _function_call_beside(choice.get("message"))
    return body


def _function_call_beside_chunks(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    for chunk in chunks:
        for choice in chunk.get("choices", []):
            delta = choice.get("delta")
            if isinstance(delta, dict) and delta.get("tool_calls"):
                function = delta["tool_calls"][0].get("function") or {}
                delta["function_call"] = {k: v for k, v in function.items() if k in ("name", "arguments")}
    return chunks


fault("tools-function-call-beside-tool-calls", ["tools.call.no-function-call"],
      "A message (or delta) with tool_calls also carries the deprecated function_call, copied from the first call.",
      chat_response=_function_call_beside_body, chat_chunks=_function_call_beside_chunks)
