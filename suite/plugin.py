"""The pytest plugin (entry point ``pytest11: oaic``): it translates pytest's events for the Run, nothing more.

The Run (run.py) holds the options, target, transport and results; Results holds the verdict policy. This module
only finds or builds the Run, opens a test scope around each test phase, turns what a scenario raised into the
matching verdict, and writes the reports at the end. It is inert in any pytest run that is not a run of the oaic
scenarios: its options are namespaced (``--oaic-*``), and the short names are added only when the command line
names the scenarios.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from . import parallel, progress
from .errors import BudgetExhausted, NotRecorded, UsageError
from .exchange import Exchange
from .findings import ERROR, FAIL, NOT_RECORDED, WARN, Finding, skipped, unsupported
from .options import OPTIONS, PYTEST_RESERVED
from .parallel import WORKER_KEY
from .results import Results
from .run import Run
from .scope import TestScope, test_scope
from .target import Target
from .transport import Transport

RUN_KEY = pytest.StashKey[Run]()
COVERED_KEY = pytest.StashKey[set]()
SCENARIO_PACKAGE = "oaic.scenarios"
EXIT_USAGE = 2


class RunHandle:
    """How ``oaic run`` hands the Run it built to pytest (a plugin object), so nothing is built twice."""

    def __init__(self, run: Run) -> None:
        self.run = run


# -- options -------------------------------------------------------------------------------------------------
def _add_options(group: Any, names_for: Any) -> None:
    for option in OPTIONS:
        names = names_for(option)
        if not names:
            continue
        kwargs: dict[str, Any] = {"dest": f"oaic_{option.dest}", "help": option.help}
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
            kwargs["action"] = "append" if option.kind == "append" else "store"
        group.addoption(*names, **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oaic", "OpenAI-compatible conformance (oaic)")
    _add_options(group, lambda option: [f"--oaic-{option.name}"])
    group.addoption("--oaic-verbose", dest="oaic_verbose", action="store_true",
                    help="show every finding of failed requirements in the summary")


def _names_scenarios(args: Iterable[str]) -> bool:
    """Does this command line run the oaic scenarios (by package name, folder, or an --oaic-* option)?"""
    folder = str(_scenario_folder())
    for arg in args:
        text = str(arg)
        if text.startswith("--oaic-") or SCENARIO_PACKAGE in text or "oaic/scenarios" in text.replace("\\", "/"):
            return True
        if text and not text.startswith("-") and str(Path(text.split("::")[0]).resolve()).startswith(folder):
            return True
    return False


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Short option names (``--base-url``, ``--model``) only for a run of the oaic scenarios, and only where no
    other plugin owns the name (pytest-base-url's ``--base-url`` is then read instead)."""
    if not _names_scenarios(args):
        return
    taken = _option_names(parser)
    group = parser.getgroup("oaic")
    _add_options(group, lambda option: [] if option.name in PYTEST_RESERVED or f"--{option.name}" in taken
                 else [f"--{option.name}"])


def _option_names(parser: pytest.Parser) -> set[str]:
    """Every option name other plugins registered so far (all entry-point plugins are loaded by now)."""
    groups = [*getattr(parser, "_groups", []), getattr(parser, "_anonymous", None)]
    return {name for group in groups if group is not None
            for option in getattr(group, "options", []) for name in option.names()}


def option_values(config: pytest.Config) -> dict[str, Any]:
    values = {o.dest: config.getoption(f"oaic_{o.dest}", None) for o in OPTIONS}
    if not values.get("base_url"):  # pytest-base-url owns --base-url when it is installed
        values["base_url"] = config.getoption("base_url", None)
    values["verbose"] = config.getoption("oaic_verbose", False)
    return values


