"""Faults of stored chat completions and their cursor-paginated lists: store ignored or refused, a retrieve that
differs from the creation, update missing, filters that match too little or are ignored, list envelopes without
cursors, a wrong has_more, order ignored, limit or after ignored, cursor pages cut from another order, invalid list
parameters served, deletes answered in another shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..wire import APIError
from . import FaultContext, fault

LISTS = ("stored.list", "stored.messages")
EMPTY_PAGE = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def page_hooks(change: Callable[[dict, FaultContext], dict]) -> dict[str, Callable[[Any, FaultContext], Any]]:
    """The same change on the completions list and on the messages list."""
    def hook(body: Any, ctx: FaultContext) -> Any:
        return change(dict(body), ctx) if isinstance(body, dict) and isinstance(body.get("data"), list) else body
    return {"stored_list": hook, "stored_messages": hook}


def with_data(page: dict, data: list) -> dict:
    ids = [item.get("id") for item in data if isinstance(item, dict)]
    return {**page, "data": data, "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None}


def _refuse_store(body: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint == "chat.completions" and "store" in body:
        raise APIError(400, "Unrecognized request argument supplied: store")
    return body


def _ignore_store(body: dict, ctx: FaultContext) -> dict:
    return {k: v for k, v in body.items() if k != "store"} if ctx.endpoint == "chat.completions" else body


def _no_update(body: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint == "stored.update":
        raise APIError(405, f"Method POST is not allowed for {ctx.path}. (Allowed: GET, DELETE)", None,
                       "method_not_allowed")
    return body


def _metadata_filters(ctx: FaultContext) -> dict[str, str]:
    return {k[len("metadata["):-1]: v for k, v in ctx.query.items() if k.startswith("metadata[") and k.endswith("]")}


def _exact_metadata(page: dict, ctx: FaultContext) -> dict:
    filters = _metadata_filters(ctx)
    if ctx.endpoint != "stored.list" or not filters:
        return page
    return with_data(page, [c for c in page["data"] if isinstance(c, dict) and c.get("metadata") == filters])


def _model_filter_matches_nothing(page: dict, ctx: FaultContext) -> dict:
    return {**EMPTY_PAGE} if ctx.endpoint == "stored.list" and "model" in ctx.query else page


def _messages_newest_first(page: dict, ctx: FaultContext) -> dict:
    if ctx.endpoint != "stored.messages" or "order" in ctx.query:
        return page
    return with_data(page, page["data"][::-1])


def _gone_as_detail(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    return (404, {"detail": "Not Found"}) if ctx.endpoint == "stored.retrieve" and error[0] == 404 else error


fault("store-refused", ["stored.create.accepted"],
      "A chat completion with store: true is refused with 400 \"Unrecognized request argument supplied: store\".",
      request=_refuse_store)

fault("store-ignored", ["stored.retrieve.same"],
      "store: true is silently ignored: the completion is answered but never stored, so reading it is a 404.",
      request=_ignore_store)

fault("stored-retrieve-other-model", ["stored.retrieve.same"],
      "A stored completion is read back under another model name than the creation reported (the alias).",
      stored_retrieve=lambda body, ctx: {**body, "model": f"{body.get('model')}-latest"} if isinstance(body, dict)
      else body)

fault("stored-update-unsupported", ["stored.update.metadata"],
      "POST /chat/completions/{id} (the metadata update) answers 405.",
      request=_no_update)

fault("metadata-filter-exact", ["stored.list.filter-metadata"],
      "metadata[key]=value lists only completions whose whole metadata equals the filter, so completions with "
      "more pairs are missed.",
      **page_hooks(_exact_metadata))

fault("model-filter-matches-nothing", ["stored.list.filter-model"],
      "model=<the model a completion reports> lists nothing (the filter is compared with another name).",
      **page_hooks(_model_filter_matches_nothing))

fault("metadata-filter-ignored", ["stored.list.filter-metadata"],
      "metadata[key]=value filters are ignored: the completions list holds every stored completion.",
      # Seen once a completion's metadata was updated to a pair the other completion lacks.
      exercised_by=["stored.update.metadata"],
      stored_query=lambda query, ctx: replace(query, metadata={}))

fault("stored-messages-newest-first", ["stored.messages.list"],
      "The messages of a stored completion are listed newest first by default (OpenAI: in conversation order).",
      **page_hooks(_messages_newest_first))

fault("stored-delete-bare", ["stored.delete.response"],
      "DELETE /chat/completions/{id} answers {\"deleted\": true} without object and id.",
      stored_delete=lambda body, ctx: {"deleted": True})

fault("stored-gone-detail", ["stored.delete.gone"],
      "Reading a deleted or unknown completion answers 404 with FastAPI's {\"detail\": \"Not Found\"}.",
      error=_gone_as_detail)
