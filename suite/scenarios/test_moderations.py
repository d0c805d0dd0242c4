"""Moderations: a string, an array of strings, no model, an unknown model and two invalid inputs (six requests). Harmless text
only: the suite judges the shape of the classification, never its verdict."""

from __future__ import annotations

import pytest
from oaic.checks import common, errors, moderations

pytestmark = pytest.mark.needs("moderations")

TEXT = "I love sunny days at the beach."
TEXTS = ["The library opens at nine.", "My cat likes to sleep in the sun.", "Tea or coffee?"]
ANSWER_REQUIREMENTS = ("moderations.response.*", "moderations.results.*", "moderations.categories.*",
                       "moderations.scores.*", "moderations.applied-types.*", "moderations.flagged.*")


def request(target, **fields):
    """A moderation request with the target's moderation model, or none (the model is optional) when there is none."""
    model = target.model("moderations")
    return {**({"model": model} if model else {}), **fields}


def judge_answer(ex, verdicts):
    verdicts.extend(moderations.moderation_answer(ex))


@pytest.mark.covers(*ANSWER_REQUIREMENTS)
def test_string_input(api, target, verdicts):
    judge_answer(api.post("/moderations", json=request(target, input=TEXT)), verdicts)


@pytest.mark.covers(*ANSWER_REQUIREMENTS)
def test_array_input(api, target, verdicts):
    judge_answer(api.post("/moderations", json=request(target, input=TEXTS)), verdicts)


@pytest.mark.covers("moderations.model.optional")
def test_model_is_optional(api, verdicts):
    ex = api.post("/moderations", json={"input": TEXT})
    verdicts.extend(moderations.model_optional(ex))


@pytest.mark.covers("moderations.input.missing-rejected", "moderations.input.status-400", "errors.body.shape")
def test_missing_input(api, target, verdicts):
    ex = api.post("/moderations", json=request(target))
    verdicts.extend(moderations.input_rejected(ex, "moderations.input.missing-rejected"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("moderations.input.invalid-rejected", "moderations.input.status-400", "errors.body.shape")
def test_input_of_the_wrong_type(api, target, verdicts):
    ex = api.post("/moderations", json=request(target, input=42))
    verdicts.extend(moderations.input_rejected(ex, "moderations.input.invalid-rejected"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("moderations.model.unknown-404", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, verdicts):
    ex = api.post("/moderations", json={"model": "oaic-no-such-model-7b3e", "input": TEXT})
    verdicts.extend(errors.unknown_model(ex, "moderations.model.unknown-404", "a moderation request"))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))
