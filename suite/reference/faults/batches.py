"""Faults of the Batch API: statuses outside OpenAI's list, missing timestamps, request_counts that do not add up,
result files that lose lines or their custom_id or their response envelope, a status that goes backwards, lists
that ignore their parameters, cancels that change nothing, invalid creations served or failing with a 5xx, errors
as {"detail": ...}."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..batches import LIST_DEFAULT_LIMIT
from . import FaultContext, fault

EMPTY_PAGE = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
SERVER_ERROR = {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                          "type": "server_error", "param": None, "code": None}}
OWN_NAMES = {"validating": "queued", "in_progress": "running", "completed": "succeeded"}


def _on_batches(change):
    """The same change on every batch object the API answers: created, retrieved, cancelled and listed."""
    def one(body: Any, ctx: FaultContext) -> Any:
        return change(dict(body), ctx) if isinstance(body, dict) and body.get("object") == "batch" else body

    def page(body: Any, ctx: FaultContext) -> Any:
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            return {**body, "data": [one(item, ctx) for item in body["data"]]}
        return body
    return {"batches_create": one, "batches_retrieve": one, "batches_cancel": one, "batches_list": page}


def _on_page(change):
    return lambda body, ctx: change(dict(body), ctx) if isinstance(body, dict) and isinstance(
        body.get("data"), list) else body


def _error_as_500(param: str):
    def hook(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
        detail = error[1].get("error") if isinstance(error[1], dict) else None
        if ctx.endpoint == "batches.create" and isinstance(detail, dict) and detail.get("param") == param:
            return 500, SERVER_ERROR
        return error
    return hook


def _detail(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    if not ctx.endpoint.startswith("batches."):
        return error
    detail = error[1].get("error") if isinstance(error[1], dict) else None
    return error[0], {"detail": detail.get("message") if isinstance(detail, dict) else "Error"}


def _window_ignored(body: dict, ctx: FaultContext) -> dict:
    return {**body, "completion_window": "24h"} if ctx.endpoint == "batches.create" else body


def _optimistic_creation(body: Any, ctx: FaultContext) -> Any:
    if not isinstance(body, dict):
        return body
    done = body["created_at"]
    return {**body, "status": "completed", "in_progress_at": done, "finalizing_at": done, "completed_at": done}


def _still_running(body: Any, ctx: FaultContext) -> Any:
    if not isinstance(body, dict) or body.get("status") != "completed":
        return body
    return {**body, "status": "in_progress", "finalizing_at": None, "completed_at": None, "output_file_id": None}


def _bare_response(lines: list, ctx: FaultContext) -> list:
    return [{"custom_id": line.get("custom_id"), "response": (line.get("response") or {}).get("body")}
            for line in lines]


fault("batches-status-own-names", ["batches.status.documented"],
      "Batch statuses come in the server's own words: queued, running, succeeded instead of validating, "
      "in_progress, completed.",
      **_on_batches(lambda b, ctx: {**b, "status": OWN_NAMES.get(b.get("status"), b.get("status"))}))

fault("batches-completed-without-time", ["batches.status.timestamps"],
      "A completed batch has completed_at null (only the status is updated).",
      **_on_batches(lambda b, ctx: {**b, "completed_at": None}))

fault("batches-counts-total-zero", ["batches.request-counts"],
      "request_counts.total stays 0 while completed and failed count the requests run.",
      batches_counts=lambda counts, ctx: {**counts, "total": 0})

fault("batches-output-no-custom-id", ["batches.output.lines"],
      "The output file's lines carry no custom_id, so results cannot be matched to requests.",
      batches_output=lambda lines, ctx: [{k: v for k, v in line.items() if k != "custom_id"} for line in lines])

fault("batches-output-line-lost", ["batches.output.lines"],
      "The last result of a batch is never written to the output file.",
      batches_output=lambda lines, ctx: lines[:-1])

fault("batches-output-bare-body", ["batches.output.response"],
      "Output lines hold the endpoint's answer directly as response, without status_code, request_id and body.",
      batches_output=_bare_response)

fault("batches-status-backwards", ["batches.status.lifecycle"],
      "The creation answers the batch completed, while later reads show it still in_progress.",
      batches_create=_optimistic_creation, batches_retrieve=_still_running)

fault("batches-object-name", ["batches.object.shape"],
      "Batch objects name themselves \"batch_job\" instead of \"batch\".",
      **_on_batches(lambda b, ctx: {**b, "object": "batch_job"}))

fault("batches-id-uuid", ["batches.object.id-prefix"],
      "Batch ids are bare hex strings, without OpenAI's \"batch_\" prefix.",
      batches_id=lambda ident, ctx: ident.removeprefix("batch_"))

fault("batches-retrieve-short-endpoint", ["batches.retrieve.same"],
      "A retrieved batch names its endpoint without the /v1 prefix (/chat/completions).",
      batches_retrieve=lambda b, ctx: {**b, "endpoint": b["endpoint"].removeprefix("/v1")} if isinstance(b, dict)
      else b)

fault("batches-list-after-ignored", ["batches.list.after", "batches.list.walk"],
      "after is ignored: every page of the batches list starts again from the newest batch.",
      batches_query=lambda query, ctx: replace(query, after=None))

fault("batches-list-has-more-false", ["batches.list.has-more", "batches.list.walk"],
      "has_more is always false on the batches list.",
      batches_list=_on_page(lambda page, ctx: {**page, "has_more": False}))

fault("batches-list-limit-ignored", ["batches.list.limit"],
      f"limit is ignored: every batches list page holds up to {LIST_DEFAULT_LIMIT} batches.",
      batches_query=lambda query, ctx: replace(query, limit=LIST_DEFAULT_LIMIT))

fault("batches-list-no-cursors", ["batches.list.shape"],
      "The batches list is {\"object\": \"list\", \"data\": [...]} without first_id, last_id and has_more.",
      batches_list=_on_page(lambda page, ctx: {k: v for k, v in page.items() if k in ("object", "data")}))

fault("batches-list-cached", ["batches.list.contains"],
      "The batches list is served from a cache refreshed every few minutes: batches just created are missing.",
      batches_list=_on_page(lambda page, ctx: {**EMPTY_PAGE}))

fault("batches-cancel-ignored", ["batches.cancel.cancelling", "batches.cancel.cancelled"],
      "POST /batches/{id}/cancel answers 200 but changes nothing: the batch goes on and completes.")

fault("batches-bad-window-ignored", ["batches.create.bad-window"],
      "completion_window is not checked: a batch asking for 1h is created (and given 24h).",
      request=_window_ignored)

fault("batches-bad-endpoint-500", ["batches.create.bad-endpoint"],
      "A batch for an unknown endpoint fails with 500 (an unhandled lookup).",
      error=_error_as_500("endpoint"))

fault("batches-unknown-file-500", ["batches.create.unknown-file"],
      "A batch whose input file does not exist fails with 500 (the file is read without a check).",
      error=_error_as_500("input_file_id"))

fault("batches-errors-detail", ["batches.create.unknown-file", "batches.create.bad-endpoint",
                                "batches.create.bad-window", "batches.create.wrong-purpose"],
      "Errors of the batches endpoints are FastAPI's {\"detail\": \"...\"} instead of OpenAI's error object.",
      error=_detail)

fault("batches-cancel-at-once", [], "A cancel with nothing in flight answers the batch cancelled at once, "
      "without a cancelling phase (legal: OpenAI's cancelling is the wait for requests in flight).", public=False)

fault("batches-output-reordered", [], "The output file lists results in another order than the input lines (legal: "
      "OpenAI says output order may differ; custom_id is what matches them).", public=False,
      batches_output=lambda lines, ctx: lines[::-1])
