"""Faults of POST /embeddings, as OpenAI-compatible servers have shipped them (quirk 17 and the answers of
LiteLLM's and llama-cpp-python's embeddings endpoints)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from .. import text
from ..wire import APIError
from . import FaultContext, fault
from ._requests import serve_unknown_model


def _embeddings_only(change):
    """A request hook that acts on embeddings requests only (the request point sees every endpoint)."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        return change(dict(body)) if ctx.endpoint == "embeddings" else body
    return hook


def _without(key: str):
    def change(body: dict) -> dict:
        body.pop(key, None)
        return body
    return _embeddings_only(change)


def _big_endian(body: Any, ctx: FaultContext) -> Any:
    for item in body.get("data", []):
        if isinstance(item.get("embedding"), str):
            raw = base64.b64decode(item["embedding"])
            values = struct.unpack(f"<{len(raw) // 4}f", raw)
            item["embedding"] = base64.b64encode(struct.pack(f">{len(values)}f", *values)).decode("ascii")
    return body


def _first_only(body: Any, ctx: FaultContext) -> Any:
    return {**body, "data": body["data"][:1]}


def _per_token(body: Any, ctx: FaultContext) -> Any:
    """Each vector becomes a list of per-token vectors (no pooling), as llama-cpp-python answers."""
    for item in body.get("data", []):
        vector = item.get("embedding")
        if isinstance(vector, list):
            item["embedding"] = [vector, [-v for v in vector]]
    return body


def _flattened_token_vectors(body: Any, ctx: FaultContext) -> Any:
    """Each vector is the per-token vectors (no pooling) laid end to end: one flat array whose length is the
    input's token count times the model's dimensions."""
    inputs = ctx.request.get("input") if isinstance(ctx.request, dict) else None
    texts = [inputs] if isinstance(inputs, str) else inputs if isinstance(inputs, list) else []
    for item, source in zip(body.get("data", []), texts):
        vector = item.get("embedding")
        if isinstance(vector, list) and isinstance(source, str):
            item["embedding"] = vector * max(1, text.count_tokens(source))
    return body


def _empty_input_embedded(body: dict) -> dict:
    """An empty input string is embedded like any other text (as a single space) instead of rejected."""
    if body.get("input") == "":
        body["input"] = " "
    return body


def _validation_422(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    return (422, body) if ctx.endpoint == "embeddings" and status == 400 else error


def _invalid_input_crashes(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    wrong_type = isinstance(ctx.request, dict) and not isinstance(ctx.request.get("input"), (str, list))
    if ctx.endpoint == "embeddings" and status == 400 and wrong_type:
        message = "Internal server error: 'dict' object has no attribute 'strip'"
        return 500, APIError(500, message, None, None, "server_error").body()
    return error


fault("embeddings-base64-ignored", ["embeddings.base64.string"],
      "encoding_format \"base64\" is ignored: vectors come back as float arrays, which the official Python SDK "
      "(sending base64 by default) cannot decode (openai-python #1490, TEI #288, infinity #349).",
      request=_without("encoding_format"))

fault("embeddings-base64-big-endian", ["embeddings.base64.same-vector"],
      "base64 embeddings are packed as big-endian float32: they decode to a different vector.",
      embeddings_response=_big_endian)

fault("embeddings-one-vector", ["embeddings.response.one-per-input"],
      "A batch of inputs gets a single embedding, as LiteLLM's mock embeddings answer.",
      embeddings_response=_first_only)

fault("embeddings-token-vectors", ["embeddings.response.shape"],
      "Each embedding is a list of per-token vectors instead of one pooled vector (llama-cpp-python without "
      "pooling).",
      embeddings_response=_per_token)

fault("embeddings-dimensions-ignored", ["embeddings.dimensions.length"],
      "The dimensions parameter is ignored: vectors keep the model's native length.",
      request=_without("dimensions"))

fault("embeddings-invalid-input-500", ["embeddings.input.invalid-rejected"],
      "An input of the wrong type crashes the handler: HTTP 500 instead of 400 (llama-cpp-python).",
      error=_invalid_input_crashes)

fault("embeddings-no-usage", ["embeddings.usage.tokens"],
      "Embeddings answers carry no usage, so clients cannot count the tokens they are billed for.",
      embeddings_response=lambda body, ctx: {k: v for k, v in body.items() if k != "usage"})

fault("embeddings-token-vectors-flattened", ["embeddings.vector.same-length"],
      "Without pooling, the per-token vectors are laid end to end in one flat array: its length grows with the "
      "input's token count.",
      embeddings_response=_flattened_token_vectors)

fault("embeddings-empty-input-accepted", ["embeddings.input.empty-rejected"],
      "An empty input string is embedded and answered 200 instead of rejected with 400.",
      request=_embeddings_only(_empty_input_embedded))

fault("embeddings-validation-422", ["embeddings.input.status-400"],
      "Invalid embeddings inputs are refused with 422, FastAPI's status for request validation (infinity), "
      "instead of 400.",
      error=_validation_422)

fault("embeddings-unknown-model-served", ["embeddings.model.unknown-404"],
      "An embeddings request for a model that does not exist gets the vectors of the model the server loaded (single-model servers that ignore the model name).",
      models_unknown=serve_unknown_model("embeddings"))
