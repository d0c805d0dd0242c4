"""One front door: `oaic run` and plain `pytest --pyargs oaic.scenarios` build the same Run, refuse the same
mistakes with one line and exit 2 before any request, and installing oaic changes nothing in other pytest runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oaic.cli import build_parser
from oaic.reference.server import ReferenceServer

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "http://127.0.0.1:9/v1"


def _env(keep: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in keep or not k.startswith(("OAIC_", "PYTEST_"))}
    env.pop("OPENAI_API_KEY", None)
    return env


def oaic(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oaic.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=_env())


def plain_pytest(*args: str, cwd: Path, timeout: float = 120,
                 keep_env: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=_env(keep_env))


def _one_error_line(result: subprocess.CompletedProcess, contains: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("oaic: error: ") and contains in lines[0], lines
    assert "Traceback" not in result.stdout + result.stderr and "_pytest.outcomes.Exit" not in result.stdout


MISTAKES = [
    (["--base-url", UNREACHABLE, "--model", "m", "--examples", "x"], "--examples must be an integer"),
    (["--record", "{tmp}/rec", "--replay", "{tmp}/rep"], "cannot be used together"),
    (["--replay", "{tmp}/missing"], "no recording there"),
    (["--replay", str(ROOT / "cassettes" / "llamacpp-0.3.36"), "--model", "m"], "--model: a replay uses"),
    (["--base-url", UNREACHABLE, "--model", "m", "--report-dir", "{tmp}/a-file"], "cannot write reports to"),
    (["--base-url", UNREACHABLE, "--model", "m", "--only", "no.such.*"], "matches no requirement"),
]


@pytest.mark.parametrize("args, message", MISTAKES, ids=[m for _, m in MISTAKES])
def test_both_entrances_refuse_the_same_mistakes_with_one_line(tmp_path, args, message):
    (tmp_path / "a-file").write_text("not a folder")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    _one_error_line(oaic("run", *args, cwd=tmp_path), message)
    pytest_args = [a if not a.startswith("--") or a in ("--base-url", "--model") else "--oaic-" + a[2:]
                   for a in args]
    _one_error_line(plain_pytest("--pyargs", "oaic.scenarios", *pytest_args, cwd=tmp_path), message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"], "a refused run wrote something"


def test_short_option_names_work_for_a_run_of_the_scenarios(tmp_path):
    _one_error_line(plain_pytest("--pyargs", "oaic.scenarios", "--base-url", UNREACHABLE, "--model", "m",
                                 "--examples", "x", cwd=tmp_path), "--examples must be an integer")


def test_an_unrelated_pytest_run_is_left_alone(tmp_path):
    (tmp_path / "test_other.py").write_text("def test_other(request):\n    assert request.config\n")
    result = plain_pytest("-q", cwd=tmp_path)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["test_other.py"]
    helptext = plain_pytest("--help", cwd=tmp_path).stdout
    assert "--oaic-model" in helptext and "--model " not in helptext and "--only" not in helptext


def test_pytest_base_url_and_oaic_live_side_by_side(tmp_path):
    pytest.importorskip("pytest_base_url")
    (tmp_path / "test_web.py").write_text("def test_web(base_url):\n    assert base_url == 'http://x'\n")
    result = plain_pytest("-q", "--base-url", "http://x", cwd=tmp_path)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    # pytest-base-url owns --base-url; an oaic run reads it from there
    _one_error_line(plain_pytest("--pyargs", "oaic.scenarios", "--base-url", UNREACHABLE, "--model", "m",
                                 cwd=tmp_path), f"cannot reach {UNREACHABLE}")


def test_run_help_says_what_a_run_does_with_defaults_environment_exit_codes_and_examples():
    result = oaic("run", "--help")
    assert result.returncode == 0
    text = result.stdout
    assert text.split("\n\n")[1].startswith("Run the conformance suite")
    for needle in ("default 30", "default: reports", "OAIC_BASE_URL", "OAIC_API_KEY", "exit codes:", "INCOMPLETE",
                   "examples:", "oaic run --replay"):
        assert needle in text, needle


def test_every_option_of_every_subcommand_has_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [f"{name} {' '.join(action.option_strings)}" for name, sub in commands.choices.items()
               for action in sub._actions if action.option_strings and not action.help]
    assert not missing, missing


def _live(server: ReferenceServer, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = oaic("run", "--base-url", server.base_url, "--model", "ref-chat", "--report-dir",
                  str(tmp_path / "reports"), *extra, cwd=tmp_path)
    return result, json.loads((tmp_path / "reports" / "results.json").read_text())


def test_a_spent_budget_is_incomplete_never_conformant(tmp_path):
    with ReferenceServer() as server:
        result, data = _live(server, tmp_path, "--only", "chat.response.*", "--max-requests", "2")
    assert result.returncode == 3, result.stdout
    assert data["result"] == "INCOMPLETE" and data["totals"]["error"] > 0
    assert "result: INCOMPLETE (exit 3)" in result.stdout


def test_requirements_deselected_with_k_are_unjudged_not_skipped(tmp_path):
    with ReferenceServer() as server:
        result, data = _live(server, tmp_path, "--only", "models.*", "--pytest-args", "-k list")
    assert result.returncode == 3, result.stdout
    unjudged = {r["requirement"]: r["message"] for r in data["requirements"] if r["verdict"] == "error"}
    assert "models.retrieve.shape" in unjudged and "deselected" in unjudged["models.retrieve.shape"]


def test_an_interrupted_run_keeps_the_last_report_and_never_says_conformant(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "results.json").write_text('{"previous": true}')
    with ReferenceServer(faults=["stream-stall"]) as server:
        process = subprocess.Popen([sys.executable, "-m", "oaic.cli", "run", "--base-url", server.base_url,
                                    "--model", "ref-chat", "--timeout", "20", "--only", "chat.stream.*",
                                    "--record", str(tmp_path / "rec"), "--report-dir", str(reports)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env())
        time.sleep(4)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err and "CONFORMANT (exit 0)" not in out
    assert json.loads((reports / "results.json").read_text()) == {"previous": True}
    partial = json.loads((reports / "interrupted" / "results.json").read_text())
    assert partial["interrupted"] is True and partial["exit_code"] == 130 and partial["result"] != "CONFORMANT"
    _one_error_line(oaic("run", "--replay", str(tmp_path / "rec"), cwd=tmp_path), "recording is incomplete")