# -- building or finding the Run -------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    handed = [p for p in config.pluginmanager.get_plugins() if isinstance(p, RunHandle)]
    workerinput = getattr(config, "workerinput", None)
    try:
        if handed:
            _attach(config, handed[0].run)
        elif workerinput is not None and WORKER_KEY in workerinput:  # a worker of a parallel oaic run
            config.stash[RUN_KEY] = Run.for_worker(workerinput[WORKER_KEY])
            config.pluginmanager.register(CollectionErrors(config.stash[RUN_KEY]))
            config.pluginmanager.register(parallel.ParallelWorker(config.stash[RUN_KEY]))
        elif _names_scenarios(config.invocation_params.args) and workerinput is None:
            _attach(config, Run.build(option_values(config)))
    except UsageError as exc:
        print(f"oaic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return None


def _attach(config: pytest.Config, run: Run) -> None:
    """The Run of this pytest session; with -n N its workers get their state from it (see parallel.py)."""
    if parallel.requested(config) and (run.options.get("max_failures") or run.target.max_failures):
        from .runner import MAX_FAILURES_SERIAL

        raise UsageError(MAX_FAILURES_SERIAL)
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(CollectionErrors(run))
    progress.attach(config, run)
    if parallel.requested(config):
        run.prepare_workers()
        config.pluginmanager.register(parallel.ParallelController(config, run), "oaic-parallel")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "covers(*ids): requirement IDs (or globs) this scenario judges")
    config.addinivalue_line("markers", "needs(*capabilities): capabilities the target must claim")


def _run(config: pytest.Config) -> Run | None:
    return config.stash.get(RUN_KEY, None)


# -- collection --------------------------------------------------------------------------------------------------
def _scenario_folder() -> Path:
    from . import scenarios

    return Path(scenarios.__file__).resolve().parent


class ScenarioModule(pytest.Module):
    """A scenario module imported under its package name (``oaic.scenarios.test_chat``): in a checkout the
    package's folder is called ``suite``, and pytest would otherwise name (and import) it after the folder."""

    def _getobj(self):  # type: ignore[override]
        import importlib

        return importlib.import_module(f"{SCENARIO_PACKAGE}.{self.path.stem}")


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if module_path.name.startswith("test_") and module_path.resolve().parent == _scenario_folder():
        return ScenarioModule.from_parent(parent, path=module_path)
    return None


