"""Checks of the Files API: the file object of an upload (bytes, filename and purpose kept exactly), retrieve,
the content download, the list (its paging judged by the pagination checks under files.list.*), delete, and
refused uploads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check, pagination
from .common import error_body_problems, is_int
from .errors import answered_object, deletion_confirmed, gone_after_delete, unjudgeable

# Unix seconds between 2001 and 2286: a value in milliseconds (or a float) is out of this range or not an int.
SECONDS = (10**9, 10**10)
UPLOAD = ("files.upload.accepted", "files.object.shape", "files.object.id-prefix", "files.upload.bytes",
          "files.upload.filename", "files.upload.purpose")


def file_id(ex: Exchange) -> str | None:
    body = ex.json() if ex.status == 200 else None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def is_seconds(value: Any) -> bool:
    return is_int(value) and SECONDS[0] <= value < SECONDS[1]


def object_problems(body: Any) -> list[str]:
    """What keeps ``body`` from being a File object (empty: it is one)."""
    if not isinstance(body, dict):
        return [f"body is {short(body, 120)}, not an object"]
    problems = []
    if not isinstance(body.get("id"), str) or not body.get("id"):
        problems.append(f"id is {short(body.get('id'), 60)}, expected a non-empty string")
    if body.get("object") != "file":
        problems.append(f'object is {short(body.get("object"), 60)}, expected "file"')
    if not is_int(body.get("bytes")) or body["bytes"] < 0:
        problems.append(f"bytes is {short(body.get('bytes'), 60)}, expected a non-negative integer")
    if not is_seconds(body.get("created_at")):
        problems.append(f"created_at is {short(body.get('created_at'), 60)}, expected an integer in Unix seconds")
    for key in ("filename", "purpose"):
        if not isinstance(body.get(key), str):
            problems.append(f"{key} is {short(body.get(key), 60) if key in body else 'missing'}, expected a string")
    return problems


@check(*UPLOAD)
def uploaded(ex: Exchange, filename: str, size: int, purpose: str) -> Iterable[Finding]:
    """POST /files answered the File object of the upload: its bytes, filename and purpose as sent."""
    unjudged = unjudgeable(ex, UPLOAD)
    if unjudged:
        yield from unjudged
        return
    body = ex.json()
    if ex.status != 200 or not isinstance(body, dict):
        yield failed("files.upload.accepted", f"uploading {filename!r} (purpose {purpose}) answered "
                                              f"{ex.describe()}, expected 200 with a file object", status=ex.status)
        return
    yield passed("files.upload.accepted")
    problems = object_problems(body)
    yield expect("files.object.shape", not problems, f"POST {ex.path}: " + "; ".join(problems),
                 received=short(body, 300))
    ident = body.get("id")
    if isinstance(ident, str) and ident:
        yield expect("files.object.id-prefix", ident.startswith("file-"),
                     f'the file id {ident!r} does not start with "file-"', pointer="/id")
    got = body.get("bytes")
    hint = " (the size of the multipart request, not of the file?)" if is_int(got) and got > size else ""
    yield expect("files.upload.bytes", got == size, f"bytes is {short(got, 60)}, but the uploaded file has "
                                                    f"{size} bytes{hint}", pointer="/bytes")
    yield expect("files.upload.filename", body.get("filename") == filename,
                 f"filename is {short(body.get('filename'), 80) if 'filename' in body else 'missing'}, the upload "
                 f"was named {filename!r}", pointer="/filename")
    yield expect("files.upload.purpose", body.get("purpose") == purpose,
                 f"purpose is {short(body.get('purpose'), 60)}, the upload gave {purpose!r}", pointer="/purpose")


@check("files.retrieve.same")
def retrieved(ex: Exchange, original: Mapping[str, Any]) -> Iterable[Finding]:
    req = "files.retrieve.same"
    body, unjudged = answered_object(ex, req, f"GET {ex.path} for a file just uploaded expected 200 with its file "
                                              f"object")
    if body is None:
        yield from unjudged
        return
    wrong = [f"{key} is {short(body.get(key), 80)}, the upload answered {short(original.get(key), 80)}"
             for key in ("id", "object", "bytes", "created_at", "filename", "purpose")
             if body.get(key) != original.get(key)]
    yield expect(req, not wrong, f"GET {ex.path}: " + "; ".join(wrong), received=short(body, 300))


def _type_problem(ex: Exchange) -> str | None:
    ctype = ex.content_type
    if not ctype:
        return "the download names no content type"
    if ctype in ("text/html", "text/event-stream"):
        return f"the download is served as {ctype}"
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            json.loads(ex.body)
        except ValueError:
            return f"the download is labelled {ctype}, but the bytes are not a JSON document"
    return None


def _wraps(body: bytes, expected: bytes) -> bool:
    """``body`` is JSON carrying the expected text as a string (itself, or a value of an object)."""
    try:
        inner = json.loads(body)
    except ValueError:
        return False
    text = expected.decode("utf-8", "replace")
    values = inner.values() if isinstance(inner, dict) else [inner]
    return any(value == text for value in values)


@check("files.content.identical", "files.content.type")
def content(ex: Exchange, expected: bytes) -> Iterable[Finding]:
    """GET /files/{id}/content gives back exactly the uploaded bytes, under a content type that fits them."""
    reqs = ("files.content.identical", "files.content.type")
    unjudged = unjudgeable(ex, reqs)
    if unjudged:
        yield from unjudged
        return
    if ex.status != 200:
        yield failed("files.content.identical", f"GET {ex.path} answered {ex.describe()}, expected 200 with the "
                                                f"file's bytes", status=ex.status)
        return
    body = ex.body or b""
    wrapped = " (the bytes wrapped in JSON)" if body != expected and _wraps(body, expected) else ""
    yield expect("files.content.identical", body == expected,
                 f"GET {ex.path} returned {len(body)} bytes {short(body[:120], 140)}, the upload was {len(expected)} "
                 f"bytes {short(expected[:120], 140)}{wrapped}", received_bytes=len(body))
    problem = _type_problem(ex)
    yield expect("files.content.type", problem is None, f"GET {ex.path}: {problem}",
                 content_type=ex.headers.get("content-type"))


@check("files.list.shape", "files.list.limit", "files.list.cursor-ids")
def page(ex: Exchange, limit: int | None = None) -> Iterable[Finding]:
    return pagination.for_area(pagination.page(ex, limit), "files")


@check("files.list.has-more", "files.list.after", "files.list.walk")
def walk(pages: Sequence[Exchange], full_ids: Sequence[Any]) -> Iterable[Finding]:
    return pagination.for_area(pagination.walk(pages, full_ids), "files")


def _page_or_skip(ex: Exchange, req: str) -> list[Any] | Finding:
    items = pagination.page_items(ex)
    if items is None:
        return skipped(req, f"not judged: GET {ex.path} answered {ex.describe()} (see files.list.shape)")
    return items


@check("files.list.contains")
def listed(ex: Exchange, ids: Sequence[str]) -> Iterable[Finding]:
    """The newest-first list names the files just uploaded."""
    req = "files.list.contains"
    items = _page_or_skip(ex, req)
    if isinstance(items, Finding):
        yield items
        return
    listed_ids = pagination.page_ids(ex)
    missing = [i for i in ids if i not in listed_ids]
    yield expect(req, not missing, f"GET {ex.path} lists {len(listed_ids)} files without {short(missing, 160)}, "
                                   f"uploaded just before", listed=short(listed_ids, 300))


@check("files.list.order")
def newest_first(ex: Exchange, ids: Sequence[str]) -> Iterable[Finding]:
    """order=desc: created_at never increases down the page. ``ids`` (oldest first) were uploaded in different
    seconds, so they must come in reverse."""
    req = "files.list.order"
    items = _page_or_skip(ex, req)
    if isinstance(items, Finding):
        yield items
        return
    times = [item.get("created_at") if isinstance(item, dict) else None for item in items]
    rising = [f"data/{i + 1} (created_at {b}) after data/{i} (created_at {a})"
              for i, (a, b) in enumerate(zip(times, times[1:])) if is_int(a) and is_int(b) and b > a]
    positions = {pagination.item_id(item): index for index, item in enumerate(items)}
    ours = [positions[i] for i in ids if i in positions]
    if len(ours) < 2 and not rising:
        yield skipped(req, f"not judged: GET {ex.path} does not list two of the uploaded files")
        return
    if ours != sorted(ours, reverse=True):
        rising.append(f"the files uploaded in the order {short(list(ids), 160)} are listed oldest first")
    yield expect(req, not rising, f"GET {ex.path} is not newest first: " + "; ".join(rising[:3]),
                 listed=short(list(positions), 300))


@check("files.list.purpose-filter")
def purpose_filtered(ex: Exchange, purpose: str, expected_id: str) -> Iterable[Finding]:
    """purpose=p lists only files of purpose p, among them the one uploaded with it."""
    req = "files.list.purpose-filter"
    items = _page_or_skip(ex, req)
    if isinstance(items, Finding):
        yield items
        return
    others = [f"{pagination.item_id(i)} ({i.get('purpose') if isinstance(i, dict) else i})" for i in items
              if not isinstance(i, dict) or i.get("purpose") != purpose]
    problems = []
    if others:
        problems.append(f"it lists files of other purposes: {short(others, 200)}")
    if expected_id not in pagination.page_ids(ex):
        problems.append(f"it lacks {expected_id}, uploaded just before with purpose {purpose}")
    yield expect(req, not problems, f"GET {ex.path}: " + "; ".join(problems))


@check("files.delete.response")
def deleted(ex: Exchange, ident: str) -> Iterable[Finding]:
    return deletion_confirmed(ex, "files.delete.response", {"id": ident, "object": "file", "deleted": True})


@check("files.delete.gone")
def gone(ex: Exchange) -> Iterable[Finding]:
    return gone_after_delete(ex, "files.delete.gone", "the file")


@check("files.upload.bad-purpose", "files.upload.missing-file")
def refused(ex: Exchange, requirement: str, what: str) -> Iterable[Finding]:
    """An invalid upload is refused with a 4xx whose body is OpenAI's error shape."""
    yield from refusal(ex, requirement, what)


def refusal(ex: Exchange, requirement: str, what: str) -> Iterable[Finding]:
    """Shared by every 'refused with a 4xx in OpenAI's error shape' requirement."""
    if ex.status is None and ex.error_kind == "closed":
        yield failed(requirement, f"{what} got no answer: {ex.error}; expected a 4xx error")
        return
    unjudged = unjudgeable(ex, (requirement,))
    if unjudged:
        yield from unjudged
        return
    if ex.ok:
        yield failed(requirement, f"{what} was accepted: {ex.describe()}; expected a 4xx error (OpenAI: 400)",
                     status=ex.status, body=short(ex.body, 200))
    elif not 400 <= ex.status < 500:
        yield failed(requirement, f"{what} answered {ex.describe()}; a client error must be a 4xx"
                                  + (", never a 5xx" if ex.status >= 500 else ""), status=ex.status)
    else:
        problems = error_body_problems(ex)
        yield expect(requirement, not problems, f"{what} was refused with HTTP {ex.status}, but the body is not "
                                                f"OpenAI's error shape: {'; '.join(problems)}",
                     body=short(ex.body, 300))
