"""A hostile or broken server cannot break the run or its reports.

``oaic run`` (a real process, as a user runs it) against the reference provider with each hostile fault
(suite/reference/faults/hostile.py): exit 1, no traceback, time and memory bounded, and every report complete,
valid and inert: results.json is valid UTF-8 JSON holding every selected requirement and the poisoned string
exactly, junit.xml is valid XML, report.html holds no element or attribute the report did not write itself, and
the terminal shows the poison escaped. Then the two ways writing the reports can fail.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from oaic.catalogue import load
from oaic.reference.faults.hostile import BIDI, CONTROL, LONE_SURROGATE, MARKUP
from oaic.reference.server import ReferenceServer

from tests.reference_fixtures import API_KEY, KEY_ENV, MODELS

ROOT = Path(__file__).resolve().parent.parent
# Enough scenarios to carry every poison into the reports: free text (unicode-valid), enumerations quoted by the
# object checks, whole bodies (transport), streams (data-json, bounded).
ONLY = ("transport.*", "models.list.shape", "chat.response.object", "chat.stream.data-json", "chat.stream.object")
SECONDS = 60
ORDINARY = "stream-invalid-json"  # a fault that breaks no string: the report's own markup for a failure
MEMORY = 2 * 1024 ** 3  # address space of the run: far above what it needs (a 16 MiB body held a few times)
# `python -m oaic.cli` with its address space capped first (preexec_fn is unsafe beside this process's threads).
LIMITED = (f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY})); "
           "sys.argv[0] = 'oaic'; runpy.run_module('oaic.cli', run_name='__main__', alter_sys=True)")
# The poison each fault leaves in the reports, as the terminal must show it (escaped) and must not (raw).
SHOWN = {
    "hostile-lone-surrogate": ("\\udc80", LONE_SURROGATE),
    "hostile-invalid-utf8": ("not valid UTF-8", "\udcff"),
    "hostile-deep-nesting": ("nesting deeper than 128 levels", "[" * 1000),
    "hostile-huge-line": ("exceeded 16777216 bytes", "A" * 5000),
    "hostile-markup": ("<script>alert(1)</script>", None),  # the terminal is not HTML: shown as is
    "hostile-control-chars": ("\\u001b[31;1mRED", CONTROL),  # quoted as JSON by the check messages
    "hostile-bidi": ("\\u202eevil", BIDI),
}


def oaic_run(base_url: str, report_dir: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    args = [sys.executable, "-c", LIMITED, "run", "--base-url", base_url, "--model", MODELS["model"],
            "--api-key-env", KEY_ENV, "--timeout", "2", "--total-timeout", "20",
            "--report-dir", str(report_dir), "--strict", *[f"--only={glob}" for glob in ONLY], *extra]
    env = {**os.environ, KEY_ENV: API_KEY, "PYTHONIOENCODING": "utf-8"}
    start = time.monotonic()
    done = subprocess.run(args, capture_output=True, env=env, cwd=ROOT, timeout=SECONDS + 30)
    return done, time.monotonic() - start


def run_against(fault: str | None, report_dir: Path) -> tuple[subprocess.CompletedProcess, float]:
    with ReferenceServer([fault] if fault else [], api_key=API_KEY) as server:
        return oaic_run(server.base_url, report_dir)


class Markup(HTMLParser):
    """Every element and attribute name in a page, and the values of attributes that could run code."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.values: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src", "action", "formaction") or name.startswith("on"):
                self.values.add((value or "") if name == "href" else f"{name}={value}")


