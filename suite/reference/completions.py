"""POST /completions, the legacy text completions endpoint (text_completion objects, optionally streamed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import text
from .chat import SYSTEM_FINGERPRINT, parse_stops
from .params import Params, invalid_type
from .wire import APIError, EventStream, JSONBody

if TYPE_CHECKING:
    from .app import Call

KNOWN = {"model", "prompt", "best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "n",
         "presence_penalty", "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p", "user"}
DEFAULT_MAX_TOKENS = 16  # OpenAI's default for this endpoint


def _prompts(p: Params) -> list[str]:
    prompt = p.value("prompt", ("string", "array"), required=True)
    if isinstance(prompt, str):
        return [prompt]
    if not prompt:
        raise APIError(400, "Invalid 'prompt': empty array. Expected an array with minimum length 1.", "prompt",
                       "empty_array")
    if all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
        return [" ".join(map(str, prompt))]
    out = []
    for i, item in enumerate(prompt):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
            out.append(" ".join(map(str, item)))
        else:
            raise invalid_type(f"prompt[{i}]", item, ("string", "array"))
    return out


def _logprobs(tokens: list[str], top: int | None, offset: int) -> dict | None:
    if top is None:
        return None
    offsets, position = [], offset
    for token in tokens:
        offsets.append(position)
        position += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": [text.logprob(t) for t in tokens],
        "top_logprobs": [{alt: text.logprob(t, rank) for rank, alt in enumerate(text.alternatives(t, top))}
                         for t in tokens] if top else None,
        "text_offset": offsets,
    }


def create(call: Call) -> JSONBody | EventStream:
    body = call.body
    if not isinstance(body, dict):
        raise invalid_type("body", body, ("object",))
    p = Params(body, KNOWN)
    model = p.string("model", required=True)
    prompts = _prompts(p)
    call.require_model(model)
    p.number("temperature", 0, 2)
    p.number("top_p", 0, 1)
    p.number("frequency_penalty", -2, 2)
    p.number("presence_penalty", -2, 2)
    p.integer("seed")
    p.string("suffix")
    n = p.integer("n", 1, 128, default=1)
    p.integer("best_of", 1, 20)
    limit = p.integer("max_tokens", 0, default=DEFAULT_MAX_TOKENS)
    top = p.integer("logprobs", 0, 5)
    echo = bool(p.boolean("echo", False))
    stops = parse_stops(p)
    stream = bool(p.boolean("stream", False))
    options = p.object("stream_options")
    if options is not None and not stream:
        raise APIError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                       "stream_options", "invalid_value")
    include_usage = bool(options and Params(options, {"include_usage", "include_obfuscation"}, "stream_options.")
                         .boolean("include_usage", False))

    choices = []
    for k, prompt in enumerate(prompts):
        for j in range(n):
            generation = text.generate(" " + text.reply_text(prompt, j), stops, limit)
            lead = prompt if echo else ""
            tokens = (text.tokenize(lead) if lead else []) + generation.tokens
            choices.append({"index": k * n + j, "tokens": tokens, "generated": len(generation.tokens),
                            "finish_reason": generation.finish_reason})
    prompt_tokens = sum(text.count_tokens(pr) for pr in prompts)
    completion_tokens = sum(c["generated"] for c in choices)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    completion_id = call.provider.new_id("cmpl-")
    created = call.provider.now()
    base: dict[str, Any] = {"id": completion_id, "object": "text_completion", "created": created, "model": model,
                            "system_fingerprint": SYSTEM_FINGERPRINT}
    if stream:
        return EventStream(call.apply("completions.chunks", _chunks(base, choices, top, include_usage, usage)))
    body_out = {**base, "choices": [{"text": "".join(c["tokens"]), "index": c["index"],
                                     "logprobs": _logprobs(c["tokens"], top, 0), "finish_reason": c["finish_reason"]}
                                    for c in choices], "usage": usage}
    return JSONBody(call.apply("completions.response", body_out))


def _chunks(base: dict, choices: list[dict], top: int | None, include_usage: bool, usage: dict) -> list[dict]:
    def chunk(choice_list: list[dict]) -> dict:
        out = {**base, "choices": choice_list}
        if include_usage:
            out["usage"] = None
        return out

    out = []
    for c in choices:
        offset = 0
        for token in c["tokens"]:
            out.append(chunk([{"text": token, "index": c["index"], "logprobs": _logprobs([token], top, offset),
                               "finish_reason": None}]))
            offset += len(token)
        out.append(chunk([{"text": "", "index": c["index"], "logprobs": None, "finish_reason": c["finish_reason"]}]))
    if include_usage:
        final = chunk([])
        final["usage"] = usage
        out.append(final)
    return out
