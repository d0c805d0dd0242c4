"""Servers on which a check's precondition never happens. They are not faults (not public, no requirement must
fail): the self-tests switch each one on and require the check concerned to be skipped with its reason (or, for
``required-refused``, to still be judged by another route), never to pass for want of evidence."""

from __future__ import annotations

from typing import Any

from ..text import WORDS
from ..wire import APIError
from . import FaultContext, fault

CANNED_PROMPT = 'Say "Hello from a stub server, with the same words for every prompt."'
ELSEWHERE_WORDS = 8


def _is_chat(ctx: FaultContext) -> bool:
    return ctx.endpoint == "chat.completions"


def _canned(body: dict, ctx: FaultContext) -> dict:
    """Every chat prompt is answered as if it were the canned one (tool conversations are left alone)."""
    messages = body.get("messages")
    if not _is_chat(ctx) or body.get("tools") or not isinstance(messages, list) or any(
            isinstance(m, dict) and m.get("role") == "tool" for m in messages):
        return body
    return {**body, "messages": [{"role": "user", "content": CANNED_PROMPT}]}


def _stops(request: Any) -> list[str]:
    stop = request.get("stop") if isinstance(request, dict) else None
    return [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str) and s]


def _never_reaching_the_stop(body: Any, ctx: FaultContext) -> Any:
    """A request with stop gets another answer, cut by the token limit before any stop sequence could appear
    (as a sampling model may do): the stop sequence is never generated, so nothing shows it was honoured."""
    stops = _stops(ctx.request)
    if not stops or not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        return body
    text = " ".join([w for w in WORDS if not any(s in w for s in stops)][:ELSEWHERE_WORDS])
    choices = []
    for choice in body["choices"]:
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            choice = {**choice, "message": {**choice["message"], "content": text}, "finish_reason": "length"}
        choices.append(choice)
    return {**body, "choices": choices}


def _required_refused(body: dict, ctx: FaultContext) -> dict:
    if _is_chat(ctx) and body.get("tool_choice") == "required":
        raise APIError(400, "tool_choice 'required' is not supported by this server; use 'auto' or name a function.",
                       "tool_choice", "unsupported_value")
    return body


def _auto_in_text(body: dict, ctx: FaultContext) -> dict:
    if _is_chat(ctx) and body.get("tools") and body.get("tool_choice", "auto") == "auto":
        return {**body, "tool_choice": "none"}
    return body


fault("canned-answer", [], "Every chat prompt gets the same answer (a stub server): stream and non-stream agree, "
                           "but that proves nothing.",
      public=False, request=_canned)

fault("no-stop-string", [], "An answer asked for with stop never reaches the stop sequence (another sample, cut "
                            "by the token limit).",
      public=False, chat_response=_never_reaching_the_stop)

fault("auto-in-text", [], "With tool_choice \"auto\" the model always answers in text, never with a tool call.",
      public=False, request=_auto_in_text)

fault("required-refused", [], "tool_choice \"required\" is refused with an honest 400 naming the parameter.",
      public=False, request=_required_refused)
