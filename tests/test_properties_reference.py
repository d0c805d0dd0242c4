"""The property phase end to end against the reference provider: the clean provider passes, the faults the phase
exists for are caught (500 on a missing parameter, 500 on malformed JSON, error bodies not in OpenAI's shape),
and a recorded phase replays with the same verdicts."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from unittest import mock

import pytest
from oaic.runner import run_suite

from tests.reference_fixtures import API_KEY, KEY_ENV, reference_server, suite_values, verdicts

PROPERTY_IDS = ("property.positive.no-server-error", "property.positive.accepted",
                "property.positive.status-documented", "property.positive.content-type",
                "property.positive.response-schema", "property.negative.no-server-error",
                "property.negative.rejected", "property.negative.error-shape")


@pytest.fixture(scope="module")
def server():
    with reference_server() as running:
        yield running


def property_phase(server, report_dir, faults=(), capabilities="chat,models", **options):
    server.reset(faults, api_key=API_KEY)
    values = {**suite_values(server.base_url, str(report_dir), ["property.*"]), "capabilities": capabilities,
              "examples": "4", **options}
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(io.StringIO()):
        env.setenv(KEY_ENV, API_KEY)
        outcome = run_suite(values)
    assert outcome.results is not None
    return outcome.exit_code, verdicts(outcome.results)


def test_the_clean_provider_passes_every_property_requirement(server, tmp_path):
    code, found = property_phase(server, tmp_path, capabilities="all")
    assert code == 0
    assert {found[r][0] for r in PROPERTY_IDS} == {"pass"}, {r: found[r] for r in PROPERTY_IDS}


@pytest.mark.parametrize("fault,requirement,message", [
    ("missing-messages-500", "property.negative.no-server-error", "required parameter 'messages' is missing"),
    ("malformed-json-500", "property.negative.no-server-error", "body is not valid JSON"),
    ("error-detail-body", "property.negative.error-shape", "not in OpenAI's error shape"),
])
def test_faults_are_caught(server, tmp_path, fault, requirement, message):
    code, found = property_phase(server, tmp_path, faults=[fault])
    verdict, text = found[requirement]
    assert code == 1 and verdict == "fail" and message in text, found[requirement]


def test_a_recorded_phase_replays_with_the_same_verdicts(server, tmp_path):
    _, live = property_phase(server, tmp_path / "live", record=str(tmp_path / "cassettes"))
    kept = json.loads((tmp_path / "cassettes" / "property-plans.json").read_text())["plans"]
    assert kept and all(kept.values()), "the recording did not keep the requests the phase sent"
    replay_values = {"replay": str(tmp_path / "cassettes"), "report_dir": str(tmp_path / "replay"),
                     "only": ["property.*"], "pytest_args": "-p no:unraisableexception"}
    with contextlib.redirect_stdout(io.StringIO()), mock.patch("oaic.properties.phase.plan_requests",
                                                               side_effect=AssertionError("generated again")):
        outcome = run_suite(replay_values)
    replayed = verdicts(outcome.results)
    assert {r: replayed[r][0] for r in PROPERTY_IDS} == {r: live[r][0] for r in PROPERTY_IDS}
    assert "not-recorded" not in {v for v, _ in replayed.values()}


OFFICIAL = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "openai-openapi.json"


@pytest.mark.skipif(not OFFICIAL.is_file(), reason="the official document (../shared/spec) is not beside the clone")
def test_the_official_document_drives_the_phase_with_spec(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OAIC_CACHE_DIR", str(tmp_path / "cache"))
    code, found = property_phase(server, tmp_path, spec=str(OFFICIAL))
    assert code == 0, {r: found[r] for r in PROPERTY_IDS}
    _, broken = property_phase(server, tmp_path, faults=["error-detail-body"], spec=str(OFFICIAL))
    assert broken["property.negative.error-shape"][0] == "fail"
