"""The one results model. Scenarios add findings; every report format is a handler over this object."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from . import __version__
from .capabilities import AREA_CAPABILITIES
from .catalogue import Catalogue, Requirement
from .findings import ERROR, FAIL, NOT_RECORDED, PASS, SEVERITY, SKIP, UNSUPPORTED, VERDICTS, WARN, Finding

if TYPE_CHECKING:
    from .baseline import Baseline, BaselineOutcome
    from .exchange import Exchange

EXCHANGE_CHARS_KEPT = 16_000_000  # bodies kept in all; later exchanges keep their request line and headers only
METRIC_VALUES_KEPT = 1000  # raw values per metric in results.json, for the report's chart
CONFORMANT, NOT_CONFORMANT, INCOMPLETE = "CONFORMANT", "NOT CONFORMANT", "INCOMPLETE"
EXIT_CODES = {CONFORMANT: 0, NOT_CONFORMANT: 1, INCOMPLETE: 3}
EXIT_INTERRUPTED = 130


def _route_missing(body: Any, error: Any) -> bool:
    """A 404/405 from the router, not about one resource: {"detail": "Not Found"}, OpenAI's "Invalid URL", or
    a body that is not JSON at all."""
    if body is None:
        return True
    if isinstance(body, dict) and body.get("detail") in ("Not Found", "Method Not Allowed"):
        return True
    if isinstance(error, dict):
        message = str(error.get("message", "")).strip().lower()
        return error.get("code") == "unknown_url" or message in ROUTER_MESSAGES or \
            any(phrase in message for phrase in ("invalid url", "unknown url", "no route"))
    return False


ROUTER_MESSAGES = ("not found", "method not allowed", "not implemented")  # a router's words, about no resource


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class RequirementResult:
    requirement: Requirement
    verdict: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def message(self) -> str:
        """The message of the finding that decided the verdict."""
        for finding in self.findings:
            if finding.verdict == self.verdict and finding.message:
                return finding.message
        return ""


class Results:
    def __init__(self, catalogue: Catalogue, selected: set[str] | None = None, strict: bool = False,
                 mode: str = "live", target: dict[str, Any] | None = None, claimed: set[str] | None = None) -> None:
        self.catalogue = catalogue
        self.selected = set(catalogue.by_id) if selected is None else set(selected)
        self.strict = strict
        self.mode = mode
        self.target = target or {}
        self.claimed = claimed
        self.attempted: set[str] = set(self.target.get("attempted") or []) if isinstance(self.target, dict) else set()
        self.findings: list[Finding] = []
        self._by_test: dict[str, set[str]] = {}
        self._deselected: dict[str, str] = {}  # requirement -> a deselected test that covers it
        self._by_requirement_cache: tuple[Any, list[RequirementResult]] | None = None
        self.interrupted = False
        self.stopped_early: str | None = None  # why the run stopped before its end (--max-failures)
        self.suite_errors: list[str] = []  # what kept part of the suite from running at all (a scenario bug)
        self.spent: dict[str, int] = {}
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.notes: list[str] = []
        self.started = now_iso()
        self.finished: str | None = None
        self.duration: float = 0.0
        self.exchanges: list[dict[str, Any]] = []  # compact views (exchange_view.compact), for the report
        self._test_exchanges: dict[str, list[int]] = defaultdict(list)  # test -> indexes of its exchanges
        self.baseline: Baseline | None = None  # known failures (--baseline)
        self._exchange_chars = 0  # body and event text kept so far, against EXCHANGE_CHARS_KEPT
        # In a worker process of a parallel run (--jobs): every finding as the scenario gave it, before the
        # verdict policy, so the run's own Results judge them all by one policy (see merge_workers).
        self.as_given: list[Finding] | None = None

    # -- the verdict policy: every rule that turns what a check or a scenario said into a verdict ---------------
    def add(self, finding: Finding, test: str = "") -> Finding | None:
        """Record one finding. Findings outside the selection are dropped; a broken requirement whose capability
        the target does not claim is a skip (the observation kept in the message); a broken SHOULD/MAY is a warn."""
        requirement = self.catalogue.get(finding.requirement)  # KeyError: a check named an uncatalogued ID
        if finding.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {finding.verdict!r}")
        if finding.requirement not in self.selected:
            return None
        if test and not finding.test:
            finding.test = test
        if finding.exchange is None and self._test_exchanges.get(finding.test):
            finding.exchange = self._judged_exchange(finding)
        if self.as_given is not None:
            self.as_given.append(replace(finding))
        if finding.verdict in (FAIL, WARN) and requirement.capability in self.attempted:
            refusal = self._refusal(finding, requirement.capability)
            if refusal:
                finding = Finding(finding.requirement, UNSUPPORTED, refusal, finding.evidence, finding.test,
                                  finding.exchange)
        if finding.verdict in (FAIL, WARN) and not self.claims(requirement.capability):
            finding = Finding(finding.requirement, SKIP, f"not claimed (capability '{requirement.capability}'); "
                                                         f"observed: {finding.message}", finding.evidence, finding.test,
                              finding.exchange)
        if finding.verdict == FAIL and requirement.level != "MUST":
            finding.verdict = WARN
        self.findings.append(finding)
        self._by_test.setdefault(finding.test, set()).add(finding.requirement)
        return finding

    def _refusal(self, finding: Finding, capability: str) -> str | None:
        """For a capability the run attempted without a claim: the target's honest refusal of the request this
        finding was judged on (a 4xx in OpenAI's error shape; for a whole area only a 404/405/501 route refusal),
        described; None when the failure is not a refusal (a 5xx, a wrong answer) and stays a failure."""
        if finding.exchange is None or finding.exchange >= len(self.exchanges):
            return None
        view = self.exchanges[finding.exchange]
        status = view.get("status")
        if not isinstance(status, int):
            return None
        try:
            body = json.loads(view.get("body") or "null")
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        where = f"{view.get('method')} {view.get('path')}"
        if capability in AREA_CAPABILITIES:  # a whole area: only a missing route is a refusal
            if status in (405, 501) or (status == 404 and _route_missing(body, error) and not self._served(view)):
                return (f"not served: the target answered {where} with HTTP {status} (capability '{capability}' "
                        f"was attempted, not claimed): {str(view.get('body') or '')[:160]!r}")
            return None
        if status in (400, 404, 405, 422, 501) and isinstance(message, str):
            return (f"unsupported: the target refused {where} (capability '{capability}' was attempted, not "
                    f"claimed) with HTTP {status}: {message[:200]!r}")
        return None

    def _served(self, view: dict[str, Any]) -> bool:
        """Did the route of this exchange (first path segment and depth, any method) answer 2xx earlier in the run?
        Then a 404 there is about a resource (an unknown or deleted id), not a missing route."""
        def route(v: dict[str, Any]) -> tuple[Any, ...]:
            parts = str(v.get("path", "")).split("?")[0].strip("/").split("/")
            return parts[0], len(parts)

        key = route(view)
        return any(isinstance(v.get("status"), int) and 200 <= v["status"] < 300 and route(v) == key
                   for v in self.exchanges)

    def claims(self, capability: str) -> bool:
        return self.claimed is None or capability in self.claimed

    def judged_by(self, test: str) -> set[str]:
        """The requirements a test has recorded a finding for."""
        return set(self._by_test.get(test, ()))

    def unjudged(self, requirements: Iterable[str], test: str, verdict: str, message: str) -> None:
        """A scenario stopped before judging these (it raised, the budget ran out, a request was not recorded):
        each requirement it covers and has not judged gets ``verdict`` (error or not-recorded)."""
        for requirement in sorted(set(requirements) - self.judged_by(test)):
            self.add(Finding(requirement, verdict, message), test)

    def deselected(self, requirements: Iterable[str], test: str) -> None:
        """Requirements whose only scenarios a -k/-m expression left out: not judged, and said so."""
        for requirement in sorted(requirements):
            if requirement not in self._deselected:
                self._deselected[requirement] = test

    def findings_of(self, test: str) -> list[Finding]:
        return [f for f in self.findings if f.test == test]

    def verdicts_of(self, test: str) -> dict[str, str]:
        """What a test judged so far: each requirement's worst verdict among the test's findings."""
        worst: dict[str, str] = {}
        for finding in self.findings_of(test):
            if SEVERITY[finding.verdict] >= SEVERITY.get(worst.get(finding.requirement, ""), -1):
                worst[finding.requirement] = finding.verdict
        return worst

    def capability_missing(self, requirements: Iterable[str], test: str, capability: str) -> None:
        """A scenario needs a capability the target does not have: its requirements are skips, or unsupported
        when discovery found their own capability's route not served (a shared requirement, such as an error
        family of every area, is then a skip here: what it is about was not refused, only not reached)."""
        not_served = self._not_served()
        served = not_served.get(capability)
        for requirement in sorted(requirements):
            own = not_served.get(self.catalogue.get(requirement).capability)
            if not served:
                verdict, reason = SKIP, f"not claimed: the target does not claim capability '{capability}'"
            elif own:
                verdict, reason = UNSUPPORTED, f"not served: {own}"
            else:  # a shared requirement (an error family) is not refused by a missing route: it is not met here
                verdict, reason = SKIP, f"not applicable here: this scenario needs '{capability}', not served"
            self.add(Finding(requirement, verdict, reason), test)

    def _not_served(self) -> dict[str, str]:
        served = self.target.get("not_served") if isinstance(self.target, dict) else None
        return served if isinstance(served, dict) else {}

    def add_exchange(self, exchange: Exchange, test: str = "") -> int:
        """Keep a compact, scrubbed view of one exchange; findings of ``test`` added next refer to it."""
        from .exchange_view import compact, content_size

        view = compact(exchange, test, with_content=self._exchange_chars < EXCHANGE_CHARS_KEPT)
        self._exchange_chars += content_size(view)
        self.exchanges.append(view)
        index = len(self.exchanges) - 1
        self._test_exchanges[test].append(index)
        return index

    def _judged_exchange(self, finding: Finding) -> int:
        """The exchange a finding was judged on: the latest of its test, or the latest one whose request the
        evidence names (a scenario may judge an earlier request after making later ones)."""
        indexes = self._test_exchanges[finding.test]
        named = finding.evidence.get("request") if isinstance(finding.evidence, dict) else None
        if isinstance(named, str):
            for index in reversed(indexes):
                exchange = self.exchanges[index]
                line = f"{exchange['method']} {exchange['path']}"
                if named == line or named.startswith(line + " "):
                    return index
        return indexes[-1]

    def metric(self, name: str, value: float) -> None:
        self.metrics[name].append(round(float(value), 4))

    # -- parallel runs ----------------------------------------------------------------------------------
    def worker_part(self) -> dict[str, Any]:
        """What a worker process of a parallel run hands back (see merge_workers)."""
        return {"findings": self.as_given or [], "exchanges": self.exchanges, "deselected": self._deselected,
                "metrics": dict(self.metrics), "notes": self.notes, "suite_errors": self.suite_errors,
                "interrupted": self.interrupted}

    def merge_workers(self, parts: list[dict[str, Any]]) -> None:
        """Fold in the parts of a parallel run's workers: all their exchanges first (a refusal is told apart
        from a missing route by what the run served, in any worker), then their findings as the scenarios gave
        them, judged by this object's policy exactly as in a serial run."""
        given: list[Finding] = []
        for part in parts:
            offset = len(self.exchanges)
            for view in part["exchanges"]:
                self.exchanges.append(view)
                self._test_exchanges[view.get("test", "")].append(len(self.exchanges) - 1)
            given += [replace(f, exchange=None if f.exchange is None else f.exchange + offset)
                      for f in part["findings"]]
            for requirement, test in part["deselected"].items():
                self._deselected.setdefault(requirement, test)
            for name, values in part["metrics"].items():
                self.metrics[name].extend(values)
            self.notes += [note for note in part["notes"] if note not in self.notes]
            self.suite_errors += [error for error in part["suite_errors"] if error not in self.suite_errors]
            self.interrupted = self.interrupted or part["interrupted"]
        for finding in given:
            self.add(finding)

    # -- views ----------------------------------------------------------------------------------------
    def by_requirement(self) -> list[RequirementResult]:
        """One result per selected requirement (every report asks, often: computed again only after a change)."""
        state = (len(self.findings), len(self._deselected), self.interrupted, len(self.exchanges))
        if self._by_requirement_cache is None or self._by_requirement_cache[0] != state:
            self._by_requirement_cache = (state, self._compute_by_requirement())
        return self._by_requirement_cache[1]

    def _compute_by_requirement(self) -> list[RequirementResult]:
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            grouped[finding.requirement].append(finding)
        out = []
        for requirement in self.catalogue:
            if requirement.id not in self.selected:
                continue
            findings = grouped.get(requirement.id, [])
            if findings:
                verdict = max((f.verdict for f in findings), key=lambda v: SEVERITY[v])
            elif requirement.capability in self._not_served():
                verdict = UNSUPPORTED
                findings = [Finding(requirement.id, UNSUPPORTED,
                                    f"not served: {self._not_served()[requirement.capability]}")]
            elif not self.claims(requirement.capability):
                verdict = SKIP
                findings = [Finding(requirement.id, SKIP, f"not claimed: the target does not claim capability "
                                                          f"'{requirement.capability}'")]
            elif requirement.id in self._deselected:
                verdict = ERROR
                findings = [Finding(requirement.id, ERROR, f"not judged: its scenario was deselected "
                                                           f"({self._deselected[requirement.id]})")]
            elif self.interrupted:
                verdict = ERROR
                findings = [Finding(requirement.id, ERROR, "not judged: the run was interrupted before its "
                                                           "scenario ran")]
            else:  # judged only when something occurs (a 429, a 4xx to name a parameter in), and it did not
                verdict = SKIP
                findings = [Finding(requirement.id, SKIP, "not applicable: what this requirement is about did "
                                                          "not occur in this run")]
            out.append(RequirementResult(requirement, verdict, findings))
        return out

    def totals(self) -> dict[str, int]:
        counts = Counter(r.verdict for r in self.by_requirement())
        return {verdict: counts.get(verdict, 0) for verdict in VERDICTS}

    def _failing(self) -> bool:
        """A MUST failed (or a SHOULD with --strict), outside the known failures of the baseline."""
        known = self.baseline.known if self.baseline is not None else set()
        return any(item.verdict == FAIL or (self.strict and item.verdict == WARN)
                   for item in self.by_requirement() if item.requirement.id not in known)

    def profile(self) -> dict[str, dict[str, str]]:
        """What the target turned out to support, per capability: supported (something was judged), unsupported
        (refused honestly, with the refusal), not served (the route is missing), claimed (pinned, not yet judged),
        or not attempted."""
        not_served = self._not_served()
        out: dict[str, dict[str, str]] = {}
        items = self.by_requirement()
        for capability in sorted(self.claimed or ()):
            if capability == "core":
                continue
            reqs = [r for r in items if r.requirement.capability == capability]
            refused = [f for r in reqs for f in r.findings if f.verdict == UNSUPPORTED]
            judged = [r for r in reqs if r.verdict in (PASS, FAIL, WARN)]
            if judged:
                out[capability] = {"status": "supported"}
            elif refused:
                out[capability] = {"status": "unsupported", "detail": refused[0].message}
            else:
                out[capability] = {"status": "claimed" if capability not in self.attempted else "not judged"}
        for capability, reason in sorted(not_served.items()):
            out.setdefault(capability, {"status": "not served", "detail": reason})
        return out

    def judged_count(self) -> tuple[int, int]:
        """(requirements judged, requirements the target supports): the supported ones are those judged plus
        those left unjudged (error, not recorded); skips and honest refusals are not supported."""
        totals = self.totals()
        judged = totals[PASS] + totals[FAIL] + totals[WARN]
        return judged, judged + totals[ERROR] + totals[NOT_RECORDED]

    def overall(self) -> str:
        """The run in one word, which every report opens with: NOT CONFORMANT (a MUST failed, or a SHOULD with
        --strict, not counting the baseline's known failures), INCOMPLETE (something the target supports was not
        judged, nothing at all was judged, or the run was interrupted), or CONFORMANT. A run --max-failures stopped
        early has failed by then: NOT CONFORMANT, like an interrupted run that found a failure."""
        if self._failing():
            return NOT_CONFORMANT
        totals = self.totals()
        if self.interrupted or self.suite_errors or totals[ERROR] or totals[NOT_RECORDED]:
            return INCOMPLETE
        if not (totals[PASS] or totals[WARN]):  # a run that judged nothing proves nothing: never green
            return INCOMPLETE
        return CONFORMANT

    def exit_code(self) -> int:
        """See EXIT_CODES: 0 conformant, 1 not conformant, 3 incomplete, 130 interrupted."""
        if self.interrupted and self.overall() != NOT_CONFORMANT:
            return EXIT_INTERRUPTED
        return EXIT_CODES[self.overall()]

    def baseline_outcome(self) -> BaselineOutcome | None:
        if self.baseline is None:
            return None
        from .baseline import compare

        return compare({r.requirement.id: r.verdict for r in self.by_requirement()}, self.baseline, self.strict)

    def to_json(self) -> dict[str, Any]:
        requirements = self.by_requirement()
        levels = {r.id: r.level for r in self.catalogue}
        return {
            "suite": {"name": "oaic", "version": __version__},
            "mode": self.mode,
            "target": self.target,
            "started": self.started,
            "finished": self.finished or now_iso(),
            "duration_s": round(self.duration, 3),
            "strict": self.strict,
            "result": self.overall(),
            "interrupted": self.interrupted,
            **({"stopped_early": self.stopped_early} if self.stopped_early else {}),
            "suite_errors": self.suite_errors,
            "judged": dict(zip(("judged", "supported"), self.judged_count())),
            "profile": self.profile(),
            "exit_code": self.exit_code(),
            "totals": self.totals(),
            "spent": self.spent,
            "requirements": [
                {
                    "requirement": r.requirement.id,
                    "level": r.requirement.level,
                    "area": r.requirement.area,
                    "title": r.requirement.title,
                    "verdict": r.verdict,
                    "message": r.message,
                }
                for r in requirements
            ],
            "findings": [
                {**f.to_json(), "level": levels[f.requirement]}
                for f in self.findings
            ] + [
                {**r.findings[0].to_json(), "level": r.requirement.level}
                for r in requirements if not any(f.requirement == r.requirement.id for f in self.findings)
            ],
            "metrics": {name: {**summarize(values), "values": values[:METRIC_VALUES_KEPT]}
                        for name, values in sorted(self.metrics.items())},
            "notes": self.notes,
            **({"baseline": outcome.to_json()} if (outcome := self.baseline_outcome()) else {}),
            "exchanges": self.exchanges,
        }


