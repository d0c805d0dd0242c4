"""Checks of the property phase: one generated request and its answer, judged against what the OpenAPI document
says about the operation (suite/profile.py ``Operation``), and a summary over all examples of an operation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..exchange import Exchange
from ..findings import ERROR, FAIL, PASS, SKIP, Finding, errored, expect, failed, passed, short, skipped
from ..profile import Document, Operation
from ..properties.cases import PropertyExample
from . import check
from .common import error_body_problems
from .errors import route_not_served

POSITIVE_IDS = ("property.positive.no-server-error", "property.positive.accepted",
                "property.positive.status-documented", "property.positive.content-type",
                "property.positive.response-schema")
NEGATIVE_IDS = ("property.negative.no-server-error", "property.negative.rejected", "property.negative.error-shape")
FAILURES_SHOWN = 3  # per requirement and operation: enough to act on, few enough to read


def _evidence(example: PropertyExample) -> dict:
    ex = example.exchange
    return {"operation": example.request.operation_id, "request": example.request.describe(),
            "status": ex.status, "response": short(ex.body, 300)}


@check("property.positive.no-server-error")
def positive_no_server_error(example: PropertyExample) -> Iterable[Finding]:
    ex = example.exchange
    if ex.status is None:
        return
    yield expect("property.positive.no-server-error", ex.status < 500,
                 f"{example.request.operation_id}: a valid request got HTTP {ex.status}: "
                 f"{example.request.describe()}", **_evidence(example))


@check("property.positive.accepted")
def positive_accepted(example: PropertyExample) -> Iterable[Finding]:
    ex = example.exchange
    if not example.request.expect_success or ex.status is None or ex.status >= 500 or ex.status == 429:
        return  # 5xx is judged by no-server-error; 429 says nothing about the request
    message = ""
    body = ex.json()
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = f" ({short(body['error'].get('message'), 160)})"
    yield expect("property.positive.accepted", 200 <= ex.status < 300,
                 f"{example.request.operation_id}: a valid request using only claimed capabilities was refused "
                 f"with HTTP {ex.status}{message}: {example.request.describe()}", **_evidence(example))


@check("property.positive.status-documented")
def positive_status_documented(example: PropertyExample, operation: Operation) -> Iterable[Finding]:
    ex = example.exchange
    if ex.status is None or ex.status >= 500:
        return
    yield expect("property.positive.status-documented", operation.documents_status(ex.status),
                 f"{operation.id}: HTTP {ex.status} is not a documented status "
                 f"(documented: {', '.join(sorted(operation.documented_statuses()))}) for "
                 f"{example.request.describe()}", **_evidence(example))


def expected_content_type(example: PropertyExample, operation: Operation) -> str | None:
    """The content type a conformant answer has: SSE for a successful stream, JSON otherwise."""
    ex = example.exchange
    contents = operation.response(ex.status) if ex.status is not None else None
    if not contents:
        return None
    if example.request.streamed and 200 <= ex.status < 300 and "text/event-stream" in contents:
        return "text/event-stream"
    if "application/json" in contents:
        return "application/json"
    return next(iter(contents))


@check("property.positive.content-type")
def positive_content_type(example: PropertyExample, operation: Operation) -> Iterable[Finding]:
    ex = example.exchange
    if ex.status is None or ex.status >= 500:
        return
    wanted = expected_content_type(example, operation)
    if wanted is None:
        return
    yield expect("property.positive.content-type", ex.content_type == wanted,
                 f"{operation.id}: HTTP {ex.status} came as {ex.headers.get('content-type', '(no content type)')!r}, "
                 f"expected {wanted} for {example.request.describe()}", **_evidence(example))


@check("property.positive.response-schema")
def positive_response_schema(example: PropertyExample, operation: Operation) -> Iterable[Finding]:
    ex = example.exchange
    req = "property.positive.response-schema"
    if ex.status is None or ex.status >= 500 or ex.error_kind:
        return
    contract = (operation.response(ex.status) or {}).get(ex.content_type)
    if contract is None or contract.pointer is None:
        return  # an undocumented status or content type is judged by the two requirements above
    document = operation.document
    where = f"{operation.id}: HTTP {ex.status}"
    if contract.per_event:
        if not ex.is_stream:
            return
        for event in ex.data_events():
            if event.is_done:
                if not contract.done_allowed:
                    yield failed(req, f"{where}: event #{event.index} is [DONE], which this stream does not "
                                      f"send", event=event.index, **_evidence(example))
                    return
                continue
            payload = event.json()
            if event.json_error is not None:
                yield failed(req, f"{where}: event #{event.index} data is not JSON: {event.json_error}",
                             event=event.index, data=short(event.data, 200), **_evidence(example))
                return
            problems = schema_problems(document, contract.pointer, payload)
            if problems:
                yield failed(req, f"{where}: event #{event.index} does not match {_name(contract.pointer)}: "
                                  + "; ".join(problems), event=event.index, data=short(event.data, 300),
                             **_evidence(example))
                return
        yield passed(req)
        return
    body = ex.json()
    if ex.json_error is not None:
        yield failed(req, f"{where}: body is not JSON ({ex.json_error})", **_evidence(example))
        return
    problems = schema_problems(document, contract.pointer, body)
    yield expect(req, not problems, f"{where}: body does not match {_name(contract.pointer)}: "
                                    + "; ".join(problems), **_evidence(example))


@check(*NEGATIVE_IDS)
def negative_answer(example: PropertyExample) -> Iterable[Finding]:
    """An invalid request gets a 4xx in OpenAI's error shape: never 5xx, never 2xx."""
    ex = example.exchange
    if ex.status is None:
        return
    what = f"{example.request.operation_id}: an invalid request ({example.request.note})"
    yield expect("property.negative.no-server-error", ex.status < 500,
                 f"{what} got HTTP {ex.status}: {example.request.describe()}", **_evidence(example))
    if ex.status >= 500:
        return
    missing = route_not_served(ex)  # the operations judged here are creates: a 404 cannot be about an object
    if missing:
        yield skipped("property.negative.rejected", f"{example.request.operation_id}: {missing}")
    elif ex.status != 429:  # a rate limit says nothing about whether the input was rejected
        yield expect("property.negative.rejected", 400 <= ex.status < 500,
                     f"{what} was accepted with HTTP {ex.status}, expected a 4xx rejection: "
                     f"{example.request.describe()}", **_evidence(example))
    if 400 <= ex.status < 500:
        problems = error_body_problems(ex)
        yield expect("property.negative.error-shape", not problems,
                     f"{what} was rejected with HTTP {ex.status}, but not in OpenAI's error shape: "
                     + "; ".join(problems), **_evidence(example))


