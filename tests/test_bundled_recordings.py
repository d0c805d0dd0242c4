"""The bundled recordings of real servers replay to the verdicts committed next to them, and the default
``oaic run`` (no target: the default recording replayed offline) gives the same results.json twice.

When scenarios or checks change on purpose, re-record (scripts/record_bundled.sh) or, when the recordings still
hold every request, refresh only the expected verdicts: OAIC_UPDATE_EXPECTED=1 pytest tests/test_bundled_recordings.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from suite.cli import main
from suite.recording import BUNDLED, DEFAULT_RECORDING
from suite.runner import run_suite

RECORDINGS = sorted(p for p in BUNDLED.iterdir() if (p / "profile.toml").is_file()) if BUNDLED.is_dir() else []
EXPECTED = "expected.json"
UPDATE = bool(os.environ.get("OAIC_UPDATE_EXPECTED"))
VOLATILE = ("started", "finished", "duration_s")  # what may differ between two runs of the same replay


def test_the_default_recording_is_bundled():
    assert BUNDLED / DEFAULT_RECORDING in RECORDINGS
    assert len(RECORDINGS) >= 3


@pytest.mark.parametrize("folder", RECORDINGS, ids=[p.name for p in RECORDINGS])
def test_replay_gives_the_expected_verdicts(folder: Path, tmp_path: Path):
    results = run_suite({"replay": str(folder), "report_dir": str(tmp_path)}).results
    assert results is not None, f"replaying {folder} did not run"
    verdicts = {r.requirement.id: (r.verdict, r.message) for r in results.by_requirement()}
    if UPDATE:
        (folder / EXPECTED).write_text(json.dumps({k: v for k, (v, _) in sorted(verdicts.items())}, indent=1)
                                       + "\n", encoding="utf-8")
        return
    expected = json.loads((folder / EXPECTED).read_text(encoding="utf-8"))
    changes = []
    for requirement in sorted(set(expected) | set(verdicts)):
        before = expected.get(requirement, "(absent)")
        after, message = verdicts.get(requirement, ("(absent)", ""))
        if before != after:
            changes.append(f"  {requirement}: {before} -> {after}" + (f"  ({message})" if message else ""))
    assert not changes, (f"replaying {folder.name} changed {len(changes)} verdict(s):\n" + "\n".join(changes)
                         + "\nre-record with scripts/record_bundled.sh, or accept with OAIC_UPDATE_EXPECTED=1")


def _stable(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key not in VOLATILE}


@pytest.mark.skipif(UPDATE, reason="refreshing expected verdicts")
def test_the_default_run_gives_identical_results_twice(tmp_path: Path, monkeypatch, capsys):
    """Once in a fresh interpreter (its own hash seed), once in this one; same folder, same arguments."""
    first = subprocess.run([sys.executable, "-m", "suite.cli", "run"], cwd=tmp_path, capture_output=True,
                           timeout=120, env={k: v for k, v in os.environ.items() if not k.startswith("OAIC_")})
    assert first.returncode in (0, 1), first.stderr.decode()[-2000:]
    assert b"replaying the bundled recording" in first.stderr
    (tmp_path / "reports").rename(tmp_path / "first")
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("OAIC_")]:
        monkeypatch.delenv(name)
    assert main(["run"]) in (0, 1)
    assert _stable(tmp_path / "reports" / "results.json") == _stable(tmp_path / "first" / "results.json")
