"""Moderation checks on OpenAI's documented answer shape and on deviations servers shipped."""

from __future__ import annotations

import pytest
from oaic.checks import moderations
from oaic.checks.moderations import DOCUMENTED
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_no_failures, assert_passes

TEXTS = ["The library opens at nine.", "Tea or coffee?"]
OPENAI_ERROR = {"error": {"message": "Missing required parameter: 'input'.", "type": "invalid_request_error",
                          "param": "input", "code": "missing_required_parameter"}}


def result(flag: str | None = None):
    """One result as OpenAI's omni models answer a text input (operation createModeration)."""
    return {"flagged": flag is not None,
            "categories": {c: c == flag for c in DOCUMENTED},
            "category_scores": {c: 0.97 if c == flag else 1.2e-5 for c in DOCUMENTED},
            "category_applied_input_types": {c: ["text"] for c in DOCUMENTED}}


def openai_body(count=2, model="omni-moderation-latest"):
    return {"id": "modr-5f1c0b7e2a9d4c3b8e6f", "model": model, "results": [result() for _ in range(count)]}


def exchange(body, status=200, **request):
    request = {"model": "omni-moderation-latest", "input": TEXTS, **request}
    return Exchange.from_parts("POST", "/moderations", request_json=request, status=status, body=body)


def answer(body, **request):
    return moderations.moderation_answer(exchange(body, **request))


def test_openai_answer_passes():
    findings = answer(openai_body())
    assert_no_failures(findings)
    for req in moderations.BODY_CHECKS:
        assert_passes(findings, req)


def test_a_flagged_result_and_the_older_models_null_categories_pass():
    body = openai_body(1)
    body["results"][0] = result("violence")
    body["results"][0]["categories"]["illicit"] = None
    assert_no_failures(answer(body, input="some text"))


def test_not_a_moderation_object():
    assert_fails(answer({"id": "modr-1", "model": "m", "results": {"flagged": False}}),
                 moderations.SHAPE, "results is")
    body = openai_body()
    del body["results"][1]["flagged"]
    del body["model"]
    finding = assert_fails(answer(body), moderations.SHAPE, "model is missing")
    assert "results[1].flagged" in finding.message
    assert_fails(moderations.moderation_answer(exchange(OPENAI_ERROR, status=500)), moderations.SHAPE, "HTTP 500")


def test_id_without_the_modr_prefix():
    assert_fails(answer({**openai_body(), "id": "3f1c2a9e-7b4d"}), moderations.ID_PREFIX, "modr-")


@pytest.mark.parametrize("count,request_input", [(1, TEXTS), (2, "one text")])
def test_result_count_differs_from_the_inputs(count, request_input):
    assert_fails(answer(openai_body(count), input=request_input), moderations.ONE_PER_INPUT, "received")


