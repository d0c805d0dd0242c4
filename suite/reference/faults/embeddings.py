"""Faults of POST /embeddings, as OpenAI-compatible servers have shipped them (quirk 17 and the answers of
LiteLLM's and llama-cpp-python's embeddings endpoints)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from ..wire import APIError
from . import FaultContext, fault


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
