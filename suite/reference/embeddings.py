"""POST /embeddings: unit vectors derived from the input, as floats or base64 little-endian float32."""

from __future__ import annotations

import base64
import struct
from typing import TYPE_CHECKING, Any

from . import text
from .params import Params, invalid_type
from .wire import APIError, JSONBody

if TYPE_CHECKING:
    from .app import Call

KNOWN = {"model", "input", "encoding_format", "dimensions", "user"}
NATIVE_DIMENSIONS = 256
MAX_INPUTS = 2048


def _invalid_input() -> APIError:
    return APIError(400, "'$.input' is invalid. Please check the API reference: "
                         "https://platform.openai.com/docs/api-reference.", "input", "invalid_value")


def _is_tokens(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(t, int) and not isinstance(t, bool)
                                                            for t in value)


def inputs(value: Any) -> list[tuple[str, int]]:
    """(text the vector is derived from, token count) per input."""
    if isinstance(value, str):
        if not value:
            raise _invalid_input()
        return [(value, text.count_tokens(value))]
    if not isinstance(value, list):
        raise invalid_type("input", value, ("string", "array"))
    if not value or len(value) > MAX_INPUTS:
        raise _invalid_input()
    if _is_tokens(value):
        return [(f"tokens:{value}", len(value))]
    out = []
    for item in value:
        if isinstance(item, str) and item:
            out.append((item, text.count_tokens(item)))
        elif _is_tokens(item):
            out.append((f"tokens:{item}", len(item)))
        else:
            raise _invalid_input()
    return out


def create(call: Call) -> JSONBody:
    body = call.body
    if not isinstance(body, dict):
        raise invalid_type("body", body, ("object",))
    p = Params(body, KNOWN)
    model = p.string("model", required=True)
    items = inputs(p.value("input", ("string", "array"), required=True))
    call.require_model(model)
    encoding = p.string("encoding_format", default="float", allowed=("float", "base64"))
    dimensions = p.integer("dimensions", 1, NATIVE_DIMENSIONS, default=NATIVE_DIMENSIONS)
    p.string("user")
    data = []
    for index, (source, _) in enumerate(items):
        vector = text.embedding(source, dimensions)
        value: Any = vector if encoding == "float" else base64.b64encode(
            struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": value})
    tokens = sum(count for _, count in items)
    out = {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
    return JSONBody(call.apply("embeddings.response", out))
