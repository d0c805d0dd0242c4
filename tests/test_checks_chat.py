"""Non-streamed chat checks on OpenAI's real answers (tests/fixtures/openai) and on the deviations providers
shipped."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from oaic.checks import chat, chat_basic
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_no_failures, assert_passes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
SHAPE = ("chat.response.object", "chat.response.identity", "chat.response.choices", "chat.response.role",
         "chat.response.content", "chat.response.finish-reason")
USAGE = ("chat.usage.present", "chat.usage.total")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def answer(body, status=200, **kw) -> Exchange:
    return Exchange.from_parts(body=body, status=status, **kw)


def changed(body: dict, path: str, value) -> dict:
    """A copy of ``body`` with the value at a slash path ("choices/0/index") replaced; ``...`` deletes it."""
    out = copy.deepcopy(body)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
    node = out
    for part in parents:
        node = node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return out


OPENAI = fixture("chat_completion.json")
OPENAI_ERROR_400 = {"error": {"message": "Unrecognized request argument supplied: metadata",
                              "type": "invalid_request_error", "param": None, "code": None}}


@pytest.mark.parametrize("name", ["chat_completion.json", "chat_completion_wire.json",
                                  "tool_call_completion.json", "stored_completion.json"])
def test_openai_completions_pass(name):
    ex = answer(fixture(name))
    findings = chat.completion_shape(ex) + chat.completion_usage(ex) + chat_basic.completion_schema(ex)
    assert_no_failures(findings)
    for req in SHAPE + USAGE:
        assert_passes(findings, req)


@pytest.mark.parametrize("path, value, requirement, message", [
    ("object", "chat.completion.chunk", "chat.response.object", 'expected "chat.completion"'),
    ("object", ..., "chat.response.object", "missing"),
    ("id", "", "chat.response.identity", "id is"),
    ("created", 1742903588000, "chat.response.identity", "milliseconds"),
    ("created", "2025-03-25", "chat.response.identity", "expected an integer"),
    ("created", ..., "chat.response.identity", "created is missing"),
    ("model", None, "chat.response.identity", "model is null"),
    ("choices", [], "chat.response.choices", "expected a list of 1"),
    ("choices/0/index", 1, "chat.response.choices", "indexes are [1]"),
    ("choices/0/index", ..., "chat.response.choices", "/choices/0/index is missing"),
    ("choices/0/message/role", "model", "chat.response.role", '"model", expected "assistant"'),
    ("choices/0/message/role", "", "chat.response.role", "expected \"assistant\""),
    ("choices/0/message/content", None, "chat.response.content", "neither tool_calls nor a refusal"),
    ("choices/0/message/content", [{"type": "text", "text": "hi"}], "chat.response.content", "list"),
    ("choices/0/finish_reason", "eos", "chat.response.finish-reason", '"eos"'),
    ("choices/0/finish_reason", "end_turn", "chat.response.finish-reason", "end_turn"),
    ("choices/0/finish_reason", "", "chat.response.finish-reason", "expected one of stop"),
    ("choices/0/finish_reason", None, "chat.response.finish-reason", "null"),
    ("usage", ..., "chat.usage.present", "usage is missing"),
    ("usage/total_tokens", "29", "chat.usage.present", "usage.total_tokens"),
    ("usage/total_tokens", 30, "chat.usage.total", "prompt_tokens 19 + completion_tokens 10 = 29"),
])
def test_completion_deviations_fail(path, value, requirement, message):
    ex = answer(changed(OPENAI, path, value))
    assert_fails(chat.completion_shape(ex) + chat.completion_usage(ex), requirement, message)


def test_schema():
    assert_fails(chat_basic.completion_schema(answer(changed(OPENAI, "choices/0/message", ...))),
                 "chat.response.schema", "/choices/0: 'message' is a required property")
    assert_fails(chat_basic.completion_schema(answer(OPENAI_ERROR_400, status=400)), "chat.response.schema",
                 "answered HTTP 400")


def test_duplicate_indexes_with_n_2():
    first = OPENAI["choices"][0]
    two = changed(OPENAI, "choices", [first, copy.deepcopy(first)])
    assert_fails(chat.completion_shape(answer(two), n=2), "chat.response.choices", "each of 0..1 once")
    fixed = changed(two, "choices/1/index", 1)
    assert_passes(chat.completion_shape(answer(fixed), n=2), "chat.response.choices")
    assert_fails(chat.completion_shape(answer(fixed)), "chat.response.choices", "2 choices for a request")


def test_refusal_with_null_content_is_fine():
    body = changed(OPENAI, "choices/0/message/content", None)
    body = changed(body, "choices/0/message/refusal", "I can't.")
    assert_passes(chat.completion_shape(answer(body)), "chat.response.content")


def test_shape_checks_survive_any_json():
    for body in ([], "text", {"choices": "none"}, {"choices": [None, 3]}, {"usage": [1]}):
        ex = answer(body)
        findings = chat.completion_shape(ex) + chat.completion_usage(ex)
        assert all(f.verdict != "error" for f in findings), findings


@pytest.mark.parametrize("fn, requirement", [
    (chat.roles_accepted, "chat.request.roles"),
    (chat.content_parts_accepted, "chat.request.content-parts"),
    (chat.developer_role_accepted, "chat.request.developer-role"),
    (chat.seed_user_accepted, "chat.request.seed-user"),
    (chat.metadata_accepted, "chat.request.metadata"),
])
def test_accepted_inputs(fn, requirement):
    assert_passes(fn(answer(OPENAI)), requirement)
    assert_fails(fn(answer(OPENAI_ERROR_400, status=400)), requirement, "expected HTTP 200")
    assert_fails(fn(answer({"detail": "Unprocessable"}, status=422)), requirement, "422")
    not_there = {"error": {"message": "not implemented", "type": "server_error", "param": None, "code": None}}
    assert [f.verdict for f in fn(answer(not_there, status=501))] == ["unsupported"]


def test_n_choices():
    two = changed(OPENAI, "choices", [OPENAI["choices"][0], {**OPENAI["choices"][0], "index": 1}])
    assert_passes(chat.n_choices(answer(two), 2), "chat.params.n")
    assert_fails(chat.n_choices(answer(OPENAI), 2), "chat.params.n", "gave 1 choice(s), expected 2")


def capped(content: str, finish_reason: str, completion_tokens: int | None) -> Exchange:
    body = changed(OPENAI, "choices/0/message/content", content)
    body = changed(body, "choices/0/finish_reason", finish_reason)
    if completion_tokens is None:
        body = changed(body, "usage", ...)
    else:
        body["usage"].update(completion_tokens=completion_tokens, total_tokens=19 + completion_tokens)
    return answer(body)


@pytest.mark.parametrize("fn, requirement", [
    (chat.max_tokens_cap, "chat.params.max-tokens"),
    (chat.max_completion_tokens_cap, "chat.params.max-completion-tokens"),
])
def test_token_caps(fn, requirement):
    assert_passes(fn(capped("1, 2", "length", 3), 3), requirement)
    assert_passes(fn(capped("Hi", "stop", 1), 3), requirement)  # ended on its own within the cap
    assert_fails(fn(capped("Hello from stubllm.", "stop", 20), 3), requirement, "is 20, above")
    assert_fails(fn(capped("1, 2, 3", "stop", 3), 3), requirement, 'expected "length"')
    assert_fails(fn(capped("1 2 3 4 5 6 7 8 9 10", "length", None), 3), requirement, "10 words")
    assert_fails(fn(answer(OPENAI_ERROR_400, status=400), 3), requirement, "expected HTTP 200")


def test_stop_sequences():
    free = replying("1 2 3 4 5")
    assert chat.stop_from_answer(free) == ("3", "")
    stop = "3"
    assert_passes(chat.stop_sequences(replying("1 2 "), stop, free), "chat.params.stop")
    assert_fails(chat.stop_sequences(replying("1 2 3 4 5"), stop, free), "chat.params.stop",
                 "'3' appears in the content at offset 4")
    assert_fails(chat.stop_sequences(replying("1 2", "length"), stop, free), "chat.params.stop",
                 'finish_reason is "length", expected "stop"')
    assert_fails(chat.stop_sequences(answer(OPENAI_ERROR_400, status=400), stop, free), "chat.params.stop",
                 "expected HTTP 200")


def test_a_stop_sequence_never_reached_is_not_judged():
    free = replying("Hello! How can I help you today?")
    stop, _ = chat.stop_from_answer(free)
    assert stop == "I"
    other = chat.stop_sequences(replying("Hi there, what is up", "length"), stop, free)  # a different answer
    assert [f.verdict for f in other] == ["skip"] and "never reached the stop sequence" in other[0].message


@pytest.mark.parametrize("content", ["OK", "", "!!! ???"])
def test_an_answer_without_a_usable_word_gives_no_stop_sequence(content):
    stop, why = chat.stop_from_answer(replying(content))
    assert stop is None and "no word with text before it" in why
    stop, why = chat.stop_from_answer(answer(OPENAI_ERROR_400, status=400))
    assert stop is None and "not a chat completion" in why


def token(text: str, logprob: float, k: int) -> dict:
    alternatives = [{"token": text, "logprob": logprob, "bytes": list(text.encode())}] + [
        {"token": f"x{i}", "logprob": logprob - i - 1, "bytes": list(f"x{i}".encode())} for i in range(k - 1)]
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": alternatives}


def with_logprobs(entries) -> Exchange:
    return answer(changed(OPENAI, "choices/0/logprobs", {"content": entries, "refusal": None}))


def test_logprobs():
    good = with_logprobs([token("Hello", -0.01, 2), token("!", -0.5, 2)])
    findings = chat.logprobs(good, 2)
    assert_passes(findings, "chat.logprobs.tokens")
    assert_passes(findings, "chat.logprobs.top-k")
    assert_fails(chat.logprobs(answer(OPENAI), 2), "chat.logprobs.tokens", "logprobs were requested")
    positive = with_logprobs([token("Hello", 0.3, 2)])
    assert_fails(chat.logprobs(positive, 2), "chat.logprobs.tokens", "never above 0")
    no_bytes = with_logprobs([{k: v for k, v in token("Hello", -0.1, 2).items() if k != "bytes"}])
    assert_fails(chat.logprobs(no_bytes, 2), "chat.logprobs.tokens", "bytes is missing")
    assert_fails(chat.logprobs(with_logprobs([token("Hello", -0.1, 1)]), 2), "chat.logprobs.top-k",
                 "has 1 alternatives, expected top_logprobs = 2")
    bare = with_logprobs([{"token": "Hello", "logprob": -0.1, "bytes": None}])
    assert_fails(chat.logprobs(bare, 2), "chat.logprobs.top-k", "top_logprobs is missing")
    rejected = answer(OPENAI_ERROR_400, status=400)
    assert_fails(chat.logprobs(rejected, 2), "chat.logprobs.top-k", "expected HTTP 200")


SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"],
          "additionalProperties": False}


def replying(content: str, finish_reason: str = "stop") -> Exchange:
    return answer(changed(changed(OPENAI, "choices/0/message/content", content), "choices/0/finish_reason",
                          finish_reason))


def test_json_object():
    assert_passes(chat.json_object_output(replying('{"ok": true}')), "chat.output.json-object")
    assert_fails(chat.json_object_output(replying('```json\n{"ok": true}\n```')), "chat.output.json-object",
                 "not JSON")
    assert_fails(chat.json_object_output(replying("[1, 2]")), "chat.output.json-object", "expected an object")
    cut = chat.json_object_output(replying(' {"ok": tr', "length"))
    assert [f.verdict for f in cut] == ["skip"]
    assert_fails(chat.json_object_output(replying("Sure! Here is", "length")), "chat.output.json-object",
                 "does not begin an object")


def test_json_schema():
    assert_passes(chat.json_schema_output(replying('{"answer": 5}'), SCHEMA), "chat.output.json-schema")
    assert_fails(chat.json_schema_output(replying('{"answer": "five"}'), SCHEMA), "chat.output.json-schema",
                 "/answer: 'five' is not of type 'integer'")
    assert_fails(chat.json_schema_output(replying('{"answer": 5, "why": "math"}'), SCHEMA),
                 "chat.output.json-schema", "Additional properties")
    assert_fails(chat.json_schema_output(replying("five"), SCHEMA), "chat.output.json-schema", "not JSON")


# -- identity and the keys OpenAI always sends ----------------------------------------------------------------------
DATE = "Mon, 10 Mar 2025 01:25:53 GMT"  # 1741569953: a second after the wire fixture's created


def dated(body, date=DATE) -> Exchange:
    return answer(body, headers={"content-type": "application/json", "date": date})


def test_openai_identity_and_keys_pass():
    findings = chat.identity(dated(fixture("chat_completion_wire.json")))
    for req in ("chat.response.id-prefix", "chat.response.created-recent", "chat.response.required-keys"):
        assert_passes(findings, req)
    assert_no_failures(chat.identity(answer(fixture("chat_completion.json"))))  # no Date header: not judged


def test_id_without_the_prefix():
    body = changed(fixture("chat_completion_wire.json"), "id", "3f1c9a2e-8b7d-4e0f-9c1a-2b3d4e5f6a7b")
    assert_fails(chat.identity(dated(body)), "chat.response.id-prefix", "'chatcmpl-'")


@pytest.mark.parametrize("created, message", [(1_700_000_000, "a fixed value"), (0, "before"),
                                              (1741569952000, "milliseconds"), (1741579952, "after")])
def test_created_far_from_the_request(created, message):
    body = changed(fixture("chat_completion_wire.json"), "created", created)
    assert_fails(chat.identity(dated(body)), "chat.response.created-recent", message)


def test_created_without_a_date_header_is_not_judged():
    findings = chat.identity(answer(changed(fixture("chat_completion_wire.json"), "created", 0)))
    assert [f.verdict for f in findings if f.requirement == "chat.response.created-recent"] == ["skip"]


@pytest.mark.parametrize("path, key", [("choices/0/logprobs", "logprobs"), ("choices/0/message/refusal", "refusal")])
def test_required_keys_missing(path, key):
    body = copy.deepcopy(fixture("chat_completion_wire.json"))
    *parents, last = path.split("/")
    node = body
    for part in parents:
        node = node[int(part) if part.isdigit() else part]
    del node[last]
    assert_fails(chat.required_keys(answer(body)), "chat.response.required-keys", f"no {key} key")
