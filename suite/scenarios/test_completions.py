"""Legacy completions: one completion cut by max_tokens, the same streamed, streamed with usage, an unknown model
and an invalid streamed request (five requests)."""

from __future__ import annotations

import pytest
from oaic.checks import common, completions, errors

pytestmark = pytest.mark.needs("completions")

# A counting prompt keeps any model going far beyond MAX_TOKENS, so finish_reason "length" is near-certain.
PROMPT = "Count from 1 to 100: 1, 2, 3,"
MAX_TOKENS = 8
UNKNOWN_MODEL = "oaic-no-such-model-7b3e"
IDENTITY = ("completions.response.id-prefix", "completions.response.created-recent")
STREAM = ("completions.stream.chunks", "completions.stream.done", "completions.stream.finish-reason",
          "completions.stream.identity", "completions.finish-reason.values", "completions.logprobs.null-unless-asked",
          *IDENTITY)


def completion_request(target, **extra):
    return {"model": target.model("completions"), "prompt": PROMPT, "max_tokens": MAX_TOKENS, **extra}


@pytest.mark.covers("completions.response.shape", "completions.finish-reason.values",
                    "completions.logprobs.null-unless-asked", "completions.max-tokens.length",
                    "completions.usage.consistent", "completions.response.required-keys", *IDENTITY)
def test_completion(api, target, verdicts):
    ex = api.post("/completions", json=completion_request(target))
    verdicts.extend(completions.completion_shape(ex))
    verdicts.extend(completions.finish_reason_values(ex))
    verdicts.extend(completions.logprobs_unrequested(ex))
    verdicts.extend(completions.max_tokens_length(ex))
    verdicts.extend(completions.usage_consistent(ex))
    verdicts.extend(completions.required_keys(ex))
    verdicts.extend(completions.identity(ex))


@pytest.mark.covers(*STREAM, "completions.stream.incremental", "completions.stream.usage-unrequested")
def test_streamed_completion(api, target, verdicts):
    ex = api.post("/completions", json=completion_request(target, stream=True))
    verdicts.extend(completions.stream_chunks(ex))
    verdicts.extend(completions.stream_done(ex))
    verdicts.extend(completions.stream_finish_reasons(ex))
    verdicts.extend(completions.stream_identity(ex))
    verdicts.extend(completions.finish_reason_values(ex))
    verdicts.extend(completions.logprobs_unrequested(ex))
    verdicts.extend(completions.identity(ex))
    verdicts.extend(completions.streams_incrementally(ex))
    verdicts.extend(completions.stream_usage_unrequested(ex))


@pytest.mark.covers("completions.stream.usage-final")
def test_streamed_completion_with_usage(api, target, verdicts):
    ex = api.post("/completions", json=completion_request(target, stream=True,
                                                          stream_options={"include_usage": True}))
    verdicts.extend(completions.stream_usage_final(ex))


@pytest.mark.covers("completions.model.unknown-404", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, target, verdicts):
    ex = api.post("/completions", json={**completion_request(target), "model": UNKNOWN_MODEL, "max_tokens": 1})
    verdicts.extend(errors.unknown_model(ex, "completions.model.unknown-404", "a completion"))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("completions.stream.invalid-rejected", "errors.body.shape")
def test_invalid_streamed_request(api, target, verdicts):
    """Out of range with stream: true: refused before the stream opens (a target that streams instead, even for
    ever, is cut by the transport's total deadline and fails)."""
    ex = api.post("/completions", json=completion_request(target, stream=True, temperature=5, max_tokens=1),
                  headers={"connection": "close"})
    verdicts.extend(errors.rejected_before_stream(ex, "a streamed completion with temperature 5 (the range is 0..2)",
                                                  ("temperature",), req="completions.stream.invalid-rejected"))
    verdicts.extend(common.error_body(ex))