def from_json(data: dict[str, Any], catalogue: Catalogue) -> Results:
    """Rebuild a Results from a results.json (requirements no longer catalogued are left out, with a note)."""
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError("not an oaic results.json (no findings list)")
    selected = {r["requirement"] for r in data.get("requirements", []) if r.get("requirement") in catalogue}
    target = data.get("target") or {}
    claimed = set(target["capabilities"]) if isinstance(target.get("capabilities"), list) else None
    results = Results(catalogue, selected, strict=bool(data.get("strict")), mode=data.get("mode", "live"),
                      target=target, claimed=claimed)
    dropped = set()
    for item in data["findings"]:
        if item.get("requirement") not in catalogue:
            dropped.add(item.get("requirement"))
            continue
        if not item.get("test") and str(item.get("message", "")).startswith(
                ("not claimed", "not judged", "not applicable", "not served")):
            continue  # a requirement nothing judged: by_requirement() says so again
        exchange = item.get("exchange")
        results.add(Finding(item["requirement"], item["verdict"], item.get("message", ""),
                            item.get("evidence") or {}, item.get("test", ""),
                            exchange if isinstance(exchange, int) else None))
    if dropped:
        results.notes.append(f"{len(dropped)} requirement(s) in the file are no longer catalogued: "
                             + ", ".join(sorted(map(str, dropped))))
    results.interrupted = bool(data.get("interrupted"))
    results.stopped_early = str(data["stopped_early"]) if data.get("stopped_early") else None
    results.suite_errors = [str(e) for e in data.get("suite_errors") or []]
    results.spent = data.get("spent") or {}
    results.exchanges = [e for e in data.get("exchanges") or [] if isinstance(e, dict)]
    for name, summary in (data.get("metrics") or {}).items():
        if isinstance(summary, dict) and isinstance(summary.get("values"), list):
            results.metrics[name] = [float(v) for v in summary["values"] if isinstance(v, (int, float))]
    if data.get("baseline"):
        from .baseline import Baseline

        results.baseline = Baseline.from_outcome(data["baseline"])
    results.started, results.finished = data.get("started", ""), data.get("finished")
    duration = data.get("duration_s")
    results.duration = float(duration) if isinstance(duration, (int, float)) else 0.0
    return results


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "min": ordered[0],
        "median": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "max": ordered[-1],
    }


__all__ = ["Results", "RequirementResult", "PASS", "FAIL", "WARN", "SKIP", "UNSUPPORTED", "ERROR", "NOT_RECORDED"]
