"""Parallel runs on pytest-xdist (``oaic run --jobs N``, or ``pytest -n N --pyargs oaic.scenarios``).

The controller process builds the Run once (options, discovery, recording) and hands each worker its state
(``workerinput``); a worker builds the same Run without sending a request of its own, runs the scenarios it is
given, and hands back what it saw (``workeroutput``): the findings as the scenarios gave them, the exchanges,
the spending and, when recording, its cassettes. The controller judges the findings by the one verdict policy
(Results.merge_workers) and writes one set of reports and one recording. Budgets and ``--rps`` are the run's,
shared through a ledger file (ledger.py).

A scenario module is one unit of work: its tests share module fixtures (an uploaded file, a stored completion)
and run in order, on one worker, as in a serial run. The property phase's tests are independent, one unit each.
"""

from __future__ import annotations

from typing import Any

import pytest

WORKER_KEY = "oaic_run"  # the name of the Run's state in workerinput and workeroutput
REPORT_PROPERTY = "oaic_verdicts"  # a test report's property: what the test judged, for the controller's progress
INDEPENDENT_MODULES = ("test_property.py",)  # scenario modules whose tests may run on different workers


def scheduling_unit(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return nodeid if module.endswith(INDEPENDENT_MODULES) else module


def requested(config: pytest.Config) -> bool:
    """Does this pytest run distribute its tests (``-n N`` with N > 0, or ``-n auto``)?"""
    return bool(config.getoption("numprocesses", None))  # the option exists only when xdist is loaded


def unit_weight(nodeids: list[str], plans: dict[str, Any]) -> int:
    """About how many requests a unit of work sends: a property operation its planned requests, a scenario module
    one per test (most send one or two)."""
    if len(nodeids) == 1 and nodeids[0].split("::", 1)[0].endswith(INDEPENDENT_MODULES):
        from .properties.cases import NEGATIVE, POSITIVE
        from .properties.phase import plan_key

        name = nodeids[0].rsplit("::", 1)[-1]
        operation = name.split("[", 1)[-1].rstrip("]")
        mode = NEGATIVE if name.startswith("test_invalid") else POSITIVE
        return len(plans.get(plan_key(operation, mode)) or ()) or 1
    return len(nodeids)


def heaviest_first(items: list[pytest.Item], plans: dict[str, Any]) -> list[pytest.Item]:
    """The items in units of work, heaviest unit first, each unit's tests in their own order: the scheduler hands
    units out in this order, so the long ones start first and the short ones fill in at the end."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(scheduling_unit(item.nodeid), []).append(item)
    ordered = sorted(units.values(), key=lambda unit: -unit_weight([i.nodeid for i in unit], plans))
    return [item for unit in ordered for item in unit]


class ParallelWorker:
    """Registered in each worker: the scenarios ordered heaviest unit first (every worker collects the same order,
    which the controller's scheduler keeps), and every test's report carries what it judged, so the controller's
    progress line can count requirements while the findings themselves wait for the end of the worker."""

    def __init__(self, run: Any) -> None:
        self.run = run

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items[:] = heaviest_first(items, self.run.property_options.get("plans") or {})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        report = yield
        if call.when == "call" or (call.when == "setup" and report.skipped):
            report.user_properties.append((REPORT_PROPERTY, self.run.results.verdicts_of(item.nodeid)))
        return report


class ParallelController:
    """Registered in the controller process of a parallel run, beside its Run."""

    def __init__(self, config: pytest.Config, run: Any) -> None:
        self.run = run
        self.outputs: dict[str, bytes] = {}
        config.option.loadscopereorder = False  # the workers order the units (ParallelWorker), by weight
        self.lost: list[str] = []

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_KEY] = self.run.worker_spec()

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = (getattr(node, "workeroutput", None) or {}).get(WORKER_KEY)
        if output is not None:
            self.outputs[node.gateway.id] = output
        else:  # what the worker judged is lost: the run cannot say it judged it
            self.lost.append(f"worker {node.gateway.id} stopped before handing back its results"
                             + (f": {error}" if error else ""))

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        watch = node.config.pluginmanager.get_plugin("oaic-progress") or next(
            (p for p in node.config.pluginmanager.get_plugins() if hasattr(p, "collected")), None)
        if watch is not None:
            watch.collected(len(ids))

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class ScenarioScheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return scheduling_unit(nodeid)

        return ScenarioScheduling(config, log)

    def merge(self, interrupted: bool = False) -> None:
        """Fold every worker's part into the Run (in worker order, so reports are stable)."""
        self.run.merge_workers([self.outputs[name] for name in sorted(self.outputs, key=_worker_number)])
        if interrupted:  # workers stopped at once: what they had judged did not come back, and is not claimed
            self.run.results.notes.append("interrupted: the findings of workers that had not finished are not in "
                                          "this report (their requirements read 'not judged')")
        else:
            self.run.results.suite_errors += self.lost
        self.outputs.clear()
        self.lost = []


def _worker_number(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)
