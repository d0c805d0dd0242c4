"""The Run: everything one conformance run shares, built once, whichever entrance started it.

``oaic run`` builds it from the command line and hands it to pytest; ``pytest --pyargs oaic.scenarios`` builds the
same Run from the same option table (see plugin.py). Building it is where every option is validated (flags >
``OAIC_*`` > profile), so a usage error is one line and exit 2 before any request, under both entrances.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue, CatalogueError, load
from .errors import BudgetExhausted, NotRecorded, UsageError
from .exchange import Exchange
from .options import REPLAY_IGNORES, target_flags
from .results import Results, now_iso
from .scope import TestScope, current_scope
from .target import Target, build_target
from .transport import Transport

LIVE, RECORD, REPLAY = "live", "record", "replay"
EXIT_USAGE = 2


@dataclass
class Run:
    options: dict[str, Any]
    catalogue: Catalogue
    selected: set[str]
    mode: str
    target: Target
    transport: Transport
    results: Results
    report_dir: Path
    api: Any = None  # what scenarios send through: the transport, or a client library under test wrapping it
    store: Any = None
    secrets: list[str] = field(default_factory=list)
    property_options: dict[str, Any] = field(default_factory=dict)
    requests_by_scenario: dict[str, int] = field(default_factory=dict)
    clock_start: float = field(default_factory=time.monotonic)
    report_error: str | None = None

    # -- building ----------------------------------------------------------------------------------------
    @classmethod
    def build(cls, values: Mapping[str, Any], env: Mapping[str, str] | None = None,
              say: Callable[[str], None] | None = None, preflight: bool = True) -> Run:
        """Validate every option and assemble the run; raise UsageError (one line) on any mistake."""
        env = os.environ if env is None else env
        say = say or (lambda line: print(line, file=sys.stderr))
        options = {key: value for key, value in values.items() if value not in (None, False, [], "")}
        catalogue = load()
        try:
            selected = catalogue.select(options.get("only"), options.get("skip"))
        except CatalogueError as exc:
            raise UsageError(str(exc)) from None
        if options.get("record") and options.get("replay"):
            raise UsageError("--record and --replay cannot be used together")
        if options.get("replay"):
            ignored = [f"--{name}" for name in REPLAY_IGNORES if options.get(name.replace("-", "_"))]
            if ignored:
                raise UsageError(f"{', '.join(ignored)}: a replay uses the recording's own target profile; "
                                 f"drop {'it' if len(ignored) == 1 else 'them'} or run live")
        report_dir = _report_dir(options.get("report_dir") or "reports")
        from .baseline import load_baseline

        baseline = load_baseline(options.get("baseline"))
        from .properties.phase import check_options

        check_options(options)
        from .clients import prestart

        prestart(options)  # checks the client; its driver starts now, so its start overlaps the preflight
        from .progress import check_max_failures

        check_max_failures(options)
        flags = target_flags(options)
        if not options.get("replay") and not (flags.get("base_url") or flags.get("target")
                                              or env.get("OAIC_BASE_URL") or env.get("OAIC_TARGET")):
            from .recording import default_recording

            options["replay"] = str(default_recording())
            say(f"oaic: no target given: replaying the bundled recording {options['replay']}")
        mode = _mode(options)
        store = None
        discovered = None
        if mode == REPLAY:
            from .recording import open_store

            store = open_store(options, None)
            target = store.target
        else:
            target = build_target(flags, env)
            if mode == RECORD:  # refused before the preflight when a recording is already there
                from .recording import open_store

                store = open_store(options, target)
            if preflight:
                Transport(target).preflight()
                discovered = _discover(target, client=bool(options.get("client") or options.get("client_cmd")))
        property_options = _property_options(options, store)
        run = cls._assemble(options, catalogue, selected, mode, target, store, property_options, report_dir)
        run.results.baseline = baseline
        if discovered is not None:
            _report_discovery(run.results, discovered)
        return run

    @classmethod
    def _assemble(cls, options: dict[str, Any], catalogue: Catalogue, selected: set[str], mode: str,
                  target: Target, store: Any, property_options: dict[str, Any], report_dir: Path) -> Run:
        """The network side and the results of a run whose options are validated and whose target is known."""
        from .clients import wrap
        from .recording.scrubbing import run_secrets

        transport = Transport(target, store=store)
        api = wrap(transport, options, lambda found: [results.add(f, _scope_test()) for f in found])
        public = target.public()  # after wrap: a client under test adds the capability "client"
        if mode == REPLAY:
            public["replay"] = str(options["replay"])
        results = Results(catalogue, selected, strict=bool(options.get("strict")), mode=mode, target=public,
                          claimed=set(target.capabilities))
        run = cls(options=options, catalogue=catalogue, selected=selected, mode=mode, target=target,
                  transport=transport, api=api, results=results, report_dir=report_dir, store=store,
                  secrets=run_secrets(target), property_options=property_options)
        transport.on_exchange = run.exchange_seen
        return run

    # -- parallel runs (see parallel.py) ------------------------------------------------------------------
    def prepare_workers(self) -> None:
        """Before the workers start: the run's budgets and rate become a ledger every worker counts in, and the
        property phase is planned once here rather than in every worker."""
        from .ledger import SharedLedger

        if not isinstance(self.transport.ledger, SharedLedger):
            self.transport.ledger = SharedLedger.create()
        if any(requirement.startswith("property.") for requirement in self.selected):
            from .properties.phase import plan_all

            plan_all(self.property_options, self.target)

    def worker_spec(self) -> bytes:
        """What a worker needs to build this Run: the validated options and the target as discovered (its key
        is not passed: the worker reads it from the same environment variable)."""
        import pickle
        from dataclasses import replace

        from .ledger import SharedLedger

        assert isinstance(self.transport.ledger, SharedLedger), "prepare_workers() first"
        return pickle.dumps({"options": self.options, "target": replace(self.target, api_key=None),
                             "ledger": str(self.transport.ledger.path),
                             "plans": self.property_options.get("plans")})

    @classmethod
    def for_worker(cls, spec: bytes) -> Run:
        """The Run of a worker process: built from the controller's state, sending nothing before its tests."""
        import pickle

        from .ledger import SharedLedger
        from .recording import open_store
        from .recording.store import Recorder

        state = pickle.loads(spec)
        options, target = state["options"], state["target"]
        target.api_key = os.environ.get(target.api_key_env) or None
        catalogue = load()
        selected = catalogue.select(options.get("only"), options.get("skip"))
        mode = _mode(options)
        store: Any = None
        if mode == REPLAY:
            store = open_store(options, None)
        elif mode == RECORD:  # the controller checked the folder; this recorder only collects (worker_part)
            store = Recorder(Path(options["record"]), target, overwrite=True)
        property_options = _property_options(options, store)
        if state["plans"] is not None:  # planned by the controller (and recorded by its recorder)
            property_options["plans"] = state["plans"]
        run = cls._assemble(options, catalogue, selected, mode, target, store, property_options,
                            Path(options.get("report_dir") or "reports"))
        run.results.as_given = []
        run.transport.ledger = SharedLedger(state["ledger"])
        return run

    def worker_output(self, interrupted: bool) -> bytes:
        """At the end of a worker: close its network side and hand back everything it saw."""
        import pickle

        from .recording.store import Recorder

        self.results.interrupted = interrupted
        recording = self.store.worker_part() if isinstance(self.store, Recorder) else None
        if recording is not None:
            self.store = None  # the controller's recorder writes the recording
        self.close(complete=not interrupted)
        return pickle.dumps({"results": self.results.worker_part(), "stats": self.transport.stats.to_json(),
                             "requests_by_scenario": self.requests_by_scenario, "recording": recording})

    def merge_workers(self, outputs: list[bytes]) -> None:
        import pickle

        parts = [pickle.loads(output) for output in outputs]
        self.results.merge_workers([part["results"] for part in parts])
        stats = self.transport.stats
        for part in parts:
            for name, value in part["stats"].items():
                if name == "stall_deadline_s":
                    if value is not None:
                        stats.stall_deadline_s = value
                elif isinstance(value, int):
                    setattr(stats, name, getattr(stats, name) + value)
            for area, count in part["requests_by_scenario"].items():
                self.requests_by_scenario[area] = self.requests_by_scenario.get(area, 0) + count
            if part["recording"] is not None and self.store is not None:
                self.store.absorb(part["recording"])

    # -- during the run ------------------------------------------------------------------------------------
    def exchange_seen(self, exchange: Exchange, scope: TestScope | None) -> None:
        """Every exchange of the run, told with the test that sent it: count it and apply the transport checks."""
        from .checks.transport import json_response, transport_health

        area = scope.area if scope else "session"
        self.requests_by_scenario[area] = self.requests_by_scenario.get(area, 0) + 1
        test = scope.test if scope else ""
        self.results.add_exchange(exchange, test)  # before the checks: their findings refer to it
        for finding in (*transport_health(exchange), *json_response(exchange)):
            self.results.add(finding, test)

    def delete_leftovers(self, paths: Iterable[str], what: str) -> None:
        """Delete what the scenarios created (stored completions, files), even after a failure; what could not be
        deleted (an error, the budget spent, a replay without the request) is named in a note of the results."""
        left = list(dict.fromkeys(paths))
        try:
            left = [path for path in left if not (self.api or self.transport).delete(path).ok]
        except (BudgetExhausted, NotRecorded):
            pass  # nothing more can be sent: the note names what is left
        if left:
            names = ", ".join(path.rsplit("/", 1)[-1] for path in left)
            self.results.notes.append(f"{what} could not be deleted: {names}")

    # -- the end -----------------------------------------------------------------------------------------------
    def close(self, complete: bool = False) -> None:
        """Idempotent. A recording is complete only when the session ended normally (finish says so)."""
        from .ledger import SharedLedger

        if self.api is not None and self.api is not self.transport and hasattr(self.api, "close"):
            self.api.close()
        self.transport.close()
        ledger = self.transport.ledger
        if isinstance(ledger, SharedLedger) and self.results.as_given is None:  # the controller's to remove
            ledger.remove()
        if self.store is not None:
            self.store.close(complete=complete)
            self.store = None

    def finish(self, interrupted: bool = False) -> Results:
        """Close the network side, complete the results (time, spending), write the reports, print the summary."""
        self.results.interrupted = interrupted
        self.close(complete=not interrupted)
        self.results.finished = now_iso()
        self.results.duration = time.monotonic() - self.clock_start
        self.results.spent = {**self.transport.stats.to_json(),
                              "requests_by_scenario": dict(sorted(self.requests_by_scenario.items()))}
        self.write_reports()
        if self.options.get("save_profile") and not interrupted:
            self.save_profile(Path(self.options["save_profile"]))
        return self.results

    def save_profile(self, path: Path) -> None:
        from .recording.profile import save_supported

        supported = {c for c, state in self.results.profile().items() if state["status"] in ("supported", "claimed")}
        try:
            save_supported(path, self.target, supported, self.secrets)
        except OSError as exc:
            self.report_error = f"cannot write the profile {path}: {exc.strerror or exc}"
            print(f"oaic: error: {self.report_error}", file=sys.stderr)
            return
        print(f"profile: {path} ({len(supported)} capabilities claimed)")

    def write_reports(self) -> None:
        """Write the reports (atomically: a failure leaves the previous ones) and print the summary; a failure to
        write is one line on stderr, and the run's exit code becomes 2 (see exit_code)."""
        from .report import ReportWriteError, terminal, write_all
        from .scrub import scrub_text

        folder = self.report_dir
        if self.results.interrupted:  # the last complete report stays where it is
            folder = folder / "interrupted"
            self.results.notes.append(f"interrupted: this partial report is in {folder}; the last complete "
                                      f"report in {self.report_dir} was left in place")
        try:
            paths = write_all(self.results, folder, self.secrets)
        except ReportWriteError as exc:
            paths, self.report_error = [], str(exc)
        summary = terminal.render(self.results, verbose=bool(self.options.get("verbose")), secrets=self.secrets)
        sys.stdout.write("\n" + scrub_text(summary, self.secrets))
        if paths:
            sys.stdout.write(f"reports: {', '.join(str(p) for p in paths)}\n")
        sys.stdout.flush()
        if self.report_error:
            print(f"oaic: error: {self.report_error}", file=sys.stderr)

    def exit_code(self) -> int:
        """The results' exit code, or 2 when the reports could not be written."""
        return EXIT_USAGE if self.report_error else self.results.exit_code()


