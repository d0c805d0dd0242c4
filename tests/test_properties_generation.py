"""Generation of the property phase's requests: seeded, budgeted, within the claimed capabilities, valid in
positive mode and invalid (by a rule a server enforces) in negative mode. Nothing is sent here."""

from __future__ import annotations

import pytest
from oaic.errors import UsageError
from oaic.profile import profile
from oaic.properties.cases import NEGATIVE, POSITIVE
from oaic.properties.generation import MALFORMED_JSON, CaseFinisher, RequestRules, exact_numbers, plan_requests
from oaic.properties.operations import MAX_TOKENS, PLANS
from oaic.properties.phase import DEFAULT_EXAMPLES, DEFAULT_SEED, settings_from
from oaic.target import build_target

MODELS = {"chat": "my-chat", "embeddings": "my-embed", "completions": "my-instruct", "responses": "my-resp",
          "moderations": "my-moderation", "transcriptions": "my-whisper"}
SEED = DEFAULT_SEED


def target(capabilities="all"):
    return build_target({"base_url": "http://127.0.0.1:9/v1", "models": MODELS, "capabilities": capabilities}, env={})


def requests(operation_id, mode, examples=6, seed=SEED, claimed="all"):
    return plan_requests(PLANS[operation_id], profile().operation(operation_id), target(claimed), mode, examples, seed)


@pytest.fixture(scope="module")
def chat_positive():
    return requests("createChatCompletion", POSITIVE, examples=8)


@pytest.fixture(scope="module")
def chat_negative():
    return requests("createChatCompletion", NEGATIVE, examples=10)


def test_positive_chat_requests_are_valid_bounded_and_start_with_the_known_good_one(chat_positive):
    rules = RequestRules(profile().operation("createChatCompletion"))
    assert chat_positive[0].note == "the minimal valid request"
    assert len(chat_positive) == 8 and len({r.describe() for r in chat_positive}) == 8
    for request in chat_positive:
        body = request.body
        assert rules.is_valid(body), body
        assert body["model"] == "my-chat" and body["max_tokens"] == MAX_TOKENS
        assert request.expect_success and request.mode == POSITIVE
        roles = [m["role"] for m in body["messages"]]
        assert roles[-1] == "user" and len(roles) <= 2
        assert "stream_options" not in body or body.get("stream") is True
        assert body.get("seed") is None or 0 <= body["seed"] <= 2**31 - 1
        assert body.get("n") in (None, 1, 2)


def test_positive_mode_sends_only_parameters_of_claimed_capabilities():
    bare = requests("createChatCompletion", POSITIVE, examples=15, claimed="chat")
    sent = {key for request in bare for key in request.body}
    assert sent <= {"model", "messages", "max_tokens", "temperature", "top_p", "frequency_penalty",
                    "presence_penalty", "seed", "user"}
    assert {"stop", "n", "logprobs", "stream", "stream_options"}.isdisjoint(sent)


def test_negative_chat_requests_try_malformed_json_and_each_missing_required_field_first(chat_negative):
    first = chat_negative[:3]
    assert first[0].raw_body == MALFORMED_JSON
    assert [r.note for r in first[1:]] == ["required parameter 'model' is missing",
                                          "required parameter 'messages' is missing"]
    assert "model" not in first[1].body and "messages" not in first[2].body


def test_every_negative_request_breaks_an_enforced_rule(chat_negative):
    rules = RequestRules(profile().operation("createChatCompletion"))
    for request in chat_negative:
        assert request.mode == NEGATIVE and not request.expect_success
        if request.raw_body is not None:
            continue
        assert rules.violations(request.body), request.describe()
        if isinstance(request.body, dict) and isinstance(request.body.get("model"), str):
            assert request.body["model"] == "my-chat"
        limit = request.body.get("max_tokens") if isinstance(request.body, dict) else None
        assert not (isinstance(limit, int) and limit > MAX_TOKENS)