def markup_of(path: Path) -> Markup:
    parser = Markup()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The clean provider, an ordinary fault, and each hostile fault, two runs at a time: name -> (process,
    seconds, report dir)."""
    root = tmp_path_factory.mktemp("hostile")
    names = [None, ORDINARY, *SHOWN]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(run_against, name, root / (name or "clean")) for name in names}
        return {name: (*future.result(), root / (name or "clean")) for name, future in futures.items()}


def test_the_clean_provider_passes_in_this_selection(runs):
    done, seconds, _ = runs[None]
    assert done.returncode == 0, done.stdout.decode("utf-8", "replace")[-3000:]


@pytest.mark.parametrize("fault", list(SHOWN))
def test_hostile_fault_gives_exit_1_and_complete_inert_reports(fault, runs):
    done, seconds, reports = runs[fault]
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # the terminal got valid UTF-8
    assert "Traceback" not in out + err and "INTERNALERROR" not in out + err, (out + err)[-3000:]
    assert done.returncode == 1, (out + err)[-3000:]
    assert seconds < SECONDS

    shown, raw = SHOWN[fault]
    assert shown in out, out[-3000:]
    assert raw is None or raw not in out

    data = json.loads((reports / "results.json").read_bytes().decode("utf-8"))
    selected = load().select(list(ONLY), None)
    assert {r["requirement"] for r in data["requirements"]} == selected
    assert not [r for r in data["requirements"] if r["verdict"] == "error"], "a poison became a suite error"
    if fault == "hostile-lone-surrogate":  # kept exactly: the JSON escape reads back as the lone surrogate
        assert any(f["evidence"].get("string", "").endswith(LONE_SURROGATE) for f in data["findings"])

    junit = (reports / "junit.xml").read_bytes()
    ET.fromstring(junit)
    assert not any(c in junit.decode("utf-8") for c in "\x00\x1b\x07\u202e")

    # The page may use only the markup the report writes itself: that of a clean run and of an ordinary failure.
    clean, ordinary = markup_of(runs[None][2] / "report.html"), markup_of(runs[ORDINARY][2] / "report.html")
    page = markup_of(reports / "report.html")
    assert page.tags <= clean.tags | ordinary.tags, page.tags - clean.tags - ordinary.tags
    assert page.attributes <= clean.attributes | ordinary.attributes, page.attributes - clean.attributes
    assert all(value.startswith("#") for value in page.values), page.values  # in-page anchors only
    if fault == "hostile-markup":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (reports / "report.html").read_text(encoding="utf-8")
    assert MARKUP not in (reports / "report.html").read_text(encoding="utf-8")


def test_unwritable_report_folder_exits_2_before_any_request(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("old")
    with ReferenceServer([], api_key=API_KEY) as server:
        done, _ = oaic_run(server.base_url, blocker / "reports")
    err = done.stderr.decode("utf-8").strip().splitlines()
    assert done.returncode == 2 and len(err) == 1, err
    assert err[0].startswith(f"oaic: error: cannot write reports to {blocker / 'reports'}")
    assert done.stdout == b"" and blocker.read_text() == "old"


def test_reports_that_cannot_be_replaced_leave_the_old_ones_and_exit_2(tmp_path):
    """Root ignores permission bits, so the failure is made another way: results.json is a folder."""
    (tmp_path / "results.json").mkdir()
    (tmp_path / "junit.xml").write_text("old junit")
    (tmp_path / "report.html").write_text("old html")
    with ReferenceServer(["hostile-markup"], api_key=API_KEY) as server:
        done, _ = oaic_run(server.base_url, tmp_path)
    err = done.stderr.decode("utf-8").strip().splitlines()
    assert done.returncode == 2 and len(err) == 1 and "Traceback" not in done.stdout.decode("utf-8"), err
    assert err[0].startswith(f"oaic: error: cannot write reports to {tmp_path}") and "unchanged" in err[0]
    assert (tmp_path / "junit.xml").read_text() == "old junit" and (tmp_path / "report.html").read_text() == "old html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml", "report.html", "results.json"]


def test_a_stream_that_never_ends_is_cut_by_the_total_deadline_and_fails(tmp_path):
    """An invalid streamed request answered with chunks for ever (never stalled, never done): the run ends soon
    after --total-timeout and reports the failure."""
    args = [sys.executable, "-c", LIMITED, "run", "--base-url", "", "--model", MODELS["model"],
            "--completions-model", MODELS["completions_model"], "--capabilities", "completions",
            "--api-key-env", KEY_ENV, "--timeout", "2", "--total-timeout", "3", "--report-dir", str(tmp_path),
            "--only", "completions.stream.invalid-rejected"]
    env = {**os.environ, KEY_ENV: API_KEY, "PYTHONIOENCODING": "utf-8"}
    with ReferenceServer(["hostile-stream-forever-on-invalid"], api_key=API_KEY) as server:
        args[args.index("--base-url") + 1] = server.base_url
        start = time.monotonic()
        done = subprocess.run(args, capture_output=True, env=env, cwd=ROOT, timeout=SECONDS)
        elapsed = time.monotonic() - start
    assert done.returncode == 1, done.stdout.decode()[-2000:] + done.stderr.decode()[-2000:]
    assert elapsed < 3 + 20, f"the run took {elapsed:.1f}s"
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    verdicts = [f for f in data["findings"] if f["requirement"] == "completions.stream.invalid-rejected"]
    assert [f["verdict"] for f in verdicts] == ["fail"]
    assert "total deadline" in verdicts[0]["message"]
