"""Legacy completions checks on OpenAI's documented answers and on deviations real servers shipped."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from oaic.checks import completions
from oaic.exchange import Exchange, sse_body

from tests.helpers import assert_fails, assert_passes

FIXTURES = Path(__file__).parent / "fixtures" / "completions"
REQUEST = {"model": "gpt-3.5-turbo-instruct", "prompt": "Count from 1 to 100: 1, 2, 3,", "max_tokens": 8}
# OpenAI's answer shape (operation createCompletion): cut by max_tokens, logprobs null, usage adds up.
OPENAI = {"id": "cmpl-9xVq2kd0Rb1T5mJrZpQ8nL4s", "object": "text_completion", "created": 1742903588,
          "model": "gpt-3.5-turbo-instruct:20230824-v2", "system_fingerprint": None,
          "choices": [{"text": " 4, 5, 6, 7", "index": 0, "logprobs": None, "finish_reason": "length"}],
          "usage": {"prompt_tokens": 14, "completion_tokens": 8, "total_tokens": 22}}


def chunk(text, finish=None, **extra):
    return {"id": "cmpl-9xVq2kd0Rb1T5mJrZpQ8nL4s", "object": "text_completion", "created": 1742903588,
            "model": "gpt-3.5-turbo-instruct:20230824-v2",
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}], **extra}


OPENAI_CHUNKS = [chunk(" 4"), chunk(","), chunk(" 5"), chunk(",", "length")]


def answer(body, status=200, **request):
    return Exchange.from_parts("POST", "/completions", request_json={**REQUEST, **request}, status=status, body=body)


def streamed(*payloads, done=True, body=None):
    return Exchange.from_parts("POST", "/completions", request_json={**REQUEST, "stream": True}, stream=True,
                               body=body if body is not None else sse_body(*payloads, done=done))


def non_stream_findings(ex):
    return (completions.completion_shape(ex) + completions.finish_reason_values(ex)
            + completions.logprobs_unrequested(ex) + completions.max_tokens_length(ex)
            + completions.usage_consistent(ex))


def stream_findings(ex):
    return (completions.stream_chunks(ex) + completions.stream_done(ex) + completions.stream_finish_reasons(ex)
            + completions.finish_reason_values(ex) + completions.logprobs_unrequested(ex))


def test_openai_completion_passes():
    findings = non_stream_findings(answer(OPENAI))
    for req in ("completions.response.shape", "completions.finish-reason.values",
                "completions.logprobs.null-unless-asked", "completions.max-tokens.length",
                "completions.usage.consistent"):
        assert_passes(findings, req)


def test_openai_stream_passes():
    findings = stream_findings(streamed(*OPENAI_CHUNKS))
    for req in ("completions.stream.chunks", "completions.stream.done", "completions.stream.finish-reason",
                "completions.finish-reason.values", "completions.logprobs.null-unless-asked"):
        assert_passes(findings, req)


def test_llamacpp_stream_passes():
    ex = streamed(body=(FIXTURES / "llamacpp-stream.sse").read_bytes())
    for req in ("completions.stream.chunks", "completions.stream.done", "completions.stream.finish-reason"):
        assert_passes(stream_findings(ex), req)


def test_chat_shape_instead_of_text_completion():
    body = {**OPENAI, "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "4"}, "finish_reason": "length"}]}
    finding = assert_fails(completions.completion_shape(answer(body)), "completions.response.shape",
                           'object is "chat.completion", expected "text_completion"')
    assert "choices[0].text is missing" in finding.message


def test_created_in_milliseconds_and_empty_choices():
    assert_fails(completions.completion_shape(answer({**OPENAI, "created": 1742903588000})),
                 "completions.response.shape", "milliseconds")
    assert_fails(completions.completion_shape(answer({**OPENAI, "choices": []})), "completions.response.shape",
                 "expected a non-empty array")


def test_error_answer_fails_shape_and_skips_the_rest():
    findings = non_stream_findings(answer({"detail": "Not Found"}, status=404))
    assert_fails(findings, "completions.response.shape", "HTTP 404")
    assert {f.verdict for f in findings if f.requirement != "completions.response.shape"} == {"skip"}


def test_non_standard_finish_reason():
    body = copy.deepcopy(OPENAI)
    body["choices"][0]["finish_reason"] = "eos_token"
    assert_fails(completions.finish_reason_values(answer(body)), "completions.finish-reason.values",
                 'choices[0].finish_reason is "eos_token"')
    body["choices"][0]["finish_reason"] = None
    assert_fails(completions.finish_reason_values(answer(body)), "completions.finish-reason.values", "is null")
    assert_fails(completions.finish_reason_values(streamed(chunk(" 4"), chunk("", "end_turn"))),
                 "completions.finish-reason.values", 'event 1 choices[0].finish_reason is "end_turn"')


def test_logprobs_sent_unasked_but_fine_when_asked():
    body = copy.deepcopy(OPENAI)
    body["choices"][0]["logprobs"] = {"tokens": [" 4"], "token_logprobs": [-0.1], "top_logprobs": None,
                                      "text_offset": [0]}
    assert_fails(completions.logprobs_unrequested(answer(body)), "completions.logprobs.null-unless-asked",
                 "did not ask for logprobs")
    assert completions.logprobs_unrequested(answer(body, logprobs=1)) == []


def test_max_tokens_ignored():
    """LiteLLM's mock: 20 completion tokens for max_tokens 8, finish_reason "stop"."""
    data = json.loads((FIXTURES / "litellm-max-tokens-ignored.json").read_text())
    ex = Exchange.from_parts("POST", "/completions", request_json=data["request"], body=data["body"])
    findings = non_stream_findings(ex)
    assert_fails(findings, "completions.max-tokens.length", "completion_tokens is 20 although max_tokens was 8")
    assert_passes(findings, "completions.usage.consistent")