def _is_scenario(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and module.__name__.startswith(SCENARIO_PACKAGE)


def covered_requirements(item: pytest.Item, run: Run) -> set[str]:
    ids: set[str] = set()
    for marker in item.iter_markers("covers"):
        for pattern in marker.args:
            matched = {r.id for r in run.catalogue.matching(pattern)}
            if not matched:
                raise UsageError(f"{item.nodeid}: covers({pattern!r}) matches no requirement")
            ids |= matched
    if not ids:
        raise UsageError(f"scenario {item.nodeid} has no @pytest.mark.covers(...)")
    return ids


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    run = _run(config)
    if run is None:
        return
    keep, drop = [], []
    for item in items:
        if not _is_scenario(item):
            keep.append(item)
            continue
        covered = covered_requirements(item, run)
        item.stash[COVERED_KEY] = covered & run.selected
        (keep if covered & run.selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class CollectionErrors:
    """Registered beside a Run: a scenario module that cannot be collected is a suite error, said in the results
    (the run is INCOMPLETE), never silently absent."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.run.results.suite_errors.append(f"cannot collect {report.nodeid}: {text[-1] if text else 'error'}")


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Requirements a -k or -m expression left out are not judged: the results say so (never a silent skip)."""
    for item in items:
        run = _run(item.config)
        if run is None or not _is_scenario(item):
            continue
        covered = item.stash.get(COVERED_KEY, None)
        if covered is None:  # deselected before oaic's own selection ran
            try:
                covered = covered_requirements(item, run) & run.selected
            except UsageError:
                continue
        run.results.deselected(covered, item.nodeid)


# -- one test ------------------------------------------------------------------------------------------------------
def _scope(item: pytest.Item, phase: str) -> TestScope:
    area = item.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")  # type: ignore[attr-defined]
    return TestScope(item.nodeid, area, phase)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    run = _run(item.config)
    if run is not None and _is_scenario(item):
        missing = [cap for marker in item.iter_markers("needs") for cap in marker.args if not run.target.claims(cap)]
        if missing:
            run.results.capability_missing(item.stash.get(COVERED_KEY, set()), item.nodeid, missing[0])
            pytest.skip(f"not claimed: the target does not claim capability '{missing[0]}'")
    if run is None or not _is_scenario(item):
        return (yield)
    with test_scope(_scope(item, "setup")):
        try:
            return (yield)
        except (pytest.skip.Exception, KeyboardInterrupt):
            raise
        except BaseException as exc:  # a fixture failed: the scenario cannot judge what it covers
            verdict, message = _unjudged(exc, f"suite error in the setup of {item.name}")
            run.results.unjudged(item.stash.get(COVERED_KEY, set()), item.nodeid, verdict, message)
            raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    run = _run(item.config)
    with test_scope(_scope(item, "teardown")) if run is not None and _is_scenario(item) else nullcontext():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    run = _run(item.config)
    if run is None or not _is_scenario(item):
        return (yield)
    covered = item.stash.get(COVERED_KEY, set())
    with test_scope(_scope(item, "call")):
        try:
            result = yield
        except (pytest.skip.Exception, KeyboardInterrupt):
            raise
        except Exception as exc:  # budget, not recorded, a scenario bug or an answer it did not foresee
            verdict, message = _unjudged(exc, f"suite error in {item.name}")
            run.results.unjudged(covered, item.nodeid, verdict, message)
            return None
    failures = [f for f in run.results.findings_of(item.nodeid)
                if f.verdict == FAIL or (f.verdict == WARN and run.results.strict)]
    if failures:
        from .report.display import safe_display  # pytest prints this line: the server's strings escaped

        lines = [f"{f.requirement}: {safe_display(f.message, 300, run.secrets)}" for f in failures[:10]]
        raise AssertionError("conformance failures:\n" + "\n".join(lines))
    return result


def _unjudged(exc: BaseException, where: str) -> tuple[str, str]:
    """The verdict and message for requirements a scenario could not judge because of ``exc``."""
    if isinstance(exc, BudgetExhausted):
        return ERROR, f"not judged: {exc}"
    if isinstance(exc, NotRecorded):
        return NOT_RECORDED, str(exc)
    text = str(exc).strip().splitlines()
    return ERROR, f"{where}: {exc.__class__.__name__}: {text[0] if text else ''}"


# -- the end ---------------------------------------------------------------------------------------------------------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = _run(session.config)
    if run is None:
        return
    # pytest says "interrupted" for collection errors too: those are suite errors (see pytest_collectreport)
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED and not run.results.suite_errors
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a worker hands everything to the controller, which writes the reports
        workeroutput[WORKER_KEY] = run.worker_output(interrupted)
        return
    controller = session.config.pluginmanager.get_plugin("oaic-parallel")
    if controller is not None:
        controller.merge(interrupted)
    results = run.finish(interrupted=interrupted)
    session.config.stash[RESULT_KEY] = results
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED) \
            or interrupted or run.report_error:
        session.exitstatus = run.exit_code()


RESULT_KEY = pytest.StashKey[Results]()


# -- fixtures for scenarios --------------------------------------------------------------------------------------
class Verdicts:
    """What a scenario test uses to record findings: bound to one test; the Results decide every verdict."""

    def __init__(self, run: Run, test: str, covered: set[str]) -> None:
        self.run = run
        self.test = test
        self.covered = covered

    @property
    def target(self) -> Target:
        return self.run.target

    def add(self, *findings: Finding | None) -> None:
        self.extend(findings)

    def extend(self, findings: Iterable[Finding | None]) -> None:
        for finding in findings:
            if finding is not None:
                self.run.results.add(finding, self.test)

    def skip(self, requirements: Iterable[str], reason: str) -> None:
        self.extend(skipped(r, reason) for r in requirements)

    def unsupported(self, requirements: Iterable[str], exchange: Exchange) -> None:
        body = exchange.json()
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        self.extend(unsupported(r, f"the target answered {exchange.method} {exchange.path} with HTTP "
                                   f"{exchange.status} in OpenAI's error shape: {message!r}", status=exchange.status)
                    for r in requirements)

    def metric(self, name: str, value: float) -> None:
        self.run.results.metric(name, value)

    def judged(self) -> set[str]:
        return self.run.results.judged_by(self.test)


def _require_run(request: pytest.FixtureRequest) -> Run:
    run = _run(request.config)
    if run is None:
        pytest.skip("oaic scenarios run only through `oaic run` or `pytest --pyargs oaic.scenarios`")
    return run


@pytest.fixture(scope="session")
def oaic_run(request: pytest.FixtureRequest) -> Run:
    return _require_run(request)


@pytest.fixture(scope="session")
def target(oaic_run: Run) -> Target:
    return oaic_run.target


@pytest.fixture(scope="session")
def api(oaic_run: Run) -> Transport:
    return oaic_run.api or oaic_run.transport


@pytest.fixture
def verdicts(request: pytest.FixtureRequest, oaic_run: Run) -> Verdicts:
    return Verdicts(oaic_run, request.node.nodeid, request.node.stash.get(COVERED_KEY, set()))
