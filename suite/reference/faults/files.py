"""Faults of the Files API: sizes, names and purposes not kept, ids and times in other forms, content wrapped or
mislabelled, lists that ignore their parameters or lose their cursors, deletes that keep the file or answer in
another shape, invalid uploads served or failing with a 5xx, errors as {"detail": ...}."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..files import LIST_DEFAULT_LIMIT
from ..wire import RawBody
from . import FaultContext, fault

EMPTY_PAGE = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
SERVER_ERROR = {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                          "type": "server_error", "param": None, "code": None}}


def _on_file(change):
    return lambda body, ctx: change(dict(body), ctx) if isinstance(body, dict) else body


def _on_page(change):
    return lambda body, ctx: change(dict(body), ctx) if isinstance(body, dict) and isinstance(
        body.get("data"), list) else body


def _error_param(error: tuple[int, Any]) -> Any:
    detail = error[1].get("error") if isinstance(error[1], dict) else None
    return detail.get("param") if isinstance(detail, dict) else None


def _upload_error_as_500(param: str):
    def hook(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
        if ctx.endpoint == "files.upload" and _error_param(error) == param:
            return 500, SERVER_ERROR
        return error
    return hook


def _detail(error: tuple[int, Any], ctx: FaultContext) -> tuple[int, Any]:
    if not ctx.endpoint.startswith("files."):
        return error
    detail = error[1].get("error") if isinstance(error[1], dict) else None
    message = detail.get("message") if isinstance(detail, dict) else "Error"
    return error[0], {"detail": message}


def _json_wrapped(answer: Any, ctx: FaultContext) -> Any:
    if not isinstance(answer, RawBody):
        return answer
    text = answer.data.decode("utf-8", "replace")
    return RawBody(json.dumps({"object": "file.content", "content": text}).encode(), "application/json")


fault("files-bytes-of-request", ["files.upload.bytes"],
      "bytes is the size of the whole multipart request (the file plus the form's boundaries and headers).",
      files_upload=_on_file(lambda f, ctx: {**f, "bytes": (ctx.request or {}).get("multipart_bytes", f["bytes"])}))

fault("files-filename-dropped", ["files.upload.filename"],
      "The uploaded part's filename is not kept: every file is named \"upload\".",
      files_upload=_on_file(lambda f, ctx: {**f, "filename": "upload"}))

fault("files-purpose-ignored", ["files.upload.purpose"],
      "The purpose of an upload is ignored: every file is stored with purpose user_data.",
      files_upload=_on_file(lambda f, ctx: {**f, "purpose": "user_data"}))

fault("files-created-at-ms", ["files.object.shape"],
      "created_at is in milliseconds (JavaScript's Date.now()), not Unix seconds.",
      files_upload=_on_file(lambda f, ctx: {**f, "created_at": f["created_at"] * 1000}))

fault("files-id-uuid", ["files.object.id-prefix"],
      "File ids are bare UUID-like hex strings, without OpenAI's \"file-\" prefix.",
      files_id=lambda ident, ctx: ident.removeprefix("file-"))

fault("files-retrieve-stale", ["files.retrieve.same"],
      "Retrieving a file answers a stale record: bytes 0 and status uploaded, as before processing.",
      files_retrieve=_on_file(lambda f, ctx: {**f, "bytes": 0, "status": "uploaded"}))

fault("files-content-json-wrapped", ["files.content.identical"],
      "The content download is a JSON object wrapping the text ({\"object\": \"file.content\", \"content\": ...}) "
      "instead of the bytes.",
      files_content=_json_wrapped)

fault("files-content-labelled-json", ["files.content.type"],
      "The content download sends the right bytes but labels every file application/json.",
      files_content=lambda a, ctx: RawBody(a.data, "application/json") if isinstance(a, RawBody) else a)

fault("files-list-oldest-first", ["files.list.order"],
      "order is ignored: the files list always comes oldest first.",
      files_query=lambda query, ctx: replace(query, order="asc"))

fault("files-list-after-ignored", ["files.list.after", "files.list.walk"],
      "after is ignored: every page of the files list starts again from the top.",
      files_query=lambda query, ctx: replace(query, after=None))

fault("files-list-has-more-false", ["files.list.has-more", "files.list.walk"],
      "has_more is always false on the files list, so a client stops after the first page.",
      files_list=_on_page(lambda page, ctx: {**page, "has_more": False}))

fault("files-list-limit-ignored", ["files.list.limit"],
      f"limit is ignored: every files list page holds up to {LIST_DEFAULT_LIMIT} files.",
      files_query=lambda query, ctx: replace(query, limit=LIST_DEFAULT_LIMIT))

fault("files-list-no-cursors", ["files.list.shape"],
      "The files list is {\"object\": \"list\", \"data\": [...]} without first_id, last_id and has_more.",
      files_list=_on_page(lambda page, ctx: {k: v for k, v in page.items() if k in ("object", "data")}))

fault("files-list-last-id-first", ["files.list.cursor-ids"],
      "last_id of a files list page repeats the id of its first file.",
      files_list=_on_page(lambda page, ctx: {**page, "last_id": page.get("first_id")}))

fault("files-list-cached", ["files.list.contains"],
      "The files list is served from a cache refreshed every few minutes: files just uploaded are missing.",
      files_list=_on_page(lambda page, ctx: {**EMPTY_PAGE}))

fault("files-purpose-filter-ignored", ["files.list.purpose-filter"],
      "purpose=... is ignored: the files list holds files of every purpose.",
      files_purpose=lambda purpose, ctx: None)

fault("files-delete-kept", ["files.delete.gone"],
      "DELETE /files/{id} answers deleted: true, but the file stays retrievable.",
      files_remove=lambda remove, ctx: False)

fault("files-delete-no-flag", ["files.delete.response"],
      "DELETE /files/{id} answers {\"id\", \"object\": \"file\"} without the deleted flag.",
      files_delete=_on_file(lambda body, ctx: {k: v for k, v in body.items() if k != "deleted"}))

fault("files-any-purpose", ["files.upload.bad-purpose"],
      "Any purpose is accepted: an upload with an undocumented purpose is stored.")

fault("files-bad-purpose-500", ["files.upload.bad-purpose"],
      "An upload with an undocumented purpose fails with 500 (an unhandled enum conversion).",
      error=_upload_error_as_500("purpose"))

fault("files-missing-file-500", ["files.upload.missing-file"],
      "An upload without a file part fails with 500 (the handler reads a part that is not there).",
      error=_upload_error_as_500("file"))

fault("files-errors-detail", ["files.delete.gone", "files.upload.bad-purpose", "files.upload.missing-file"],
      "Errors of the files endpoints are FastAPI's {\"detail\": \"...\"} instead of OpenAI's error object.",
      error=_detail)
