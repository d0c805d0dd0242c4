"""Stored chat completions (``store: true``): list, retrieve, update metadata, delete, and messages, with OpenAI's
cursor pagination (limit/after/order) and list objects {object, data, first_id, last_id, has_more}."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import messages as msgs
from .params import Params, invalid_value, metadata
from .wire import APIError, JSONBody

if TYPE_CHECKING:
    from .app import Call
    from .chat import ChatRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass
class Record:
    completion: dict
    messages: list[dict]
    created: int
    sequence: int


class StoredCompletions:
    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self._sequence = itertools.count()

    def add(self, completion: dict, req: ChatRequest, created: int) -> None:
        raw = req.raw
        stored = copy.deepcopy(completion)
        stored.update({
            "metadata": req.metadata or {},
            "tool_choice": raw.get("tool_choice"),
            "tools": raw.get("tools"),
            "seed": raw.get("seed"),
            "temperature": raw.get("temperature", 1.0),
            "top_p": raw.get("top_p", 1.0),
            "presence_penalty": raw.get("presence_penalty", 0.0),
            "frequency_penalty": raw.get("frequency_penalty", 0.0),
            "response_format": raw.get("response_format"),
        })
        cid = completion["id"]
        history = [{"id": f"{cid}-{i}", "role": m.get("role"), "content": msgs.text_of(m) or None,
                    "name": m.get("name"), "content_parts": None} for i, m in enumerate(req.messages)]
        self.records[cid] = Record(stored, history, created, next(self._sequence))

    def get(self, completion_id: str) -> Record:
        record = self.records.get(completion_id)
        if record is None:
            raise APIError(404, f"Chat completion with id '{completion_id}' not found.", None, None)
        return record


@dataclass(frozen=True)
class ListQuery:
    """A list request's parameters, parsed and validated; the ``stored.query`` hook point sees them before the
    page is cut. ``model`` and ``metadata`` filter the completions list only."""

    limit: int = DEFAULT_LIMIT
    order: str = "asc"
    after: str | None = None
    model: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


def parse_query(query: Mapping[str, str]) -> ListQuery:
    """OpenAI's limit/after/order (and the completions list's model and metadata[key]) query parameters."""
    raw_limit = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise APIError(400, f"Invalid 'limit': expected an integer, but got '{raw_limit}' instead.", "limit",
                           "invalid_type") from None
        if not 1 <= limit <= MAX_LIMIT:
            word = "below minimum" if limit < 1 else "above maximum"
            bound = ">= 1" if limit < 1 else f"<= {MAX_LIMIT}"
            raise APIError(400, f"Invalid 'limit': integer {word} value. Expected a value {bound}, but got {limit} "
                                f"instead.", "limit", f"integer_{'below_min' if limit < 1 else 'above_max'}_value")
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise invalid_value("order", order, ("asc", "desc"))
    filters = {k[len("metadata["):-1]: v for k, v in query.items() if k.startswith("metadata[") and k.endswith("]")}
    return ListQuery(limit, order, query.get("after"), query.get("model"), filters)


def cut(items: list[Any], query: ListQuery, key: Callable[[Any], str], what: str) -> dict:
    """One page of ``items`` (already in ascending order) by the parsed query's limit, after and order."""
    ordered = items if query.order == "asc" else list(reversed(items))
    if query.after is not None:
        ids = [key(i) for i in ordered]
        if query.after not in ids:
            raise APIError(400, f"Invalid 'after': no {what} with id '{query.after}'.", "after", "invalid_value")
        ordered = ordered[ids.index(query.after) + 1:]
    data = ordered[:query.limit]
    return {"object": "list", "data": data, "first_id": key(data[0]) if data else None,
            "last_id": key(data[-1]) if data else None, "has_more": len(ordered) > query.limit}


def page(items: list[Any], query: Mapping[str, str], key: Callable[[Any], str], what: str) -> dict:
    """One page of ``items`` (already in ascending order) by OpenAI's limit/after/order query parameters."""
    return cut(items, parse_query(query), key, what)


def list_completions(call: Call) -> JSONBody:
    query = call.apply("stored.query", parse_query(call.query))
    records = sorted(call.provider.stored.records.values(), key=lambda r: (r.created, r.sequence))
    chosen = [r.completion for r in records
              if (query.model is None or r.completion.get("model") == query.model)
              and all(r.completion["metadata"].get(k) == v for k, v in query.metadata.items())]
    body = cut(copy.deepcopy(chosen), query, lambda c: c["id"], "chat completion")
    return JSONBody(call.apply("stored.list", body))


def retrieve(call: Call) -> JSONBody:
    record = call.provider.stored.get(call.path_params["completion_id"])
    return JSONBody(call.apply("stored.retrieve", copy.deepcopy(record.completion)))


def update(call: Call) -> JSONBody:
    record = call.provider.stored.get(call.path_params["completion_id"])
    body = call.body
    if not isinstance(body, dict):
        raise APIError(400, "Invalid type for body: expected an object.", None, "invalid_type")
    p = Params(body, {"metadata"})
    if "metadata" not in body:
        raise APIError(400, "Missing required parameter: 'metadata'.", "metadata", "missing_required_parameter")
    record.completion["metadata"] = metadata(p) or {}
    return JSONBody(call.apply("stored.update", copy.deepcopy(record.completion)))


def delete(call: Call) -> JSONBody:
    completion_id = call.path_params["completion_id"]
    call.provider.stored.get(completion_id)
    del call.provider.stored.records[completion_id]
    body = {"object": "chat.completion.deleted", "id": completion_id, "deleted": True}
    return JSONBody(call.apply("stored.delete", body))


def list_messages(call: Call) -> JSONBody:
    record = call.provider.stored.get(call.path_params["completion_id"])
    query = call.apply("stored.query", parse_query(call.query))
    body = cut(copy.deepcopy(record.messages), query, lambda m: m["id"], "message")
    return JSONBody(call.apply("stored.messages", body))
