"""Faults of chat completions, streamed or not, as OpenAI-compatible servers have shipped them (see the
research notes, quirks 1-6, 11, 12, 15, 19): non-standard finish reasons, missing or wrong fields, usage
mistakes, ignored sampling controls, JSON mode answers that are not JSON, and streams without [DONE], without
a finish chunk, with the role repeated or missing, with content after the finish, or with an error inside a
200 stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import FaultContext, fault
from ._choices import each_choice, finish_eos, length_as_stop

Body = dict[str, Any]
Hook = Callable[[Any, FaultContext], Any]


# -- helpers -------------------------------------------------------------------------------------------------
def _chat(hook: Hook) -> Hook:
    """Apply ``hook`` on chat completions only (request and wire hooks see every endpoint)."""
    def guarded(value: Any, ctx: FaultContext) -> Any:
        return hook(value, ctx) if ctx.endpoint == "chat.completions" else value
    return guarded


def _each_chunk(change: Callable[[Body], None]) -> Hook:
    def hook(chunks: list[Body], ctx: FaultContext) -> list[Body]:
        for chunk in chunks:
            change(chunk)
        return chunks
    return hook


def _drop_request_field(*names: str, when: Callable[[Body], bool] = lambda body: True) -> Hook:
    """The provider never sees ``names``: the parameter is silently ignored."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        if isinstance(body, dict) and when(body):
            return {k: v for k, v in body.items() if k not in names}
        return body
    return _chat(hook)


