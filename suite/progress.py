"""What a run shows while it runs, in place of pytest's dots (a pytest plugin object, registered beside the Run).

On a terminal (and not in CI) one live line drawn with rich: requirements reached of those selected, the current
scenario, elapsed time, requests and tokens so far, and a note while a request waits on a slow or stalled target.
Elsewhere (a pipe, a CI log, ``pytest --pyargs oaic.scenarios``) plain lines without escape codes: one per scenario
finished, and one when a request has waited long. The final summary is the report's, unchanged.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, TextIO

import pytest

from .exchange import Exchange
from .findings import ERROR, FAIL, VERDICTS, WARN, Finding
from .run import Run
from .scope import TestScope

LIVE_NOTE_AFTER = 1.0  # seconds a request may wait before the live line says so
PLAIN_NOTE_AFTER = 5.0  # ... before a plain line says so; then again each time the wait doubles
TICK = 0.1  # how often the waiting request is looked at (seconds)


@dataclass
class Pending:
    """The request on the wire: when it was sent, and when its last byte arrived (headers or a chunk)."""

    method: str
    path: str
    sent: float
    last_byte: float | None = None
    chunks: int = 0

    def note(self, now: float) -> str:
        if self.last_byte is None:
            return f"waiting {now - self.sent:.1f} s for {self.method} {self.path}"
        what = f"{self.chunks} chunk{'s' if self.chunks != 1 else ''} so far" if self.chunks else "headers received"
        return f"waiting {now - self.last_byte:.1f} s for more of {self.method} {self.path} ({what})"

    def waited(self, now: float) -> float:
        return now - (self.sent if self.last_byte is None else self.last_byte)


def on_terminal(stream: TextIO | None = None, env: dict[str, str] | None = None) -> bool:
    """A live line only for a person at a terminal: stdout is a TTY, not CI, not a dumb terminal."""
    stream = stream or sys.stdout
    env = os.environ if env is None else env
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not env.get("CI") and env.get("TERM") != "dumb"


def _own_stream(stream: TextIO) -> tuple[TextIO, bool]:
    """A handle on the terminal that pytest's output capture (which redirects file descriptor 1 during each test)
    does not reach, so a note can be shown while a scenario waits; (stream, whether we opened it)."""
    try:
        stream.flush()
        return os.fdopen(os.dup(stream.fileno()), "w", encoding="utf-8", errors="replace", buffering=1), True
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return stream, False


class Progress:
    """Registered by ``oaic run`` (live or plain, see ``for_terminal``) or, under pytest, by the plugin (plain)."""

    def __init__(self, run: Run, live: bool = False, stream: TextIO | None = None, console: Any = None,
                 note_after: float | None = None, clock: Any = time.monotonic) -> None:
        self.run = run
        self.live = live or console is not None
        self.clock = clock
        self.note_after = note_after if note_after is not None else (LIVE_NOTE_AFTER if self.live
                                                                      else PLAIN_NOTE_AFTER)
        self.console = console
        self.stream, self._opened = (None, False) if console is not None else _own_stream(stream or sys.stdout)
        self.items: dict[str, pytest.Item] = {}
        self.total_scenarios = 0
        self.finished = 0
        self.current = ""
        self.reached: set[str] = set()
        self.pending: Pending | None = None
        self.outcomes: dict[str, str] = {}
        self.remote: dict[str, dict[str, str]] = {}  # parallel runs: test -> what a worker said it judged
        self.quiet = True  # pytest's own verbosity is at most the default (see pytest_configure)
        self._noted_at = 0.0  # plain mode: the wait last reported, so a long wait is told again only as it doubles
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Any = None
        self._watch_transport()

    @classmethod
    def for_terminal(cls, run: Run) -> Progress:
        return cls(run, live=on_terminal())

    # -- the transport tells us about each request -------------------------------------------------------------
    def _watch_transport(self) -> None:
        transport = self.run.transport
        before_progress, before_exchange = transport.on_progress, transport.on_exchange

        def progress(exchange: Exchange, chunk: bytes | None) -> None:
            if before_progress is not None:
                before_progress(exchange, chunk)
            pending = self.pending
            if pending is not None:
                pending.last_byte = self.clock()
                pending.chunks += chunk is not None
                self._noted_at = 0.0  # bytes came: a later stall is told afresh

        def exchanged(exchange: Exchange, scope: TestScope | None) -> None:
            self.pending = None
            if before_exchange is not None:
                before_exchange(exchange, scope)

        transport.on_send = self._sent
        transport.on_progress = progress
        transport.on_exchange = exchanged

    def _sent(self, method: str, path: str) -> None:
        self.pending = Pending(method, path.split("?")[0], self.clock())
        self._noted_at = 0.0

    # -- pytest hooks ----------------------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
        """No dots: this plugin shows the progress (pytest's words stay with -v)."""
        if config.get_verbosity() > 0:
            return None
        outcome = report.outcome
        if report.when in ("collect", "setup", "teardown") and outcome == "failed":
            outcome = "error"
        return outcome, "", ""

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.quiet = config.get_verbosity() <= 0
        if not self.quiet and self.console is None:
            self.live = False  # pytest -v names each test on the terminal itself: a live line would garble it
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None and self.quiet:
            reporter.showfspath = False  # no file names waiting for dots either

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = {item.nodeid: item for item in session.items}
        self.total_scenarios = len(session.items)
        self.start()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.current = nodeid

    def collected(self, total: int) -> None:
        """A parallel run's controller collects nothing itself: a worker tells how many scenarios there are."""
        if not self.total_scenarios:
            self.total_scenarios = total
            self.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from .parallel import REPORT_PROPERTY

        for name, value in report.user_properties:
            if name == REPORT_PROPERTY and isinstance(value, dict):
                self.remote[report.nodeid] = value
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.setdefault(report.nodeid, "error" if report.when != "call" and report.failed
                                     else report.outcome)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        from .plugin import COVERED_KEY

        item = self.items.get(nodeid)
        with self._lock:
            self.finished += 1
            if item is not None:  # a new set, not changed in place: the live line reads it from its own thread
                self.reached = self.reached | item.stash.get(COVERED_KEY, set())
            self.current = ""
        if not self.live and self.quiet:  # with -v pytest names each test itself
            self._line(self._scenario_line(nodeid))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self.stop()

    def pytest_unconfigure(self) -> None:
        self.stop()
        if self._opened and self.stream is not None:
            self.stream.close()
            self._opened = False

    # -- drawing ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None or self._live is not None:
            return
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = self.console or Console(file=self.stream, stderr=False)
            self._live = Live(get_renderable=self.render, console=console, refresh_per_second=8, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        else:
            self._thread = threading.Thread(target=self._watch, name="oaic-progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None

    def _watch(self) -> None:
        """Plain mode: a line when a request has waited note_after seconds, then each time the wait doubles."""
        while not self._stop.wait(TICK):
            pending = self.pending
            if pending is None:
                continue
            waited = pending.waited(self.clock())
            if waited >= max(self.note_after, 2 * self._noted_at):
                self._noted_at = waited
                self._line(f"  {pending.note(self.clock())}")

    def _line(self, text: str) -> None:
        if self.stream is None:
            return
        with self._lock:
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # the reader went away: the run goes on

    def counts(self) -> tuple[int, int]:
        """(requirements reached, requirements selected): reached once judged, or once a scenario covering it ran
        (a requirement judged only when something occurs may end with no finding)."""
        judged = {f.requirement for f in self.run.results.findings}
        for verdicts in list(self.remote.values()):
            judged.update(verdicts)
        selected = self.run.selected
        return len((judged | self.reached) & selected), len(selected)

    def status(self) -> str:
        """The run so far, in plain words (the live line shows the same, styled)."""
        reached, total = self.counts()
        requests, tokens = self.spent()
        return (f"{reached}/{total} requirements, {self.clock() - self.run.clock_start:.1f} s, "
                f"{requests} requests, {tokens:,} tokens")

    def spent(self) -> tuple[int, int]:
        """(requests, tokens) so far: the run's, counted in its ledger (shared by the workers of --jobs)."""
        return self.run.transport.ledger.totals()

    def render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        now = self.clock()
        reached, total = self.counts()
        requests, tokens = self.spent()
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{reached}/{total}", style="bold")
        line.append(" requirements  ")
        line.append(f"{self.finished}/{self.total_scenarios}", style="bold")
        line.append(f" scenarios  {now - self.run.clock_start:.1f} s  {requests} requests  {tokens:,} tokens")
        grid = Table.grid()
        grid.add_row(line)
        current = self.current.split("/")[-1]
        pending = self.pending
        if current:
            grid.add_row(Text(f"  {current}", style="cyan", no_wrap=True, overflow="ellipsis"))
            if pending is not None and pending.waited(now) >= self.note_after:  # its own line: never cut off
                grid.add_row(Text(f"  {pending.note(now)}", style="yellow", no_wrap=True, overflow="ellipsis"))
        return grid

    def _scenario_line(self, nodeid: str) -> str:
        """One scenario finished: what it judged, then the run so far."""
        worst = {**self.remote.get(nodeid, {}), **self.run.results.verdicts_of(nodeid)}
        counts = Counter(worst.values())
        judged = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v]) or \
            self.outcomes.get(nodeid, "passed")
        width = len(str(self.total_scenarios))
        return f"[{self.finished:>{width}}/{self.total_scenarios}] {nodeid.split('/')[-1]}: {judged} | {self.status()}"


class MaxFailures:
    """``--max-failures N``: after the scenario that brings the failed requirements to N, the run stops; what the
    remaining scenarios would have judged is reported as not judged, and the run is INCOMPLETE."""

    def __init__(self, run: Run, limit: int) -> None:
        self.run = run
        self.limit = limit
        self.session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def failed(self) -> set[str]:
        results = self.run.results
        known = results.baseline.known if results.baseline is not None else set()
        return {f.requirement for f in results.findings
                if f.verdict == FAIL or (results.strict and f.verdict == WARN)} - known

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        session = self.session
        if session is None or session.shouldfail or self.run.results.stopped_early:
            return
        failed = self.failed()
        if len(failed) < self.limit:
            return
        ids = [item.nodeid for item in session.items]
        remaining = session.items[ids.index(nodeid) + 1:] if nodeid in ids else []
        if not remaining:
            return  # the run is over anyway: it stopped at its end, not early
        reason = f"{len(failed)} requirement(s) failed, --max-failures {self.limit}"
        self.not_reached(remaining, reason)
        self.run.results.stopped_early = reason
        self.run.results.notes.append(f"stopped early: {reason}; the requirements of the {len(remaining)} "
                                      f"scenario(s) not run are not judged")
        session.shouldfail = f"oaic: stopped early: {reason}"

    def not_reached(self, items: list[pytest.Item], reason: str) -> None:
        """Every requirement a scenario not run would have judged, and nothing judged yet, is an error."""
        from .plugin import COVERED_KEY

        results = self.run.results
        seen = {f.requirement for f in results.findings}
        for item in items:
            needs = [cap for marker in item.iter_markers("needs") for cap in marker.args]
            if not all(self.run.target.claims(cap) for cap in needs):
                continue  # its setup would have skipped it: not claimed, as the results say without it
            for requirement in sorted(item.stash.get(COVERED_KEY, set()) - seen):
                if results.claims(results.catalogue.get(requirement).capability):
                    results.add(Finding(requirement, ERROR, f"not judged: the run stopped early ({reason}) before "
                                                            f"this scenario ran"), item.nodeid)
                    seen.add(requirement)


def attach(config: pytest.Config, run: Run) -> None:
    """Beside every Run: a Progress (plain lines unless ``oaic run`` handed one) and --max-failures."""
    if not any(isinstance(p, Progress) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(Progress(run), "oaic-progress")
    limit = run.options.get("max_failures") or getattr(run.target, "max_failures", 0)
    if limit:
        config.pluginmanager.register(MaxFailures(run, int(limit)), "oaic-max-failures")


def check_max_failures(options: dict[str, Any]) -> None:
    """--max-failures is a positive whole number (OAIC_MAX_FAILURES and the profile key are checked with the
    target's other limits; a replay takes the flag only, as its target is the recording's)."""
    from .errors import UsageError

    value = options.get("max_failures")
    if value in (None, ""):
        return
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"max-failures must be a whole number, got {value!r}") from None
    if number <= 0:
        raise UsageError(f"max-failures must be positive, got {value!r}")
