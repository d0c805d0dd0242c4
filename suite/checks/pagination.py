"""Checks of cursor-paginated lists, reusable for every list endpoint.

OpenAI's lists share one envelope, {"object": "list", "data": [...], "first_id", "last_id", "has_more"}, and the
query parameters ``limit``, ``after`` and ``order``. A scenario fetches pages (one large page, a walk that follows
``after=<last_id>`` with a small limit, the same list with ``order=desc``) and hands the exchanges to these checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..exchange import Exchange
from ..findings import Finding, expect, failed, passed, short, skipped
from . import check
from .errors import unjudgeable

PARAM_REQUIREMENTS = {"limit": "pagination.params.limit", "order": "pagination.params.order"}
ENDPOINT_MISSING = (404, 405, 501)  # the list endpoint itself is not there: its parameters cannot be judged


def page_items(ex: Exchange) -> list[Any] | None:
    """The items of a successful list page, or None when the exchange is not one."""
    body = ex.json() if ex.status == 200 else None
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return body["data"]
    return None


def item_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def page_ids(ex: Exchange) -> list[Any]:
    return [item_id(item) for item in page_items(ex) or []]


def has_more(ex: Exchange) -> Any:
    body = ex.json()
    return body.get("has_more") if isinstance(body, dict) else None


def _envelope_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return [f"body is {type(body).__name__} {short(body, 120)}, not an object"]
    problems = []
    if body.get("object") != "list":
        problems.append(f'object is {short(body.get("object"), 60)}, expected "list"')
    data = body.get("data")
    if not isinstance(data, list):
        problems.append(f"data is {short(data, 80)}, expected an array")
        data = []
    if not isinstance(body.get("has_more"), bool):
        problems.append(f"has_more is {short(body.get('has_more'), 60) if 'has_more' in body else 'missing'}, "
                        f"expected true or false")
    for key in ("first_id", "last_id"):
        value = body.get(key)
        if data and not isinstance(value, str):
            problems.append(f"{key} is {short(value, 60) if key in body else 'missing'}, expected a string")
        elif not data and value not in (None, ""):
            problems.append(f"{key} is {short(value, 60)} on an empty page, expected null")
    for index, item in enumerate(data):
        if not isinstance(item_id(item), str) or not item_id(item):
            problems.append(f"data/{index} has id {short(item_id(item), 60)}, expected a non-empty string")
            break
    return problems


@check("pagination.list.shape", "pagination.limit.respected", "pagination.cursor.ids")
def page(ex: Exchange, limit: int | None = None) -> Iterable[Finding]:
    """One list page: the envelope, at most ``limit`` items, first_id/last_id naming the first and last item."""
    reqs = ("pagination.list.shape", "pagination.limit.respected", "pagination.cursor.ids")
    unjudged = unjudgeable(ex, reqs)
    if unjudged:
        yield from unjudged
        return
    body = ex.json()
    if ex.status != 200 or body is None:
        yield failed("pagination.list.shape", f"GET {ex.path} answered {ex.describe()}, expected 200 with a list",
                     status=ex.status)
        return
    problems = _envelope_problems(body)
    yield expect("pagination.list.shape", not problems, f"GET {ex.path}: " + "; ".join(problems),
                 received=short(body, 300))
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return
    if limit is not None and data:  # an empty page cannot show whether the limit holds
        yield expect("pagination.limit.respected", len(data) <= limit,
                     f"GET {ex.path} returned {len(data)} items, more than limit={limit}", pointer="/data",
                     count=len(data))
    if data:
        first, last = item_id(data[0]), item_id(data[-1])
        wrong = [f"{key} is {short(body.get(key), 60)} but data/{index} has id {short(want, 60)}"
                 for key, index, want in (("first_id", 0, first), ("last_id", len(data) - 1, last))
                 if body.get(key) != want]
        yield expect("pagination.cursor.ids", not wrong, f"GET {ex.path}: " + "; ".join(wrong),
                     first_id=body.get("first_id"), last_id=body.get("last_id"))


def walk_is_sound(pages: Sequence[Exchange], full_ids: Sequence[Any] | None = None) -> bool:
    """The walk listed each item once (and, given ``full_ids``, exactly those): only then can what it listed be
    used to judge other requirements (order, filters, the messages)."""
    seen = [i for ex in pages for i in page_ids(ex)]
    return len(seen) == len(set(map(str, seen))) and (full_ids is None or set(map(str, seen)) == set(map(str, full_ids)))


@check("pagination.has-more", "pagination.after.continues", "pagination.walk.complete")
def walk(pages: Sequence[Exchange], full_ids: Sequence[Any] | None = None, at_least: int = 0
         ) -> Iterable[Finding]:
    """A walk: ``pages[i + 1]`` was requested with ``after`` = the last id of ``pages[i]``, and the walk stopped at
    the first page with has_more false (or one that brought nothing new).

    ``full_ids`` are the ids of the same list fetched as one large page (then the walk must yield exactly those);
    without them, ``at_least`` is how many items the list is known to hold."""
    reqs = ("pagination.has-more", "pagination.after.continues") + (("pagination.walk.complete",) if full_ids
                                                                    is not None else ())
    broken = next((i for i, ex in enumerate(pages) if page_items(ex) is None), None)
    if broken is not None or not pages:
        reason = f"page {broken + 1} ({pages[broken].path}) was {pages[broken].describe()}" if broken is not None \
            else "no page was fetched"
        yield from (skipped(r, f"not judged: the walk broke off: {reason}") for r in reqs)
        return
    if not any(page_ids(ex) for ex in pages) and not full_ids and not at_least:
        yield from (skipped(r, f"not judged: the list ({pages[0].path}) is empty") for r in reqs)
        return
    seen: list[Any] = []
    repeats: list[str] = []
    wrong_more: list[str] = []
    for index, ex in enumerate(pages):
        ids = page_ids(ex)
        new = [i for i in ids if i not in seen]
        repeated = [i for i in ids if i in seen]
        if repeated:
            repeats.append(f"page {index + 1} ({ex.path}) repeats {short(repeated, 120)} from earlier pages")
        if index > 0 and has_more(pages[index - 1]) is True and not new:
            wrong_more.append(f"page {index} said has_more true, but the next page ({ex.path}) brought no new item")
        seen.extend(new)
    missing = [i for i in full_ids or () if i not in seen]
    known = max(len(full_ids or ()), at_least)
    if has_more(pages[-1]) is False and len(seen) < known:
        wrong_more.append(f"page {len(pages)} ({pages[-1].path}) said has_more false after {len(seen)} items, "
                          f"but the list holds {known}" + (f": {short(missing, 120)} never came" if missing else ""))
    yield expect("pagination.has-more", not wrong_more, "; ".join(wrong_more), pages=len(pages))
    yield expect("pagination.after.continues", not repeats, "; ".join(repeats), pages=len(pages))
    if full_ids is None:
        return
    extra = [i for i in seen if i not in full_ids]
    problems = []
    if missing:
        problems.append(f"the walk never yielded {short(missing, 160)}")
    if extra:
        problems.append(f"the walk yielded {short(extra, 160)}, which the large page does not list")
    yield expect("pagination.walk.complete", not problems,
                 f"walking {len(pages)} pages gave {len(seen)} distinct items, the large page {len(full_ids)}: "
                 + "; ".join(problems), walked=short(seen, 300), large_page=short(list(full_ids), 300))


def _created_runs(items: Sequence[Any], key: str) -> list[tuple[Any, frozenset]] | None:
    """Consecutive items grouped by ``key`` (items created in the same second may tie), or None without keys."""
    runs: list[tuple[Any, set]] = []
    for item in items:
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        if runs and runs[-1][0] == value:
            runs[-1][1].add(item_id(item))
        else:
            runs.append((value, {item_id(item)}))
    return [(value, frozenset(ids)) for value, ids in runs]


@check("pagination.order.desc")
def reverse_order(asc_items: Sequence[Any], desc_ex: Exchange, key: str = "created") -> Iterable[Finding]:
    """``desc_ex`` (order=desc) lists ``asc_items`` (the same list in order=asc) in reverse. Items with the same
    ``key`` (e.g. created in the same second) may come in any order among themselves."""
    req = "pagination.order.desc"
    desc_items = page_items(desc_ex)
    if desc_items is None:
        yield skipped(req, f"not judged: GET {desc_ex.path} answered {desc_ex.describe()}")
        return
    asc_ids = [item_id(i) for i in asc_items]
    desc_ids = [item_id(i) for i in desc_items]
    if len(asc_ids) < 2 and len(desc_ids) < 2:
        yield skipped(req, f"not judged: order needs two items, the list has {max(len(asc_ids), len(desc_ids))}")
        return
    if sorted(map(str, asc_ids)) != sorted(map(str, desc_ids)):
        yield failed(req, f"order=desc listed {short(desc_ids, 160)}, but order=asc listed {short(asc_ids, 160)}: "
                          f"not the same items", asc=asc_ids, desc=desc_ids)
        return
    if desc_ids == asc_ids[::-1]:
        yield passed(req)
        return
    asc_runs, desc_runs = _created_runs(asc_items, key), _created_runs(desc_items[::-1], key)
    if asc_runs is not None and asc_runs == desc_runs:
        yield passed(req, f"reverse order up to items with the same {key}")
        return
    hint = " (order looks ignored)" if desc_ids == asc_ids and len(asc_ids) > 1 else ""
    yield failed(req, f"order=desc listed {short(desc_ids, 160)}, expected the reverse of order=asc "
                      f"{short(asc_ids[::-1], 160)}{hint}", asc=asc_ids, desc=desc_ids)


@check("pagination.params.limit", "pagination.params.order")
def rejected_param(ex: Exchange, param: str, value: Any) -> Iterable[Finding]:
    """A list request with an invalid ``limit`` or ``order`` is rejected with a 4xx."""
    req = PARAM_REQUIREMENTS[param]
    unjudged = unjudgeable(ex, (req,))
    if unjudged:
        yield from unjudged
        return
    what = f"GET {ex.path} ({param}={value!r})"
    if ex.status in ENDPOINT_MISSING:
        yield skipped(req, f"not judged: {what} answered HTTP {ex.status}, so the list endpoint is not there "
                           f"(see pagination.list.shape)")
    elif 400 <= ex.status < 500:
        yield passed(req)
    elif ex.ok:
        count = len(page_items(ex) or [])
        yield failed(req, f"{what} was served: HTTP {ex.status} with {count} items; expected a 4xx rejecting "
                          f"{param}={value!r}", status=ex.status)
    else:
        yield failed(req, f"{what} answered {ex.describe()}; an invalid query parameter is a client error (4xx)"
                          + (", never a 5xx" if ex.status >= 500 else ""), status=ex.status)


# Other areas judge their own lists with the checks above, under their own requirement ids (so a target claiming
# files but not stored completions is judged on its files list): pagination.X becomes <area>.list.<suffix>.
AREA_SUFFIXES = {"pagination.list.shape": "shape", "pagination.limit.respected": "limit",
                 "pagination.cursor.ids": "cursor-ids", "pagination.has-more": "has-more",
                 "pagination.after.continues": "after", "pagination.walk.complete": "walk",
                 "pagination.order.desc": "order"}


def for_area(findings: Iterable[Finding], area: str) -> list[Finding]:
    return [replace(f, requirement=f"{area}.list.{AREA_SUFFIXES[f.requirement]}")
            if f.requirement in AREA_SUFFIXES else f for f in findings]
