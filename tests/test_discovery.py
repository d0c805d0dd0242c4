"""The plain form `oaic run --base-url URL`: the target decides what is tested, set-up mistakes are one line and
exit 2 before the run, and a saved profile is a regression gate."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from oaic.reference.server import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-oaic-discovery-self-test-key"


def oaic(*args: str, cwd: Path, key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAIC_", "PYTEST_"))}
    env.pop("OPENAI_API_KEY", None)
    if key:
        env["OAIC_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "oaic.cli", "run", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd, env=env)


def results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())


def test_the_plain_form_judges_everything_the_reference_provider_supports(tmp_path):
    with ReferenceServer() as server:
        done = oaic("--base-url", server.base_url, "--report-dir", str(tmp_path / "r"),
                    "--save-profile", str(tmp_path / "saved.toml"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    data = results(tmp_path / "r")
    assert data["result"] == "CONFORMANT" and data["judged"]["judged"] == data["judged"]["supported"] >= 220
    assert {c: s["status"] for c, s in data["profile"].items() if s["status"] != "supported"} == {}
    assert len(data["target"]["discovery"]) <= 10
    assert data["target"]["models"]["embeddings"] == "ref-embed" and data["target"]["models"]["tools"] == "ref-tools"
    assert data["spent"]["requests"] <= 250 and data["spent"]["total_tokens"] <= 4000

    # the saved profile claims what was supported: a provider that loses an area now fails
    with ReferenceServer(routes="chat,models") as smaller:
        gate = oaic("--target", str(tmp_path / "saved.toml"), "--base-url", smaller.base_url, "--only",
                    "embeddings.*", "--report-dir", str(tmp_path / "gate"), cwd=tmp_path)
    assert gate.returncode == 1, gate.stdout[-2000:]
    assert results(tmp_path / "gate")["totals"]["fail"] > 0


@pytest.mark.parametrize("unknown_routes", ["openai", "detail"])
def test_a_chat_only_provider_gets_its_other_areas_not_served(tmp_path, unknown_routes):
    with ReferenceServer(routes="chat,models", unknown_routes=unknown_routes) as server:
        done = oaic("--base-url", server.base_url, "--report-dir", str(tmp_path), cwd=tmp_path)
    data = results(tmp_path)
    verdicts = {r["requirement"]: r["verdict"] for r in data["requirements"]}
    assert verdicts["embeddings.response.shape"] == "unsupported" and verdicts["responses.create.shape"] == \
        "unsupported", verdicts
    assert data["profile"]["embeddings"]["status"] == "not served"
    failing = {r for r, v in verdicts.items() if v == "fail"}
    if unknown_routes == "openai":
        assert done.returncode == 0 and not failing, failing
    else:  # a foreign 404 shape is one error-body finding (and the schema of error bodies), not an area's failures
        assert failing <= {"errors.body.shape", "property.positive.response-schema"}, failing


def _serve_html(tmp_path: Path):
    (tmp_path / "index.html").write_text("<html><body>Sign in</body></html>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_set_up_mistakes_are_one_line_exit_2_within_5_seconds(tmp_path):
    page = _serve_html(tmp_path)
    try:
        with ReferenceServer(api_key=KEY) as keyed, ReferenceServer() as open_server:
            cases = [
                (["--base-url", keyed.base_url], None, "refused no key (set OAIC_API_KEY"),
                (["--base-url", keyed.base_url], "sk-wrong-key-123456", "refused the key in OAIC_API_KEY"),
                (["--base-url", open_server.base_url, "--model", "ref-chta"], None, "did you mean 'ref-chat'?"),
                (["--base-url", open_server.base_url.removesuffix("/v1")], None, "serves its API under /v1"),
                (["--base-url", f"http://127.0.0.1:{page.server_port}/"], None,
                 "does not answer like an OpenAI-compatible API"),
            ]
            for args, key, message in cases:
                start = time.monotonic()
                done = oaic(*args, "--report-dir", str(tmp_path / "r"), cwd=tmp_path, key=key)
                lines = done.stderr.strip().splitlines()
                assert done.returncode == 2 and len(lines) == 1 and message in lines[0], (args, done.stderr)
                assert time.monotonic() - start < 5 and not (tmp_path / "r").exists()
    finally:
        page.shutdown()


def test_a_key_that_is_not_needed_is_a_warning_and_a_key_that_is_is_judged(tmp_path):
    with ReferenceServer(faults=["auth-not-enforced"], api_key=KEY) as lax:
        done = oaic("--base-url", lax.base_url, "--only", "errors.auth.*", "--report-dir", str(tmp_path / "lax"),
                    cwd=tmp_path, key=KEY)
    verdicts = {r["requirement"]: r["verdict"] for r in results(tmp_path / "lax")["requirements"]}
    assert done.returncode == 0 and verdicts["errors.auth.key-enforced"] == "warn", verdicts
    with ReferenceServer(api_key=KEY) as strict:
        done = oaic("--base-url", strict.base_url, "--only", "errors.auth.*", "--report-dir",
                    str(tmp_path / "strict"), cwd=tmp_path, key=KEY)
    verdicts = {r["requirement"]: r["verdict"] for r in results(tmp_path / "strict")["requirements"]}
    assert done.returncode == 0 and set(verdicts.values()) == {"pass"}, verdicts
