"""The pytest plugin (entry point ``pytest11: oaic``): options, fixtures, selection, verdict recording, reports.

It is inert unless scenario tests from ``oaic.scenarios`` are collected, so it can stay installed beside any
other test suite. ``oaic run`` drives exactly this plugin through pytest.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from . import catalogue as catalogue_module
from .catalogue import CatalogueError
from .errors import BudgetExhausted, UsageError
from .exchange import Exchange
from .findings import ERROR, FAIL, NOT_RECORDED, SKIP, WARN, Finding, skipped
from .options import OPTIONS, PYTEST_RESERVED, target_flags
from .results import Results, now_iso
from .target import Target, build_target
from .transport import NotRecorded, Transport

STATE_KEY = pytest.StashKey["RunState"]()
SCENARIO_PACKAGE = "oaic.scenarios"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("oaic", "OpenAI-compatible conformance (oaic)")
    for option in OPTIONS:
        names = [f"--oaic-{option.name}"]
        if option.name not in PYTEST_RESERVED:
            names.insert(0, f"--{option.name}")
        kwargs: dict[str, Any] = {"dest": f"oaic_{option.dest}", "help": option.help}
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
            kwargs["action"] = "append" if option.kind == "append" else "store"
        group.addoption(*names, **kwargs)
    group.addoption("--oaic-verbose", dest="oaic_verbose", action="store_true",
                    help="show every finding of failed requirements in the summary")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "covers(*ids): requirement IDs (or globs) this scenario judges")
    config.addinivalue_line("markers", "needs(*capabilities): capabilities the target must claim")


def option_values(config: pytest.Config) -> dict[str, Any]:
    return {o.dest: config.getoption(f"oaic_{o.dest}") for o in OPTIONS} | {
        "verbose": config.getoption("oaic_verbose")}


class RunState:
    """Everything one run shares: target, transport, results, and the test currently recording verdicts."""

    def __init__(self, config: pytest.Config) -> None:
        values = option_values(config)
        self.values = values
        self.catalogue = catalogue_module.load()
        self.mode = "replay" if values.get("replay") else "record" if values.get("record") else "live"
        try:
            self.selected = self.catalogue.select(values.get("only"), values.get("skip"))
            self.target: Target = build_target(target_flags(values), require_base_url=self.mode != "replay")
        except (UsageError, CatalogueError) as exc:
            pytest.exit(f"oaic: error: {exc}", returncode=2)
        self.store = None
        if self.mode != "live":
            from .recording import open_store  # only needed when recording or replaying

            try:
                self.store = open_store(values, self.target)
            except UsageError as exc:
                pytest.exit(f"oaic: error: {exc}", returncode=2)
            if self.mode == "replay":
                self.target = self.store.target or self.target
        self.transport = Transport(self.target, store=self.store)
        self.transport.on_exchange = self.on_exchange
        from .clients import wrap  # --client: mappable requests go through a client library under test
        self.transport = wrap(self.transport, values, lambda found: self.current and self.current.extend(found))
        self.results = Results(self.catalogue, self.selected, strict=bool(values.get("strict")), mode=self.mode,
                               target=self.public_target(), claimed=set(self.target.capabilities))
        self.current: Verdicts | None = None
        self.requests_by_scenario: dict[str, int] = {}  # scenario file (chat, tools, ...) -> requests sent
        self.clock_start = time.monotonic()

    def public_target(self) -> dict[str, Any]:
        data = self.target.public()
        if self.mode == "replay":
            data["replay"] = str(self.values.get("replay"))
        return data

    def on_exchange(self, exchange: Exchange) -> None:
        if self.current is not None:
            self.current.exchange_seen(exchange)


class Verdicts:
    """What a scenario test uses to record findings; bound to one test."""

    def __init__(self, state: RunState, test: str, covered: set[str]) -> None:
        self.state = state
        self.test = test
        self.covered = covered
        self.findings: list[Finding] = []

    @property
    def target(self) -> Target:
        return self.state.target

    def add(self, *findings: Finding | None) -> None:
        self.extend(findings)

    def extend(self, findings: Iterable[Finding | None]) -> None:
        for finding in findings:
            if finding is None:
                continue
            recorded = self.state.results.add(self._claimed(finding), self.test)
            if recorded is not None:
                self.findings.append(recorded)

    def _claimed(self, finding: Finding) -> Finding:
        """A broken requirement whose capability the target does not claim is not judged: it is a skip."""
        req = self.state.catalogue.get(finding.requirement)
        if finding.verdict == FAIL and not self.state.target.claims(req.capability):
            return Finding(finding.requirement, SKIP, f"not claimed (capability '{req.capability}'); "
                                                      f"observed: {finding.message}", finding.evidence)
        return finding

    def skip(self, requirements: Iterable[str], reason: str) -> None:
        self.extend(skipped(r, reason) for r in requirements)

    def unsupported(self, requirements: Iterable[str], exchange: Exchange) -> None:
        from .findings import unsupported

        body = exchange.json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        self.extend(unsupported(r, f"the target answered {exchange.method} {exchange.path} with HTTP "
                                   f"{exchange.status} in OpenAI's error shape: {message!r}", status=exchange.status)
                    for r in requirements)

    def metric(self, name: str, value: float) -> None:
        self.state.results.metric(name, value)

    def judged(self) -> set[str]:
        return {f.requirement for f in self.findings}

    def exchange_seen(self, exchange: Exchange) -> None:
        from .checks.common import json_response, transport_health

        scenario_file = self.test.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py").removeprefix("test_")
        self.state.requests_by_scenario[scenario_file] = self.state.requests_by_scenario.get(scenario_file, 0) + 1
        self.extend(transport_health(exchange))
        self.extend(json_response(exchange))


def _state(config: pytest.Config) -> RunState | None:
    return config.stash.get(STATE_KEY, None)


def _scenario_folder() -> Path:
    from pathlib import Path

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


def covered_requirements(item: pytest.Item, catalogue: catalogue_module.Catalogue) -> set[str]:
    ids: set[str] = set()
    for marker in item.iter_markers("covers"):
        for pattern in marker.args:
            matched = {r.id for r in catalogue.matching(pattern)}
            if not matched:
                raise CatalogueError(f"{item.nodeid}: covers({pattern!r}) matches no requirement")
            ids |= matched
    return ids


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    scenarios = [item for item in items if _is_scenario(item)]
    if not scenarios:
        return
    state = RunState(config)
    config.stash[STATE_KEY] = state
    keep, drop = [], []
    for item in items:
        if not _is_scenario(item):
            keep.append(item)
            continue
        try:
            covered = covered_requirements(item, state.catalogue)
        except CatalogueError as exc:
            pytest.exit(f"oaic: error: {exc}", returncode=2)
        if not covered:
            pytest.exit(f"oaic: error: scenario {item.nodeid} has no @pytest.mark.covers(...)", returncode=2)
        item.stash[COVERED_KEY] = covered & state.selected
        (keep if covered & state.selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


COVERED_KEY = pytest.StashKey[set]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    state = _state(item.config)
    if state is None or not _is_scenario(item):
        return (yield)
    covered = item.stash.get(COVERED_KEY, set())
    verdicts = item.funcargs.get("verdicts") if hasattr(item, "funcargs") else None
    try:
        result = yield
    except BudgetExhausted as exc:
        _fill(state, verdicts, item, covered, ERROR, f"not judged: {exc}")
        return None
    except NotRecorded as exc:
        _fill(state, verdicts, item, covered, NOT_RECORDED, str(exc))
        return None
    except pytest.skip.Exception:
        raise
    except Exception as exc:  # a scenario bug or a server answer the scenario did not foresee
        _fill(state, verdicts, item, covered, ERROR, f"suite error in {item.name}: {exc.__class__.__name__}: {exc}")
        return None
    failures = [f for f in (verdicts.findings if verdicts else [])
                if f.verdict == FAIL or (f.verdict == WARN and state.results.strict)]
    if failures:
        lines = [f"{f.requirement}: {f.message}" for f in failures[:10]]
        raise AssertionError("conformance failures:\n" + "\n".join(lines))
    return result


def _fill(state: RunState, verdicts: Verdicts | None, item: pytest.Item, covered: set[str], verdict: str,
          message: str) -> None:
    judged = verdicts.judged() if verdicts else set()
    for requirement in sorted(covered - judged):
        state.results.add(Finding(requirement, verdict, message), item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    state = _state(item.config)
    if state is None or not _is_scenario(item):
        return
    needs = [cap for marker in item.iter_markers("needs") for cap in marker.args]
    missing = [cap for cap in needs if not state.target.claims(cap)]
    if missing:
        reason = f"not claimed: the target does not claim capability '{missing[0]}'"
        for requirement in sorted(item.stash.get(COVERED_KEY, set())):
            state.results.add(skipped(requirement, reason), item.nodeid)
        pytest.skip(reason)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state is None:
        return
    state.transport.close()
    if state.store is not None:
        state.store.close()
    results = state.results
    results.finished = now_iso()
    results.duration = time.monotonic() - state.clock_start
    results.spent = {**state.transport.stats.to_json(),
                     "requests_by_scenario": dict(sorted(state.requests_by_scenario.items()))}
    from .report import terminal, write_all

    report_dir = state.values.get("report_dir") or "reports"
    secrets = [state.target.api_key] if state.target.api_key else []
    paths = write_all(results, report_dir, secrets)
    terminal_out = terminal.render(results, verbose=bool(state.values.get("verbose")))
    from .scrub import scrub_text

    sys.stdout.write("\n" + scrub_text(terminal_out, secrets))
    sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    sys.stdout.flush()
    session.config.stash[RESULT_KEY] = results
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = results.exit_code()


RESULT_KEY = pytest.StashKey[Results]()


# -- fixtures for scenarios -------------------------------------------------------------------------------
def _require_state(request: pytest.FixtureRequest) -> RunState:
    state = _state(request.config)
    if state is None:
        pytest.skip("oaic scenarios run only through `oaic run` or `pytest --pyargs oaic.scenarios`")
    return state


@pytest.fixture(scope="session")
def oaic_state(request: pytest.FixtureRequest) -> RunState:
    return _require_state(request)


@pytest.fixture(scope="session")
def target(oaic_state: RunState) -> Target:
    return oaic_state.target


@pytest.fixture(scope="session")
def api(oaic_state: RunState) -> Transport:
    return oaic_state.transport


@pytest.fixture
def verdicts(request: pytest.FixtureRequest, oaic_state: RunState):
    covered = request.node.stash.get(COVERED_KEY, set())
    recorder = Verdicts(oaic_state, request.node.nodeid, covered)
    oaic_state.current = recorder
    yield recorder
    oaic_state.current = None
