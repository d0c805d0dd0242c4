"""Report handlers: results.json holds the documented fields, junit.xml maps verdicts, report views and errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from oaic.catalogue import load
from oaic.cli import main
from oaic.findings import failed, passed, skipped
from oaic.report import terminal, write_all
from oaic.results import Results, from_json


def sample_results(strict: bool = False) -> Results:
    results = Results(load(), {"models.list.shape", "models.list.contains-configured", "models.object.shape",
                               "chat.response.schema"}, strict=strict,
                      target={"base_url": "http://h/v1", "api_key_set": True}, claimed={"models", "chat", "core"})
    results.add(failed("models.list.shape", "expected a list, got sk-secret-key-123", pointer="/"), "t::a")
    results.add(failed("models.list.contains-configured", "missing m"), "t::a")
    results.add(passed("models.object.shape"), "t::a")
    results.add(skipped("chat.response.schema", "not claimed"), "t::b")
    results.spent = {"requests": 3, "retries": 0, "total_tokens": 10}
    return results


def test_results_json_has_the_documented_fields_and_no_secret(tmp_path):
    write_all(sample_results(), tmp_path, secrets=["sk-secret-key-123"])
    text = (tmp_path / "results.json").read_text()
    for name in ("results.json", "junit.xml", "report.html"):
        assert "sk-secret-key-123" not in (tmp_path / name).read_text()
    data = json.loads(text)
    for key in ("suite", "mode", "target", "started", "finished", "duration_s", "strict", "exit_code", "totals",
                "spent", "requirements", "findings", "metrics"):
        assert key in data
    assert data["exit_code"] == 1 and data["totals"]["fail"] == 1 and data["totals"]["warn"] == 1
    finding = data["findings"][0]
    assert set(finding) >= {"requirement", "level", "verdict", "test", "message", "evidence"}
    assert finding["evidence"] == {"pointer": "/"}


def test_junit_maps_verdicts(tmp_path):
    write_all(sample_results(), tmp_path)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {c.get("name").split(" ")[0]: c for c in root.iter("testcase")}
    assert cases["models.list.shape"].find("failure") is not None
    assert cases["models.list.contains-configured"].find("failure") is None  # a warn is not a failure ...
    strict_dir = tmp_path / "strict"
    write_all(sample_results(strict=True), strict_dir)
    strict_cases = {c.get("name").split(" ")[0]: c for c in ET.parse(strict_dir / "junit.xml").getroot().iter("testcase")}
    assert strict_cases["models.list.contains-configured"].find("failure") is not None  # ... unless --strict
    assert cases["chat.response.schema"].find("skipped") is not None


def test_terminal_summary_names_failures_with_evidence():
    text = terminal.render(sample_results())
    assert "FAIL (1)" in text and "models.list.shape [MUST]" in text and '"pointer": "/"' in text
    assert "WARN (1)" in text and "NOT CONFORMANT (exit 1)" in text


def test_report_command_round_trip_diff_and_matrix(tmp_path, capsys):
    write_all(sample_results(), tmp_path / "a")
    better = sample_results()
    better.findings = [f for f in better.findings if f.requirement != "models.list.shape"]
    better.add(passed("models.list.shape"))
    write_all(better, tmp_path / "b")
    a, b = str(tmp_path / "a" / "results.json"), str(tmp_path / "b" / "results.json")
    assert main(["report", a]) == 1
    assert "models.list.shape [MUST]" in capsys.readouterr().out
    assert main(["report", "--diff", a, b]) == 0
    assert "models.list.shape: fail -> pass" in capsys.readouterr().out
    assert main(["report", "--diff", b, a]) == 1
    assert "REGRESSED  models.list.shape: pass -> fail" in capsys.readouterr().out
    assert main(["report", "--matrix", a, b]) == 0
    assert "| `models.list.shape` | MUST | ❌ fail | ✅ pass |" in capsys.readouterr().out
    rebuilt = from_json(json.loads(open(a).read()), load())
    assert rebuilt.exit_code() == 1


def test_report_command_bad_input(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("{nope")
    assert main(["report", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("oaic: error: ")
    assert main(["report", "--diff", str(bad)]) == 2


def test_html_report_escapes_what_the_server_sent(tmp_path):
    results = sample_results()
    results.add(failed("models.object.shape", "<script>alert(1)</script>"))
    write_all(results, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "models.list.shape" in page