def test_a_multi_modal_array_is_one_input():
    parts = [{"type": "text", "text": "a cat"}, {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]
    findings = answer(openai_body(1), input=parts)
    assert_passes(findings, moderations.ONE_PER_INPUT)
    assert [f.verdict for f in findings if f.requirement == moderations.TEXT_ONLY] == ["skip"]


def test_a_category_missing_or_not_a_boolean():
    body = openai_body()
    del body["results"][0]["categories"]["illicit/violent"]
    assert_fails(answer(body), moderations.CATEGORIES, "lacks illicit/violent")
    body = openai_body()
    body["results"][1]["categories"]["hate"] = "false"
    assert_fails(answer(body), moderations.CATEGORIES, "expected a boolean")
    body = openai_body()
    body["results"][1]["categories"]["hate"] = None  # only illicit and illicit/violent may be null
    assert_fails(answer(body), moderations.CATEGORIES, "'hate'")


def test_scores_missing_or_as_strings():
    body = openai_body()
    body["results"][0]["category_scores"] = {c: f"{0.001:.6f}" for c in DOCUMENTED}
    findings = answer(body)
    assert_fails(findings, moderations.SCORES, "expected a number")
    assert [f.verdict for f in findings if f.requirement == moderations.SCORE_RANGE] == ["pass"]  # result 2 judged
    body = openai_body()
    del body["results"][0]["category_scores"]["sexual/minors"]
    assert_fails(answer(body), moderations.SCORES, "lacks sexual/minors")


@pytest.mark.parametrize("value,hint", [(-7.02, "0..1"), (97.0, "percentages"), (1.0001, "0..1")])
def test_scores_outside_zero_to_one(value, hint):
    body = openai_body()
    body["results"][1]["category_scores"]["violence"] = value
    assert_fails(answer(body), moderations.SCORE_RANGE, hint)


def test_extra_categories_are_allowed_but_judged_for_range():
    body = openai_body()
    for table, value in (("categories", False), ("category_scores", 0.2), ("category_applied_input_types", ["text"])):
        body["results"][0][table]["self-harm/plan"] = value
    assert_no_failures(answer(body))
    body["results"][0]["category_scores"]["self-harm/plan"] = 3.5
    assert_fails(answer(body), moderations.SCORE_RANGE, "self-harm/plan")


def test_applied_input_types_missing_or_wrong():
    body = openai_body()
    del body["results"][0]["category_applied_input_types"]
    assert_fails(answer(body), moderations.APPLIED, "lacks hate")
    body = openai_body()
    body["results"][0]["category_applied_input_types"]["violence"] = "text"
    assert_fails(answer(body), moderations.APPLIED, "expected an array")
    body["results"][0]["category_applied_input_types"]["violence"] = ["audio"]
    assert_fails(answer(body), moderations.APPLIED, "'violence'")


def test_image_named_for_a_text_input():
    body = openai_body()
    body["results"][0]["category_applied_input_types"]["sexual"] = ["text", "image"]
    assert_fails(answer(body), moderations.TEXT_ONLY, "text only")


@pytest.mark.parametrize("flagged,category,message", [(True, None, "no category is true"),
                                                      (False, "harassment", "harassment is true")])
def test_flagged_inconsistent_with_the_categories(flagged, category, message):
    body = openai_body(1)
    body["results"][0] = {**result(category), "flagged": flagged}
    assert_fails(answer(body, input="text"), moderations.FLAGGED, message)


def test_model_optional():
    ok = exchange(openai_body(1), input="text")
    ok.request_json.pop("model")
    assert_passes(moderations.model_optional(ok), moderations.MODEL_OPTIONAL)
    refused = Exchange.from_parts("POST", "/moderations", request_json={"input": "text"}, status=400,
                                  body={"error": {**OPENAI_ERROR["error"], "param": "model"}})
    assert_fails(moderations.model_optional(refused), moderations.MODEL_OPTIONAL, "model is optional")
    nameless = exchange({**openai_body(1), "model": ""}, input="text")
    assert_fails(moderations.model_optional(nameless), moderations.MODEL_OPTIONAL, "default model")


@pytest.mark.parametrize("requirement,request_json", [
    (moderations.MISSING_REJECTED, {"model": "omni-moderation-latest"}),
    (moderations.INVALID_REJECTED, {"model": "omni-moderation-latest", "input": 42}),
])
def test_invalid_input_rejected(requirement, request_json):
    def ex(status, body):
        return Exchange.from_parts("POST", "/moderations", request_json=request_json, status=status, body=body)

    findings = moderations.input_rejected(ex(400, OPENAI_ERROR), requirement)
    assert_passes(findings, requirement)
    assert_passes(findings, moderations.STATUS_400)
    assert_fails(moderations.input_rejected(ex(200, openai_body(1)), requirement), requirement, "was accepted")
    assert_fails(moderations.input_rejected(ex(500, OPENAI_ERROR), requirement), requirement, "server error")
    findings = moderations.input_rejected(ex(422, {"detail": [{"loc": ["body", "input"]}]}), requirement)
    assert_passes(findings, requirement)
    assert_fails(findings, moderations.STATUS_400, "422")


def test_no_response_is_an_error_not_a_verdict():
    ex = Exchange.from_parts("POST", "/moderations", request_json={"input": "x"}, status=None,
                             error="connect timeout", error_kind="connect")
    assert {f.verdict for f in moderations.moderation_answer(ex)} == {"error"}
