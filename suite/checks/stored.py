"""Checks of stored chat completions: create with store true, retrieve, update metadata, list filters, delete,
and the messages list. List envelopes and paging are judged by ``pagination``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .errors import answered_object, deletion_confirmed, gone_after_delete, unjudgeable
from .pagination import page_ids, page_items


def completion_id(ex: Exchange) -> str | None:
    body = ex.json() if ex.ok else None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


@check("stored.create.accepted")
def created(ex: Exchange) -> Iterable[Finding]:
    req = "stored.create.accepted"
    body, unjudged = answered_object(ex, req, "a chat completion with store: true expected 200")
    if body is None:
        yield from unjudged
        return
    problems = []
    if body.get("object") != "chat.completion":
        problems.append(f'object is {short(body.get("object"), 60)}, expected "chat.completion"')
    if completion_id(ex) is None:
        problems.append(f"id is {short(body.get('id'), 60)}, expected a non-empty string")
    yield expect(req, not problems, "store: true: " + "; ".join(problems), received=short(body, 300))


def _choice_view(choice: Any) -> dict[str, Any]:
    """What must survive storage: the message's role and content, and the finish reason."""
    if not isinstance(choice, dict):
        return {"choice": choice}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    return {"message.role": message.get("role"), "message.content": message.get("content"),
            "finish_reason": choice.get("finish_reason")}


def _differences(stored: Mapping[str, Any], original: Mapping[str, Any]) -> list[str]:
    out = [f"{key} is {short(stored.get(key), 80)}, the creation returned {short(original.get(key), 80)}"
           for key in ("id", "model", "created") if stored.get(key) != original.get(key)]
    if stored.get("object") != "chat.completion":
        out.append(f'object is {short(stored.get("object"), 60)}, expected "chat.completion"')
    ours, theirs = original.get("choices"), stored.get("choices")
    if not isinstance(theirs, list) or not isinstance(ours, list) or len(theirs) != len(ours):
        out.append(f"choices is {short(theirs, 120)}, the creation returned {short(ours, 120)}")
        return out
    for index, (mine, kept) in enumerate(zip(ours, theirs)):
        want, got = _choice_view(mine), _choice_view(kept)
        out += [f"choices/{index}/{key.replace('.', '/')} is {short(got[key], 80)}, the creation returned "
                f"{short(want[key], 80)}" for key in want if got.get(key) != want[key]]
    return out


def _metadata_missing(metadata: Any, expected: Mapping[str, str]) -> dict[str, Any]:
    """The expected pairs that ``metadata`` lacks (all of them when it is not an object)."""
    if not isinstance(metadata, dict):
        return dict(expected)
    return {k: v for k, v in expected.items() if metadata.get(k) != v}


@check("stored.retrieve.same", "stored.update.metadata")
def retrieved(ex: Exchange, original: Mapping[str, Any], updated_metadata: Mapping[str, str] | None = None
              ) -> Iterable[Finding]:
    """GET /chat/completions/{id} returns what the creation returned; after an update (``updated_metadata``),
    it also shows the new metadata."""
    req = "stored.retrieve.same"
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    body = ex.json()
    if ex.status != 200 or not isinstance(body, dict):
        yield failed(req, f"GET {ex.path} for a completion created with store: true answered {ex.describe()}, "
                          f"expected 200 with the chat.completion", status=ex.status)
        return
    differences = _differences(body, original)
    yield expect(req, not differences, f"GET {ex.path}: " + "; ".join(differences), received=short(body, 400))
    if updated_metadata is not None:
        missing = _metadata_missing(body.get("metadata"), updated_metadata)
        yield expect("stored.update.metadata", not missing,
                     f"after the update, GET {ex.path} shows metadata {short(body.get('metadata'), 160)}, "
                     f"without {short(missing, 160)}", pointer="/metadata")


@check("stored.update.metadata")
def updated(ex: Exchange, completion: str, metadata: Mapping[str, str]) -> Iterable[Finding]:
    """POST /chat/completions/{id} {"metadata": ...} answers the completion carrying that metadata."""
    req = "stored.update.metadata"
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    body = ex.json()
    if ex.status != 200 or not isinstance(body, dict):
        yield failed(req, f"POST {ex.path} with new metadata answered {ex.describe()}, expected 200 with the "
                          f"updated chat.completion", status=ex.status)
        return
    problems = []
    if body.get("id") != completion:
        problems.append(f"id is {short(body.get('id'), 80)}, expected {completion!r}")
    missing = _metadata_missing(body.get("metadata"), metadata)
    if missing:
        problems.append(f"metadata is {short(body.get('metadata'), 160)}, without {short(missing, 160)}")
    yield expect(req, not problems, f"POST {ex.path}: " + "; ".join(problems), received=short(body, 300))


