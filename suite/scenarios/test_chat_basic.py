"""Chat completions, the first scenarios: one basic completion against the schema; an unknown model."""

from __future__ import annotations

import pytest

from suite.checks import chat_basic, common

pytestmark = pytest.mark.needs("chat")


@pytest.mark.covers("chat.response.schema")
def test_basic_completion_schema(api, target, verdicts):
    ex = api.post("/chat/completions", json={
        "model": target.model("chat"),
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": 8,
    })
    verdicts.extend(chat_basic.completion_schema(ex))


@pytest.mark.covers("errors.status.unknown-model", "errors.body.shape")
def test_unknown_model(api, verdicts):
    ex = api.post("/chat/completions", json={
        "model": "oaic-no-such-model-7b3e",
        "messages": [{"role": "user", "content": "Say hello."}],
        "max_tokens": 1,
    })
    verdicts.extend(chat_basic.unknown_model_chat(ex))
    verdicts.extend(common.error_body(ex))
