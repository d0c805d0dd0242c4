"""Files: multipart upload, list (purpose filter, cursor pagination, newest first by default), retrieve, content
download byte for byte, delete. Files live in memory, per provider instance."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import forms
from .faults import FaultContext
from .params import invalid_value
from .stored import ListQuery, cut
from .wire import APIError, JSONBody, RawBody

if TYPE_CHECKING:
    from .app import Call, Provider

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
LIST_DEFAULT_LIMIT = 10000
LIST_MAX_LIMIT = 10000
BATCH_FILE_LIFETIME = 30 * 24 * 3600  # files with purpose batch expire after 30 days by default


@dataclass
class StoredFile:
    meta: dict
    data: bytes
    sequence: int


class FileStore:
    def __init__(self) -> None:
        self.records: dict[str, StoredFile] = {}
        self._sequence = itertools.count()

    def add(self, provider: Provider, filename: str, data: bytes, purpose: str, ctx: FaultContext | None = None
            ) -> dict:
        file_id = provider.new_id("file-")
        if ctx is not None:
            file_id = provider.active.apply("files.id", file_id, ctx)
        created = provider.now()
        meta = {"id": file_id, "object": "file", "bytes": len(data), "created_at": created,
                "expires_at": created + BATCH_FILE_LIFETIME if purpose == "batch" else None,
                "filename": filename, "purpose": purpose, "status": "processed", "status_details": None}
        self.records[file_id] = StoredFile(meta, data, next(self._sequence))
        return meta

    def get(self, file_id: str) -> StoredFile:
        record = self.records.get(file_id)
        if record is None:
            raise APIError(404, f"No such File object: {file_id}", "id", None)
        return record


def list_query(query: Mapping[str, str], default_limit: int, max_limit: int, default_order: str) -> ListQuery:
    """limit/after/order of a list request, validated as OpenAI does."""
    limit = default_limit
    raw_limit = query.get("limit")
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise APIError(400, f"Invalid 'limit': expected an integer, but got '{raw_limit}' instead.", "limit",
                           "invalid_type") from None
        if not 1 <= limit <= max_limit:
            raise APIError(400, f"Invalid 'limit': expected a value between 1 and {max_limit}, but got {limit} "
                                f"instead.", "limit", "invalid_value")
    order = query.get("order", default_order)
    if order not in ("asc", "desc"):
        raise invalid_value("order", order, ("asc", "desc"))
    return ListQuery(limit, order, query.get("after"))


def upload(call: Call) -> JSONBody:
    form = forms.parse(call.content_type, call.raw)
    purpose = form.fields.get("purpose")
    if purpose is None:
        raise APIError(400, "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter")
    if purpose not in UPLOAD_PURPOSES and "files-any-purpose" not in call.provider.active:
        raise invalid_value("purpose", purpose, UPLOAD_PURPOSES)
    part = form.files.get("file")
    if part is None:
        raise APIError(400, "Missing required parameter: 'file'.", "file", "missing_required_parameter")
    call.ctx.request = {"purpose": purpose, "filename": part.filename, "multipart_bytes": len(call.raw)}
    store = call.provider.files
    meta = store.add(call.provider, part.filename, part.data, purpose, call.ctx)
    record = store.records[meta["id"]]
    record.meta = call.apply("files.upload", meta)  # what is stored is what every later read reports
    return JSONBody(copy.deepcopy(record.meta))


def list_files(call: Call) -> JSONBody:
    query = call.apply("files.query", list_query(call.query, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, "desc"))
    purpose = call.apply("files.purpose", call.query.get("purpose"))
    records = sorted(call.provider.files.records.values(), key=lambda r: (r.meta["created_at"], r.sequence))
    chosen = [r.meta for r in records if purpose is None or r.meta["purpose"] == purpose]
    body = cut(copy.deepcopy(chosen), query, lambda f: f["id"], "file")
    return JSONBody(call.apply("files.list", body))


def retrieve(call: Call) -> JSONBody:
    record = call.provider.files.get(call.path_params["file_id"])
    return JSONBody(call.apply("files.retrieve", copy.deepcopy(record.meta)))


def content(call: Call) -> RawBody:
    record = call.provider.files.get(call.path_params["file_id"])
    return call.apply("files.content", RawBody(record.data, "application/octet-stream"))


def delete(call: Call) -> JSONBody:
    file_id = call.path_params["file_id"]
    call.provider.files.get(file_id)
    if call.apply("files.remove", True):
        del call.provider.files.records[file_id]
    return JSONBody(call.apply("files.delete", {"id": file_id, "object": "file", "deleted": True}))