def schema_problems(document: Document, pointer: str, value: Any) -> list[str]:
    """Violations of the schema, forgiving optional members that are null: clients (and OpenAI's own SDK) read
    null and absent alike, and the official document does not always say which fields may be null."""
    problems = document.schema_errors(pointer, value, limit=3)
    if problems and document.is_valid(pointer, without_nulls(value)):
        return []
    return problems


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def judge_positive(examples: list[PropertyExample], operation: Operation) -> list[Finding]:
    findings: list[Finding] = []
    for example in examples:
        findings += _unanswered(example, POSITIVE_IDS)
        findings += positive_no_server_error(example)
        findings += positive_accepted(example)
        findings += positive_status_documented(example, operation)
        findings += positive_content_type(example, operation)
        findings += positive_response_schema(example, operation)
    return summarize(findings, operation.id, len(examples))


def judge_negative(examples: list[PropertyExample], operation: Operation) -> list[Finding]:
    findings: list[Finding] = []
    for example in examples:
        findings += _unanswered(example, NEGATIVE_IDS)
        findings += negative_answer(example)
    return summarize(findings, operation.id, len(examples))


def _unanswered(example: PropertyExample, requirements: Iterable[str]) -> list[Finding]:
    ex: Exchange = example.exchange
    if ex.status is not None:
        return []
    return [errored(r, f"not judged: {example.request.describe()} got no response ({ex.error})")
            for r in requirements]


def summarize(findings: list[Finding], operation_id: str, examples: int) -> list[Finding]:
    """Per requirement: its first failures, else one pass for all examples; errors only when nothing was judged."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.requirement].append(finding)
    out: list[Finding] = []
    for requirement, group in grouped.items():
        failures = [f for f in group if f.verdict == FAIL]
        passes = [f for f in group if f.verdict == PASS]
        if failures:
            out += failures[:FAILURES_SHOWN]
            if len(failures) > FAILURES_SHOWN:
                out[-1].evidence["more_failures"] = len(failures) - FAILURES_SHOWN
        elif passes:
            out.append(passed(requirement, f"{operation_id}: {len(passes)} of {examples} examples judged, "
                                           f"all conform"))
        else:  # nothing judged: say why (an error before a skip)
            out += sorted((f for f in group if f.verdict in (ERROR, SKIP)), key=lambda f: f.verdict != ERROR)[:1]
    return out


def _name(pointer: str) -> str:
    return pointer.rsplit("/", 1)[-1] if pointer.startswith("/components/schemas/") else pointer
