"""The capability vocabulary: what a target may support, and which model area each capability belongs to.

A module of its own, below everything else: the catalogue, the target, discovery and the reports all speak it.
"""

from __future__ import annotations

# What a target may claim. A scenario that needs a capability the target does not claim is a skip.
CAPABILITIES: dict[str, str] = {
    "core": "always claimed: what every HTTP API in OpenAI's style does (transport, error bodies)",
    "models": "GET /models and GET /models/{id}",
    "chat": "POST /chat/completions",
    "streaming": "stream: true on chat completions",
    "stream_usage": "stream_options.include_usage on streamed chat completions",
    "n": "n > 1 choices",
    "stop": "stop sequences",
    "max_completion_tokens": "max_completion_tokens as well as max_tokens",
    "logprobs": "logprobs and top_logprobs",
    "json_object": "response_format json_object",
    "json_schema": "response_format json_schema (strict)",
    "developer_role": "messages with role developer",
    "determinism": "temperature 0 with a seed gives the same output stream and non-stream",
    "tools": "tools with tool_choice none/auto/required/named",
    "parallel_tool_calls": "several tool calls in one response, and parallel_tool_calls: false",
    "legacy_functions": "the deprecated functions/function_call parameters",
    "stored_completions": "store: true and the /chat/completions list, retrieve, update, delete, messages",
    "embeddings": "POST /embeddings",
    "embeddings_base64": "encoding_format: base64 on embeddings",
    "embeddings_dimensions": "dimensions on embeddings",
    "completions": "the legacy POST /completions",
    "moderations": "POST /moderations",
    "audio_transcriptions": "POST /audio/transcriptions (multipart upload; json, text, verbose_json, srt, vtt)",
    "responses": "POST /responses and the Responses API",
    "responses_streaming": "stream: true on the Responses API",
    "auth": "the target rejects requests without a valid key (401)",
    "rate_limit_headers": "x-ratelimit-* headers on responses",
    "files": "POST /files (multipart upload) and the /files list, retrieve, content and delete",
    "batches": "POST /batches from an uploaded JSONL file (lines run on the chat model), retrieve, list, cancel",
    "client": "a client library is under test (claimed by --client / --client-cmd): client.* requirements",
}
# A chat model alone claims this much; a model given for another area claims that area.
DEFAULT_CAPABILITIES = {"models", "chat", "streaming"}
ALWAYS_CLAIMED = {"core"}
MODEL_AREAS = ("chat", "tools", "embeddings", "completions", "responses", "moderations", "transcriptions")
AREA_CAPABILITY = {"tools": "tools", "embeddings": "embeddings", "completions": "completions",
                   "responses": "responses", "moderations": "moderations", "transcriptions": "audio_transcriptions"}
# The capabilities that are features of an area: when discovery finds the area's route is not served, they are
# not served either.
AREA_FEATURES: dict[str, tuple[str, ...]] = {
    "chat": ("streaming", "stream_usage", "n", "stop", "max_completion_tokens", "logprobs", "json_object",
             "json_schema", "developer_role", "determinism", "tools", "parallel_tool_calls", "legacy_functions",
             "stored_completions"),
    "embeddings": ("embeddings_base64", "embeddings_dimensions"),
    "responses": ("responses_streaming",),
    "files": ("batches",),
}
# The capabilities that are a whole API area: refused honestly only by a route refusal (404/405/501).
AREA_CAPABILITIES = frozenset({"chat", "embeddings", "completions", "responses", "moderations",
                               "audio_transcriptions", "files", "batches", "models", "stored_completions"})