def test_max_tokens_reached_but_stop():
    body = copy.deepcopy(OPENAI)
    body["choices"][0]["finish_reason"] = "stop"
    assert_fails(completions.max_tokens_length(answer(body)), "completions.max-tokens.length",
                 'used all 8 max_tokens but finish_reason is "stop"')
    body["usage"] = {"prompt_tokens": 14, "completion_tokens": 3, "total_tokens": 17}
    assert [f.verdict for f in completions.max_tokens_length(answer(body))] == ["skip"]


def test_usage_missing_or_not_adding_up():
    body = {k: v for k, v in OPENAI.items() if k != "usage"}
    assert_fails(completions.usage_consistent(answer(body)), "completions.usage.consistent", "usage is missing")
    body["usage"] = {"prompt_tokens": 14, "completion_tokens": 8, "total_tokens": 8}
    assert_fails(completions.usage_consistent(answer(body)), "completions.usage.consistent",
                 "total_tokens is 8, expected prompt_tokens + completion_tokens = 22")


def test_litellm_stream_finish_chunk_without_text():
    """LiteLLM's streamed completion: the finish chunk has no text field (JS clients append "undefined")."""
    ex = streamed(body=(FIXTURES / "litellm-mock-stream.sse").read_bytes())
    findings = stream_findings(ex)
    finding = assert_fails(findings, "completions.stream.chunks", "choices[0].text is missing")
    assert finding.evidence["event"] == 12
    assert_passes(findings, "completions.stream.done")
    assert_passes(findings, "completions.stream.finish-reason")


