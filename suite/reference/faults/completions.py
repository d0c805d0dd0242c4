"""Faults of the legacy POST /completions, as OpenAI-compatible servers have shipped them (quirks 1, 2 and 11, and
the streamed and non-streamed answers of LiteLLM's mock completions)."""

from __future__ import annotations

from typing import Any

from . import FaultContext, fault
from ._choices import each_choice, finish_eos, length_as_stop


def _finish_without_text(choice: dict) -> None:
    if choice.get("finish_reason") is not None:
        choice.pop("text", None)


def _text_as_message(choice: dict) -> None:
    """The choice of a chat completion: the text inside a message."""
    if isinstance(choice.get("text"), str):
        choice["message"] = {"role": "assistant", "content": choice.pop("text")}


def _empty_logprobs(choice: dict) -> None:
    """A default-constructed logprobs object, serialized where null belongs."""
    if choice.get("logprobs") is None:
        choice["logprobs"] = {"tokens": [], "token_logprobs": [], "top_logprobs": [], "text_offset": []}


def _usage_without_prompt(body: Any, ctx: FaultContext) -> Any:
    usage = body.get("usage")
    if isinstance(usage, dict):
        body["usage"] = {**usage, "total_tokens": usage["completion_tokens"]}
    return body


def _no_finish_reason(choice: dict) -> None:
    choice["finish_reason"] = None


def _no_done(data: list[str], ctx: FaultContext) -> list[str]:
    return [d for d in data if d != "[DONE]"] if ctx.endpoint == "completions" else data


fault("completions-chat-shaped-choices", ["completions.response.shape"],
      "Completion choices carry a chat message {\"role\", \"content\"} instead of text, as a server answers "
      "that serves /completions through its chat path.",
      completions_response=each_choice(_text_as_message))

fault("completions-logprobs-unasked", ["completions.logprobs.null-unless-asked"],
      "Without logprobs in the request, every choice still carries a logprobs object with empty arrays instead "
      "of null, streamed or not.",
      completions_response=each_choice(_empty_logprobs), completions_chunks=each_choice(_empty_logprobs))

fault("completions-usage-total-without-prompt", ["completions.usage.consistent"],
      "usage.total_tokens counts only the completion tokens.",
      completions_response=_usage_without_prompt)

fault("completions-stream-no-finish-reason", ["completions.stream.finish-reason"],
      "No streamed chunk carries a finish_reason: the last chunk says null, then [DONE] (quirk 2 of the research "
      "notes, on the legacy endpoint).",
      completions_chunks=each_choice(_no_finish_reason))

fault("completions-finish-eos", ["completions.finish-reason.values"],
      "finish_reason is \"eos\" instead of \"stop\"/\"length\", streamed or not (Together; TGI says eos_token).",
      completions_response=each_choice(finish_eos), completions_chunks=each_choice(finish_eos))

fault("completions-max-tokens-stop", ["completions.max-tokens.length"],
      "A completion cut by max_tokens reports finish_reason \"stop\" instead of \"length\".",
      completions_response=each_choice(length_as_stop))

fault("completions-stream-finish-no-text", ["completions.stream.chunks"],
      "The streamed finish chunk carries no text field (LiteLLM): clients reading choices[0].text break.",
      completions_chunks=each_choice(_finish_without_text))

fault("completions-stream-no-done", ["completions.stream.done"],
      "A streamed completion ends without data: [DONE] (transformers serve; ik_llama.cpp #467).",
      sse_data=_no_done)