def test_unknown_keys_alone_do_not_make_a_negative_case():
    operation = profile().operation("createChatCompletion")
    finisher = CaseFinisher(PLANS["createChatCompletion"], operation, target(), NEGATIVE)
    valid = {"model": "x", "messages": [{"role": "user", "content": "hi", "mood": "sunny"}], "frobnicate": True}
    assert finisher.finish("/chat/completions", {}, valid, has_body=True) is None
    broken = {"model": "x", "messages": [{"role": "user", "content": "hi", "mood": "sunny"}], "temperature": 3}
    case = finisher.finish("/chat/completions", {}, broken, has_body=True)
    assert case.note == "invalid: /temperature: 3 is greater than the maximum of 2"
    assert case.body["model"] == "my-chat" and case.body["max_tokens"] == MAX_TOKENS
    assert finisher.finish("/chat/completions", {}, b'{"a": 1}', has_body=True) is None  # bytes that are JSON
    assert finisher.finish("/chat/completions", {}, None, has_body=True).raw_body == b"null"


def test_generation_is_reproducible_from_the_seed():
    once = [r.describe() for r in requests("createCompletion", POSITIVE, examples=5, seed=11)]
    again = [r.describe() for r in requests("createCompletion", POSITIVE, examples=5, seed=11)]
    other = [r.describe() for r in requests("createCompletion", POSITIVE, examples=5, seed=12)]
    assert once == again and once != other


def test_examples_bound_every_operation():
    for operation_id, plan in PLANS.items():
        for mode in (POSITIVE, NEGATIVE) if plan.negative else (POSITIVE,):
            planned = requests(operation_id, mode, examples=2)
            assert 1 <= len(planned) <= 2, (operation_id, mode)
            assert all(r.operation_id == operation_id for r in planned)


def test_lookups_use_made_up_ids_and_the_configured_model():
    assert [r.path for r in requests("retrieveModel", POSITIVE)] == ["/models/my-chat"]
    lookups = requests("getChatCompletionMessages", POSITIVE, examples=4)
    for request in lookups:
        completion_id = request.path.split("/")[3]
        assert 8 <= len(completion_id) <= 40 and request.path.endswith("/messages")
        assert not request.expect_success
        assert set(request.query) <= {"limit", "order"}
    listing = requests("listChatCompletions", POSITIVE, examples=4)
    assert all(r.query["model"] == "my-chat" and r.expect_success for r in listing)


def test_every_create_operation_has_a_valid_known_good_body():
    for operation_id in ("createChatCompletion", "createCompletion", "createEmbedding", "createResponse"):
        operation = profile().operation(operation_id)
        base = PLANS[operation_id].base(target())
        assert RequestRules(operation).is_valid(base), operation_id


def test_integral_floats_are_sent_as_integers():
    assert exact_numbers({"seed": 18496.0, "t": 0.5, "l": [2.0]}) == {"seed": 18496, "t": 0.5, "l": [2]}
    assert isinstance(exact_numbers(1e300), float)


def test_examples_and_seed_options():
    assert settings_from({}) == (DEFAULT_EXAMPLES, DEFAULT_SEED)
    assert settings_from({"examples": "3", "seed": "9"}) == (3, 9)
    with pytest.raises(UsageError, match="--examples must be at least 1"):
        settings_from({"examples": "0"})
    with pytest.raises(UsageError, match="--seed must be an integer"):
        settings_from({"seed": "abc"})


def test_generation_does_not_depend_on_the_source_code_loaded(tmp_path, monkeypatch):
    """Hypothesis draws literals from local modules; a new module must not change what the seed generates."""
    def generated():
        return [r.describe() for op in ("createResponse", "createEmbedding") for mode in (POSITIVE, NEGATIVE)
                for r in requests(op, mode, examples=8, seed=5)]

    before = generated()
    literals = ", ".join(f"'oaic-literal-{i}', {1000 + i}, {i / 7}" for i in range(300))
    (tmp_path / "oaic_literals_module.py").write_text(f"VALUES = [{literals}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("oaic_literals_module")
    assert generated() == before


def test_a_target_without_a_chat_model_retrieves_the_model_it_has():
    embeddings_only = build_target({"base_url": "http://127.0.0.1:9/v1", "models": {"embeddings": "my-embed"},
                                    "capabilities": "models,embeddings"}, env={})
    planned = plan_requests(PLANS["retrieveModel"], profile().operation("retrieveModel"), embeddings_only, POSITIVE,
                            3, SEED)
    assert [r.path for r in planned] == ["/models/my-embed"]
