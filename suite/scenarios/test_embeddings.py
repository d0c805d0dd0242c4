"""Embeddings: a batch in float and in base64, dimensions, two invalid inputs and an unknown model (six requests)."""

from __future__ import annotations

import pytest
from oaic.checks import common, embeddings, errors

pytestmark = pytest.mark.needs("embeddings")

# Different lengths, so a model whose vector length depends on the input shows it.
INPUTS = ["The quick brown fox jumps over the lazy dog.", "Hello", "Vectors of numbers stand for the meaning of text."]
DIMENSIONS = 8


def batch_request(target, **extra):
    return {"model": target.model("embeddings"), "input": INPUTS, **extra}


@pytest.fixture(scope="module")
def float_batch(api, target):
    """The float answer for INPUTS, sent once and only when a test first asks for it."""
    sent = []

    def get():
        if not sent:
            sent.append(api.post("/embeddings", json=batch_request(target, encoding_format="float")))
        return sent[0]

    return get


@pytest.mark.covers("embeddings.response.*", "embeddings.usage.tokens", "embeddings.vector.same-length")
def test_batch_of_inputs(float_batch, verdicts):
    ex = float_batch()
    verdicts.extend(embeddings.embedding_list(ex))
    verdicts.extend(embeddings.vector_lengths(ex))


@pytest.mark.needs("embeddings_base64")
@pytest.mark.covers("embeddings.base64.*")
def test_base64_encoding(api, target, float_batch, verdicts):
    ex = api.post("/embeddings", json=batch_request(target, encoding_format="base64"))
    verdicts.extend(embeddings.base64_vectors(float_batch(), ex))


@pytest.mark.needs("embeddings_dimensions")
@pytest.mark.covers("embeddings.dimensions.length")
def test_dimensions(api, target, verdicts):
    ex = api.post("/embeddings", json={"model": target.model("embeddings"), "input": INPUTS[0],
                                       "dimensions": DIMENSIONS})
    verdicts.extend(embeddings.dimension_lengths(ex))


@pytest.mark.covers("embeddings.input.invalid-rejected", "embeddings.input.status-400", "errors.body.shape")
def test_input_of_the_wrong_type(api, target, verdicts):
    ex = api.post("/embeddings", json={"model": target.model("embeddings"), "input": {"text": INPUTS[1]}})
    verdicts.extend(embeddings.input_rejected(ex, "embeddings.input.invalid-rejected"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("embeddings.input.empty-rejected", "embeddings.input.status-400", "errors.body.shape")
def test_empty_input(api, target, verdicts):
    ex = api.post("/embeddings", json={"model": target.model("embeddings"), "input": ""})
    verdicts.extend(embeddings.input_rejected(ex, "embeddings.input.empty-rejected"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("embeddings.model.unknown-404", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, verdicts):
    ex = api.post("/embeddings", json={"model": "oaic-no-such-model-7b3e", "input": INPUTS[1]})
    verdicts.extend(errors.unknown_model(ex, "embeddings.model.unknown-404", "an embeddings request"))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))
