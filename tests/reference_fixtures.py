"""Running the whole suite in-process against the reference provider (clean or with faults), for self-tests."""

from __future__ import annotations

import contextlib
import io
import os
from typing import Iterable, Iterator

from suite.reference.server import running
from suite.results import Results
from suite.runner import run_suite

API_KEY = "sk-oaic-reference-self-test-key"
KEY_ENV = "OAIC_REFERENCE_SELF_TEST_KEY"
MODELS = {"model": "ref-chat", "tools_model": "ref-tools", "embedding_model": "ref-embed",
          "completions_model": "ref-instruct", "responses_model": "ref-responses"}


def suite_values(base_url: str, report_dir: str, only: Iterable[str] = (), timeout: float = 1.0) -> dict:
    """``oaic run`` options: every capability claimed, every model area on a reference model."""
    return {**MODELS, "base_url": base_url, "api_key_env": KEY_ENV, "capabilities": "all", "timeout": str(timeout),
            "total_timeout": "20", "report_dir": report_dir, "only": list(only) or None}


@contextlib.contextmanager
def _key_in_env() -> Iterator[None]:
    previous = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = API_KEY
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = previous


def run_against_reference(report_dir: str, faults: Iterable[str] = (), only: Iterable[str] = (),
                          timeout: float = 1.0) -> tuple[int, Results]:
    """Serve a fresh provider with ``faults`` and run the suite against it; (exit code, results).
    The suite's terminal report is swallowed: the caller asserts on the results."""
    with running(faults, api_key=API_KEY) as base_url, _key_in_env(), contextlib.redirect_stdout(io.StringIO()):
        outcome = run_suite(suite_values(base_url, report_dir, only, timeout))
    assert outcome.results is not None, f"the suite produced no results (exit {outcome.exit_code})"
    return outcome.exit_code, outcome.results


def verdicts(results: Results) -> dict[str, tuple[str, str]]:
    """requirement id -> (verdict, deciding message)."""
    return {r.requirement.id: (r.verdict, r.message) for r in results.by_requirement()}


# Filled by tests/test_mutation.py, printed by the terminal summary in tests/conftest.py.
MUTATION_SCORE: dict[str, set[str]] = {"tried": set(), "caught": set()}
