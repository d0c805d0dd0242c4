"""Validation of the ``messages`` of a chat completion request, and the prompt text the "model" reads."""

from __future__ import annotations

from typing import Any

from .params import Params, invalid_type, invalid_value
from .wire import APIError

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
PART_TYPES = {"system": ("text",), "developer": ("text",), "user": ("text", "image_url", "input_audio", "file"),
              "assistant": ("text", "refusal"), "tool": ("text",), "function": ("text",)}


def validate(messages: list[Any]) -> list[dict]:
    """Check every message like OpenAI does; raise APIError(400) naming the first offending param."""
    open_calls: dict[str, int] = {}  # tool_call_id -> index of the assistant message that made the call
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise invalid_type(where, message, ("object",))
        p = Params(message, None, where + ".")  # extra keys (an echoed message's annotations) are ignored
        role = p.string("role", required=True)
        if role not in ROLES:
            raise invalid_value(f"{where}.role", role, ROLES)
        if role != "tool" and open_calls:
            raise _unanswered(open_calls)
        _content(p, role)
        if role == "assistant":
            for call_id in _tool_calls(p):
                open_calls[call_id] = i
        elif role == "tool":
            call_id = p.string("tool_call_id", required=True)
            if call_id not in open_calls:
                raise APIError(400, "Invalid parameter: messages with role 'tool' must be a response to a "
                                    "preceding message with 'tool_calls'.", f"{where}.role", None)
            del open_calls[call_id]
        elif role == "function":
            p.string("name", required=True)
    if open_calls:
        raise _unanswered(open_calls)
    return messages


def _unanswered(open_calls: dict[str, int]) -> APIError:
    index = min(open_calls.values())
    ids = ", ".join(open_calls)
    return APIError(400, "An assistant message with 'tool_calls' must be followed by tool messages responding to "
                         f"each 'tool_call_id'. The following tool_call_ids did not have response messages: {ids}",
                    f"messages[{index}].role", None)


def _content(p: Params, role: str) -> None:
    has_calls = bool(p.body.get("tool_calls")) or bool(p.body.get("function_call"))
    required = role != "assistant" or not has_calls
    if role == "assistant" and "content" not in p.body:
        required = not has_calls and "refusal" not in p.body and "audio" not in p.body
    content = p.value("content", ("string", "array"), required=required)
    if not isinstance(content, list):
        return
    for j, part in enumerate(content):
        where = f"{p.where}content[{j}]"
        if not isinstance(part, dict):
            raise invalid_type(where, part, ("object",))
        kind = part.get("type")
        if kind not in PART_TYPES[role]:
            raise invalid_value(f"{where}.type", kind, PART_TYPES[role])
        if kind == "text" and not isinstance(part.get("text"), str):
            raise invalid_type(f"{where}.text", part.get("text"), ("string",))


def _tool_calls(p: Params) -> list[str]:
    calls = p.array("tool_calls") or []
    ids = []
    for j, call in enumerate(calls):
        where = f"{p.where}tool_calls[{j}]"
        if not isinstance(call, dict):
            raise invalid_type(where, call, ("object",))
        cp = Params(call, None, where + ".")
        ids.append(cp.string("id", required=True))
        cp.string("type", required=True, allowed=("function",))
        function = cp.object("function", required=True)
        fp = Params(function, None, where + ".function.")
        fp.string("name", required=True)
        fp.string("arguments", required=True)
    return ids


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict)
                         and isinstance(part.get("text"), str))
    return ""


def prompt_of(messages: list[dict]) -> str:
    """What the "model" answers: the last user message, else the last instruction, else everything."""
    for role in (("user",), ("system", "developer")):
        for message in reversed(messages):
            if message.get("role") in role and text_of(message):
                return text_of(message)
    return "\n".join(text_of(m) for m in messages)


def tool_results(messages: list[dict]) -> list[str]:
    """The tool results that end the conversation (the model now answers from them), in order."""
    out: list[str] = []
    for message in reversed(messages):
        if message.get("role") not in ("tool", "function"):
            break
        out.insert(0, text_of(message))
    return out


def prompt_tokens(messages: list[dict], count) -> int:
    """OpenAI counts a few tokens of framing per message and 3 to prime the reply."""
    return sum(4 + count(text_of(m)) + count(str(m.get("name") or "")) for m in messages) + 3