def test_stream_answered_as_json_or_with_chat_chunks():
    as_json = Exchange.from_parts("POST", "/completions", request_json={**REQUEST, "stream": True}, body=OPENAI)
    assert_fails(completions.stream_chunks(as_json), "completions.stream.chunks", "expected text/event-stream")
    chat = {**chunk(""), "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "4"}}]}
    assert_fails(completions.stream_chunks(streamed(chat, chunk("", "stop"))), "completions.stream.chunks",
                 'event 0: object is "chat.completion.chunk"')


def test_error_inside_a_200_stream_and_invalid_json():
    error = {"error": {"message": "upstream failed", "type": "server_error"}}
    assert_fails(completions.stream_chunks(streamed(chunk(" 4"), error)), "completions.stream.chunks",
                 "an error inside a 200 stream")
    assert_fails(completions.stream_chunks(streamed(chunk(" 4"), "{not json")), "completions.stream.chunks",
                 "data is not JSON")


def test_stream_without_done_or_with_data_after_it():
    assert_fails(completions.stream_done(streamed(*OPENAI_CHUNKS, done=False)), "completions.stream.done",
                 "without data: [DONE]")
    after = sse_body(*OPENAI_CHUNKS) + sse_body(chunk(" 6"), done=False)
    assert_fails(completions.stream_done(streamed(body=after)), "completions.stream.done", "1 data event(s) after")


def test_stream_finish_reason_missing_repeated_or_followed_by_text():
    assert_fails(completions.stream_finish_reasons(streamed(chunk(" 4"), chunk(" 5"))),
                 "completions.stream.finish-reason", "choice 0 has no finish_reason")
    assert_fails(completions.stream_finish_reasons(streamed(chunk(" 4", "length"), chunk("", "length"))),
                 "completions.stream.finish-reason", "choice 0 has 2 finish_reasons")
    assert_fails(completions.stream_finish_reasons(streamed(chunk(" 4", "stop"), chunk(" 5"))),
                 "completions.stream.finish-reason", "streams text in event 1 after its finish_reason")


# -- identity, required keys, streaming that streams, stream usage -------------------------------------------------
DATED = {"content-type": "application/json", "date": "Tue, 25 Mar 2025 11:53:09 GMT"}  # created + 1 s
SSE_DATED = {**DATED, "content-type": "text/event-stream"}
USAGE = {"prompt_tokens": 14, "completion_tokens": 4, "total_tokens": 18}


def dated(body):
    return Exchange.from_parts("POST", "/completions", request_json=REQUEST, body=body, headers=DATED)


def dated_stream(chunks, **request):
    return Exchange.from_parts("POST", "/completions", request_json={**REQUEST, "stream": True, **request},
                               stream=True, body=sse_body(*chunks), headers=SSE_DATED)


def test_openai_identity_keys_and_stream_families_pass():
    findings = completions.identity(dated(OPENAI)) + completions.required_keys(dated(OPENAI))
    for req in ("completions.response.id-prefix", "completions.response.created-recent",
                "completions.response.required-keys"):
        assert_passes(findings, req)
    ex = dated_stream([chunk(f" {n},") for n in range(4, 8)] + [chunk("", "length")])
    findings = (completions.identity(ex) + completions.stream_identity(ex) + completions.streams_incrementally(ex)
                + completions.stream_usage_unrequested(ex))
    for req in ("completions.response.id-prefix", "completions.response.created-recent",
                "completions.stream.identity", "completions.stream.incremental",
                "completions.stream.usage-unrequested"):
        assert_passes(findings, req)


def test_chat_ids_and_a_fixed_created():
    body = {**OPENAI, "id": "chatcmpl-9xVq2kd0Rb1T5mJrZpQ8nL4s", "created": 1_700_000_000}
    findings = completions.identity(dated(body))
    assert_fails(findings, "completions.response.id-prefix", "'cmpl-'")
    assert_fails(findings, "completions.response.created-recent", "a fixed value")


def test_logprobs_key_dropped():
    body = copy.deepcopy(OPENAI)
    del body["choices"][0]["logprobs"]
    assert_fails(completions.required_keys(answer(body)), "completions.response.required-keys", "no logprobs key")


def test_created_changes_between_chunks():
    chunks = [{**c, "created": 1742903588 + i} for i, c in enumerate(OPENAI_CHUNKS)]
    assert_fails(completions.stream_identity(dated_stream(chunks)), "completions.stream.identity", "created")


def test_the_whole_text_in_one_chunk():
    ex = dated_stream([chunk(" 4, 5, 6, 7, 8"), chunk("", "length")])
    assert_fails(completions.streams_incrementally(ex), "completions.stream.incremental", "arrived in one event")


def test_usage_rules_of_chat_streams():
    with_usage = [{**c, "usage": None} for c in OPENAI_CHUNKS] + [{**OPENAI_CHUNKS[0], "choices": [],
                                                                   "usage": USAGE}]
    asked = {"stream_options": {"include_usage": True}}
    assert_passes(completions.stream_usage_final(dated_stream(with_usage, **asked)), "completions.stream.usage-final")
    on_last_choice = [*OPENAI_CHUNKS[:-1], {**OPENAI_CHUNKS[-1], "usage": USAGE}]
    assert_fails(completions.stream_usage_final(dated_stream(on_last_choice, **asked)),
                 "completions.stream.usage-final", "expected []")
    assert_fails(completions.stream_usage_final(dated_stream(OPENAI_CHUNKS, **asked)),
                 "completions.stream.usage-final", "none of the")
    assert_fails(completions.stream_usage_unrequested(dated_stream(with_usage)),
                 "completions.stream.usage-unrequested", "include_usage was not requested")
