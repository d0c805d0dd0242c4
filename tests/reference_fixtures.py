"""Running the whole suite in-process against the reference provider (clean or with faults), for self-tests."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable, Iterator

from oaic.reference.server import ReferenceServer
from oaic.results import Results
from oaic.runner import run_suite

API_KEY = "sk-oaic-reference-self-test-key"
KEY_ENV = "OAIC_REFERENCE_SELF_TEST_KEY"
MODELS = {"model": "ref-chat", "tools_model": "ref-tools", "embedding_model": "ref-embed",
          "completions_model": "ref-instruct", "responses_model": "ref-responses",
          "moderation_model": "ref-moderation", "transcription_model": "ref-whisper"}
# pytest's unraisable-exception plugin runs a full garbage collection at the end of every in-process run: a
# noticeable share of a short run, and the suite has no use for it.
FAST_PYTEST = "-p no:unraisableexception"

# Filled by tests/test_mutation.py, printed by the terminal summary in tests/conftest.py.
MUTATION_SCORE: dict[str, set[str]] = {"tried": set(), "caught": set()}


def suite_values(base_url: str, report_dir: str, only: Iterable[str] = (), timeout: float = 1.0,
                 skip: Iterable[str] = (), plain: bool = False) -> dict:
    """``oaic run`` options: every capability claimed, every model area on a reference model; or with ``plain``
    the plain form a user types (the base URL and the key's variable), where discovery decides."""
    pinned = {} if plain else {**MODELS, "capabilities": "all"}
    return {**pinned, "base_url": base_url, "api_key_env": KEY_ENV, "timeout": str(timeout),
            "total_timeout": "20", "report_dir": report_dir, "only": list(only) or None, "skip": list(skip) or None,
            "pytest_args": FAST_PYTEST}


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


def reference_server(**options) -> ReferenceServer:
    """A provider that requires API_KEY (so the auth requirements are judged); start it with ``with``.
    ``options`` are ReferenceServer's: routes, unknown_routes, latency."""
    return ReferenceServer(api_key=API_KEY, **options)


def run_against_reference(server: ReferenceServer, report_dir: str, faults: Iterable[str] = (),
                          only: Iterable[str] = (), timeout: float = 1.0,
                          skip: Iterable[str] = (), plain: bool = False) -> tuple[int, Results]:
    """Put a fresh provider with ``faults`` behind ``server`` and run the suite against it; (exit code, results).
    The suite's terminal report is swallowed: the caller asserts on the results."""
    server.reset(faults, api_key=API_KEY)
    with _key_in_env(), contextlib.redirect_stdout(io.StringIO()):
        outcome = run_suite(suite_values(server.base_url, report_dir, only, timeout, skip, plain))
    assert outcome.results is not None, f"the suite produced no results (exit {outcome.exit_code})"
    return outcome.exit_code, outcome.results


def verdicts(results: Results) -> dict[str, tuple[str, str]]:
    """requirement id -> (verdict, deciding message)."""
    return {r.requirement.id: (r.verdict, r.message) for r in results.by_requirement()}


# -- many fault runs at once: one worker process per core, each with its own server -------------------------------
_worker_server: ReferenceServer | None = None


def _run_one_fault(job: tuple) -> tuple[str, dict[str, tuple[str, str]]]:
    global _worker_server
    name, only, report_dir, *pinned = job
    if _worker_server is None:
        _worker_server = reference_server().start()  # lives as long as the worker process
    _, results = run_against_reference(_worker_server, report_dir, [name], only, plain=not (pinned and pinned[0]))
    return name, verdicts(results)


def run_faults(jobs: list[tuple]) -> dict[str, dict[str, tuple[str, str]]]:
    """(fault name, --only globs, report dir[, pinned]) per job -> the verdicts of the suite against that fault,
    run in the plain form a user types (oaic run --base-url URL) unless ``pinned`` (every model and capability).
    Runs are independent, so they are spread over worker processes (spawned: the caller has threads)."""
    import concurrent.futures
    import multiprocessing

    # One more worker than cores: some runs mostly wait (a stalled stream, a stored completion that never appears).
    workers = max(1, min(len(jobs), (os.cpu_count() or 1) + 1, 4))
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(pool.map(_run_one_fault, jobs))
