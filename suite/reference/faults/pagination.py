"""Faults of cursor pagination, shown on the stored-completions lists (the list checks are shared by every area
with a cursor list: files and batches reuse them under their own IDs)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..stored import DEFAULT_LIMIT, ListQuery
from . import FaultContext, fault
from .stored import EMPTY_PAGE, LISTS, page_hooks, with_data


def _order_ignored(page: dict, ctx: FaultContext) -> dict:
    return with_data(page, page["data"][::-1]) if ctx.query.get("order") == "desc" else page


def _cursor_pages_newest_first(query: ListQuery, ctx: FaultContext) -> ListQuery:
    return replace(query, order="desc") if query.after is not None else query


def _served_invalid_list_params(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    status, body = error
    detail = body.get("error") if isinstance(body, dict) else None
    if ctx.endpoint in LISTS and isinstance(detail, dict) and detail.get("param") in ("limit", "order"):
        return 200, {**EMPTY_PAGE}
    return status, body


fault("list-no-cursors", ["pagination.list.shape"],
      "List pages are {\"object\": \"list\", \"data\": [...]} without first_id, last_id and has_more.",
      **page_hooks(lambda page, ctx: {k: v for k, v in page.items() if k in ("object", "data")}))

fault("list-has-more-false", ["pagination.has-more", "pagination.walk.complete"],
      "has_more is always false, so a client stops after the first page.",
      **page_hooks(lambda page, ctx: {**page, "has_more": False}))

fault("list-last-id-first", ["pagination.cursor.ids"],
      "last_id repeats the id of the page's first item.",
      **page_hooks(lambda page, ctx: {**page, "last_id": page.get("first_id")}))

fault("list-order-ignored", ["pagination.order.desc"],
      "order=desc is ignored: lists always come oldest first.",
      **page_hooks(_order_ignored))

fault("list-limit-ignored", ["pagination.limit.respected"],
      f"limit is ignored: every page holds up to the default {DEFAULT_LIMIT} items.",
      stored_query=lambda query, ctx: replace(query, limit=DEFAULT_LIMIT))

fault("list-after-ignored", ["pagination.after.continues", "pagination.walk.complete"],
      "after is ignored: every page starts again from the beginning of the list, so a walk never gets past it.",
      stored_query=lambda query, ctx: replace(query, after=None))

fault("list-cursor-order-lost", ["pagination.walk.complete"],
      "order is honoured on the first page only: a page after a cursor is cut from the newest-first list, so an "
      "oldest-first walk loses the items that follow the cursor.",
      stored_query=_cursor_pages_newest_first)

fault("list-params-unchecked", ["pagination.params.limit", "pagination.params.order"],
      "List endpoints serve an empty page for limit=0, a limit that is not a number, or an unknown order.",
      error=_served_invalid_list_params)
