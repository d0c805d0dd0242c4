"""Client libraries under test: the official Python SDK passes the gate on the reference provider; deliberately
broken clients fail it naming their requirement; the faults a client must surface are surfaced; a recording is
served over HTTP to any client."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

openai = pytest.importorskip("openai")

from oaic.cli import main  # noqa: E402
from oaic.reference.faults.variations import ALL_AT_ONCE  # noqa: E402

from tests.reference_fixtures import reference_server, run_against_reference, verdicts  # noqa: E402

BROKEN = str(Path(__file__).with_name("broken_clients.py"))
CLIENT_IDS = ("client.*",)


@pytest.fixture(scope="module")
def server():
    with reference_server() as running:
        yield running


def run_client(server, tmp_path, client=None, client_cmd=None, faults=(), only=CLIENT_IDS, strict=False):
    import tests.reference_fixtures as fixtures

    original = fixtures.suite_values

    def with_client(*args, **kwargs):
        values = original(*args, **kwargs)
        values.update({"client": client, "client_cmd": client_cmd, "strict": strict})
        return values

    fixtures.suite_values = with_client
    try:
        return run_against_reference(server, str(tmp_path), faults, only)
    finally:
        fixtures.suite_values = original


def client_verdicts(results) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in verdicts(results).items() if k.startswith("client.")}


def test_the_python_sdk_passes_the_whole_suite_on_the_reference_provider(server, tmp_path):
    code, results = run_client(server, tmp_path, client="openai", only=())
    bad = {k: v for k, v in verdicts(results).items() if v[0] not in ("pass", "skip")}
    assert code == 0 and not bad, bad
    judged = {k for k, (v, _) in client_verdicts(results).items() if v == "pass"}
    assert {"client.stream.events", "client.stream.text", "client.stream.tool-calls", "client.response.usage",
            "client.response.finish-reason", "client.responses.final", "client.error.class",
            "client.error.fields", "client.pagination.auto"} <= judged


def test_a_rate_limit_that_lifts_is_retried_after_retry_after(server, tmp_path):
    code, results = run_client(server, tmp_path, client="openai", faults=["rate-limit-retry-after"], strict=True)
    found = client_verdicts(results)
    assert code == 0, found
    assert found["client.retry.limit"][0] == "pass" and found["client.retry.retry-after"][0] == "pass"


@pytest.mark.parametrize(("broken", "fault", "requirement"), [
    ("drop-last-event", None, "client.stream.events"),
    ("tool-calls-by-position", None, "client.stream.tool-calls"),
    ("ignore-retry-after", "rate-limit-retry-after", "client.retry.retry-after"),
])
def test_a_broken_client_fails_the_gate_naming_its_requirement(server, tmp_path, broken, fault, requirement):
    code, results = run_client(server, tmp_path, client_cmd=f"{sys.executable} {BROKEN} {broken}",
                               faults=[fault] if fault else [], strict=True)
    found = client_verdicts(results)
    assert code == 1
    assert found[requirement][0] in ("fail", "warn"), found


@pytest.mark.parametrize(("fault", "requirement"), [("stream-stall", "client.stream.timeout"),
                                                    ("stream-close", "client.stream.failure"),
                                                    ("chat-stream-error-event", "client.stream.failure")])
def test_the_sdk_surfaces_a_broken_stream(server, tmp_path, fault, requirement):
    _, results = run_client(server, tmp_path, client="openai", faults=[fault])
    found = client_verdicts(results)
    assert found[requirement][0] == "pass", found
    assert not [k for k, (v, _) in found.items() if v in ("fail", "warn", "error")], found


def test_legal_variations_do_not_fail_the_sdk(server, tmp_path):
    code, results = run_client(server, tmp_path, client="openai",
                               faults=[f for f in ALL_AT_ONCE if f != "sse-ids-retry"])
    found = client_verdicts(results)
    assert code == 0 and not [k for k, (v, _) in found.items() if v not in ("pass", "skip")], found


def test_a_stream_opening_with_a_retry_only_block_is_judged_on_the_sdk(server, tmp_path):
    """``retry: 3000`` alone before the first event is legal SSE (nothing is dispatched), but openai-python
    parses the empty event as JSON and raises (openai/openai-python#2722): the gate must say so, naming the
    stream requirement, until a release fixes it."""
    _, results = run_client(server, tmp_path, client="openai", faults=["sse-ids-retry"])
    found = client_verdicts(results)
    wrong = {k: v for k, v in found.items() if v[0] not in ("pass", "skip")}
    assert set(wrong) <= {"client.stream.events"}, wrong
    assert all("JSONDecodeError" in message for _, message in wrong.values()), wrong


def test_runs_in_one_process_share_the_driver_and_judge_alike(server, tmp_path):
    from oaic import clients

    clients.close_all()
    first = run_client(server, tmp_path / "first", client="openai")
    (kept,) = clients._started.values()
    pid = kept.proc.pid
    second = run_client(server, tmp_path / "second", client="openai")
    assert clients._started[tuple(kept.command)].proc.pid == pid
    assert first[0] == second[0] == 0 and client_verdicts(first[1]) == client_verdicts(second[1])


def test_without_a_client_the_client_requirements_are_not_claimed(server, tmp_path):
    _, results = run_client(server, tmp_path)
    assert all(v == "skip" for v, _ in client_verdicts(results).values())


def test_unknown_client_and_missing_node_are_one_line_usage_errors(capsys, monkeypatch):
    assert main(["run", "--base-url", "http://127.0.0.1:9/v1", "--client", "java"]) == 2
    assert "unknown client 'java'" in capsys.readouterr().err
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["run", "--base-url", "http://127.0.0.1:9/v1", "--client", "node"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "needs Node.js" in err


NODE = shutil.which("node") and shutil.which("npm")


@pytest.mark.skipif(not NODE, reason="node and npm are not installed")
def test_the_node_sdk_passes_the_gate_on_the_reference_provider(server, tmp_path):
    code, results = run_client(server, tmp_path, client="node")
    found = client_verdicts(results)
    assert code == 0 and not [k for k, (v, _) in found.items() if v not in ("pass", "skip")], found
    assert found["client.stream.text"][0] == "pass" and found["client.error.class"][0] == "pass"


# -- oaic serve --replay ----------------------------------------------------------------------------------------
RECORDING = Path(__file__).resolve().parent.parent / "cassettes" / "llamacpp-0.3.36"


def recorded_requests(kind: str) -> list[tuple[dict, bytes]]:
    """(request body, recorded response body) of the recording's chat completions, streamed or not."""
    from oaic.recording import cassette

    out = []
    for path in sorted(RECORDING.rglob("*.yaml")):
        if not cassette.is_cassette(path):
            continue
        for request, response in cassette.load(path):
            try:
                body = json.loads(request.body) if request.body else None
            except ValueError:
                continue  # a deliberately malformed request
            if request.method == "POST" and request.uri.endswith("/chat/completions") and isinstance(body, dict) \
                    and bool(body.get("stream")) == (kind == "stream") and response["status"]["code"] == 200:
                out.append((body, cassette.body_bytes((response.get("body") or {}).get("string"))))
    return out


def test_serve_replay_answers_the_sdk_with_the_recorded_bytes():
    from oaic.clients.replay_server import recording_proxy

    whole_request, whole_body = recorded_requests("whole")[0]
    stream_request, stream_body = recorded_requests("stream")[0]
    proxy = recording_proxy(str(RECORDING), fast=True)
    try:
        proxy.start()
        with openai.OpenAI(base_url=proxy.base_url, api_key="x", max_retries=0) as sdk:
            raw = sdk.chat.completions.with_raw_response.create(**whole_request)
            assert raw.http_response.content == whole_body
            with sdk.chat.completions.with_streaming_response.create(**stream_request) as response:
                assert b"".join(response.iter_bytes()) == stream_body
            with pytest.raises(openai.NotFoundError) as info:
                sdk.chat.completions.create(model="never-recorded", messages=[{"role": "user", "content": "x"}])
        assert info.value.code == "not_recorded" and "no recording of POST /chat/completions" in str(info.value)
    finally:
        proxy.stop()


@pytest.mark.parametrize("name", ["llamacpp-0.3.36", "litellm-1.106.2", "transformers-5.23.0", "infinity-0.0.78"])
def test_a_live_run_against_the_served_recording_gives_the_recorded_verdicts(tmp_path, name):
    """The recording served over HTTP is the recorded server: a live run with the recording's profile gets the
    verdicts its replay gets (expected.json of each bundled recording, all recorded in the plain form)."""
    recording = RECORDING.parent / name
    import contextlib
    import io

    from oaic.clients.replay_server import recording_proxy
    from oaic.runner import run_suite

    proxy = recording_proxy(str(recording), fast=True).start()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            outcome = run_suite({"target": str(recording / "profile.toml"), "base_url": proxy.base_url,
                                 "report_dir": str(tmp_path), "pytest_args": "-p no:unraisableexception"})
    finally:
        proxy.stop()
    expected = json.loads((recording / "expected.json").read_text(encoding="utf-8"))
    got = {r.requirement.id: r.verdict for r in outcome.results.by_requirement()}
    assert {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v} == {}


@pytest.mark.parametrize("recording", ["llamacpp-0.3.36", "litellm-1.106.2"])
def test_replaying_a_real_server_through_the_sdk_judges_the_client_fairly(tmp_path, recording):
    """A recording made with the raw client holds one answer per request: where the SDK goes on to make a request
    the recording lacks (a retry of a 500), the client is not judged on the replay's refusal."""
    import contextlib
    import io

    from oaic.runner import run_suite

    values = {"replay": str(RECORDING.parent / recording), "client": "openai", "report_dir": str(tmp_path),
              "pytest_args": "-p no:unraisableexception"}
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run_suite(values)
    found = {r.requirement.id: (r.verdict, r.findings[0].message) for r in outcome.results.by_requirement()
             if r.requirement.id.startswith("client.")}
    assert not {k: v for k, v in found.items() if v[0] in ("fail", "warn", "error")}, found
