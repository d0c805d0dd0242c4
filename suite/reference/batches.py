"""Batches: create from an uploaded purpose=batch JSONL file, retrieve, list (newest first, cursor pagination),
cancel. Each line runs against the provider's own endpoint logic.

So a run is fast and deterministic, a batch advances when it is read: created ``validating``, the first read
(retrieve or list) after creation runs every line and finds it ``completed`` (with its output and error files); a
cancelled batch is ``cancelling`` until the next read, then ``cancelled``.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import chat, completions, embeddings, responses
from .faults import FaultContext
from .files import list_query
from .params import Params, invalid_value, metadata
from .stored import cut
from .text import digest
from .wire import APIError, EventStream, JSONBody

if TYPE_CHECKING:
    from .app import Call

ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations",
             "/v1/images/generations", "/v1/images/edits", "/v1/videos")
WINDOWS = ("24h",)
WINDOW_SECONDS = 24 * 3600
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100
TERMINAL = ("failed", "completed", "expired", "cancelled")
TIMESTAMPS = ("in_progress_at", "expires_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
              "cancelling_at", "cancelled_at")
RUNNERS: dict[str, Callable[[Call], Any]] = {
    "/v1/chat/completions": chat.create, "/v1/completions": completions.create,
    "/v1/embeddings": embeddings.create, "/v1/responses": responses.create,
}


@dataclass
class StoredBatch:
    batch: dict
    sequence: int
    reads: int = 0


class BatchStore:
    def __init__(self) -> None:
        self.records: dict[str, StoredBatch] = {}
        self._sequence = itertools.count()

    def add(self, batch: dict) -> None:
        self.records[batch["id"]] = StoredBatch(batch, next(self._sequence))

    def get(self, batch_id: str) -> StoredBatch:
        record = self.records.get(batch_id)
        if record is None:
            raise APIError(404, f"No batch found with id '{batch_id}'.", None, None)
        return record


def create(call: Call) -> JSONBody:
    body = call.body
    if not isinstance(body, dict):
        raise APIError(400, "Invalid type for body: expected an object.", None, "invalid_type")
    p = Params(body, {"input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"})
    file_id = p.string("input_file_id", required=True)
    endpoint = p.string("endpoint", required=True)
    window = p.string("completion_window", required=True)
    if endpoint not in ENDPOINTS:
        raise invalid_value("endpoint", endpoint, ENDPOINTS)
    if window not in WINDOWS:
        raise invalid_value("completion_window", window, WINDOWS)
    provider = call.provider
    record = provider.files.records.get(file_id)
    if record is None:
        raise APIError(400, f"Invalid 'input_file_id': no file with id '{file_id}'.", "input_file_id",
                       "invalid_value")
    if record.meta["purpose"] != "batch":
        raise APIError(400, f"Invalid 'input_file_id': file {file_id} has purpose '{record.meta['purpose']}', "
                            f"but the input file of a batch must be uploaded with purpose 'batch'.",
                       "input_file_id", "invalid_value")
    created = provider.now()
    batch = {"id": call.apply("batches.id", provider.new_id("batch_")), "object": "batch", "endpoint": endpoint, "model": None,
             "errors": None, "input_file_id": file_id, "completion_window": window, "status": "validating",
             "output_file_id": None, "error_file_id": None, "created_at": created,
             **{key: None for key in TIMESTAMPS}, "expires_at": created + WINDOW_SECONDS,
             "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": metadata(p)}
    provider.batches.add(batch)
    return JSONBody(call.apply("batches.create", copy.deepcopy(batch)))


def retrieve(call: Call) -> JSONBody:
    record = call.provider.batches.get(call.path_params["batch_id"])
    advance(call, record)
    return JSONBody(call.apply("batches.retrieve", copy.deepcopy(record.batch)))


def list_batches(call: Call) -> JSONBody:
    query = call.apply("batches.query", list_query(call.query, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, "desc"))
    records = sorted(call.provider.batches.records.values(), key=lambda r: (r.batch["created_at"], r.sequence))
    for record in records:
        advance(call, record)
    body = cut([copy.deepcopy(r.batch) for r in records], query, lambda b: b["id"], "batch")
    return JSONBody(call.apply("batches.list", body))


def cancel(call: Call) -> JSONBody:
    record = call.provider.batches.get(call.path_params["batch_id"])
    batch = record.batch
    if batch["status"] in TERMINAL or batch["status"] == "cancelling":
        raise APIError(400, f"Cannot cancel a batch with status '{batch['status']}'.", None, None)
    if "batches-cancel-ignored" in call.provider.active:
        return JSONBody(call.apply("batches.cancel", copy.deepcopy(batch)))
    batch.update(status="cancelling", cancelling_at=call.provider.now())
    record.reads = 1  # the next read finds it cancelled
    if "batches-cancel-at-once" in call.provider.active:  # nothing in flight: done without a cancelling phase
        batch.update(status="cancelled", cancelled_at=batch["cancelling_at"])
    return JSONBody(call.apply("batches.cancel", copy.deepcopy(batch)))


def advance(call: Call, record: StoredBatch) -> None:
    """One step of the lifecycle per read: run a validating batch to completion, finish a cancellation."""
    batch = record.batch
    record.reads += 1
    now = call.provider.now()
    if batch["status"] == "cancelling" and record.reads > 1:
        batch.update(status="cancelled", cancelled_at=now)
    elif batch["status"] == "validating":
        run(call, batch, now)


def _line_problem(number: int, line: Any, endpoint: str, seen: set[str]) -> dict | None:
    def problem(message: str, param: str | None = None) -> dict:
        return {"code": "invalid_request", "message": message, "param": param, "line": number}

    if not isinstance(line, dict):
        return problem("The line is not a JSON object.")
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return problem("Missing required parameter: 'custom_id'.", "custom_id")
    if custom_id in seen:
        return problem(f"The custom_id '{custom_id}' is used on more than one line.", "custom_id")
    seen.add(custom_id)
    if line.get("method") != "POST":
        return problem("Invalid 'method': only POST is supported.", "method")
    if line.get("url") != endpoint:
        return problem(f"Invalid 'url': '{line.get('url')}' does not match the batch's endpoint '{endpoint}'.",
                       "url")
    if not isinstance(line.get("body"), dict):
        return problem("Missing required parameter: 'body'.", "body")
    return None


def _parse_lines(data: bytes, endpoint: str) -> tuple[list[dict], list[dict]]:
    """(lines, validation errors) of a batch input file."""
    lines, problems, seen = [], [], set()
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            problems.append({"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.",
                             "param": None, "line": number})
            continue
        problem = _line_problem(number, line, endpoint, seen)
        if problem:
            problems.append(problem)
        else:
            lines.append(line)
    if not lines and not problems:
        problems.append({"code": "empty_file", "message": "The input file is empty.", "param": None, "line": None})
    return lines, problems


def _execute(call: Call, batch: dict, line: dict, index: int) -> tuple[int, Any]:
    """(status code, body) of one line, run as a request to the batch's endpoint."""
    provider = call.provider
    runner = RUNNERS.get(batch["endpoint"])
    if runner is None:
        return 404, APIError(404, f"Invalid URL (POST {batch['endpoint']})", None, "unknown_url").body()
    from .app import Call as LineCall

    ctx = FaultContext(method="POST", path=batch["endpoint"], endpoint=batch["endpoint"][len("/v1/"):].replace(
        "/", "."), request=line["body"])
    try:
        answer = runner(LineCall(provider, ctx, copy.deepcopy(line["body"]), {}, {}))
    except APIError as err:
        return err.status, err.body()
    if isinstance(answer, EventStream):
        return 400, APIError(400, "Streaming is not supported in batches.", "stream", None).body()
    return answer.status, answer.value


