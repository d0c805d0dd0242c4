"""Faults of POST /moderations, as OpenAI-compatible gateways and self-hosted classifiers have shipped them."""

from __future__ import annotations

import math
from typing import Any

from ..wire import APIError
from . import FaultContext, fault
from ._requests import serve_unknown_model


def _each_result(change):
    """A moderations.response hook that applies ``change`` to every result object."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        return {**body, "results": [change(dict(result)) for result in body["results"]]}
    return hook


def _drop(table: str, category: str):
    def change(result: dict) -> dict:
        result[table] = {k: v for k, v in result[table].items() if k != category}
        return result
    return _each_result(change)


def _scores(convert):
    def change(result: dict) -> dict:
        result["category_scores"] = {k: convert(v) for k, v in result["category_scores"].items()}
        return result
    return _each_result(change)


def _flag_everything(result: dict) -> dict:
    return {**result, "flagged": True}


def _image_everywhere(result: dict) -> dict:
    return {**result, "category_applied_input_types": {k: ["text", "image"]
                                                       for k in result["category_applied_input_types"]}}


def _first_result_only(body: Any, ctx: FaultContext) -> Any:
    return {**body, "results": body["results"][:1]}


def _model_required(body: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint == "moderations" and "model" not in body:
        raise APIError(400, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
    return body


def _missing_input_is_empty(body: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint == "moderations" and "input" not in body:
        return {**body, "input": ""}
    return body


def _invalid_input_crashes(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    wrong_type = isinstance(ctx.request, dict) and not isinstance(ctx.request.get("input"), (str, list, type(None)))
    if ctx.endpoint == "moderations" and status == 400 and wrong_type:
        return 500, APIError(500, "Internal server error: 'int' object is not iterable", None, None,
                             "server_error").body()
    return error


def _validation_422(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    return (422, body) if ctx.endpoint == "moderations" and status == 400 else error


fault("moderations-category-missing", ["moderations.categories.complete"],
      "The categories object leaves out illicit/violent, a category the classifier does not know (servers built "
      "for the older text-moderation category list).",
      moderations_response=_drop("categories", "illicit/violent"))

fault("moderations-scores-as-strings", ["moderations.scores.complete"],
      "Category scores are sent as strings (\"0.0001\") instead of numbers.",
      moderations_response=_scores(lambda v: f"{v:.6f}"))

fault("moderations-scores-logits", ["moderations.scores.range"],
      "Category scores are the classifier's raw logits (log-odds, mostly negative) instead of probabilities in "
      "0..1: the sigmoid was never applied.",
      moderations_response=_scores(lambda v: round(math.log(v / (1 - v)), 4)))

fault("moderations-flagged-without-category", ["moderations.flagged.consistent"],
      "Every result is flagged although no category is true (a threshold applied to the wrong value).",
      moderations_response=_each_result(_flag_everything))

fault("moderations-one-result", ["moderations.results.one-per-input"],
      "An array of inputs is classified as one text: a single result comes back.",
      moderations_response=_first_result_only)

fault("moderations-no-applied-types", ["moderations.applied-types.complete"],
      "Results carry no category_applied_input_types (an answer shaped after the older text-moderation models).",
      moderations_response=_each_result(lambda r: {k: v for k, v in r.items()
                                                   if k != "category_applied_input_types"}))

fault("moderations-image-on-text", ["moderations.applied-types.text-only"],
      "Every category claims to apply to text and image although only text was sent.",
      moderations_response=_each_result(_image_everywhere))

fault("moderations-uuid-id", ["moderations.response.id-prefix"],
      "The moderation id is a bare UUID without OpenAI's \"modr-\" prefix.",
      moderations_response=lambda body, ctx: {**body, "id": "3f1c2a9e-7b4d-4f0a-9c1e-2d5b6a7c8e90"})

fault("moderations-results-object", ["moderations.response.shape"],
      "results is the single result object instead of an array of results.",
      moderations_response=lambda body, ctx: {**body, "results": body["results"][0]})

fault("moderations-model-required", ["moderations.model.optional"],
      "A moderation request without model is refused, although OpenAI's model parameter is optional.",
      request=_model_required)

fault("moderations-missing-input-accepted", ["moderations.input.missing-rejected"],
      "A moderation request without input is classified as an empty text and answered 200.",
      request=_missing_input_is_empty)

fault("moderations-invalid-input-500", ["moderations.input.invalid-rejected"],
      "An input of the wrong type crashes the handler: HTTP 500 instead of 400.",
      error=_invalid_input_crashes)

fault("moderations-validation-422", ["moderations.input.status-400"],
      "Invalid moderation requests are refused with 422, FastAPI's status for request validation, instead of 400.",
      error=_validation_422)

fault("moderations-unknown-model-ignored", ["moderations.model.unknown-404"],
      "A moderation request naming a model that does not exist is classified by the default model (the model parameter is ignored).",
      models_unknown=serve_unknown_model("moderations"))
