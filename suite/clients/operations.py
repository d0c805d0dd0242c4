"""Which SDK operation performs a request the scenarios send, and with which parameters.

A request maps when an application could make it through a client library: a JSON body (or none), the run's own
credentials, no hand-made headers. Anything else (a malformed body, a missing key, a hand-set header) is the raw
wire's business and is sent as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_ID = r"([^/?]+)"
ROUTES = (  # (method, path pattern, operation, how the parameters are built)
    ("POST", r"/chat/completions", "chat.completions.create", "body"),
    ("GET", r"/chat/completions", "chat.completions.list", "query"),
    ("GET", rf"/chat/completions/{_ID}", "chat.completions.retrieve", "id"),
    ("POST", rf"/chat/completions/{_ID}", "chat.completions.update", "id+body"),
    ("DELETE", rf"/chat/completions/{_ID}", "chat.completions.delete", "id"),
    ("POST", r"/completions", "completions.create", "body"),
    ("POST", r"/embeddings", "embeddings.create", "body"),
    ("GET", r"/models", "models.list", "none"),
    ("GET", rf"/models/{_ID}", "models.retrieve", "id"),
    ("POST", r"/responses", "responses.create", "body"),
    ("GET", rf"/responses/{_ID}", "responses.retrieve", "id"),
)
# Headers a scenario may set that an SDK sets for itself (or that only concern the connection).
HARMLESS_HEADERS = {"connection"}
LIST_OPERATIONS = {"chat.completions.list", "models.list"}


@dataclass(frozen=True)
class Operation:
    name: str
    params: dict[str, Any]

    @property
    def is_list(self) -> bool:
        return self.name in LIST_OPERATIONS

    @property
    def streams(self) -> bool:
        return self.params.get("stream") is True


def operation(method: str, path: str, json: Any = None, headers: dict[str, str] | None = None,
              content: bytes | None = None, auth: bool = True) -> Operation | None:
    """The SDK operation for this request, or None when it must go over the raw wire."""
    if content is not None or not auth or any(k.lower() not in HARMLESS_HEADERS for k in headers or {}):
        return None
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for route_method, pattern, name, shape in ROUTES:
        match = re.fullmatch(pattern, parts.path)
        if route_method != method.upper() or match is None:
            continue
        if shape == "body":
            return Operation(name, json) if isinstance(json, dict) and not query else None
        if shape == "query":
            # A page asked for by cursor is part of a walk the SDK makes itself; the first page starts one.
            return None if "after" in query or json is not None else Operation(name, {"query": query})
        if json is not None and shape != "id+body" or query:
            return None
        params: dict[str, Any] = {"id": match.group(1)} if match.groups() else {}
        if shape == "id+body":
            if not isinstance(json, dict):
                return None
            params["body"] = json
        return Operation(name, params)
    return None
