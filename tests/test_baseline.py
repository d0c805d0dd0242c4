"""Baselines: a known failure does not fail the run, a new one does, and a listed requirement that passes is stale."""

from __future__ import annotations

import json

import pytest
from oaic.baseline import Baseline, apply_baseline, compare, load_baseline
from oaic.catalogue import load
from oaic.errors import UsageError
from oaic.findings import failed, passed
from oaic.report import terminal
from oaic.results import Results, from_json

IDS = {"models.list.shape", "models.object.shape", "chat.response.schema"}


def results_with(fails: set[str], passes: set[str]) -> Results:
    results = Results(load(), IDS, target={"base_url": "http://h/v1"})
    for rid in sorted(fails):
        results.add(failed(rid, f"{rid} broken"), "t::a")
    for rid in sorted(passes):
        results.add(passed(rid), "t::a")
    return results


def test_a_known_failure_turns_green():
    results = results_with({"models.list.shape"}, {"models.object.shape"})
    assert results.exit_code() == 1
    outcome = apply_baseline(results, Baseline({"models.list.shape"}))
    assert results.exit_code() == 0
    assert outcome.known == ["models.list.shape"] and outcome.new == [] and outcome.stale == []
    assert "known failure (does not fail the run): models.list.shape" in terminal.render(results)


def test_a_new_failure_stays_red():
    results = results_with({"models.list.shape", "models.object.shape"}, set())
    outcome = apply_baseline(results, Baseline({"models.list.shape"}))
    assert results.exit_code() == 1 and results.overall() == "NOT CONFORMANT"
    assert outcome.new == ["models.object.shape"]
    assert "NEW failure: models.object.shape" in terminal.render(results)


def test_a_baseline_entry_that_passes_is_stale_and_skips_are_not():
    outcome = compare({"models.list.shape": "pass", "models.object.shape": "skip"},
                      Baseline({"models.list.shape", "models.object.shape"}))
    assert outcome.stale == ["models.list.shape"] and outcome.known == [] and outcome.new == []


def test_the_outcome_is_in_results_json_and_survives_a_reload():
    results = results_with({"models.list.shape"}, {"models.object.shape"})
    apply_baseline(results, Baseline({"models.list.shape", "models.object.shape"}, {"models.list.shape": "why"}))
    data = json.loads(json.dumps(results.to_json()))
    assert data["baseline"]["known"] == ["models.list.shape"] and data["baseline"]["stale"] == ["models.object.shape"]
    assert data["baseline"]["reasons"] == {"models.list.shape": "why"} and data["exit_code"] == 0
    again = from_json(data, load())
    assert again.exit_code() == 0 and again.baseline_outcome().to_json()["known"] == ["models.list.shape"]


def test_load_from_results_json_and_expectation_files(tmp_path):
    results = results_with({"models.list.shape"}, {"models.object.shape"})
    (tmp_path / "results.json").write_text(json.dumps(results.to_json()))
    assert load_baseline(tmp_path / "results.json").known == {"models.list.shape"}
    (tmp_path / "known.toml").write_text('[[known]]\nrequirement = "models.list.shape"\nreason = "upstream bug"\n')
    toml = load_baseline(tmp_path / "known.toml")
    assert toml.known == {"models.list.shape"} and toml.reasons == {"models.list.shape": "upstream bug"}
    (tmp_path / "known.json").write_text('["models.list.shape", {"requirement": "models.object.shape"}]')
    assert load_baseline(tmp_path / "known.json").known == {"models.list.shape", "models.object.shape"}
    assert load_baseline(None) is None


@pytest.mark.parametrize("name, text, message", [
    ("bad.json", "{not json", "is not JSON"),
    ("bad.toml", "known = [", "is not valid TOML"),
    ("bad.json", '{"known": "models.list.shape"}', "expected a list"),
    ("bad.json", '{"known": [], "other": 1}', "unknown key 'other'"),
    ("bad.json", '["no.such.requirement"]', "unknown requirement 'no.such.requirement'"),
    ("bad.json", '[{"reason": "x"}]', "each entry is a requirement id"),
    ("missing.json", None, "cannot read baseline"),
])
def test_a_bad_baseline_is_a_usage_error(tmp_path, name, text, message):
    if text is not None:
        (tmp_path / name).write_text(text)
    with pytest.raises(UsageError, match=message):
        load_baseline(tmp_path / name)


def test_oaic_run_with_a_baseline_of_its_own_failures_passes(tmp_path):
    """The bundled recording fails; with its own results as the baseline the same replay exits 0."""
    from oaic.cli import main

    first = tmp_path / "first"
    assert main(["run", "--replay", _bundled(), "--report-dir", str(first)]) == 1
    again = tmp_path / "again"
    assert main(["run", "--replay", _bundled(), "--report-dir", str(again),
                 "--baseline", str(first / "results.json")]) == 0
    data = json.loads((again / "results.json").read_text())
    assert data["baseline"]["known"] and not data["baseline"]["new"]
    assert main(["run", "--replay", _bundled(), "--report-dir", str(tmp_path / "bad"),
                 "--baseline", str(tmp_path / "nope.json")]) == 2


def _bundled() -> str:
    from oaic.recording import default_recording

    return str(default_recording())


def test_the_page_marks_known_failures_and_lists_new_and_stale_ones():
    from oaic.report import html

    results = results_with({"models.list.shape", "models.object.shape"}, {"chat.response.schema"})
    apply_baseline(results, Baseline({"models.list.shape", "chat.response.schema"}, source="known.toml"))
    page = html.render(results)
    assert "<span class=known" in page and "1 new</b> failure(s): <a href='#req-models.object.shape'>" in page
    assert "1 stale" in page and "#req-chat.response.schema" in page
