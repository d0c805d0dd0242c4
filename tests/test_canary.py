"""A canary key given through the environment never reaches disk or output.

The suite is recorded against the reference provider with ``--api-key-env`` (all but the property phase, whose
generated requests take the same path through the transport and the recorder); a middleware makes the
provider leak the key the way real servers do (a debug header, a cookie, inside JSON bodies and inside an SSE
stream, split across two network reads). The canary must then appear 0 times in the cassettes, the reports and
the output of the run, and the scrubbed recording must still replay to the same verdicts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oaic.cli import main
from oaic.reference import server
from oaic.runner import run_suite

CANARY = "sk-canary-5f0c1e9a7d3b42e8a6c4f1b09d2e7a31"
CANARY_ENV = "OAIC_CANARY_KEY"


class Leaky:
    """ASGI middleware: every response echoes the caller's key in a header, a cookie and its body."""

    def __init__(self, app) -> None:
        self.app = app
        self.leaks = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        auth = dict(scope["headers"]).get(b"authorization", b"")
        key = auth.partition(b" ")[2]
        if not key:
            await self.app(scope, receive, send)
            return
        state = {"stream": False, "body": b""}

        async def leaking_send(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != b"content-length"]
                state["stream"] = any(n.lower() == b"content-type" and v.startswith(b"text/event-stream")
                                      for n, v in headers)
                headers += [(b"x-debug-caller", b"key=" + key), (b"set-cookie", b"sid=" + key + b"; Path=/")]
                await send({**message, "headers": headers})
                if state["stream"]:  # a keep-alive comment quoting the key, cut in the middle of the key
                    await send({"type": "http.response.body", "body": b": caller " + key[:9], "more_body": True})
                    await send({"type": "http.response.body", "body": key[9:] + b"\n\n", "more_body": True})
                self.leaks += 1
                return
            if state["stream"]:
                await send(message)
                return
            state["body"] += message.get("body", b"")
            if not message.get("more_body"):
                await send({"type": "http.response.body", "body": _with_key(state["body"], key)})

        await self.app(scope, receive, leaking_send)


def _with_key(body: bytes, key: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body + b" " + key
    if isinstance(data, dict):
        data["debug_caller_key"] = key.decode()
    return json.dumps(data).encode()


@pytest.fixture
def leaky_provider(monkeypatch):
    from oaic.reference.app import create_app

    leaky = None

    def wrapped(faults, api_key, **options):
        nonlocal leaky
        leaky = Leaky(create_app(faults, api_key, **options))
        return leaky

    monkeypatch.setattr("oaic.reference.app.create_app", wrapped)
    with server.running(api_key=CANARY) as url:
        yield url, lambda: leaky


def _occurrences(folder: Path) -> dict[str, int]:
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            count = path.read_bytes().count(CANARY.encode())
            if count:
                found[str(path.relative_to(folder))] = count
    return found


def test_the_canary_key_appears_nowhere(tmp_path, leaky_provider, monkeypatch, capfd):
    url, leaky = leaky_provider
    recording, reports = tmp_path / "recording", tmp_path / "reports"
    monkeypatch.setenv(CANARY_ENV, CANARY)
    code = main(["run", "--base-url", url, "--api-key-env", CANARY_ENV, "--model", "ref-chat",
                 "--tools-model", "ref-tools", "--embedding-model", "ref-embed", "--completions-model", "ref-instruct",
                 "--responses-model", "ref-responses", "--moderation-model", "ref-moderation",
                 "--transcription-model", "ref-whisper", "--capabilities", "all", "--skip", "property.*",
                 "--record", str(recording), "--report-dir", str(reports)])
    output = capfd.readouterr()
    assert code in (0, 1), output.err[-2000:]
    assert leaky().leaks > 10  # the provider did leak the key, in many responses

    assert _occurrences(recording) == {}
    assert _occurrences(reports) == {}
    assert CANARY not in output.out + output.err
    assert any(b"<REDACTED>" in p.read_bytes() for p in recording.rglob("*.yaml"))  # scrubbed, not absent

    recorded = json.loads((reports / "results.json").read_text())
    monkeypatch.delenv(CANARY_ENV)
    replayed = run_suite({"replay": str(recording), "report_dir": str(tmp_path / "replay"),
                          "skip": ["property.*"]}).results.to_json()
    assert {r["requirement"]: r["verdict"] for r in replayed["requirements"]} == \
        {r["requirement"]: r["verdict"] for r in recorded["requirements"]}
