"""Several targets side by side: one `oaic run` process each, one report folder each, the matrix, the worst exit
code; what cannot be shared is refused before anything starts."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from oaic.cli import build_parser, main
from oaic.reference.server import ReferenceServer
from oaic.targets import child_args, folder_names, run_targets, worst

from tests.reference_fixtures import API_KEY, KEY_ENV
from tests.test_progress import _env


@pytest.mark.parametrize("codes, expected", [
    ([0, 0], 0), ([0, 3], 3), ([3, 1], 1), ([1, 130], 130), ([130, 2, 0], 2), ([0, 4], 2), ([-9, 0], 2), ([], 2),
])
def test_the_exit_code_is_the_worst_of_the_targets(codes, expected):
    assert worst(codes) == expected


def test_folders_are_named_after_the_profile_and_kept_apart(tmp_path):
    (tmp_path / "a.toml").write_text('name = "vLLM main"\nbase_url = "http://x/v1"\n')
    (tmp_path / "b.toml").write_text('name = "vllm main"\nbase_url = "http://y/v1"\n')
    (tmp_path / "c.toml").write_text('base_url = "http://z/v1"\n')
    (tmp_path / "broken.toml").write_text("not toml [")
    paths = [str(tmp_path / n) for n in ("a.toml", "b.toml", "c.toml", "broken.toml", "c.toml")]
    assert folder_names(paths) == ["vLLM-main", "vllm-main-2", "c", "broken", "c-2"]


def test_each_target_gets_every_option_but_its_own_profile_and_folders(tmp_path):
    argv = ["run", "--target", "a.toml", "--target", "b.toml", "--only", "chat.*", "--only", "models.*", "--strict",
            "--timeout", "5", "--max-failures", "3", "--pytest-args", "-x -k stream", "-v", "--report-dir", "out",
            "--record", "rec", "--jobs", "4"]
    values = vars(build_parser().parse_args(argv))
    args = child_args(values, "b.toml", tmp_path / "out" / "b", tmp_path / "rec" / "b")
    again = vars(build_parser().parse_args(["run", *args]))
    assert again["target"] == ["b.toml"] and again["report_dir"] == str(tmp_path / "out" / "b")
    assert again["record"] == str(tmp_path / "rec" / "b")
    for key in ("only", "strict", "timeout", "max_failures", "pytest_args", "verbose", "jobs"):
        assert again[key] == values[key], key


@pytest.mark.parametrize("extra, message", [(["--replay", "rec"], "--replay replays one recording"),
                                            (["--save-profile", "p.toml"], "--save-profile writes one")])
def test_what_several_targets_cannot_share_is_a_usage_error(tmp_path, capsys, extra, message):
    assert main(["run", "--target", "a.toml", "--target", "b.toml", "--report-dir", str(tmp_path), *extra]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _profile(path: Path, name: str, server: ReferenceServer) -> str:
    path.write_text(f'name = "{name}"\nbase_url = "{server.base_url}"\napi_key_env = "{KEY_ENV}"\n'
                    f'capabilities = ["models", "chat"]\n[models]\nchat = "ref-chat"\n')
    return str(path)


def test_two_targets_side_by_side_a_folder_each_the_matrix_and_the_worst_exit_code(tmp_path):
    reports = tmp_path / "reports"
    with ReferenceServer(api_key=API_KEY) as clean, \
            ReferenceServer(api_key=API_KEY, faults=["models-no-owned-by"]) as faulty:
        args = ["run", "--target", _profile(tmp_path / "clean.toml", "clean", clean),
                "--target", _profile(tmp_path / "faulty.toml", "faulty", faulty),
                "--only", "models.*", "--report-dir", str(reports)]
        result = subprocess.run([sys.executable, "-m", "oaic.cli", *args], capture_output=True, text=True,
                                timeout=120, cwd=tmp_path, env=_env(**{KEY_ENV: API_KEY}))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert json.loads((reports / "clean" / "results.json").read_text())["result"] == "CONFORMANT"
    assert json.loads((reports / "faulty" / "results.json").read_text())["result"] == "NOT CONFORMANT"
    lines = result.stdout.splitlines()
    assert any(line.startswith("[clean] [") for line in lines) and any(line.startswith("[faulty] [") for line in lines)
    assert "[faulty] result: NOT CONFORMANT (exit 1)" in lines
    assert any(line.startswith("faulty  NOT CONFORMANT (exit 1)") for line in lines)
    assert "models.object.shape" in (reports / "matrix.md").read_text()
    assert "<table" in (reports / "matrix.html").read_text()


def test_a_target_that_cannot_run_makes_the_whole_run_a_usage_error(tmp_path):
    out = io.StringIO()
    values = {"target": [str(tmp_path / "missing.toml"), str(tmp_path / "also-missing.toml")],
              "report_dir": str(tmp_path / "reports")}
    assert run_targets(values, out) == 2
    text = out.getvalue()
    assert "[missing] oaic: error: cannot read target profile" in text
    assert "missing       no results (exit 2)" in text and not (tmp_path / "reports" / "matrix.html").exists()
