"""Checks of POST /embeddings: the list of embedding objects, usage, base64 encoding, dimensions, bad input."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .common import is_int, no_response
from .errors import route_not_served

SHAPE = "embeddings.response.shape"
ONE_PER_INPUT = "embeddings.response.one-per-input"
USAGE = "embeddings.usage.tokens"
SAME_LENGTH = "embeddings.vector.same-length"
BASE64_STRING = "embeddings.base64.string"
BASE64_SAME = "embeddings.base64.same-vector"
DIMENSIONS = "embeddings.dimensions.length"
INVALID_REJECTED = "embeddings.input.invalid-rejected"
EMPTY_REJECTED = "embeddings.input.empty-rejected"
STATUS_400 = "embeddings.input.status-400"

# Base64 and float answers carry the same vector; float32 rounding and nondeterministic kernels move it a little.
MIN_COSINE = 0.999


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def type_name(value: Any) -> str:
    if isinstance(value, list):
        inner = {type_name(v) for v in value[:5]}
        return f"an array of {len(value)} ({', '.join(sorted(inner)) or 'nothing'})"
    return {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if is_number(value) else type(value).__name__)


def requested(ex: Exchange, key: str) -> Any:
    return ex.request_json.get(key) if isinstance(ex.request_json, dict) else None


def sent_inputs(ex: Exchange) -> list[Any] | None:
    """The inputs the request sent; a single string is a batch of one."""
    value = requested(ex, "input")
    if isinstance(value, str):
        return [value]
    return value if isinstance(value, list) else None


def embeddings_body(ex: Exchange) -> dict | None:
    """The parsed body when the exchange is a 200 JSON object, else None."""
    body = ex.json() if ex.status == 200 and not ex.is_stream else None
    return body if isinstance(body, dict) else None


def data_items(body: dict | None) -> list:
    data = body.get("data") if body else None
    return data if isinstance(data, list) else []


def float_vector_problem(vector: Any) -> str | None:
    if not isinstance(vector, list):
        return f"is {type_name(vector)}, expected an array of numbers"
    if not vector:
        return "is an empty array"
    if any(isinstance(v, list) for v in vector):
        return f"is {type_name(vector)}: nested arrays (one vector per token?), expected one flat array of numbers"
    bad = next((i for i, v in enumerate(vector) if not is_number(v)), None)
    if bad is not None:
        return f"has {short(vector[bad], 40)} at position {bad}, expected finite numbers only"
    return None


def item_problems(item: Any, base64_requested: bool) -> list[str]:
    if not isinstance(item, dict):
        return [f"is {type_name(item)}, expected an embedding object"]
    problems = []
    if item.get("object") != "embedding":
        problems.append(f"object is {short(item.get('object'), 40)}, expected \"embedding\"")
    if not is_int(item.get("index")):
        problems.append(f"index is {short(item.get('index'), 40)}, expected an integer")
    if not base64_requested:  # a base64 answer's vector is judged by embeddings.base64.string
        problem = float_vector_problem(item.get("embedding"))
        if problem:
            problems.append(f"embedding {problem}")
    return problems


@check(SHAPE, ONE_PER_INPUT, USAGE)
def embedding_list(ex: Exchange) -> Iterable[Finding]:
    """Any successful embeddings request: the list object, one item per input in order, usage."""
    if ex.status is None:
        yield from no_response(ex, (SHAPE, ONE_PER_INPUT, USAGE))
        return
    body = embeddings_body(ex)
    if body is None:
        yield failed(SHAPE, f"POST /embeddings answered {ex.describe()}, expected 200 with an embeddings list",
                     status=ex.status, body=short(ex.body, 300))
        yield from (skipped(r, "not judged: no embeddings list came back") for r in (ONE_PER_INPUT, USAGE))
        return
    yield from list_shape(body, requested(ex, "encoding_format") == "base64")
    yield from one_per_input(body, sent_inputs(ex))
    yield from usage_tokens(body)


def list_shape(body: dict, base64_requested: bool) -> Iterable[Finding]:
    problems = []
    if body.get("object") != "list":
        problems.append(("/object", f"object is {short(body.get('object'), 40)}, expected \"list\""))
    if not isinstance(body.get("model"), str):
        problems.append(("/model", f"model is {short(body.get('model'), 40)}, expected a string"))
    if not isinstance(body.get("data"), list):
        problems.append(("/data", f"data is {type_name(body.get('data'))}, expected an array of embedding objects"))
    for i, item in enumerate(data_items(body)):
        problems += [(f"/data/{i}", f"data[{i}] {p}") for p in item_problems(item, base64_requested)]
    if problems:
        pointer, first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        yield failed(SHAPE, first + more, pointer=pointer, problems=[p for _, p in problems[:10]])
    else:
        yield passed(SHAPE)


def one_per_input(body: dict, inputs: list | None) -> Iterable[Finding]:
    data = data_items(body)
    if inputs is None:
        yield skipped(ONE_PER_INPUT, "not judged: the request's input is not a string or an array")
        return
    if len(data) != len(inputs):
        yield failed(ONE_PER_INPUT, f"sent {len(inputs)} inputs, received {len(data)} embeddings", pointer="/data",
                     inputs=len(inputs), embeddings=len(data))
        return
    indexes = [item.get("index") if isinstance(item, dict) else None for item in data]
    wrong = next((i for i, index in enumerate(indexes) if index != i), None)
    yield expect(ONE_PER_INPUT, wrong is None,
                 f"data[{wrong}].index is {short(indexes[wrong] if wrong is not None else None, 40)}, expected "
                 f"{wrong}: embeddings must come in input order, data[i] belonging to input i",
                 pointer=f"/data/{wrong}/index", indexes=indexes)


def usage_tokens(body: dict) -> Iterable[Finding]:
    usage = body.get("usage")
    if not isinstance(usage, dict):
        yield failed(USAGE, f"usage is {type_name(usage) if 'usage' in body else 'missing'}, expected "
                            f"{{\"prompt_tokens\": int, \"total_tokens\": int}}", pointer="/usage")
        return
    prompt, total = usage.get("prompt_tokens"), usage.get("total_tokens")
    problems = [f"usage.{key} is {short(value, 40)}, expected a non-negative integer"
                for key, value in (("prompt_tokens", prompt), ("total_tokens", total))
                if not is_int(value) or value < 0]
    if not problems and total < prompt:
        problems.append(f"usage.total_tokens ({total}) is less than usage.prompt_tokens ({prompt})")
    yield expect(USAGE, not problems, "; ".join(problems), pointer="/usage", usage=short(usage, 200))


@check(SAME_LENGTH)
def vector_lengths(*exchanges: Exchange) -> Iterable[Finding]:
    """Float vectors of one model, across the given answers (requests with dimensions excluded), share one length."""
    lengths: list[tuple[str, int]] = []
    for n, ex in enumerate(exchanges):
        if requested(ex, "dimensions") is not None or requested(ex, "encoding_format") == "base64":
            continue
        for i, item in enumerate(data_items(embeddings_body(ex))):
            vector = item.get("embedding") if isinstance(item, dict) else None
            if float_vector_problem(vector) is None:
                lengths.append((f"answer {n + 1} data[{i}]", len(vector)))
    if len(lengths) < 2:
        yield skipped(SAME_LENGTH, "not judged: fewer than two float vectors came back")
        return
    distinct = sorted({length for _, length in lengths})
    yield expect(SAME_LENGTH, len(distinct) == 1,
                 f"vectors of one model have different lengths {distinct}: "
                 + ", ".join(f"{where} has {length}" for where, length in lengths[:6]), lengths=dict(lengths))


def decode_base64_vector(value: Any) -> tuple[list[float] | None, str | None]:
    """(vector, None) for a base64 string of little-endian float32 values, else (None, what is wrong)."""
    if isinstance(value, list):
        return None, (f"is {type_name(value)}, not a base64 string: encoding_format \"base64\" was ignored "
                      f"(the official Python SDK sends it by default and then fails to decode a list)")
    if not isinstance(value, str):
        return None, f"is {type_name(value)}, expected a base64 string"
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        return None, f"is not valid base64 ({exc}): {short(value, 60)}"
    if not raw or len(raw) % 4:
        return None, f"decodes to {len(raw)} bytes, not a whole number of 4-byte float32 values"
    return list(struct.unpack(f"<{len(raw) // 4}f", raw)), None


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm and math.isfinite(norm) else float("nan")


@check(BASE64_STRING, BASE64_SAME)
def base64_vectors(float_ex: Exchange, base64_ex: Exchange) -> Iterable[Finding]:
    """The base64 answer for the same inputs: strings of float32 that decode to the float answer's vectors."""
    if base64_ex.status is None:
        yield from no_response(base64_ex, (BASE64_STRING, BASE64_SAME))
        return
    body = embeddings_body(base64_ex)
    if body is None:
        yield failed(BASE64_STRING, f"encoding_format \"base64\" answered {base64_ex.describe()}, expected 200 "
                                    f"with base64 embeddings", status=base64_ex.status, body=short(base64_ex.body, 300))
        yield skipped(BASE64_SAME, "not judged: the base64 request gave no embeddings")
        return
    decoded: list[list[float] | None] = []
    problems = []
    for i, item in enumerate(data_items(body)):
        vector, problem = decode_base64_vector(item.get("embedding") if isinstance(item, dict) else item)
        decoded.append(vector)
        if problem:
            problems.append((i, problem))
    if not decoded:
        yield failed(BASE64_STRING, "the base64 answer holds no embeddings", pointer="/data")
    elif problems:
        i, problem = problems[0]
        yield failed(BASE64_STRING, f"data[{i}].embedding {problem}", pointer=f"/data/{i}/embedding",
                     failing_items=len(problems))
    else:
        yield passed(BASE64_STRING)
    yield from same_vectors(float_ex, decoded)


