"""Run the scenarios in-process and hand back the Results: used by ``oaic run`` and by the self-tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .results import Results

EXIT_USAGE = 2


@dataclass
class RunOutcome:
    exit_code: int
    results: Results | None


class _Capture:
    """A throwaway pytest plugin that keeps the Results of the run it is registered with."""

    def __init__(self) -> None:
        self.results: Results | None = None

    def pytest_sessionfinish(self, session: Any) -> None:
        from .plugin import RESULT_KEY

        self.results = session.config.stash.get(RESULT_KEY, None)


def pytest_args(values: dict[str, Any]) -> list[str]:
    from .options import OPTIONS

    # The root is the folder holding the package, so test ids (suite/scenarios/test_x.py::...) do not depend on
    # where the user runs from or where a recording lives.
    root = str(Path(__file__).resolve().parent.parent)
    args = ["--rootdir", root, "--pyargs", "oaic.scenarios", "-p", "oaic.plugin", "-qq", "--no-header", "-p", "no:cacheprovider",
            "--tb=no", "-rN", "-W", "ignore::DeprecationWarning"]
    for option in OPTIONS:
        value = values.get(option.dest)
        if value in (None, False, [], ""):
            continue
        flag = f"--oaic-{option.name}"
        if option.kind == "flag":
            args.append(flag)
        elif option.kind == "append":
            for item in value:
                args += [flag, str(item)]
        else:
            args += [flag, str(value)]
    if values.get("verbose"):
        args.append("--oaic-verbose")
    if values.get("pytest_args"):
        import shlex

        args += shlex.split(values["pytest_args"])
    return args


def run_suite(values: dict[str, Any]) -> RunOutcome:
    """Run the scenarios with only the plugins the suite needs (fast and independent of the user's plugins)."""
    import pytest

    capture = _Capture()
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        code = int(pytest.main(pytest_args(values), plugins=[capture]))
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
    if code in (0, 1, 2):
        return RunOutcome(code, capture.results)
    return RunOutcome(EXIT_USAGE if code in (3, 4) else 1, capture.results)
