"""Self-tests of the suite. At the end of a full run, every catalogued requirement must have been shown failing
on a violating transcript (tests/helpers.assert_fails) — the suite proves its own checks can fail."""

from __future__ import annotations

import pytest

from tests import helpers


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.getoption("-k") or session.config.getoption("-m") or session.config.args != ["tests"] \
            and not any(a.rstrip("/").endswith("tests") for a in session.config.args):
        return  # a partial run proves nothing about coverage
    if session.testsfailed or not helpers.SHOWN_FAILING:
        return
    from suite.catalogue import load

    missing = sorted(r.id for r in load() if r.id not in helpers.SHOWN_FAILING)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if missing:
        if reporter:
            reporter.write_line(f"requirements never shown failing on a violating transcript ({len(missing)}): "
                                + ", ".join(missing), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter:
        reporter.write_line(f"every one of the {len(load())} requirements was shown failing on a violating transcript")
