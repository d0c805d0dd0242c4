"""Self-tests of the suite. At the end of a full run, every catalogued requirement must have been shown failing
on a violating transcript (tests/helpers.assert_fails): the suite proves its own checks can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import helpers

TESTS_DIR = Path(__file__).resolve().parent


def _is_full_run(config: pytest.Config) -> bool:
    if config.getoption("keyword") or config.getoption("markexpr"):
        return False
    args = config.args or [str(TESTS_DIR)]
    return all(Path(config.invocation_params.dir, a).resolve() == TESTS_DIR for a in args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _is_full_run(session.config) or session.testsfailed:
        return  # a partial or failing run proves nothing about coverage
    from oaic.catalogue import load

    missing = sorted(r.id for r in load() if r.id not in helpers.SHOWN_FAILING)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if missing:
        if reporter:
            reporter.write_line(f"requirements never shown failing on a violating transcript ({len(missing)}): "
                                + ", ".join(missing), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter:
        reporter.write_line(f"every one of the {len(load())} requirements was shown failing on a violating "
                            f"transcript")


def pytest_terminal_summary(terminalreporter) -> None:
    from tests.reference_fixtures import MUTATION_SCORE

    tried, caught = MUTATION_SCORE["tried"], MUTATION_SCORE["caught"]
    if tried:
        terminalreporter.write_line(f"mutation score: {len(caught)}/{len(tried)} faults of the reference provider "
                                    f"caught" + (f"; missed: {', '.join(sorted(tried - caught))}"
                                                 if tried - caught else ""))
