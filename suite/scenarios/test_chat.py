"""Chat completions, not streamed: the completion object and usage, accepted inputs, sampling controls and
structured output.

One request per test; every successful answer is also judged on its shape and usage, so the shape checks see
many different answers for free. Prompts make the judged behaviour near-certain on any model (a counting task
for token caps and stop sequences) and no check looks at wording. At most 15 requests.
"""

from __future__ import annotations

import pytest
from oaic.checks import chat, chat_basic, common, errors

pytestmark = pytest.mark.needs("chat")

SHAPE = ("chat.response.object", "chat.response.identity", "chat.response.choices", "chat.response.role",
         "chat.response.content", "chat.response.finish-reason", "chat.usage.present", "chat.usage.total",
         "chat.response.id-prefix", "chat.response.created-recent", "chat.response.required-keys")
HELLO = [{"role": "user", "content": "Say hello."}]
COUNT_TO_20 = "Count from 1 to 20, separated by spaces."
CAP = 3  # far fewer tokens than counting to 20 takes
ANSWER_SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"],
                 "additionalProperties": False}


def complete(api, target, messages=HELLO, **extra):
    return api.post("/chat/completions", json={"model": target.model("chat"), "messages": messages,
                                               "max_tokens": 8, **extra})


def shape(ex, n=1):
    return chat.completion_shape(ex, n) + chat.completion_usage(ex) + chat.identity(ex)


@pytest.mark.covers("chat.response.*", "chat.usage.*")
def test_basic_completion(api, target, verdicts):
    ex = complete(api, target)
    verdicts.extend(chat_basic.completion_schema(ex))
    verdicts.extend(shape(ex))


@pytest.mark.covers("errors.status.unknown-model", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, verdicts):
    ex = api.post("/chat/completions", json={
        "model": "oaic-no-such-model-7b3e",
        "messages": HELLO,
        "max_tokens": 1,
    })
    verdicts.extend(chat_basic.unknown_model_chat(ex))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("chat.request.roles", *SHAPE)
def test_multi_turn_history(api, target, verdicts):
    ex = complete(api, target, [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello, Ada."},
        {"role": "user", "content": "What is my name?"},
    ])
    verdicts.extend(chat.roles_accepted(ex))
    verdicts.extend(shape(ex))


@pytest.mark.covers("chat.request.content-parts", *SHAPE)
def test_text_content_parts(api, target, verdicts):
    ex = complete(api, target, [{"role": "user", "content": [{"type": "text", "text": "Say hello."}]}])
    verdicts.extend(chat.content_parts_accepted(ex))
    verdicts.extend(shape(ex))


@pytest.mark.needs("developer_role")
@pytest.mark.covers("chat.request.developer-role", *SHAPE)
def test_developer_role(api, target, verdicts):
    ex = complete(api, target, [{"role": "developer", "content": "Answer in one short sentence."}, *HELLO])
    verdicts.extend(chat.developer_role_accepted(ex))
    verdicts.extend(shape(ex))


@pytest.mark.covers("chat.request.seed-user", *SHAPE)
def test_seed_and_user(api, target, verdicts):
    ex = complete(api, target, seed=7, user="oaic-conformance")
    verdicts.extend(chat.seed_user_accepted(ex))
    verdicts.extend(shape(ex))


@pytest.mark.covers("chat.request.metadata", *SHAPE)
def test_metadata(api, target, verdicts):
    ex = complete(api, target, metadata={"suite": "oaic"})
    verdicts.extend(chat.metadata_accepted(ex))
    verdicts.extend(shape(ex))


@pytest.mark.needs("n")
@pytest.mark.covers("chat.params.n", *SHAPE)
def test_two_choices(api, target, verdicts):
    ex = complete(api, target, n=2, max_tokens=4)
    verdicts.extend(chat.n_choices(ex, 2))
    verdicts.extend(shape(ex, n=2))


def capped(target, param):
    """A counting request capped at CAP tokens by ``param``. A server that ignores the cap would let a small
    model ramble to the end of its context, time out, and hold up the requests after it; so when the target
    claims stop sequences, the answer also stops at "11" (ten numbers, far above the cap) or at the first line
    break (where a rambling answer usually has several words more than the cap allows)."""
    body = {"model": target.model("chat"), "messages": [{"role": "user", "content": COUNT_TO_20}], param: CAP}
    if target.claims("stop"):
        body["stop"] = ["11", "\n"]
    return body


@pytest.mark.covers("chat.params.max-tokens", *SHAPE)
def test_max_tokens(api, target, verdicts):
    ex = api.post("/chat/completions", json=capped(target, "max_tokens"))
    verdicts.extend(chat.max_tokens_cap(ex, CAP))
    verdicts.extend(shape(ex))


@pytest.mark.needs("max_completion_tokens")
@pytest.mark.covers("chat.params.max-completion-tokens", *SHAPE)
def test_max_completion_tokens(api, target, verdicts):
    ex = api.post("/chat/completions", json=capped(target, "max_completion_tokens"))
    verdicts.extend(chat.max_completion_tokens_cap(ex, CAP))
    verdicts.extend(shape(ex))


@pytest.mark.needs("stop")
@pytest.mark.covers("chat.params.stop", *SHAPE)
def test_stop_sequence(api, target, verdicts):
    """The stop sequence is a word from the middle of the model's own answer without stop, so it would have been
    generated: the check works on any model, canned ones included, and passes only when the stop really cut."""
    request = [{"role": "user", "content": "Count from 1 to 5, separated by spaces."}]
    free = complete(api, target, request, max_tokens=16, temperature=0)
    verdicts.extend(shape(free))
    stop, why_not = chat.stop_from_answer(free)
    if stop is None:
        verdicts.skip(["chat.params.stop"], why_not)
        return
    ex = complete(api, target, request, max_tokens=16, temperature=0, stop=[stop])
    verdicts.extend(chat.stop_sequences(ex, stop, free))
    verdicts.extend(shape(ex))


@pytest.mark.needs("logprobs")
@pytest.mark.covers("chat.logprobs.*", *SHAPE)
def test_logprobs(api, target, verdicts):
    ex = complete(api, target, logprobs=True, top_logprobs=2, max_tokens=3)
    verdicts.extend(chat.logprobs(ex, 2))
    verdicts.extend(shape(ex))


@pytest.mark.needs("json_object")
@pytest.mark.covers("chat.output.json-object", *SHAPE)
def test_json_object(api, target, verdicts):
    # JSON mode needs the word JSON in the messages; 40 tokens leave room to close the object.
    messages = [{"role": "system", "content": "Reply with a JSON object only."},
                {"role": "user", "content": 'Give a JSON object with the key "ok" set to true.'}]
    ex = complete(api, target, messages, response_format={"type": "json_object"}, max_tokens=40)
    verdicts.extend(chat.json_object_output(ex))
    verdicts.extend(shape(ex))


@pytest.mark.needs("json_schema")
@pytest.mark.covers("chat.output.json-schema", *SHAPE)
def test_json_schema(api, target, verdicts):
    ex = complete(api, target, [{"role": "user", "content": "What is 2 + 3? Reply in JSON."}],
                  response_format={"type": "json_schema", "json_schema": {
                      "name": "sum", "strict": True, "schema": ANSWER_SCHEMA}}, max_tokens=40)
    verdicts.extend(chat.json_schema_output(ex, ANSWER_SCHEMA))
    verdicts.extend(shape(ex))