def same_vectors(float_ex: Exchange, decoded: list[list[float] | None]) -> Iterable[Finding]:
    floats = [item.get("embedding") if isinstance(item, dict) else None
              for item in data_items(embeddings_body(float_ex))]
    pairs = [(i, d, f) for i, (d, f) in enumerate(zip(decoded, floats))
             if d is not None and float_vector_problem(f) is None]
    if not pairs:
        yield skipped(BASE64_SAME, "not judged: no pair of decodable base64 and float vectors for the same input")
        return
    for i, from_base64, from_float in pairs:
        if len(from_base64) != len(from_float):
            hint = " (float64 bytes instead of float32?)" if len(from_base64) == 2 * len(from_float) else ""
            yield failed(BASE64_SAME, f"data[{i}]: the base64 vector decodes to {len(from_base64)} float32 values, "
                                      f"the float answer has {len(from_float)}{hint}", pointer=f"/data/{i}/embedding")
            return
        similarity = cosine(from_base64, from_float)
        if not similarity >= MIN_COSINE:
            count = len(from_base64)
            swapped = struct.unpack(f">{count}f", struct.pack(f"<{count}f", *from_base64))
            big_endian = cosine(list(swapped), from_float)
            hint = " (it matches when read as big-endian: OpenAI sends little-endian)" if big_endian >= MIN_COSINE \
                else ""
            yield failed(BASE64_SAME, f"data[{i}]: the base64 vector is not the float vector for the same input: "
                                      f"cosine similarity {similarity:.4f}, expected >= {MIN_COSINE}{hint}",
                         pointer=f"/data/{i}/embedding", base64_head=[round(v, 6) for v in from_base64[:4]],
                         float_head=from_float[:4])
            return
    yield passed(BASE64_SAME)


