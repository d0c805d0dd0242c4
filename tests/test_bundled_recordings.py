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
from oaic.data import bundled_recordings
from oaic.recording import DEFAULT_RECORDING
from oaic.runner import run_suite

BUNDLED = bundled_recordings()
RECORDINGS = sorted(p for p in BUNDLED.iterdir() if (p / "profile.toml").is_file())
EXPECTED = "expected.json"
UPDATE = bool(os.environ.get("OAIC_UPDATE_EXPECTED"))
VOLATILE = ("started", "finished", "duration_s")  # what may differ between two runs of the same replay


def test_the_default_recording_is_bundled():
    assert BUNDLED / DEFAULT_RECORDING in RECORDINGS
    assert len(RECORDINGS) >= 3


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Each recording replayed once in this interpreter: folder -> the results.json it wrote."""
    done: dict[Path, Path] = {}

    def replay(folder: Path) -> Path:
        if folder not in done:
            reports = tmp_path_factory.mktemp("replay") / "reports"
            outcome = run_suite({"replay": str(folder), "report_dir": str(reports)})
            assert outcome.results is not None, f"replaying {folder} did not run"
            done[folder] = reports / "results.json"
        return done[folder]

    return replay


@pytest.mark.parametrize("folder", RECORDINGS, ids=[p.name for p in RECORDINGS])
def test_replay_gives_the_expected_verdicts(folder: Path, replayed):
    results = json.loads(replayed(folder).read_text(encoding="utf-8"))
    verdicts = {r["requirement"]: (r["verdict"], r["message"]) for r in results["requirements"]}
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


@pytest.fixture(scope="module", autouse=True)
def fresh_default_run(tmp_path_factory):
    """`oaic run` with no target, in a fresh interpreter (its own hash seed); started first, so it runs beside
    the in-process replays of this module."""
    if UPDATE:
        yield None
        return
    folder = tmp_path_factory.mktemp("fresh")
    process = subprocess.Popen([sys.executable, "-m", "oaic.cli", "run", "--report-dir", str(folder / "reports")],
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={k: v for k, v in os.environ.items() if not k.startswith("OAIC_")})
    yield process, folder / "reports" / "results.json"
    if process.poll() is None:
        process.kill()
        process.communicate()


@pytest.mark.skipif(UPDATE, reason="refreshing expected verdicts")
def test_the_default_run_gives_identical_results_twice(fresh_default_run, replayed):
    process, results = fresh_default_run
    _, stderr = process.communicate(timeout=120)
    assert process.returncode in (0, 1), stderr.decode()[-2000:]
    assert b"replaying the bundled recording" in stderr
    assert _stable(results) == _stable(replayed(BUNDLED / DEFAULT_RECORDING))
