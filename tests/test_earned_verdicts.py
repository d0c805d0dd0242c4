"""A pass needs its precondition to have happened: on reference providers where it never happens (see
suite/reference/faults/preconditions.py, and a provider that serves only some routes), the checks concerned are
skipped with the reason, or still judged by another route, never passed for want of evidence."""

from __future__ import annotations

import pytest
from oaic.findings import FAIL, PASS, SKIP

from tests.reference_fixtures import reference_server, run_against_reference, verdicts

STREAMED_TOOL_CALLS = ("tools.stream.index-present", "tools.stream.first-delta", "tools.stream.continuation",
                       "tools.stream.arguments-json", "tools.stream.finish-reason")
INVALID_REQUESTS = ("errors.invalid.role", "errors.invalid.temperature", "errors.invalid.top-p", "errors.invalid.n",
                    "errors.invalid.wrong-type", "errors.invalid.malformed-json", "errors.invalid.missing-messages",
                    "errors.stream.before-events", "errors.status.bad-request", "errors.param.names-field",
                    "errors.auth.missing-key", "errors.auth.wrong-key", "errors.status.unknown-model")


@pytest.fixture(scope="module")
def server():
    with reference_server() as running:
        yield running


def run(server, tmp_path, faults, only):
    code, results = run_against_reference(server, str(tmp_path), faults, only, timeout=2.0)
    return code, verdicts(results)


def test_the_clean_provider_earns_the_passes(server, tmp_path):
    _, got = run(server, tmp_path, [], ["chat.params.stop", "chat.stream.matches-non-stream", "tools.stream.*"])
    for requirement in ("chat.params.stop", "chat.stream.matches-non-stream", "tools.stream.not-dropped",
                        *STREAMED_TOOL_CALLS):
        assert got[requirement][0] == PASS, (requirement, got[requirement])


def test_a_stop_sequence_never_reached_is_skipped_not_passed(server, tmp_path):
    code, got = run(server, tmp_path, ["no-stop-string"], ["chat.params.stop"])
    verdict, message = got["chat.params.stop"]
    assert verdict == SKIP and "never reached the stop sequence" in message, got["chat.params.stop"]
    assert code == 3  # the one requirement selected was not judged: a run that judged nothing is INCOMPLETE


def test_a_canned_server_skips_stream_equivalence_and_is_judged_on_stop(server, tmp_path):
    _, got = run(server, tmp_path, ["canned-answer"], ["chat.stream.matches-non-stream", "chat.params.stop"])
    verdict, message = got["chat.stream.matches-non-stream"]
    assert verdict == SKIP and "same answer" in message and "different prompt" in message
    assert got["chat.params.stop"][0] == PASS  # the stop sequence comes from the canned answer itself


def test_streamed_tool_calls_are_judged_when_required_is_refused(server, tmp_path):
    _, got = run(server, tmp_path, ["required-refused"], ["tools.stream.*", "tools.choice.required"])
    assert got["tools.choice.required"][0] == FAIL  # refusing a claimed tool_choice is still a failure
    for requirement in STREAMED_TOOL_CALLS:
        assert got[requirement][0] == PASS, (requirement, got[requirement])
    verdict, message = got["tools.stream.not-dropped"]
    assert verdict == SKIP and 'tool_choice "required" was refused' in message


def test_streamed_tool_calls_fall_back_to_a_named_function(server, tmp_path):
    """required refused, and auto answered in text: the stream that names the function is judged."""
    _, got = run(server, tmp_path, ["required-refused", "auto-in-text"], ["tools.stream.*"])
    for requirement in STREAMED_TOOL_CALLS:
        assert got[requirement][0] == PASS, (requirement, got[requirement])


@pytest.mark.parametrize("style", ["openai", "detail"])
def test_invalid_requests_to_a_route_not_served_are_skipped(tmp_path, style):
    with reference_server(routes="models", unknown_routes=style) as models_only:
        _, got = run(models_only, tmp_path, [], [*INVALID_REQUESTS, "errors.body.shape"])
    for requirement in INVALID_REQUESTS:
        verdict, message = got[requirement]
        assert verdict == SKIP, (requirement, got[requirement])
        assert "route not served" in message or requirement in ("errors.status.bad-request",
                                                                 "errors.param.names-field"), got[requirement]
    assert got["errors.body.shape"][0] == (FAIL if style == "detail" else PASS)