def run(call: Call, batch: dict, now: int) -> None:
    """Validate the input file and run every line; the batch ends completed (or failed validation)."""
    provider = call.provider
    stored = provider.files.records.get(batch["input_file_id"])
    lines, problems = _parse_lines(stored.data if stored else b"", batch["endpoint"])
    if problems:
        batch.update(status="failed", failed_at=now, errors={"object": "list", "data": problems})
        return
    models = {line["body"].get("model") for line in lines}
    batch["model"] = next(iter(models)) if len(models) == 1 else None
    outputs, errors = [], []
    for index, line in enumerate(lines):
        status, body = _execute(call, batch, line, index)
        result = {"id": provider.new_id("batch_req_"), "custom_id": line["custom_id"],
                  "response": {"status_code": status, "request_id": "req_" + format(digest(batch["id"], index), "016x"),
                               "body": body},
                  "error": None}
        (outputs if 200 <= status < 300 else errors).append(result)
    outputs = call.apply("batches.output", outputs)
    errors = call.apply("batches.errors", errors)
    for kind, results in (("output", outputs), ("error", errors)):
        if results:
            data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in results).encode("utf-8")
            meta = provider.files.add(provider, f"{batch['id']}_{kind}.jsonl", data, "batch_output")
            batch[f"{kind}_file_id"] = meta["id"]
    counts = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
    batch.update(status="completed", in_progress_at=now, finalizing_at=now, completed_at=now,
                 request_counts=call.apply("batches.counts", counts))
