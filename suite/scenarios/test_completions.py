"""Legacy completions: one completion cut by max_tokens, then the same streamed (two requests)."""

from __future__ import annotations

import pytest
from oaic.checks import completions

pytestmark = pytest.mark.needs("completions")

# A counting prompt keeps any model going far beyond MAX_TOKENS, so finish_reason "length" is near-certain.
PROMPT = "Count from 1 to 100: 1, 2, 3,"
MAX_TOKENS = 8


def completion_request(target, **extra):
    return {"model": target.model("completions"), "prompt": PROMPT, "max_tokens": MAX_TOKENS, **extra}


@pytest.mark.covers("completions.response.shape", "completions.finish-reason.values",
                    "completions.logprobs.null-unless-asked", "completions.max-tokens.length",
                    "completions.usage.consistent")
def test_completion(api, target, verdicts):
    ex = api.post("/completions", json=completion_request(target))
    verdicts.extend(completions.completion_shape(ex))
    verdicts.extend(completions.finish_reason_values(ex))
    verdicts.extend(completions.logprobs_unrequested(ex))
    verdicts.extend(completions.max_tokens_length(ex))
    verdicts.extend(completions.usage_consistent(ex))


@pytest.mark.covers("completions.stream.*", "completions.finish-reason.values",
                    "completions.logprobs.null-unless-asked")
def test_streamed_completion(api, target, verdicts):
    ex = api.post("/completions", json=completion_request(target, stream=True))
    verdicts.extend(completions.stream_chunks(ex))
    verdicts.extend(completions.stream_done(ex))
    verdicts.extend(completions.stream_finish_reasons(ex))
    verdicts.extend(completions.finish_reason_values(ex))
    verdicts.extend(completions.logprobs_unrequested(ex))
