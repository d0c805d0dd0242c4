"""Faults of the legacy POST /completions, as OpenAI-compatible servers have shipped them (quirks 1, 2 and 11, and
the streamed and non-streamed answers of LiteLLM's mock completions)."""

from __future__ import annotations

from typing import Any

from . import FaultContext, fault
from ._choices import each_choice, finish_eos, length_as_stop
from ._requests import serve_unknown_model, skip_stream_validation


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


# -- unknown models, invalid streams, identity, streaming that streams, stream usage ---------------------------
def _chat_id(choice_holder: dict) -> None:
    if isinstance(choice_holder.get("id"), str):
        choice_holder["id"] = "chatcmpl-" + choice_holder["id"].removeprefix("cmpl-")


def _each_body(change):
    def hook(value: Any, ctx: FaultContext) -> Any:
        for body in value if isinstance(value, list) else [value]:
            change(body)
        return value
    return hook


def _created_per_chunk(chunks: list[dict], ctx: FaultContext) -> list[dict]:
    """created is taken afresh for every chunk, and the clock moves on while the stream is written."""
    for n, chunk in enumerate(chunks):
        chunk["created"] = chunk["created"] + n
    return chunks


def _drop_null_logprobs(choice: dict) -> None:
    if choice.get("logprobs") is None:
        choice.pop("logprobs", None)


def _text_in_one_chunk(chunks: list[dict], ctx: FaultContext) -> list[dict]:
    """A buffering proxy: the text of each choice arrives in its finish chunk."""
    held: dict[Any, str] = {}
    out = []
    for chunk in chunks:
        choices = chunk.get("choices") or []
        if choices and all(c.get("finish_reason") is None for c in choices):
            for c in choices:
                held[c["index"]] = held.get(c["index"], "") + c.get("text", "")
            continue
        for c in choices:
            c["text"] = held.pop(c["index"], "") + c.get("text", "")
        out.append(chunk)
    return out


def _usage_unasked(chunks: list[dict], ctx: FaultContext) -> list[dict]:
    """Continuous usage statistics on every chunk, asked or not."""
    if isinstance(ctx.request, dict) and ctx.request.get("stream_options"):
        return chunks
    for n, chunk in enumerate(chunks, start=1):
        chunk["usage"] = {"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}
    return chunks


def _usage_on_finish_chunk(chunks: list[dict], ctx: FaultContext) -> list[dict]:
    """The usage rides on the finish chunk; no separate chunk with choices []."""
    if len(chunks) < 2 or chunks[-1].get("choices") or chunks[-1].get("usage") is None:
        return chunks
    *rest, last = chunks
    rest[-1]["usage"] = last["usage"]
    return rest


fault("completions-unknown-model-served", ["completions.model.unknown-404"],
      "A completion for a model that does not exist is served by the default model (a wildcard model route).",
      models_unknown=serve_unknown_model("completions"))

fault("completions-stream-skips-validation", ["completions.stream.invalid-rejected"],
      "Sampling parameters are validated only for non-streamed completions: temperature 5 with stream: true is "
      "streamed (clamped to 2).",
      request=skip_stream_validation("completions"))

fault("completions-id-chat-prefix", ["completions.response.id-prefix"],
      "Legacy completion ids carry the chat prefix (chatcmpl-…), as a server that serves /completions through its "
      "chat path does.",
      completions_response=_each_body(_chat_id), completions_chunks=_each_body(_chat_id))

fault("completions-null-logprobs-dropped", ["completions.response.required-keys"],
      "The serializer drops null fields: completion choices carry no logprobs key.",
      completions_response=each_choice(_drop_null_logprobs))

fault("completions-stream-created-per-chunk", ["completions.stream.identity"],
      "Every streamed chunk takes created afresh from the clock, so it changes during the stream.",
      completions_chunks=_created_per_chunk)

fault("completions-stream-one-chunk", ["completions.stream.incremental"],
      "A buffering proxy sends the whole streamed text in the finish chunk.",
      completions_chunks=_text_in_one_chunk)

fault("completions-stream-usage-unasked", ["completions.stream.usage-unrequested"],
      "Every streamed chunk carries running usage although stream_options.include_usage was not asked for.",
      completions_chunks=_usage_unasked)

fault("completions-stream-usage-on-finish-chunk", ["completions.stream.usage-final"],
      "With include_usage, the usage rides on the finish chunk instead of a last chunk with choices [].",
      completions_chunks=_usage_on_finish_chunk)