def _break_request(change: Callable[[Body], None]) -> Hook:
    """``change(body)`` makes what the request carries invalid, so the provider rejects it with 400, as a
    server does that does not accept it."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        if isinstance(body, dict):
            body = json.loads(json.dumps(body))
            change(body)
        return body
    return _chat(hook)


def _rename_role(old: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        for message in body.get("messages") or []:
            if isinstance(message, dict) and message.get("role") == old:
                message["role"] = f"not-{old}"
    return change


def _content_parts_unreadable(body: Body) -> None:
    for message in body.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            message["content"] = 0


def _spoil(name: str, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        if name in body:
            body[name] = value
    return change


# -- the completion object -----------------------------------------------------------------------------------
def _role_model(choice: dict) -> None:
    if isinstance(choice.get("message"), dict):
        choice["message"]["role"] = "model"


def _content_as_parts(choice: dict) -> None:
    message = choice.get("message")
    if isinstance(message, dict) and isinstance(message.get("content"), str):
        message["content"] = [{"type": "text", "text": message["content"]}]


def _without_index(choice: dict) -> None:
    choice.pop("index", None)


def _created_fraction(body: Body, ctx: FaultContext) -> Body:
    """created straight from time.time(): Unix seconds, but with a fraction."""
    if isinstance(body.get("created"), int):
        body["created"] = body["created"] + 0.25
    return body


def _usage_without_prompt(body: Body, ctx: FaultContext) -> Body:
    usage = body.get("usage")
    if isinstance(usage, dict):
        body["usage"] = {**usage, "total_tokens": usage["completion_tokens"]}
    return body


def _logprob_positive(choice: dict) -> None:
    logprobs = choice.get("logprobs")
    for entry in (logprobs or {}).get("content") or []:
        entry["logprob"] = abs(entry["logprob"]) + 0.5


def _top_logprobs_one(choice: dict) -> None:
    logprobs = choice.get("logprobs")
    for entry in (logprobs or {}).get("content") or []:
        entry["top_logprobs"] = entry["top_logprobs"][:1]


def _json_fenced(body: Body, ctx: FaultContext) -> Body:
    """Structured output inside a Markdown code fence, as chatty models write it unconstrained."""
    request = ctx.request if isinstance(ctx.request, dict) else {}
    if (request.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
        for choice in body.get("choices", []):
            message = choice.get("message") or {}
            if isinstance(message.get("content"), str):
                message["content"] = f"```json\n{message['content']}\n```"
    return body


def _schema_ignored(body: Any, ctx: FaultContext) -> Any:
    """response_format json_schema is served as plain text (the schema is dropped)."""
    fmt = body.get("response_format") if isinstance(body, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return {k: v for k, v in body.items() if k != "response_format"}
    return body


fault("chat-object-chunk", ["chat.response.object"],
      "A non-streamed completion says object \"chat.completion.chunk\" instead of \"chat.completion\".",
      chat_response=lambda body, ctx: {**body, "object": "chat.completion.chunk"})

fault("chat-created-ms", ["chat.response.identity"],
      "created is in milliseconds instead of Unix seconds.",
      chat_response=lambda body, ctx: {**body, "created": body["created"] * 1000})

fault("chat-created-float", ["chat.response.schema", "chat.response.identity"],
      "created is a float (time.time() not rounded to whole seconds) instead of an integer.",
      chat_response=_created_fraction)

fault("chat-choice-without-index", ["chat.response.choices"],
      "Choices carry no index (mock-llm).",
      chat_response=each_choice(_without_index))

fault("chat-role-model", ["chat.response.role"],
      "The message role is \"model\" (a Gemini term) instead of \"assistant\".",
      chat_response=each_choice(_role_model))

fault("chat-content-parts", ["chat.response.content"],
      "message.content is an array of text parts instead of a string.",
      chat_response=each_choice(_content_as_parts))

fault("chat-finish-eos", ["chat.response.finish-reason", "chat.stream.finish-reason"],
      "finish_reason is \"eos\" instead of \"stop\"/\"length\", streamed or not (Together; TGI: eos_token).",
      chat_response=each_choice(finish_eos), chat_chunks=each_choice(finish_eos))

fault("chat-no-usage", ["chat.usage.present"],
      "Non-streamed completions carry no usage.",
      chat_response=lambda body, ctx: {k: v for k, v in body.items() if k != "usage"})

fault("chat-usage-total-without-prompt", ["chat.usage.total"],
      "usage.total_tokens counts only the completion tokens.",
      chat_response=_usage_without_prompt)

# -- accepted inputs -----------------------------------------------------------------------------------------
fault("chat-developer-role-rejected", ["chat.request.developer-role"],
      "Messages with role developer are rejected with 400 (servers that only know system).",
      request=_break_request(_rename_role("developer")))

fault("chat-content-parts-rejected", ["chat.request.content-parts"],
      "User content given as an array of text parts is rejected with 400.",
      request=_break_request(_content_parts_unreadable))

fault("chat-assistant-turn-rejected", ["chat.request.roles"],
      "A history with an assistant turn is rejected with 400 (servers that only accept system and user).",
      request=_break_request(_rename_role("assistant")))

fault("chat-metadata-rejected", ["chat.request.metadata"],
      "The metadata parameter is rejected with 400 (strict servers that do not know it).",
      request=_break_request(_spoil("metadata", "unsupported")))

fault("chat-seed-rejected", ["chat.request.seed-user"],
      "The seed parameter is rejected with 400.",
      request=_break_request(_spoil("seed", "7")))

# -- sampling controls ---------------------------------------------------------------------------------------
fault("chat-n-ignored", ["chat.params.n", "chat.stream.n-choices"],
      "n is silently ignored: one choice, streamed or not (Ollama #16117).",
      request=_drop_request_field("n"))

fault("chat-max-tokens-ignored", ["chat.params.max-tokens"],
      "max_tokens is silently ignored.",
      request=_drop_request_field("max_tokens"))

fault("chat-max-completion-tokens-ignored", ["chat.params.max-completion-tokens"],
      "max_completion_tokens is silently ignored (servers that only know max_tokens).",
      request=_drop_request_field("max_completion_tokens"))

fault("chat-length-as-stop", ["chat.params.max-tokens", "chat.params.max-completion-tokens"],
      "An answer cut by the token cap reports finish_reason \"stop\" instead of \"length\".",
      chat_response=each_choice(length_as_stop))

fault("chat-stop-ignored", ["chat.params.stop"],
      "Stop sequences are silently ignored (Ollama #16117).",
      request=_drop_request_field("stop"))

fault("chat-logprobs-ignored", ["chat.logprobs.tokens", "chat.stream.logprobs"],
      "logprobs and top_logprobs are silently ignored: logprobs is null, streamed or not.",
      request=_drop_request_field("logprobs", "top_logprobs"))

fault("chat-logprob-positive", ["chat.logprobs.tokens", "chat.stream.logprobs"],
      "Log probabilities are reported as positive numbers.",
      chat_response=each_choice(_logprob_positive), chat_chunks=each_choice(_logprob_positive))

fault("chat-top-logprobs-one", ["chat.logprobs.top-k", "chat.stream.logprobs"],
      "top_logprobs lists one alternative per token whatever k was asked for.",
      chat_response=each_choice(_top_logprobs_one), chat_chunks=each_choice(_top_logprobs_one))

# -- structured output ---------------------------------------------------------------------------------------
fault("chat-json-fenced", ["chat.output.json-object", "chat.output.json-schema"],
      "JSON mode and structured outputs answer with the JSON inside a Markdown code fence.",
      chat_response=_json_fenced)

fault("chat-json-schema-ignored", ["chat.output.json-schema"],
      "response_format json_schema is silently ignored: the answer is plain text.",
      request=_chat(_schema_ignored))


# -- streams -------------------------------------------------------------------------------------------------
def _no_done(data: list[str], ctx: FaultContext) -> list[str]:
    return [d for d in data if d != "[DONE]"]


def _chunk_after_done(data: list[str], ctx: FaultContext) -> list[str]:
    payloads = [d for d in data if d != "[DONE]"]
    return data + payloads[-1:] if payloads else data


def _error_before_done(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """A 200 stream that fails half-way reports the failure as a data: event (LiteLLM with hosted vLLM)."""
    error = {"error": {"message": "upstream model server error", "type": "server_error", "param": None,
                       "code": None}}
    return chunks + [error]


def _object_completion(chunk: Body) -> None:
    chunk["object"] = "chat.completion"


def _finish_without_delta(choice: dict) -> None:
    if choice.get("finish_reason") is not None:
        choice.pop("delta", None)


def _fresh_id_per_chunk(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    for number, chunk in enumerate(chunks):
        chunk["id"] = f"{chunk['id']}-{number}"
    return chunks


def _first_delta_without_role(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    seen: set[int] = set()
    for chunk in chunks:
        for choice in chunk.get("choices", []):
            if choice["index"] not in seen:
                seen.add(choice["index"])
                choice["delta"].pop("role", None)
    return chunks


def _role_everywhere(choice: dict) -> None:
    choice["delta"]["role"] = "assistant"


def _later_role_empty(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    seen: set[int] = set()
    for chunk in chunks:
        for choice in chunk.get("choices", []):
            if choice["index"] in seen:
                choice["delta"]["role"] = ""
            seen.add(choice["index"])
    return chunks


def _no_finish_chunk(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    return [c for c in chunks if not any(choice.get("finish_reason") for choice in c.get("choices", []))]


def _content_after_finish(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    finished = next((i for i, chunk in enumerate(chunks)
                     if any(choice.get("finish_reason") for choice in chunk["choices"])), None)
    if finished is None:
        return chunks
    late = json.loads(json.dumps(chunks[finished]))
    for choice in late["choices"]:
        choice.update(delta={"content": " And more."}, finish_reason=None)
    return chunks[:finished + 1] + [late] + chunks[finished + 1:]


def _usage_on_a_choice(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """The usage chunk also carries an empty choice (LiteLLM PR #8751; llm-mock-api)."""
    if chunks and chunks[-1].get("choices") == [] and chunks[-1].get("usage"):
        chunks[-1]["choices"] = [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": None}]
    return chunks


def _usage_always(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    if not chunks or chunks[-1].get("usage"):
        return chunks
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    final = {**chunks[-1], "choices": [], "usage": usage}
    return chunks + [final]


def _stream_options_alone_accepted(body: Any, ctx: FaultContext) -> Any:
    if isinstance(body, dict) and body.get("stream") is not True and "stream_options" in body:
        return {k: v for k, v in body.items() if k != "stream_options"}
    return body


def _stream_differs(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """Streamed text is generated apart from the non-streamed text: it ends differently."""
    for chunk in reversed(chunks):
        for choice in chunk.get("choices", []):
            if isinstance(choice["delta"].get("content"), str) and choice["delta"]["content"]:
                choice["delta"]["content"] += " (streamed)"
                return chunks
    return chunks


fault("chat-stream-no-done", ["chat.stream.done-sentinel"],
      "Streams end without data: [DONE] (ik_llama.cpp #467; TGI #1896).",
      sse_data=_chat(_no_done))

fault("chat-stream-chunk-after-done", ["chat.stream.after-done"],
      "The last chunk is sent again after [DONE].",
      sse_data=_chat(_chunk_after_done))

fault("chat-stream-error-event", ["chat.stream.no-error-event"],
      "A 200 stream ends with a data: {\"error\": ...} event (LiteLLM #40578 with hosted vLLM; OpenRouter).",
      chat_chunks=_error_before_done)

fault("chat-stream-object-completion", ["chat.stream.object"],
      "Chunks say object \"chat.completion\" instead of \"chat.completion.chunk\".",
      chat_chunks=_each_chunk(_object_completion))

fault("chat-stream-finish-without-delta", ["chat.stream.chunk-schema"],
      "The finish chunk's choice carries no delta, and clients reading choices[0].delta crash (qwen-code #1448, "
      "hermes-agent #90301).",
      chat_chunks=each_choice(_finish_without_delta))

fault("chat-stream-id-per-chunk", ["chat.stream.identity"],
      "Every chunk of a stream has a different id.",
      chat_chunks=_fresh_id_per_chunk)

fault("chat-stream-first-role-missing", ["chat.stream.role-first"],
      "The first delta carries no role (tensorzero #1265; stubllm).",
      chat_chunks=_first_delta_without_role)

fault("chat-stream-role-every-chunk", ["chat.stream.role-once"],
      "Every delta repeats role \"assistant\" (Ollama #7626).",
      chat_chunks=each_choice(_role_everywhere))

fault("chat-stream-later-role-empty", ["chat.stream.role-consistent"],
      "Deltas after the first carry role \"\".",
      chat_chunks=_later_role_empty)

fault("chat-stream-no-finish", ["chat.stream.finish-once"],
      "The finish chunk is never sent: [DONE] follows the last content (openclaw #23013).",
      chat_chunks=_no_finish_chunk)

fault("chat-stream-content-after-finish", ["chat.stream.no-content-after-finish"],
      "More content arrives for a choice after its finish_reason.",
      chat_chunks=_content_after_finish)

fault("chat-stream-usage-on-choice", ["chat.stream.usage-final"],
      "The include_usage chunk carries an empty choice instead of choices [] (LiteLLM PR #8751).",
      chat_chunks=_usage_on_a_choice)

fault("chat-stream-usage-unrequested", ["chat.stream.usage-unrequested"],
      "A usage chunk is sent although stream_options.include_usage was not asked for.",
      chat_chunks=_usage_always)

fault("chat-stream-options-without-stream", ["chat.stream.options-require-stream"],
      "stream_options without stream: true is accepted instead of rejected with 400.",
      request=_chat(_stream_options_alone_accepted))

fault("chat-stream-differs", ["chat.stream.matches-non-stream"],
      "With temperature 0 and a seed, the streamed text differs from the non-streamed text.",
      chat_chunks=_stream_differs)


# -- identity, required keys, streaming that streams -----------------------------------------------------------
UUID_ID = "3f1c9a2e-8b7d-4e0f-9c1a-2b3d4e5f6a7b"
FIXED_CREATED = 1_700_000_000  # a timestamp copied from an example, or evaluated once at import


def _on_body(change: Callable[[Body], None]) -> Hook:
    def hook(body: Body, ctx: FaultContext) -> Body:
        change(body)
        return body
    return hook


def _uuid_id(body: Body) -> None:
    body["id"] = UUID_ID


def _drop_null_choice_keys(body: Body) -> None:
    """pydantic's exclude_none: the keys whose value is null disappear."""
    for choice in body.get("choices", []):
        if choice.get("logprobs") is None:
            choice.pop("logprobs", None)
        message = choice.get("message")
        if isinstance(message, dict) and message.get("refusal") is None:
            message.pop("refusal", None)


def _drop_null_finish(body: Body) -> None:
    for choice in body.get("choices", []):
        if choice.get("finish_reason") is None:
            choice.pop("finish_reason", None)


def _content_in_one_chunk(chunks: list[Body], ctx: FaultContext) -> list[Body]:
    """A buffering proxy: the content of each choice arrives in one chunk, just before its finish."""
    held: dict[int, str] = {}
    out = []
    for chunk in chunks:
        choices = chunk.get("choices") or []
        content_only = [c for c in choices if isinstance(c.get("delta"), dict) and set(c["delta"]) == {"content"}
                        and c.get("finish_reason") is None]
        if choices and len(content_only) == len(choices):
            for c in content_only:
                held[c["index"]] = held.get(c["index"], "") + (c["delta"]["content"] or "")
            continue
        for c in choices:
            if c.get("finish_reason") is not None and held.get(c["index"]):
                out.append({**chunk, "choices": [{**c, "delta": {"content": held.pop(c["index"])},
                                                  "finish_reason": None, "logprobs": None}]})
        out.append(chunk)
    return out


def _created_fixed(key: str) -> Hook:
    def hook(value: Any, ctx: FaultContext) -> Any:
        for body in value if isinstance(value, list) else [value]:
            target = body.get("response") if isinstance(body.get("response"), dict) else body
            if key in target:
                target[key] = FIXED_CREATED
        return value
    return hook


fault("chat-id-uuid", ["chat.response.id-prefix"],
      "Chat completion ids are bare UUIDs, streamed or not, instead of chatcmpl-….",
      chat_response=_on_body(_uuid_id), chat_chunks=_each_chunk(_uuid_id))

fault("created-fixed", ["chat.response.created-recent", "completions.response.created-recent",
                        "responses.create.created-recent", "files.object.created-recent",
                        "batches.object.created-recent"],
      "Every created and created_at is the same fixed timestamp (1700000000), as a default evaluated once at "
      "import time or copied from an example gives: the objects of every area look years old.",
      chat_response=_created_fixed("created"), chat_chunks=_created_fixed("created"),
      completions_response=_created_fixed("created"), completions_chunks=_created_fixed("created"),
      responses_response=_created_fixed("created_at"), responses_events=_created_fixed("created_at"),
      files_upload=_created_fixed("created_at"), batches_create=_created_fixed("created_at"))

fault("chat-null-keys-dropped", ["chat.response.required-keys"],
      "The serializer drops null fields (pydantic exclude_none): choices have no logprobs key and messages no "
      "refusal key.",
      chat_response=_on_body(_drop_null_choice_keys))

fault("chat-stream-null-finish-dropped", ["chat.stream.required-keys"],
      "The stream's serializer drops null fields: chunk choices carry no finish_reason key until the last one.",
      chat_chunks=_each_chunk(_drop_null_finish))

fault("chat-stream-one-chunk", ["chat.stream.incremental"],
      "A buffering proxy holds the streamed content and sends it in one chunk just before the finish chunk.",
      chat_chunks=_content_in_one_chunk)
