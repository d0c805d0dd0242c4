"""The command line as a new user meets it: help, one-line errors with exit 2, the catalogue."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from oaic.cli import main

ROOT = Path(__file__).resolve().parent.parent


def oaic(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oaic.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_help_lists_the_commands():
    result = oaic("--help")
    assert result.returncode == 0
    for command in ("run", "serve", "requirements", "capabilities"):
        assert command in result.stdout


def test_unreachable_target_is_one_line_and_exit_2_within_5_seconds():
    start = time.monotonic()
    result = oaic("run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    assert time.monotonic() - start < 5
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "oaic: error: cannot reach http://127.0.0.1:9/v1: connection refused"]


@pytest.mark.parametrize("args, message", [
    (["run", "--base-url", "nonsense", "--model", "m"], "is not an http(s) URL"),
    (["run", "--base-url", "http://h/v1", "--model", "m", "--only", "nothing.matches.*"],
     "pattern 'nothing.matches.*' matches no requirement"),
    (["run", "--base-url", "http://h/v1", "--model", "m", "--skip", "zzz"], "pattern 'zzz' matches no requirement"),
    (["run", "--base-url", "http://h/v1", "--model", "m", "--capabilities", "flying"], "unknown capability"),
    (["run", "--base-url", "http://h/v1", "--model", "m", "--timeout", "-1"], "timeout must be positive"),
    (["run", "--api-key", "sk-123"], "unrecognized arguments: --api-key"),
    (["run", "--target", "/no/such.toml"], "cannot read target profile /no/such.toml"),
    (["run", "--record", "a", "--replay", "b", "--base-url", "http://h/v1"], "cannot be used together"),
    (["requirements", "--area", "nowhere"], "unknown area 'nowhere'"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors_are_one_line_exit_2(args, message, capsys):
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("oaic: error: ") and message in err[0], err


def test_requirements_lists_and_filters(capsys):
    assert main(["requirements"]) == 0
    out = capsys.readouterr().out
    assert "models.list.shape" in out and "requirements" in out.splitlines()[-1]
    assert main(["requirements", "--area", "models", "--level", "SHOULD"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert all(" SHOULD " in line for line in lines[:-1]) and all(line.startswith("models.") for line in lines[:-1])


def test_committed_catalogue_document_is_up_to_date(capsys):
    assert main(["requirements", "--markdown"]) == 0
    generated = capsys.readouterr().out
    committed = (ROOT / "spec" / "REQUIREMENTS.md").read_text(encoding="utf-8")
    assert generated == committed, "spec/REQUIREMENTS.md is stale: run `oaic requirements --markdown > spec/REQUIREMENTS.md`"


def test_run_against_a_server_writes_the_documented_reports(tmp_path):
    """End to end as a user runs it: a live target, reports on disk, exit 0 when conformant and 1 when not."""
    import json
    import xml.etree.ElementTree as ET

    from oaic.reference.server import ReferenceServer

    with ReferenceServer() as clean:
        result = oaic("run", "--base-url", clean.base_url, "--model", "ref-chat", "--only", "models.*",
                      "--only", "chat.response.*", "--report-dir", str(tmp_path / "clean"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: CONFORMANT (exit 0)" in result.stdout
    data = json.loads((tmp_path / "clean" / "results.json").read_text())
    assert data["exit_code"] == 0 and data["totals"]["pass"] >= 6 and data["spent"]["requests"] >= 3
    assert all(r["requirement"].startswith(("models.", "chat.response.")) for r in data["requirements"])
    assert ET.parse(tmp_path / "clean" / "junit.xml").getroot().tag == "testsuites"

    with ReferenceServer(faults=["models-retrieve-list"]) as broken:
        result = oaic("run", "--base-url", broken.base_url, "--model", "ref-chat", "--only", "models.*",
                      "--report-dir", str(tmp_path / "broken"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "models.retrieve.shape [MUST]" in result.stdout