def _discover(target: Target, client: bool) -> Any:
    """Check the set-up (key, models, that this is an OpenAI-style API) and, with no capability list, discover the
    target: its models per area and the areas it serves (see discovery.py)."""
    from .discovery import apply, discover

    found = discover(target, dict(target.models), probe_areas=not target.capabilities_given)
    if not target.capabilities_given:
        apply(target, found, client=client)
    return found


def _report_discovery(results: Results, found: Any) -> None:
    """The requests discovery sent, and the one finding it makes (is a key required?)."""
    results.target["discovery"] = found.requests
    if found.no_key_exchange is not None:
        from .checks.errors import key_enforced

        for finding in key_enforced(found.no_key_exchange):
            results.add(finding, "discovery")


def _mode(options: Mapping[str, Any]) -> str:
    return REPLAY if options.get("replay") else RECORD if options.get("record") else LIVE


def _property_options(options: Mapping[str, Any], store: Any) -> dict[str, Any]:
    """The property phase's options; a store adds its plans (a recording keeps them, a replay sends them)."""
    given = {"examples": options.get("examples"), "seed": options.get("seed"), "spec": options.get("spec")}
    return store.property_options(given) if store is not None else given


def _scope_test() -> str:
    scope = current_scope()
    return scope.test if scope else ""


def _report_dir(value: str) -> Path:
    """The report folder, checked for real before any request (see report.check_writable)."""
    from .report import check_writable

    folder = Path(value)
    check_writable(folder)
    return folder
