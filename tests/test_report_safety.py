"""Reports survive what a hostile server puts in its strings, and are written atomically."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from oaic.catalogue import load
from oaic.errors import UsageError
from oaic.findings import failed
from oaic.report import ReportWriteError, check_writable, html, terminal, write_all
from oaic.report.display import safe_display
from oaic.results import Results

POISON = "a\udc80b\x00c\x1b[31md\x07e\u202ef<script>x</script>"
LONG = "L" * 100_000
SECRET = "sk-hostile-secret-0123456789"


def poisoned_results() -> Results:
    results = Results(load(), {"models.list.shape", "models.object.shape"}, strict=True,
                      target={"base_url": "http://h/v1"}, claimed={"models", "core"})
    results.add(failed("models.list.shape", f"owned_by is {POISON!s}", owned_by=POISON, long=LONG), "t::a")
    results.add(failed("models.object.shape", f"id is {LONG}{SECRET}", id=LONG + SECRET), "t::b")
    return results


def test_safe_display_escapes_cuts_and_scrubs():
    assert safe_display("a\x00b\x1bc\x07d\u202ee\udc80f\nz") == "a\\x00b\\x1bc\\x07d\\u202ee\\udc80f\\nz"
    assert safe_display("line1\nline2", newlines=True) == "line1\nline2"
    assert safe_display("x" * 50, 10) == "x" * 10 + "… (50 chars)"
    assert safe_display("<b>é</b> 日本", 100) == "<b>é</b> 日本"  # markup is the HTML writer's business
    # scrubbed before the cut, so a cut never leaves a piece of a secret behind
    shown = safe_display("y" * 8 + SECRET, 20, [SECRET])
    assert SECRET[:10] not in shown and shown.startswith("y" * 8 + "<REDACTED>")


def test_reports_keep_wire_strings_faithfully_and_show_them_safely(tmp_path):
    results = poisoned_results()
    write_all(results, tmp_path, [SECRET])
    raw = (tmp_path / "results.json").read_bytes()
    data = json.loads(raw.decode("utf-8"))  # valid UTF-8 and valid JSON
    evidence = next(f["evidence"] for f in data["findings"] if f["requirement"] == "models.list.shape")
    assert evidence == {"owned_by": POISON, "long": LONG}  # faithful: the lone surrogate survives as \udc80
    assert SECRET not in raw.decode("utf-8")

    junit_text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    ET.fromstring(junit_text.encode("utf-8"))  # valid XML
    assert "\x00" not in junit_text and "\x1b" not in junit_text and "\u202e" not in junit_text
    assert "\\x1b[31m" in junit_text and "(100016 chars)" in junit_text and SECRET not in junit_text

    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>x</script>" not in report

    shown = terminal.render(results, secrets=[SECRET])
    shown.encode("utf-8")  # nothing unencodable reaches the terminal
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown and "\udc80" not in shown
    assert "\\udc80" in shown and "chars)" in shown and LONG not in shown and SECRET not in shown


def test_a_failed_rendering_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    write_all(poisoned_results(), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(results):
        raise RuntimeError("renderer\nbroke")

    monkeypatch.setattr(html, "render", broken)
    with pytest.raises(ReportWriteError) as caught:
        write_all(poisoned_results(), tmp_path)
    assert "\n" not in str(caught.value) and "unchanged" in str(caught.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary file left either


def test_an_unwritable_report_folder_is_refused_up_front_and_by_the_writer(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="cannot write reports to"):
        check_writable(blocker / "reports")
    with pytest.raises(UsageError, match="cannot write reports to"):
        check_writable(blocker)
    with pytest.raises(ReportWriteError, match="cannot write reports to"):
        write_all(poisoned_results(), blocker)
    assert blocker.read_text() == "not a folder"
    check_writable(tmp_path / "new" / "reports")  # a folder that can be created is fine ...
    assert not (tmp_path / "new").exists()  # ... and is not left behind empty
    check_writable(tmp_path)
    assert list(tmp_path.iterdir()) == [blocker]


def test_run_with_an_unwritable_report_folder_exits_2_in_one_line(tmp_path, capsys):
    from oaic.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("old")
    code = main(["run", "--report-dir", str(blocker / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("oaic: error: cannot write reports to") and "Traceback" not in "".join(err)
    assert blocker.read_text() == "old"
