"""Faults of the legacy POST /completions, as OpenAI-compatible servers have shipped them (quirks 1 and 11, and
the streamed and non-streamed answers of LiteLLM's mock completions)."""

from __future__ import annotations

from typing import Any

from . import FaultContext, fault


def _each_choice(change):
    """A completions.response / completions.chunks hook: ``change(choice)`` on every choice."""
    def hook(value: Any, ctx: FaultContext) -> Any:
        for body in value if isinstance(value, list) else [value]:
            for choice in body.get("choices", []):
                change(choice)
        return value
    return hook


def _eos(choice: dict) -> None:
    if choice.get("finish_reason") is not None:
        choice["finish_reason"] = "eos"


def _length_as_stop(choice: dict) -> None:
    if choice.get("finish_reason") == "length":
        choice["finish_reason"] = "stop"


def _finish_without_text(choice: dict) -> None:
    if choice.get("finish_reason") is not None:
        choice.pop("text", None)


def _no_done(data: list[str], ctx: FaultContext) -> list[str]:
    return [d for d in data if d != "[DONE]"] if ctx.endpoint == "completions" else data


fault("completions-finish-eos", ["completions.finish-reason.values"],
      "finish_reason is \"eos\" instead of \"stop\"/\"length\", streamed or not (Together; TGI says eos_token).",
      completions_response=_each_choice(_eos), completions_chunks=_each_choice(_eos))

fault("completions-max-tokens-stop", ["completions.max-tokens.length"],
      "A completion cut by max_tokens reports finish_reason \"stop\" instead of \"length\".",
      completions_response=_each_choice(_length_as_stop))

fault("completions-stream-finish-no-text", ["completions.stream.chunks"],
      "The streamed finish chunk carries no text field (LiteLLM): clients reading choices[0].text break.",
      completions_chunks=_each_choice(_finish_without_text))

fault("completions-stream-no-done", ["completions.stream.done"],
      "A streamed completion ends without data: [DONE] (transformers serve; ik_llama.cpp #467).",
      sse_data=_no_done)
