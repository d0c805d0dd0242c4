"""Chat completions, streamed: the SSE wire, chunk invariants, usage, n, logprobs, and the stream agreeing
with the non-streamed answer. (An invalid streamed request is errors.stream.before-events, in test_errors.py.)

Every successful stream is judged on all the invariants of a chat stream, and its timing goes to the report's
metrics (time to the first chunk, gaps between chunks). At most 9 requests.
"""

from __future__ import annotations

import pytest
from oaic.checks import chat, chat_stream, common

pytestmark = pytest.mark.needs("streaming")

INVARIANTS = ("chat.stream.content-type", "chat.stream.data-json", "chat.stream.done-sentinel",
              "chat.stream.after-done", "chat.stream.no-error-event", "chat.stream.chunk-schema",
              "chat.stream.object", "chat.stream.identity", "chat.stream.role-first",
              "chat.stream.role-consistent", "chat.stream.role-once", "chat.stream.finish-once",
              "chat.stream.finish-reason", "chat.stream.no-content-after-finish", "chat.stream.required-keys",
              "chat.response.id-prefix", "chat.response.created-recent")
HELLO = [{"role": "user", "content": "Say hello."}]


def stream(api, target, **extra):
    return api.post("/chat/completions", json={"model": target.model("chat"), "messages": HELLO,
                                               "max_tokens": 8, "stream": True, **extra})


def judge(verdicts, ex, include_usage=False):
    """All stream invariants, and the timing metrics of a stream that arrived."""
    verdicts.extend(chat_stream.invariants(ex, include_usage))
    first, gaps = chat_stream.timing(ex)
    if ex.ok and first is not None:
        verdicts.metric("chat.stream.ttft_s", first)
        for gap in gaps:
            verdicts.metric("chat.stream.gap_s", gap)


@pytest.mark.covers(*INVARIANTS, "chat.stream.usage-unrequested", "chat.stream.incremental")
def test_stream(api, target, verdicts):
    ex = stream(api, target)
    judge(verdicts, ex)
    verdicts.extend(chat_stream.streams_incrementally(ex))


@pytest.mark.needs("stream_usage")
@pytest.mark.covers(*INVARIANTS, "chat.stream.usage-final", "chat.stream.incremental")
def test_stream_usage(api, target, verdicts):
    ex = stream(api, target, stream_options={"include_usage": True})
    judge(verdicts, ex, include_usage=True)
    verdicts.extend(chat_stream.streams_incrementally(ex))


@pytest.mark.needs("stream_usage")
@pytest.mark.covers("chat.stream.options-require-stream", "errors.body.shape")
def test_stream_options_without_stream(api, target, verdicts):
    ex = api.post("/chat/completions", json={"model": target.model("chat"), "messages": HELLO,
                                             "max_tokens": 1, "stream_options": {"include_usage": True}})
    verdicts.extend(chat_stream.options_require_stream(ex))
    verdicts.extend(common.error_body(ex))


@pytest.mark.needs("n")
@pytest.mark.covers(*INVARIANTS, "chat.stream.n-choices", "chat.stream.usage-unrequested")
def test_stream_two_choices(api, target, verdicts):
    ex = stream(api, target, n=2, max_tokens=4)
    judge(verdicts, ex)
    verdicts.extend(chat_stream.n_choices(ex, 2))


@pytest.mark.needs("logprobs")
@pytest.mark.covers(*INVARIANTS, "chat.stream.logprobs", "chat.stream.usage-unrequested")
def test_stream_logprobs(api, target, verdicts):
    ex = stream(api, target, logprobs=True, top_logprobs=2, max_tokens=3)
    judge(verdicts, ex)
    verdicts.extend(chat_stream.logprobs(ex, 2))


@pytest.mark.needs("determinism")
@pytest.mark.covers("chat.stream.matches-non-stream", *INVARIANTS, "chat.stream.usage-unrequested",
                    "chat.stream.incremental", "chat.response.*", "chat.usage.*")
def test_stream_matches_non_stream(api, target, verdicts):
    """Judged only when the target is shown deterministic for the prompt and its answer depends on the prompt:
    the request twice and another prompt once, then the stream (the stream only when the comparison can count)."""
    def request(prompt):
        return {"model": target.model("chat"), "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 12, "temperature": 0, "seed": 42}

    plain, control, other = (api.post("/chat/completions", json=request(prompt))
                             for prompt in ("Name three colors.", "Name three colors.", "Name three animals."))
    for ex in (plain, control, other):
        verdicts.extend(chat.completion_shape(ex) + chat.completion_usage(ex))
    unproven = chat_stream.equivalence_unproven(plain, control, other)
    if unproven:
        verdicts.skip(["chat.stream.matches-non-stream"], unproven)
        return
    streamed = api.post("/chat/completions", json={**request("Name three colors."), "stream": True})
    judge(verdicts, streamed)
    verdicts.extend(chat_stream.streams_incrementally(streamed))  # three names: several words on any model
    verdicts.extend(chat_stream.matches_non_stream(streamed, plain))
