"""Embeddings checks on OpenAI's documented answer shape and on deviations real servers shipped."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

from oaic.checks import embeddings
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).parent / "fixtures" / "embeddings"
INPUTS = ["The quick brown fox jumps over the lazy dog.", "Hello"]
VECTORS = [[0.0023064255, -0.009327292, 0.015797347, -0.0028842222],
           [-0.012712464, 0.018466834, -0.004180549, 0.027031468]]
OPENAI_ERROR = {"error": {"message": "'$.input' is invalid.", "type": "invalid_request_error", "param": None,
                          "code": None}}


def openai_body(vectors=VECTORS, model="text-embedding-3-small"):
    """OpenAI's answer shape (operation createEmbedding): items in input order, usage without completion tokens."""
    return {"object": "list", "model": model,
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": 12, "total_tokens": 12}}


def exchange(body, status=200, **request):
    return Exchange.from_parts("POST", "/embeddings", request_json={"model": "text-embedding-3-small",
                                                                     "input": INPUTS, **request},
                               status=status, body=body)


def fixture(name):
    data = json.loads((FIXTURES / name).read_text())
    return Exchange.from_parts("POST", "/embeddings", request_json=data["request"], status=data["status"],
                               body=data["body"])


def as_base64(vector, byte_order="<", fmt="f"):
    return base64.b64encode(struct.pack(f"{byte_order}{len(vector)}{fmt}", *vector)).decode()


def base64_body(vectors=VECTORS, **kw):
    body = openai_body(**kw)
    for item, vector in zip(body["data"], vectors):
        item["embedding"] = as_base64(vector)
    return body


def test_openai_answer_passes():
    ex = exchange(openai_body())
    findings = embeddings.embedding_list(ex) + embeddings.vector_lengths(ex)
    for req in ("embeddings.response.shape", "embeddings.response.one-per-input", "embeddings.usage.tokens",
                "embeddings.vector.same-length"):
        assert_passes(findings, req)


def test_not_a_list_object_and_missing_model():
    body = {k: v for k, v in openai_body().items() if k != "model"}
    assert_fails(embeddings.embedding_list(exchange({**body, "object": "embeddings"})),
                 "embeddings.response.shape", 'object is "embeddings", expected "list"')
    assert_fails(embeddings.embedding_list(exchange(body)), "embeddings.response.shape", "model is")


def test_token_vectors_instead_of_one_vector():
    finding = assert_fails(embeddings.embedding_list(fixture("llamacpp-token-vectors.json")),
                           "embeddings.response.shape", "nested arrays")
    assert finding.evidence["pointer"] == "/data/0"


def test_item_without_object_or_with_string_numbers():
    body = openai_body()
    del body["data"][0]["object"]
    body["data"][1]["embedding"] = ["0.1", "0.2"]
    finding = assert_fails(embeddings.embedding_list(exchange(body)), "embeddings.response.shape", "data[0] object")
    assert "1 more" in finding.message


def test_error_status_fails_shape_and_leaves_the_rest_unjudged():
    findings = embeddings.embedding_list(exchange({"detail": "boom"}, status=500))
    assert_fails(findings, "embeddings.response.shape", "HTTP 500")
    assert {f.verdict for f in findings if f.requirement != "embeddings.response.shape"} == {"skip"}


def test_one_embedding_for_a_batch_and_inconsistent_usage():
    """LiteLLM's mock embeddings: one vector for two inputs, total_tokens 0 with prompt_tokens 10."""
    findings = embeddings.embedding_list(fixture("litellm-mock-embed.json"))
    assert_passes(findings, "embeddings.response.shape")
    assert_fails(findings, "embeddings.response.one-per-input", "sent 2 inputs, received 1 embeddings")
    assert_fails(findings, "embeddings.usage.tokens", "total_tokens (0) is less than usage.prompt_tokens (10)")


def test_items_out_of_input_order():
    body = openai_body()
    body["data"].reverse()
    assert_fails(embeddings.embedding_list(exchange(body)), "embeddings.response.one-per-input",
                 "data[0].index is 1, expected 0")


def test_usage_missing_or_not_integers():
    body = openai_body()
    del body["usage"]
    assert_fails(embeddings.embedding_list(exchange(body)), "embeddings.usage.tokens", "usage is missing")
    body["usage"] = {"prompt_tokens": "12", "total_tokens": 12.0}
    assert_fails(embeddings.embedding_list(exchange(body)), "embeddings.usage.tokens", "prompt_tokens is \"12\"")


def test_vectors_of_different_lengths():
    ex = exchange(openai_body([VECTORS[0], VECTORS[1][:3]]))
    assert_fails(embeddings.vector_lengths(ex), "embeddings.vector.same-length", "different lengths [3, 4]")
    other = Exchange.from_parts("POST", "/embeddings", request_json={"model": "m", "input": "x"},
                                body=openai_body([[0.1] * 5]))
    assert_fails(embeddings.vector_lengths(exchange(openai_body()), other), "embeddings.vector.same-length",
                 "answer 2 data[0] has 5")


def test_base64_decodes_to_the_float_vector():
    findings = embeddings.base64_vectors(exchange(openai_body()), exchange(base64_body(), encoding_format="base64"))
    assert_passes(findings, "embeddings.base64.string")
    assert_passes(findings, "embeddings.base64.same-vector")
    shape = embeddings.embedding_list(exchange(base64_body(), encoding_format="base64"))
    assert_passes(shape, "embeddings.response.shape")


def test_base64_ignored():
    """Quirk: the server answers floats although the request (the Python SDK's default) asked for base64."""
    findings = embeddings.base64_vectors(exchange(openai_body()), exchange(openai_body(), encoding_format="base64"))
    assert_fails(findings, "embeddings.base64.string", 'encoding_format "base64" was ignored')
    assert [f.verdict for f in findings if f.requirement == "embeddings.base64.same-vector"] == ["skip"]


def test_base64_that_is_not_base64_or_not_float32():
    body = base64_body()
    body["data"][0]["embedding"] = "not base64!"
    body["data"][1]["embedding"] = base64.b64encode(b"\x00\x01\x02").decode()
    findings = embeddings.base64_vectors(exchange(openai_body()), exchange(body, encoding_format="base64"))
    finding = assert_fails(findings, "embeddings.base64.string", "is not valid base64")
    assert finding.evidence["failing_items"] == 2


def test_base64_rejected_with_an_error():
    findings = embeddings.base64_vectors(exchange(openai_body()),
                                         exchange(OPENAI_ERROR, status=400, encoding_format="base64"))
    assert_fails(findings, "embeddings.base64.string", "HTTP 400")


def test_base64_big_endian_float64_or_another_vector():
    big = base64_body()
    big["data"][0]["embedding"] = as_base64(VECTORS[0], ">")
    assert_fails(embeddings.base64_vectors(exchange(openai_body()), exchange(big, encoding_format="base64")),
                 "embeddings.base64.same-vector", "matches when read as big-endian")
    double = base64_body()
    double["data"][0]["embedding"] = as_base64(VECTORS[0], "<", "d")
    assert_fails(embeddings.base64_vectors(exchange(openai_body()), exchange(double, encoding_format="base64")),
                 "embeddings.base64.same-vector", "float64")
    other = base64_body([VECTORS[1], VECTORS[0]])
    assert_fails(embeddings.base64_vectors(exchange(openai_body()), exchange(other, encoding_format="base64")),
                 "embeddings.base64.same-vector", "cosine similarity")


def test_dimensions():
    short_vectors = [v[:2] for v in VECTORS]
    assert_passes(embeddings.dimension_lengths(exchange(openai_body(short_vectors), dimensions=2)),
                  "embeddings.dimensions.length")
    assert_fails(embeddings.dimension_lengths(exchange(openai_body(), dimensions=2)), "embeddings.dimensions.length",
                 "gave vectors of [4] numbers, expected 2 (the parameter was ignored?)")
    assert_fails(embeddings.dimension_lengths(exchange(OPENAI_ERROR, status=400, dimensions=2)),
                 "embeddings.dimensions.length", "HTTP 400")


def test_invalid_input_rejected_with_400():
    bad = exchange(OPENAI_ERROR, status=400, input={"text": "hello"})
    findings = embeddings.input_rejected(bad, "embeddings.input.invalid-rejected")
    assert_passes(findings, "embeddings.input.invalid-rejected")
    assert_passes(findings, "embeddings.input.status-400")
    empty = exchange(OPENAI_ERROR, status=400, input="")
    assert_passes(embeddings.input_rejected(empty, "embeddings.input.empty-rejected"),
                  "embeddings.input.empty-rejected")


def test_invalid_input_embedded_or_server_error():
    accepted = exchange(openai_body(VECTORS[:1]), input={"text": "hello"})
    assert_fails(embeddings.input_rejected(accepted, "embeddings.input.invalid-rejected"),
                 "embeddings.input.invalid-rejected", "was accepted: HTTP 200")
    crashed = exchange({"error": {"message": "internal", "type": "server_error", "param": None, "code": None}},
                       status=500, input={"text": "hello"})
    assert_fails(embeddings.input_rejected(crashed, "embeddings.input.invalid-rejected"),
                 "embeddings.input.invalid-rejected", "HTTP 500, a server error")


def test_empty_input_accepted_and_422():
    """infinity embeds "" (200) and answers a wrong-typed input with FastAPI's 422."""
    empty = exchange(openai_body(VECTORS[:1]), input="")
    assert_fails(embeddings.input_rejected(empty, "embeddings.input.empty-rejected"), "embeddings.input.empty-rejected",
                 'input "" was accepted')
    unprocessable = exchange({"detail": [{"type": "list_type", "msg": "Input should be a valid list"}]}, status=422,
                             input={"text": "x"})
    findings = embeddings.input_rejected(unprocessable, "embeddings.input.invalid-rejected")
    assert_passes(findings, "embeddings.input.invalid-rejected")
    assert_fails(findings, "embeddings.input.status-400", "rejected with HTTP 422; OpenAI answers 400")


def test_invalid_input_on_a_route_not_served_is_not_judged():
    missing = exchange({"detail": "Not Found"}, status=404, input={"text": "x"})
    findings = embeddings.input_rejected(missing, "embeddings.input.invalid-rejected")
    assert [f.verdict for f in findings] == ["skip"] and "route not served" in findings[0].message


def test_no_response_is_not_judged():
    ex = Exchange(method="POST", path="/embeddings", request_json={"input": INPUTS}, error="refused",
                  error_kind="connect")
    assert {f.verdict for f in embeddings.embedding_list(ex)} == {"error"}