@check("stored.list.filter-metadata", "stored.list.filter-model")
def listed(pages: Sequence[Exchange], expected_ids: Sequence[str], requirement: str, query: str
           ) -> Iterable[Finding]:
    """The list filtered by ``query`` (pages of one walk, or one page) contains every id in ``expected_ids``."""
    broken = next((ex for ex in pages if page_items(ex) is None), None)
    if broken is not None or not pages:
        reason = broken.describe() if broken is not None else "no page was fetched"
        yield skipped(requirement, f"not judged: the list filtered by {query} answered {reason}")
        return
    seen = {i for ex in pages for i in page_ids(ex)}
    missing = [i for i in expected_ids if i not in seen]
    yield expect(requirement, not missing,
                 f"the list filtered by {query} lacks {short(missing, 160)}, created with matching values "
                 f"(listed: {short(sorted(map(str, seen)), 160)})", missing=missing)


@check("stored.list.filter-metadata", "stored.update.metadata")
def filtered_by_updated_metadata(ex: Exchange, updated_id: str, other_ids: Sequence[str], pair: str,
                                 filter_lists_ours: bool = True) -> Iterable[Finding]:
    """Filtering by a pair only the updated completion carries lists it, and none of the others.

    ``filter_lists_ours`` False: the metadata filter was seen to miss this run's completions altogether, so a
    missing updated completion says nothing about the update."""
    items = page_items(ex)
    if items is None:
        for req in ("stored.list.filter-metadata", "stored.update.metadata"):
            yield skipped(req, f"not judged: GET {ex.path} answered {ex.describe()}")
        return
    ids = page_ids(ex)
    wrong = [i for i in other_ids if i in ids]
    if wrong or updated_id in ids:
        yield expect("stored.list.filter-metadata", not wrong,
                     f"the list filtered by {pair} includes {short(wrong, 160)}, whose metadata lacks that pair "
                     f"(the filter looks ignored)", listed=short(ids, 300))
    if updated_id in ids:
        yield passed("stored.update.metadata")
    elif filter_lists_ours:
        yield failed("stored.update.metadata", f"after setting {pair} on {updated_id}, the list filtered by it "
                                               f"does not include it (listed: {short(ids, 160)})",
                     listed=short(ids, 300))
    else:
        yield skipped("stored.update.metadata", "not judged: the metadata filter lists none of this run's "
                                                "completions (see stored.list.filter-metadata)")


@check("stored.delete.response")
def deleted(ex: Exchange, completion: str) -> Iterable[Finding]:
    return deletion_confirmed(ex, "stored.delete.response", {"object": "chat.completion.deleted", "id": completion, "deleted": True})


@check("stored.delete.gone")
def gone(ex: Exchange) -> Iterable[Finding]:
    return gone_after_delete(ex, "stored.delete.gone", "it")


@check("stored.messages.list")
def messages(pages: Sequence[Exchange], sent: Sequence[Mapping[str, Any]]) -> Iterable[Finding]:
    """The messages list (all pages of a walk) starts with the request's messages: same roles and contents, in
    order, each with a string id. (OpenAI lists the input messages; an extra trailing reply is tolerated.)"""
    req = "stored.messages.list"
    if not pages:
        return
    broken = next((ex for ex in pages if page_items(ex) is None), None)
    if broken is not None:
        yield failed(req, f"GET {broken.path} answered {broken.describe()}, expected 200 with the list of the "
                          f"stored completion's messages", status=broken.status)
        return
    items = [item for ex in pages for item in page_items(ex) or []]
    problems = []
    for index, message in enumerate(sent):
        if index >= len(items):
            problems.append(f"only {len(items)} messages listed, the request had {len(sent)}")
            break
        item = items[index]
        got = {k: item.get(k) for k in ("role", "content")} if isinstance(item, dict) else item
        if got != {"role": message["role"], "content": message["content"]}:
            problems.append(f"message {index} is {short(got, 120)}, the request sent "
                            f"{short({'role': message['role'], 'content': message['content']}, 120)}")
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item.get("id"):
            problems.append(f"message {index} has id {short(item.get('id') if isinstance(item, dict) else None)}, "
                            f"expected a string")
    yield expect(req, not problems, f"GET {pages[0].path}: " + "; ".join(problems),
                 listed=short(items, 400))

