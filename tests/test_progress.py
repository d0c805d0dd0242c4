"""What a run shows while it runs: plain lines off a terminal, a live line (rich) on one, a note while a request
waits on a slow or stalled target, and --max-failures stopping a run early with what it left unjudged said."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oaic.progress import Pending, Progress, on_terminal
from oaic.reference.server import ReferenceServer
from oaic.run import Run
from oaic.runner import run_pytest
from rich.console import Console

from tests.reference_fixtures import API_KEY, FAST_PYTEST, KEY_ENV, MODELS, _key_in_env, reference_server, suite_values

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAIC_", "PYTEST_")) and k != "CI"}
    env.pop("OPENAI_API_KEY", None)
    return {**env, **extra}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_live_line_only_on_a_terminal_outside_ci():
    assert on_terminal(_Tty(), env={})
    assert not on_terminal(_Tty(), env={"CI": "true"})
    assert not on_terminal(_Tty(), env={"TERM": "dumb"})
    assert not on_terminal(io.StringIO(), env={})


def test_off_a_terminal_one_plain_line_per_scenario_and_no_escape_codes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "oaic.cli", "run", "--only", "models.*", "--report-dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env())
    assert result.returncode in (0, 1, 3), result.stderr
    assert "\x1b" not in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines and re.match(r"\[ *1/", lines[0]) and "requirements" in lines[-1] and "requests" in lines[-1]
    assert "test_models.py::" in lines[0]
    assert "oaic replay" in result.stdout and "result: " in result.stdout  # the summary as before
    assert not any(set(line.strip()) <= set(".sF") and line.strip() for line in result.stdout.splitlines()), \
        "pytest's dots are still shown"


@pytest.fixture(scope="module")
def server():
    with reference_server() as running:
        yield running


def _run(server: ReferenceServer, tmp_path: Path, only: str, **values) -> Run:
    with _key_in_env():
        return Run.build({**suite_values(server.base_url, str(tmp_path), [only]), **values}, say=lambda line: None)


def test_on_a_terminal_a_live_line_drawn_by_rich(server, tmp_path):
    server.reset()
    buffer = io.StringIO()
    run = _run(server, tmp_path, "models.*")
    progress = Progress(run, console=Console(file=buffer, force_terminal=True, width=120))
    with _key_in_env(), contextlib.redirect_stdout(io.StringIO()):
        outcome = run_pytest(run, FAST_PYTEST, watch=progress)
    assert outcome.results is not None
    drawn = buffer.getvalue()
    assert "\x1b[" in drawn and "requirements" in drawn and "scenarios" in drawn and "requests" in drawn
    reached, total = progress.counts()
    assert reached == total == len(run.selected)

    progress.current = "suite/scenarios/test_chat.py::test_stream"  # a request waiting on a slow target
    progress.pending = Pending("POST", "/chat/completions", progress.clock() - 4.2)
    shown = Console(file=io.StringIO(), width=120, record=True)
    shown.print(progress.render())
    lines = [line.strip() for line in shown.export_text().splitlines()]
    assert lines[1:] == ["test_chat.py::test_stream", "waiting 4.2 s for POST /chat/completions"]


@pytest.mark.parametrize("fault, latency, only, note", [
    ([], 0.6, "models.retrieve.*", "s for GET /models"),
    (["stream-stall"], 0.0, "chat.stream.usage-final", "s for more of POST /chat/completions ("),
], ids=["slow", "stalled-stream"])
def test_a_request_waiting_on_the_target_is_told_while_it_waits(server, tmp_path, fault, latency, only, note):
    server.reset(fault)
    run = _run(server, tmp_path, only)
    server.reset(fault, latency=latency)  # after discovery: only the scenarios' requests are slow
    buffer = io.StringIO()
    progress = Progress(run, stream=buffer, note_after=0.3)
    try:
        with _key_in_env(), contextlib.redirect_stdout(io.StringIO()):
            run_pytest(run, FAST_PYTEST, watch=progress)
    finally:
        server.reset(latency=0.0)
    notes = [line for line in buffer.getvalue().splitlines() if "waiting" in line]
    assert notes and note in notes[0], buffer.getvalue()
    assert notes[0].startswith("  waiting ")


def test_the_note_says_how_long_and_for_what():
    pending = Pending("GET", "/models", sent=10.0)
    assert pending.note(12.5) == "waiting 2.5 s for GET /models"
    pending.last_byte, pending.chunks = 11.0, 3
    assert pending.note(12.5) == "waiting 1.5 s for more of GET /models (3 chunks so far)"


# -- --max-failures ------------------------------------------------------------------------------------------------
def test_max_failures_stops_the_run_and_says_what_was_not_judged(server, tmp_path):
    server.reset(["models-no-owned-by"])
    with _key_in_env():
        run = Run.build({**suite_values(server.base_url, str(tmp_path), ["models.*", "tools.*"]),
                         "max_failures": "1"}, say=lambda line: None)
    with _key_in_env(), contextlib.redirect_stdout(io.StringIO()) as out:
        outcome = run_pytest(run, FAST_PYTEST, watch=Progress(run, stream=io.StringIO()))
    assert outcome.exit_code == 1  # it failed: stopping early does not make that less true
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["result"] == "NOT CONFORMANT" and data["stopped_early"].startswith("1 requirement(s) failed")
    verdicts = {r["requirement"]: r for r in data["requirements"]}
    assert verdicts["models.object.shape"]["verdict"] == "fail"
    unjudged = [r for r in data["requirements"] if r["requirement"].startswith("tools.")]
    assert unjudged and all(r["verdict"] == "error" and "stopped early" in r["message"] for r in unjudged)
    assert any(n.startswith("stopped early: ") for n in data["notes"])
    assert "result: NOT CONFORMANT (exit 1)" in out.getvalue() and "note: stopped early" in out.getvalue()
    assert "stopped early: 1 requirement(s) failed" in (tmp_path / "report.html").read_text()


def test_max_failures_under_pytest_and_from_the_environment(server, tmp_path):
    server.reset(["models-no-owned-by"])
    env = _env(OAIC_MAX_FAILURES="1", **{KEY_ENV: API_KEY})
    flags = [f"--oaic-{k.replace('_', '-')}={v}" for k, v in MODELS.items()]
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "oaic.scenarios",
                             "--oaic-base-url", server.base_url, "--oaic-api-key-env", KEY_ENV, *flags,
                             "--oaic-capabilities", "all", "--oaic-only", "models.*", "--oaic-only", "tools.*",
                             "--oaic-report-dir", str(tmp_path)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["stopped_early"] and time.monotonic() - start < 60
    assert re.search(r"^\[ *1/\d+\] test_models.py::", result.stdout, re.M)  # plain progress lines under pytest


def test_max_failures_in_a_profile(tmp_path):
    from oaic.target import build_target

    profile = tmp_path / "p.toml"
    profile.write_text('base_url = "http://127.0.0.1:9/v1"\nmax_failures = 4\n[models]\nchat = "m"\n')
    assert build_target({"target": str(profile)}, env={}).max_failures == 4
    assert build_target({"target": str(profile), "max_failures": "2"}, env={}).max_failures == 2
    assert build_target({"target": str(profile)}, env={"OAIC_MAX_FAILURES": "3"}).max_failures == 3


@pytest.mark.parametrize("value", ["0", "x", "-2"])
def test_max_failures_must_be_a_positive_number(tmp_path, value):
    from oaic.errors import UsageError

    with pytest.raises(UsageError, match="max-failures must be"):
        Run.build({"replay": str(ROOT / "cassettes" / "litellm-1.106.2"), "max_failures": value,
                   "report_dir": str(tmp_path)}, say=lambda line: None)
