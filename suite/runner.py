"""Run the scenarios in-process through pytest and hand back the Results: used by ``oaic run`` and the self-tests.

The Run is built here once (options validated, target, store, transport, results) and handed to pytest as a
plugin object; pytest runs with only the plugins the suite needs, so the user's other plugins can neither slow a
run down nor change it.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .results import Results
from .run import Run

EXIT_USAGE = 2
MAX_FAILURES_SERIAL = ("--max-failures stops a serial run only (its count is the whole run's): drop --jobs/-n or "
                       "--max-failures")


@dataclass
class RunOutcome:
    exit_code: int
    results: Results | None


def pytest_args(extra: str = "") -> list[str]:
    # The root is the folder holding the package, so test ids (suite/scenarios/test_x.py::...) do not depend on
    # where the user runs from or where a recording lives.
    root = str(Path(__file__).resolve().parent.parent)
    return ["--rootdir", root, "--pyargs", "oaic.scenarios", "-qq", "--no-header",
            # unraisableexception collects garbage at the end of every run: a noticeable share of a short one
            "-p", "no:cacheprovider", "-p", "no:unraisableexception", "--continue-on-collection-errors", "--tb=no", "-rN", "-W", "ignore::DeprecationWarning", *shlex.split(extra or "")]


def run_suite(values: dict[str, Any]) -> RunOutcome:
    """Build the Run from option values (a usage error is one line on stderr and exit 2), then run it."""
    try:
        jobs = parse_jobs(values.get("jobs"))
        if jobs > 1 and (values.get("max_failures") or os.environ.get("OAIC_MAX_FAILURES")):
            raise UsageError(MAX_FAILURES_SERIAL)  # before any request (a profile's is refused by the plugin)
        run = Run.build(values)
    except UsageError as exc:
        print(f"oaic: error: {exc}", file=sys.stderr)
        return RunOutcome(EXIT_USAGE, None)
    return run_pytest(run, values.get("pytest_args") or "", jobs=jobs)


def parse_jobs(value: Any) -> int:
    try:
        jobs = int(value if value not in (None, "") else 1)
    except (TypeError, ValueError):
        jobs = 0
    if jobs < 1:
        raise UsageError(f"--jobs must be a whole number of worker processes (1 or more), got {value!r}")
    if jobs > 1:
        import importlib.util

        if importlib.util.find_spec("xdist") is None:  # not imported here: pytest imports its plugins itself
            raise UsageError("--jobs needs pytest-xdist: pip install pytest-xdist")
    return jobs


def parallel_args(jobs: int) -> list[str]:
    """pytest-xdist with N workers; the workers load the oaic plugin by name (plugin autoload is off)."""
    if jobs <= 1:
        return []
    return ["-p", "xdist.plugin", "-p", "oaic.plugin", "-n", str(jobs)]


def run_pytest(run: Run, extra_args: str = "", jobs: int = 1, watch: Any = None) -> RunOutcome:
    """``watch``: what shows the progress (default: a live line on a terminal, plain lines elsewhere)."""
    import pytest

    from . import plugin
    from .progress import Progress

    watch = watch or Progress.for_terminal(run)

    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = int(pytest.main([*parallel_args(jobs), *pytest_args(extra_args)],
                               plugins=[plugin, plugin.RunHandle(run), watch]))
    finally:
        run.close()  # pytest may stop before the session ends (a bad --pytest-args): never leave the store open
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    if run.results.finished is not None:  # the session ended and wrote its reports
        return RunOutcome(run.exit_code(), run.results)
    return RunOutcome(EXIT_USAGE if code in (3, 4) else code or 1, None)
