"""Model checks on OpenAI's real answers (seed 000) and on the deviations providers shipped."""

from __future__ import annotations

from oaic.checks import chat_basic, models
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_passes

# Real GET /models and GET /models/gpt-4o-mini answers (seed 000, "List models" / "Retrieve model").
OPENAI_LIST = {"object": "list", "data": [
    {"id": "gpt-4o-mini-search-preview", "created": 1741391161, "object": "model", "owned_by": "system"},
    {"id": "gpt-3.5-turbo", "created": 1677610602, "object": "model", "owned_by": "openai"},
    {"id": "gpt-4o-mini", "created": 1721172741, "object": "model", "owned_by": "system"},
]}
OPENAI_MODEL = {"id": "gpt-4o-mini", "created": 1721172741, "object": "model", "owned_by": "system"}
OPENAI_404 = {"error": {"message": "The model `nope` does not exist", "type": "invalid_request_error",
                        "param": None, "code": "model_not_found"}}


def listing(body, status=200, **kw):
    return Exchange.from_parts("GET", "/models", status=status, body=body, **kw)


def test_openai_model_list_passes():
    findings = models.model_list(listing(OPENAI_LIST)) + models.list_contains(listing(OPENAI_LIST), ["gpt-4o-mini"])
    for req in ("models.list.status", "models.list.shape", "models.object.shape", "models.list.contains-configured"):
        assert_passes(findings, req)


def test_list_status_not_200():
    assert_fails(models.model_list(listing({"detail": "Not Found"}, status=404)), "models.list.status", "HTTP 404")


def test_bare_array_instead_of_list_object():
    assert_fails(models.model_list(listing(OPENAI_LIST["data"])), "models.list.shape", 'expected {"object": "list"')


def test_model_created_in_milliseconds_and_wrong_object():
    body = {"object": "list", "data": [{**OPENAI_MODEL, "created": 1721172741000},
                                       {**OPENAI_MODEL, "object": "engine"}]}
    finding = assert_fails(models.model_list(listing(body)), "models.object.shape", "milliseconds")
    assert finding.evidence["pointer"] == "/data/0" and "1 more" in finding.message


def test_model_missing_owned_by():
    body = {"object": "list", "data": [{"id": "m", "object": "model", "created": 1}]}
    assert_fails(models.model_list(listing(body)), "models.object.shape", "owned_by")


def test_configured_model_not_listed():
    assert_fails(models.list_contains(listing(OPENAI_LIST), ["my-model"]), "models.list.contains-configured",
                 "['my-model']")


def test_retrieve_passes_on_openai_and_fails_on_list_or_other_id():
    assert_passes(models.model_retrieve(listing(OPENAI_MODEL), "gpt-4o-mini"), "models.retrieve.shape")
    assert_fails(models.model_retrieve(listing(OPENAI_LIST), "gpt-4o-mini"), "models.retrieve.shape",
                 "answered with the model list")
    assert_fails(models.model_retrieve(listing({**OPENAI_MODEL, "id": "gpt-4o-mini-2024-07-18"}), "gpt-4o-mini"),
                 "models.retrieve.shape", "returned id")
    assert_fails(models.model_retrieve(listing({"detail": "x"}, status=404), "gpt-4o-mini"),
                 "models.retrieve.shape", "HTTP 404")


def test_unknown_model_404_in_openai_shape():
    assert_passes(models.unknown_model(listing(OPENAI_404, status=404)), "models.retrieve.unknown-404")
    assert_fails(models.unknown_model(listing(OPENAI_MODEL)), "models.retrieve.unknown-404", "expected 404")
    assert_fails(models.unknown_model(listing({"detail": "Not Found"}, status=404)), "models.retrieve.unknown-404",
                 "not OpenAI's error shape")


def test_unknown_model_on_chat():
    ok = Exchange.from_parts(status=404, body=OPENAI_404)
    assert_passes(chat_basic.unknown_model_chat(ok), "errors.status.unknown-model")
    bad = Exchange.from_parts(status=200, body={"object": "chat.completion"})
    assert_fails(chat_basic.unknown_model_chat(bad), "errors.status.unknown-model", "expected 404")
    for missing in ({"detail": "Not Found"}, {"error": {"message": "Invalid URL (POST /v1/chat/completions)",
                                                       "type": "invalid_request_error", "param": None,
                                                       "code": "unknown_url"}}):
        findings = chat_basic.unknown_model_chat(Exchange.from_parts(status=404, body=missing))
        assert [f.verdict for f in findings] == ["skip"] and "route not served" in findings[0].message
    vllm = {"object": "error", "message": "The model `x` does not exist.", "type": "NotFoundError", "param": None,
            "code": 404}
    assert_passes(chat_basic.unknown_model_chat(Exchange.from_parts(status=404, body=vllm)),
                  "errors.status.unknown-model")


def test_no_response_is_not_judged():
    ex = Exchange(method="GET", path="/models", error="connect timeout", error_kind="connect")
    findings = models.model_list(ex)
    assert {f.verdict for f in findings} == {"error"}


def test_chat_completion_schema():
    good = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1742903588, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": "Hi", "refusal": None}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    assert_passes(chat_basic.completion_schema(Exchange.from_parts(body=good)), "chat.response.schema")
    bad = {**good, "created": "yesterday"}
    assert_fails(chat_basic.completion_schema(Exchange.from_parts(body=bad)), "chat.response.schema", "/created")


def test_a_retrieve_route_that_is_not_there_fails_the_retrieve_check():
    """The check fails any non-200; whether that is a failure or `unsupported` is the results' policy
    (tests/test_results_policy.py): the scenario no longer decides it."""
    from oaic.scenarios.test_models import test_retrieve_configured_models as scenario

    class Api:
        def get(self, path, **_):
            return listing({"detail": "Not Found"}, status=404)

    class Target:
        def model(self, area):
            return "gpt-4o-mini" if area == "chat" else None

    class Verdicts:
        def __init__(self):
            self.findings = []

        def extend(self, findings):
            self.findings += findings

    found = Verdicts()
    scenario(Api(), Target(), found)
    assert_fails(found.findings, "models.retrieve.shape", "HTTP 404")