@check(DIMENSIONS)
def dimension_lengths(ex: Exchange) -> Iterable[Finding]:
    """A request with dimensions: k gets vectors of exactly k numbers."""
    wanted = requested(ex, "dimensions")
    if not is_int(wanted):
        yield skipped(DIMENSIONS, f"not judged: the request's dimensions is {short(wanted, 40)}, not an integer")
        return
    if ex.status is None:
        yield from no_response(ex, (DIMENSIONS,))
        return
    body = embeddings_body(ex)
    if body is None:
        yield failed(DIMENSIONS, f"dimensions: {wanted} answered {ex.describe()}, expected 200 with vectors of "
                                 f"{wanted} numbers", status=ex.status, body=short(ex.body, 300))
        return
    lengths = [len(item["embedding"]) for item in data_items(body)
               if isinstance(item, dict) and float_vector_problem(item.get("embedding")) is None]
    if not lengths:
        yield skipped(DIMENSIONS, "not judged: the answer holds no float vector (see embeddings.response.shape)")
        return
    wrong = [n for n in lengths if n != wanted]
    yield expect(DIMENSIONS, not wrong,
                 f"dimensions: {wanted} gave vectors of {sorted(set(lengths))} numbers, expected {wanted}"
                 + (" (the parameter was ignored?)" if all(n > wanted for n in wrong) else ""),
                 pointer="/data/0/embedding", lengths=lengths)


@check(INVALID_REJECTED, EMPTY_REJECTED, STATUS_400)
def input_rejected(ex: Exchange, requirement: str) -> Iterable[Finding]:
    """An invalid input (``requirement`` says which kind) is refused with a 4xx, ideally 400 as OpenAI does."""
    what = f"input {short(requested(ex, 'input'), 60)}"
    if ex.status is None:
        yield from no_response(ex, (requirement,))
        return
    missing = route_not_served(ex, ("input",))
    if missing:
        yield skipped(requirement, missing)
        return
    if 200 <= ex.status < 300:
        yield failed(requirement, f"{what} was accepted: HTTP {ex.status}, expected a 400 error",
                     status=ex.status, body=short(ex.body, 200))
    elif ex.status >= 500:
        yield failed(requirement, f"{what} answered HTTP {ex.status}, a server error: expected a 400 error",
                     status=ex.status, body=short(ex.body, 200))
    elif 400 <= ex.status < 500:
        yield passed(requirement)
        yield expect(STATUS_400, ex.status == 400, f"{what} was rejected with HTTP {ex.status}; OpenAI answers 400 "
                                                   f"(SDKs raise a different error class for {ex.status})",
                     status=ex.status)
    else:
        yield failed(requirement, f"{what} answered HTTP {ex.status}, expected a 400 error", status=ex.status)
