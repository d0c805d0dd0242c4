"""Parallel runs (``oaic run --jobs N``, ``pytest -n N``): the same verdicts as a serial run, one report, one
recording, and the run's budgets shared by every worker."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest
from oaic.ledger import SharedLedger
from oaic.runner import run_suite

from tests.reference_fixtures import _key_in_env, reference_server, suite_values
from tests.test_entrances import _one_error_line, oaic, plain_pytest

pytest.importorskip("xdist")


# -- the ledger ----------------------------------------------------------------------------------------------------
def test_the_ledger_counts_requests_and_tokens_across_handles_and_refuses_past_the_budget():
    ledger = SharedLedger.create()
    other = SharedLedger(ledger.path)  # another worker opens the same file
    try:
        assert ledger.reserve_request(max_requests=2, max_tokens=100) is None
        assert other.reserve_request(max_requests=2, max_tokens=100) is None
        refusal = ledger.reserve_request(max_requests=2, max_tokens=100)
        assert refusal is not None and "request budget exhausted: 2 of max-requests 2" in refusal
        other.add_tokens(150)
        assert ledger.totals() == (2, 150)
        assert "token budget exhausted: 150" in (ledger.reserve_request(max_requests=9, max_tokens=100) or "")
    finally:
        ledger.remove()


def test_the_ledger_spaces_request_starts_by_the_rate_whoever_sends_them():
    now = [100.0]
    ledger = SharedLedger.create()
    first, second = SharedLedger(ledger.path, clock=lambda: now[0]), SharedLedger(ledger.path, clock=lambda: now[0])
    try:
        assert first.claim_start(rps=4) == 0.0
        assert second.claim_start(rps=4) == pytest.approx(0.25)  # booked after the first
        assert first.claim_start(rps=4) == pytest.approx(0.5)
        now[0] = 200.0  # long after: no wait
        assert second.claim_start(rps=4) == 0.0
    finally:
        ledger.remove()


# -- units of work ----------------------------------------------------------------------------------------------------
def test_units_keep_a_modules_tests_together_in_order_and_go_heaviest_first():
    from types import SimpleNamespace

    from oaic.parallel import heaviest_first, scheduling_unit

    ids = ["s/test_chat.py::a", "s/test_chat.py::b", "s/test_models.py::x",
           "s/test_property.py::test_valid_requests[createChatCompletion]",
           "s/test_property.py::test_invalid_requests[createEmbedding]", "s/test_chat.py::c"]
    plans = {"createChatCompletion positive": [{}] * 5, "createEmbedding negative": [{}] * 2}
    assert scheduling_unit(ids[1]) == "s/test_chat.py" and scheduling_unit(ids[3]) == ids[3]
    ordered = [item.nodeid for item in heaviest_first([SimpleNamespace(nodeid=i) for i in ids], plans)]
    assert ordered == [ids[3], "s/test_chat.py::a", "s/test_chat.py::b", "s/test_chat.py::c", ids[4], ids[2]]


# -- whole runs ------------------------------------------------------------------------------------------------------
def _run(server, report_dir, output: io.StringIO | None = None, **extra) -> tuple[int, dict]:
    output = output or io.StringIO()
    with _key_in_env(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        outcome = run_suite({**suite_values(server.base_url, str(report_dir), plain=True), **extra})
    assert (report_dir / "results.json").is_file(), (outcome.exit_code, output.getvalue()[-3000:])
    data = json.loads((report_dir / "results.json").read_text())
    return outcome.exit_code, data


def _verdicts(data: dict) -> dict[str, str]:
    return {r["requirement"]: r["verdict"] for r in data["requirements"]}


def _same_requests(data: dict, serial_data: dict) -> None:
    """Every scenario sent its requests, as in the serial run: the counts per scenario match, up to the polls of
    the scenarios that wait for something to appear (a stored completion, a batch), and a retry on a loaded
    machine (a dropped keep-alive connection)."""
    ours, theirs = data["spent"]["requests_by_scenario"], serial_data["spent"]["requests_by_scenario"]
    assert ours.keys() == theirs.keys()
    for area, count in ours.items():
        assert abs(count - theirs[area]) <= (2 if area in ("stored", "batches") else 0), (area, count, theirs[area])


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """A serial plain-form run against the clean reference provider, and the provider (kept for the others)."""
    with reference_server() as server:
        code, data = _run(server, tmp_path_factory.mktemp("serial"))
        yield server, code, data


def test_jobs_judge_every_requirement_as_the_serial_run_does_in_one_report(serial, tmp_path):
    server, serial_code, serial_data = serial
    output = io.StringIO()
    code, data = _run(server, tmp_path, output, jobs="3")
    assert (code, serial_code) == (0, 0)
    assert _verdicts(data) == _verdicts(serial_data)
    assert data["judged"] == serial_data["judged"] and data["judged"]["judged"] > 200
    # every worker's requests are in the one report: spending, exchanges, and findings pointing at them
    _same_requests(data, serial_data)
    assert sum(data["spent"]["requests_by_scenario"].values()) == len(data["exchanges"])
    assert {f["test"] for f in data["findings"] if f["test"]} == {f["test"] for f in serial_data["findings"]
                                                                  if f["test"]}
    for finding in data["findings"]:
        if "exchange" in finding:
            assert data["exchanges"][finding["exchange"]]["test"] == finding["test"]
    # the progress lines count what the workers judged and sent, as they go
    lines = [line for line in output.getvalue().splitlines() if line.startswith("[")]
    last = re.match(r"\[ *(\d+)/(\d+)\] .*\| (\d+)/\d+ requirements, [\d.]+ s, (\d+) requests", lines[-1])
    assert last and last[1] == last[2] and int(last[3]) > 200 and int(last[4]) >= data["spent"]["requests"] - 5


def test_max_failures_is_refused_in_a_parallel_run_before_any_request(tmp_path):
    _one_error_line(oaic("run", "--base-url", "http://127.0.0.1:9/v1", "--jobs", "2", "--max-failures", "1",
                         cwd=tmp_path), "--max-failures stops a serial")


def test_the_request_budget_is_the_runs_not_each_workers(serial, tmp_path):
    server, _, _ = serial
    code, data = _run(server, tmp_path, jobs="3", max_requests="40")
    assert code == 3 and data["result"] == "INCOMPLETE"
    assert data["spent"]["requests"] <= 40  # three workers, one budget
    assert any("request budget exhausted" in r["message"] and "all workers" in r["message"]
               for r in data["requirements"] if r["verdict"] == "error")


def test_a_parallel_recording_is_one_recording_a_serial_replay_plays_in_full(serial, tmp_path):
    server, _, serial_data = serial
    recording = tmp_path / "rec"
    code, recorded = _run(server, tmp_path / "live", jobs="2", record=str(recording))
    assert code == 0
    assert (recording / "profile.toml").is_file() and (recording / "property-plans.json").is_file()
    with contextlib.redirect_stdout(io.StringIO()):
        outcome = run_suite({"replay": str(recording), "report_dir": str(tmp_path / "replayed"),
                             "pytest_args": "-p no:unraisableexception"})
    replayed = json.loads((tmp_path / "replayed" / "results.json").read_text())
    assert outcome.exit_code == 0, [r for r in replayed["requirements"] if r["verdict"] not in ("pass", "skip")][:3]
    assert replayed["totals"]["not-recorded"] == 0
    judged_by_discovery = {"errors.auth.key-enforced"}  # discovery's requests are not recorded, in any run
    assert _verdicts(recorded) == _verdicts(serial_data)
    assert {k: v for k, v in _verdicts(replayed).items() if k not in judged_by_discovery} == \
        {k: v for k, v in _verdicts(recorded).items() if k not in judged_by_discovery}


def test_plain_pytest_with_n_workers_writes_the_serial_results(serial, tmp_path):
    server, _, serial_data = serial
    with _key_in_env():
        env_key = ["--oaic-api-key-env", "OAIC_REFERENCE_SELF_TEST_KEY"]
        result = plain_pytest("-n", "4", "--pyargs", "oaic.scenarios", "--base-url", server.base_url, *env_key,
                              "--oaic-timeout", "1", "--oaic-report-dir", str(tmp_path / "r"), cwd=tmp_path,
                              timeout=300, keep_env=("OAIC_REFERENCE_SELF_TEST_KEY",))
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-2000:])
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    assert _verdicts(data) == _verdicts(serial_data)
    assert data["totals"] == serial_data["totals"]
    _same_requests(data, serial_data)


@pytest.mark.parametrize("jobs", ["0", "many"])
def test_a_bad_jobs_value_is_one_line_and_exit_2(tmp_path, jobs):
    _one_error_line(oaic("run", "--jobs", jobs, cwd=tmp_path), "--jobs must be a whole number")
