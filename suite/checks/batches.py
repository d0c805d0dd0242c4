"""Checks of the Batch API: the batch object and its status lifecycle (documented statuses only, the timestamp of
each status reached, request_counts), retrieve, the output and error files, the list (paging judged by the
pagination checks under batches.list.*), cancel, and refused creations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check, pagination
from .common import is_int
from .errors import answered_object, unjudgeable
from .files import is_seconds, refusal

STATUSES = ("validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled")
TERMINAL = ("failed", "completed", "expired", "cancelled")
# The field each status sets when it is reached.
STATUS_TIME = {"in_progress": "in_progress_at", "finalizing": "finalizing_at", "completed": "completed_at",
               "failed": "failed_at", "expired": "expired_at", "cancelling": "cancelling_at",
               "cancelled": "cancelled_at"}
# What may follow each status on a later read (a status may also stay as it is).
NEXT = {
    "validating": set(STATUSES),
    "in_progress": {"finalizing", "completed", "failed", "expired", "cancelling", "cancelled"},
    "finalizing": {"completed", "failed", "expired", "cancelling", "cancelled"},
    "cancelling": {"cancelled"},
    **{status: set() for status in TERMINAL},
}
OBJECT = ("batches.object.shape", "batches.object.id-prefix", "batches.status.documented",
          "batches.status.timestamps", "batches.request-counts")


def body_of(ex: Exchange) -> dict | None:
    body = ex.json() if ex.status == 200 else None
    return body if isinstance(body, dict) else None


def batch_id(ex: Exchange) -> str | None:
    body = body_of(ex)
    value = body.get("id") if body else None
    return value if isinstance(value, str) and value else None


def status_of(ex: Exchange) -> Any:
    body = body_of(ex)
    return body.get("status") if body else None


def _shape_problems(body: Mapping[str, Any], request: Mapping[str, Any] | None) -> list[str]:
    problems = []
    if not isinstance(body.get("id"), str) or not body.get("id"):
        problems.append(f"id is {short(body.get('id'), 60)}, expected a non-empty string")
    if body.get("object") != "batch":
        problems.append(f'object is {short(body.get("object"), 60)}, expected "batch"')
    for key in ("endpoint", "input_file_id", "completion_window"):
        if request is not None and body.get(key) != request.get(key):
            problems.append(f"{key} is {short(body.get(key), 80)}, the request gave {short(request.get(key), 80)}")
        elif not isinstance(body.get(key), str):
            problems.append(f"{key} is {short(body.get(key), 80) if key in body else 'missing'}, expected a string")
    if not is_seconds(body.get("created_at")):
        problems.append(f"created_at is {short(body.get('created_at'), 60)}, expected an integer in Unix seconds")
    return problems


def _counts_problems(counts: Any) -> list[str]:
    if counts is None:
        return []
    if not isinstance(counts, dict):
        return [f"request_counts is {short(counts, 80)}, expected an object"]
    values = {key: counts.get(key) for key in ("total", "completed", "failed")}
    wrong = [key for key, value in values.items() if not is_int(value) or value < 0]
    if wrong:
        return [f"request_counts {short(counts, 120)}: {', '.join(wrong)} not a non-negative integer"]
    if values["completed"] + values["failed"] > values["total"]:
        return [f"request_counts {short(counts, 120)}: completed + failed exceeds total"]
    return []


def _time_problems(body: Mapping[str, Any]) -> list[str]:
    status, created = body.get("status"), body.get("created_at")
    problems = []
    own = STATUS_TIME.get(status) if isinstance(status, str) else None
    if own and body.get(own) is None:
        problems.append(f"status is {status} but {own} is {'missing' if own not in body else 'null'}")
    for key in (*STATUS_TIME.values(), "expires_at"):
        value = body.get(key)
        if value is None:
            continue
        if not is_seconds(value):
            problems.append(f"{key} is {short(value, 60)}, expected an integer in Unix seconds or null")
        elif is_int(created) and value < created:
            problems.append(f"{key} ({value}) is before created_at ({created})")
    for terminal in TERMINAL:  # the time of a terminal state the batch is not in
        key = STATUS_TIME[terminal]
        if status in STATUSES and status != terminal and body.get(key) is not None:
            problems.append(f"status is {status} but {key} is set ({short(body.get(key), 40)})")
    return problems


def object_findings(body: Mapping[str, Any], where: str, request: Mapping[str, Any] | None = None
                    ) -> list[Finding]:
    """Everything one batch object says about itself."""
    out = []
    problems = _shape_problems(body, request)
    out.append(expect("batches.object.shape", not problems, f"{where}: " + "; ".join(problems),
                      received=short(body, 300)))
    ident = body.get("id")
    if isinstance(ident, str) and ident:
        out.append(expect("batches.object.id-prefix", ident.startswith("batch_"),
                          f'{where}: the batch id {ident!r} does not start with "batch_"', pointer="/id"))
    status = body.get("status")
    out.append(expect("batches.status.documented", status in STATUSES,
                      f"{where}: status is {short(status, 60) if 'status' in body else 'missing'}, not one of "
                      f"{', '.join(STATUSES)}", pointer="/status"))
    times = _time_problems(body)
    out.append(expect("batches.status.timestamps", not times, f"{where}: " + "; ".join(times),
                      received=short({k: body.get(k) for k in ("status", "created_at", *STATUS_TIME.values())}, 400)))
    counts = _counts_problems(body.get("request_counts"))
    out.append(expect("batches.request-counts", not counts, f"{where}: " + "; ".join(counts),
                      pointer="/request_counts"))
    return out


@check("batches.create.accepted", *OBJECT)
def created(ex: Exchange, request: Mapping[str, Any]) -> Iterable[Finding]:
    req = "batches.create.accepted"
    body, unjudged = answered_object(ex, req, f"POST {ex.path} with an uploaded input file expected 200 with a "
                                              f"batch object", also=OBJECT)
    if body is None:
        yield from unjudged
        return
    yield passed(req)
    yield from object_findings(body, f"POST {ex.path}", request)


@check(*OBJECT)
def observed(ex: Exchange) -> Iterable[Finding]:
    """Any later read of a batch (retrieve, cancel): the object and its status. Not a batch: nothing to judge."""
    body = body_of(ex)
    if body is not None:
        yield from object_findings(body, f"{ex.method} {ex.path}")


@check(*OBJECT)
def listed_objects(ex: Exchange, ids: Sequence[str]) -> Iterable[Finding]:
    """The batches ``ids`` (this run's) on a list page, each judged as a batch object. Other batches of the
    account may predate what is judged today: they are left alone."""
    for index, item in enumerate(pagination.page_items(ex) or []):
        if isinstance(item, dict) and item.get("id") in ids:
            yield from object_findings(item, f"GET {ex.path} data/{index}")


@check("batches.retrieve.same")
def retrieved(ex: Exchange, original: Mapping[str, Any]) -> Iterable[Finding]:
    req = "batches.retrieve.same"
    body, unjudged = answered_object(ex, req, f"GET {ex.path} for a batch just created expected 200 with the batch")
    if body is None:
        yield from unjudged
        return
    wrong = [f"{key} is {short(body.get(key), 80)}, the creation answered {short(original.get(key), 80)}"
             for key in ("id", "input_file_id", "endpoint", "completion_window", "created_at")
             if body.get(key) != original.get(key)]
    yield expect(req, not wrong, f"GET {ex.path}: " + "; ".join(wrong), received=short(body, 300))


@check("batches.status.lifecycle")
def lifecycle(reads: Sequence[Exchange]) -> Iterable[Finding]:
    """The statuses of successive reads of one batch (creation first) only move forward."""
    req = "batches.status.lifecycle"
    seen = [(ex, status_of(ex)) for ex in reads if status_of(ex) in STATUSES]
    if len(seen) < 2:
        yield skipped(req, "not judged: fewer than two reads of the batch showed a documented status")
        return
    wrong = [f"{before} then {after} ({ex.method} {ex.path})" for (_, before), (ex, after) in zip(seen, seen[1:])
             if after != before and after not in NEXT[before]]
    yield expect(req, not wrong, "the batch's status went backwards or left a terminal status: " + "; ".join(wrong),
                 statuses=[status for _, status in seen])


@check("batches.request-counts")
def completed_counts(ex: Exchange, input_lines: int) -> Iterable[Finding]:
    """A completed batch counted every input line: total is their number, completed + failed equals it."""
    req = "batches.request-counts"
    body = body_of(ex)
    if body is None or body.get("status") != "completed":
        return
    counts = body.get("request_counts")
    if _counts_problems(counts) or not isinstance(counts, dict):
        return  # judged by object_findings
    problems = []
    if counts["total"] != input_lines:
        problems.append(f"total is {counts['total']}, the input file has {input_lines} lines")
    if counts["completed"] + counts["failed"] != counts["total"]:
        problems.append(f"completed ({counts['completed']}) + failed ({counts['failed']}) is not total "
                        f"({counts['total']})")
    yield expect(req, not problems, f"the completed batch's request_counts {short(counts, 120)}: "
                                    + "; ".join(problems), pointer="/request_counts")


def jsonl(ex: Exchange) -> tuple[list[Any], list[str]]:
    """(parsed lines, problems) of a downloaded JSONL file."""
    lines, problems = [], []
    for number, text in enumerate((ex.body or b"").decode("utf-8", "replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            lines.append(json.loads(text))
        except ValueError:
            problems.append(f"line {number} is not JSON: {short(text, 100)}")
    return lines, problems


def _chat_body_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"body is {short(body, 100)}, expected a chat.completion"]
    problems = []
    if body.get("object") != "chat.completion":
        problems.append(f'body.object is {short(body.get("object"), 60)}, expected "chat.completion"')
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not all(
            isinstance(c, dict) and isinstance(c.get("message"), dict) for c in choices):
        problems.append(f"body.choices is {short(choices, 100)}, expected choices with a message")
    return problems


BODY_PROBLEMS = {"/v1/chat/completions": _chat_body_problems}


def _custom_id(line: Any) -> Any:
    return line.get("custom_id") if isinstance(line, dict) else None


def _status_code(line: Any) -> Any:
    response = line.get("response") if isinstance(line, dict) else None
    return response.get("status_code") if isinstance(response, dict) else None


@check("batches.output.lines", "batches.output.response", "batches.output.errors")
def result_files(output: Exchange | None, errors: Exchange | None, custom_ids: Sequence[str], endpoint: str
                 ) -> Iterable[Finding]:
    """The output and error files of a completed batch: each input line's custom_id once across both, output
    lines carrying a response with a body valid for the endpoint, error lines an error or a failed response."""
    files = [(kind, ex) for kind, ex in (("output", output), ("error", errors)) if ex is not None]
    if not files:
        yield failed("batches.output.lines", f"the completed batch names neither an output_file_id nor an "
                                             f"error_file_id; its {len(custom_ids)} lines have no results")
        return
    lines: dict[str, list[Any]] = {}
    problems: list[str] = []
    for kind, ex in files:
        if ex.status != 200:
            problems.append(f"the {kind} file (GET {ex.path}) answered {ex.describe()}")
            lines[kind] = []
            continue
        lines[kind], bad = jsonl(ex)
        problems += [f"{kind} file: {p}" for p in bad]
    ids = [_custom_id(line) for kind in lines for line in lines[kind]]
    without = sum(1 for i in ids if not isinstance(i, str))
    if without:
        problems.append(f"{without} result lines carry no custom_id")
    missing = [c for c in custom_ids if c not in ids]
    repeated = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
    unknown = [i for i in ids if isinstance(i, str) and i not in custom_ids]
    if missing:
        problems.append(f"no result for {short(missing, 160)}")
    if repeated:
        problems.append(f"more than one result for {short(repeated, 160)}")
    if unknown:
        problems.append(f"results for custom_ids the input did not have: {short(unknown, 160)}")
    yield expect("batches.output.lines", not problems, "; ".join(problems), custom_ids=list(custom_ids),
                 listed=short(ids, 300))
    yield from _output_lines(lines.get("output", []), endpoint)
    if lines.get("error"):
        yield from _error_lines(lines["error"])
    else:
        yield skipped("batches.output.errors", "not judged: the batch has no error file lines")


def _output_lines(lines: list[Any], endpoint: str) -> Iterable[Finding]:
    req = "batches.output.response"
    if not lines:
        yield skipped(req, "not judged: the output file has no lines")
        return
    problems = []
    for index, line in enumerate(lines):
        response = line.get("response") if isinstance(line, dict) else None
        where = f"output line {index + 1} ({_custom_id(line)})"
        if not isinstance(response, dict):
            problems.append(f"{where}: response is {short(response, 100)}, expected an object")
            continue
        code = response.get("status_code")
        if not is_int(code):
            problems.append(f"{where}: response.status_code is {short(code, 60)}, expected an integer")
        if not isinstance(response.get("request_id"), str):
            problems.append(f"{where}: response.request_id is {short(response.get('request_id'), 60)}, expected a "
                            f"string")
        body_problems = BODY_PROBLEMS.get(endpoint)
        if is_int(code) and 200 <= code < 300 and body_problems:
            problems += [f"{where}: {p}" for p in body_problems(response.get("body"))]
    yield expect(req, not problems, "; ".join(problems[:4]), lines=len(lines))


def _error_lines(lines: list[Any]) -> Iterable[Finding]:
    problems = []
    for index, line in enumerate(lines):
        where = f"error line {index + 1}"
        if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
            problems.append(f"{where} carries no custom_id: {short(line, 120)}")
            continue
        error, code = line.get("error"), _status_code(line)
        failed_response = is_int(code) and not 200 <= code < 300
        if not isinstance(error, dict) and not failed_response:
            problems.append(f"{where} ({line['custom_id']}) has neither an error object nor a failed response "
                            f"(error {short(error, 60)}, status_code {short(code, 40)})")
    yield expect("batches.output.errors", not problems, "; ".join(problems[:4]), lines=len(lines))


@check("batches.list.shape", "batches.list.limit", "batches.list.cursor-ids")
def page(ex: Exchange, limit: int | None = None) -> Iterable[Finding]:
    return pagination.for_area(pagination.page(ex, limit), "batches")


@check("batches.list.has-more", "batches.list.after", "batches.list.walk")
def walk(pages: Sequence[Exchange], full_ids: Sequence[Any]) -> Iterable[Finding]:
    return pagination.for_area(pagination.walk(pages, full_ids), "batches")


@check("batches.list.contains")
def listed(ex: Exchange, ids: Sequence[str]) -> Iterable[Finding]:
    """The list names the batches just created; when it has more pages and lacks them, it cannot be told."""
    req = "batches.list.contains"
    if pagination.page_items(ex) is None:
        yield skipped(req, f"not judged: GET {ex.path} answered {ex.describe()} (see batches.list.shape)")
        return
    listed_ids = pagination.page_ids(ex)
    missing = [i for i in ids if i not in listed_ids]
    if missing and pagination.has_more(ex) is True:
        yield skipped(req, f"not judged: GET {ex.path} lacks {short(missing, 120)}, but has more pages")
        return
    yield expect(req, not missing, f"GET {ex.path} lists {len(listed_ids)} batches without {short(missing, 160)}, "
                                   f"created just before", listed=short(listed_ids, 300))


@check("batches.cancel.cancelling")
def cancelling(ex: Exchange) -> Iterable[Finding]:
    """The cancel of an unfinished batch answers it cancelling (or, done at once, cancelled)."""
    req = "batches.cancel.cancelling"
    body, unjudged = answered_object(ex, req, f"POST {ex.path} on a batch that had not finished expected 200 with "
                                              f"the cancelling batch")
    if body is None:
        yield from unjudged
        return
    status = body.get("status")
    problems = []
    if status not in ("cancelling", "cancelled"):
        problems.append(f"status is {short(status, 60)}, expected cancelling (or cancelled)")
    if body.get("cancelling_at") is None and status == "cancelling":
        problems.append("cancelling_at is not set")
    yield expect(req, not problems, f"POST {ex.path}: " + "; ".join(problems), received=short(body, 300))


@check("batches.cancel.cancelled")
def after_cancel(ex: Exchange, ident: str) -> Iterable[Finding]:
    """A read after the cancel (the batch itself, or a list page naming it) shows the batch cancelling or
    cancelled (with cancelled_at)."""
    req = "batches.cancel.cancelled"
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    items = pagination.page_items(ex)
    body = next((i for i in items if pagination.item_id(i) == ident), None) if items is not None else body_of(ex)
    if not isinstance(body, dict) or body.get("id") != ident:
        yield skipped(req, f"not judged: {ex.method} {ex.path} answered {ex.describe()} without the cancelled "
                           f"batch {ident}")
        return
    status = body.get("status")
    problems = []
    if status not in ("cancelling", "cancelled"):
        problems.append(f"status is {short(status, 60)} after the cancel, expected cancelling or cancelled")
    elif status == "cancelled" and body.get("cancelled_at") is None:
        problems.append("status is cancelled but cancelled_at is not set")
    yield expect(req, not problems, f"{ex.method} {ex.path} ({ident}): " + "; ".join(problems),
                 received=short(body, 300))


@check("batches.create.unknown-file", "batches.create.bad-endpoint", "batches.create.bad-window")
def refused(ex: Exchange, requirement: str, what: str) -> Iterable[Finding]:
    yield from refusal(ex, requirement, what)


@check("batches.create.wrong-purpose")
def wrong_purpose(ex: Exchange, later: Exchange | None = None) -> Iterable[Finding]:
    """A batch from a file of another purpose is refused at once, or fails validation (``later``: a read of it)."""
    req = "batches.create.wrong-purpose"
    what = "a batch whose input file has another purpose than batch"
    if not ex.ok or later is None:
        yield from refusal(ex, req, what)
        return
    status = status_of(later)
    if status == "validating":
        yield skipped(req, f"not judged: {what} was accepted and is still validating")
        return
    yield expect(req, status == "failed", f"{what} was accepted ({ex.describe()}) and a later read shows status "
                                          f"{short(status, 60)}; expected a 4xx, or the batch failing validation",
                 status=status)
