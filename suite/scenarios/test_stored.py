"""Stored chat completions: create two with store true, update, retrieve, list (filters, paging, order, invalid
parameters), the messages list, delete. The tests share the two completions and run in file order; whatever
the run created is deleted at the end, even when a test fails.

The completions carry metadata that names this run (a hash of the target's name, so a recorded run replays), and
every list query filters by it, so other stored completions of the account do not disturb the checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from oaic.checks import common, errors, pagination, stored
from oaic.checks.common import honest_unsupported
from oaic.exchange import Exchange
from oaic.transport import Transport

pytestmark = pytest.mark.needs("stored_completions")
TAG_SALT = "oaic stored completions v1"
CONVERSATION = [  # three messages, so the messages list has more than one page at limit 2
    {"role": "user", "content": "Remember the word apple."},
    {"role": "assistant", "content": "OK."},
    {"role": "user", "content": "Say hello."},
]
SHORT_CONVERSATION = [{"role": "user", "content": "Say hello."}]
LARGE_PAGE = 20
# Storage is eventually consistent: a creation, an update or a delete may take a moment to show in reads.
SETTLE_DELAYS = (0.5, 1.5)
# Lists sort by `created` (whole seconds): completions created in the same second tie, and a tie cannot show
# whether order=desc reverses the list. A pause between the two creations makes their order decidable.
CREATION_PAUSE = 1.0
LIST_PATH = "/chat/completions"


def run_tag(target_name: str) -> str:
    return hashlib.sha256(f"{target_name}|{TAG_SALT}".encode()).hexdigest()[:16]


@dataclass
class StoredRun:
    """The completions this module created, and what the tests learned about them."""

    api: Transport
    model: str
    tag: str
    pause: float = 0.0
    creations: list[Exchange] = field(default_factory=list)
    updated_metadata: dict[str, str] | None = None
    tag_filter_lists_ours: bool | None = None  # known once the list was walked
    list_unsupported: Exchange | None = None  # the list endpoint's honest "not supported", once seen
    deleted: set[str] = field(default_factory=set)

    def create(self) -> None:
        if self.creations:
            return
        for item, messages in (("a", CONVERSATION), ("b", SHORT_CONVERSATION)):
            if self.ids and self.pause:
                self.api.sleep(self.pause)
            self.creations.append(self.api.post("/chat/completions", json={
                "model": self.model, "messages": messages, "max_tokens": 1, "store": True,
                "metadata": {"oaic_run": self.tag, "oaic_item": item},
            }))

    @property
    def ids(self) -> list[str]:
        return [i for i in (stored.completion_id(ex) for ex in self.creations) if i]

    @property
    def first(self) -> str:
        return self.ids[0]

    def original(self, completion: str) -> dict[str, Any]:
        return next(ex.json() for ex in self.creations if stored.completion_id(ex) == completion)

    def tag_filter(self, **params: Any) -> dict[str, Any]:
        return {"metadata[oaic_run]": self.tag, **params}

    def settled(self, fetch: Callable[[], Exchange], shows_change: Callable[[Exchange], bool]) -> Exchange:
        """``fetch()`` again after short pauses until its answer shows the change (or the pauses run out)."""
        ex = fetch()
        for delay in SETTLE_DELAYS:
            if shows_change(ex):
                break
            self.api.sleep(delay)
            ex = fetch()
        return ex


@pytest.fixture(scope="module")
def run(api, target, oaic_run):
    replaying = getattr(api.store, "replaying", False)
    pause = CREATION_PAUSE if "pagination.order.desc" in oaic_run.selected and not replaying else 0.0
    state = StoredRun(api, target.model("chat"), run_tag(target.name), pause)
    yield state
    oaic_run.delete_leftovers([f"/chat/completions/{c}" for c in state.ids if c not in state.deleted],
                              "stored completions this run created")


def need_both(run: StoredRun, verdicts) -> bool:
    """Create the two completions (once); False, with the covered requirements skipped, when that failed."""
    run.create()
    if len(run.ids) == 2:
        return True
    verdicts.skip(sorted(verdicts.covered), "not judged: the two completions with store: true were not created "
                                            "(see stored.create.accepted)")
    return False


def need_list(run: StoredRun, verdicts, requirement: str) -> bool:
    """False, with ``requirement`` unsupported, once the list endpoint said it is not supported."""
    if run.list_unsupported is None:
        return True
    verdicts.unsupported([requirement], run.list_unsupported)
    return False


@pytest.mark.covers("stored.create.accepted")
def test_store_true_creates_completions(run, verdicts):
    run.create()
    for ex in run.creations:
        verdicts.extend(stored.created(ex))


@pytest.mark.covers("stored.update.metadata")
def test_update_metadata(run, verdicts):
    if not need_both(run, verdicts):
        return
    metadata = {"oaic_run": run.tag, "oaic_item": "a", "oaic_state": "updated"}
    ex = run.settled(lambda: run.api.post(f"/chat/completions/{run.first}", json={"metadata": metadata}),
                     lambda e: e.status != 404)
    verdicts.extend(stored.updated(ex, run.first, metadata))
    if ex.ok:
        run.updated_metadata = metadata


@pytest.mark.covers("stored.retrieve.same", "stored.update.metadata")
def test_retrieve_returns_the_stored_completion(run, verdicts):
    if not need_both(run, verdicts):
        return
    ex = run.settled(lambda: run.api.get(f"/chat/completions/{run.first}"), lambda e: e.status != 404)
    verdicts.extend(stored.retrieved(ex, run.original(run.first), run.updated_metadata))


LIST_REQUIREMENTS = ("pagination.list.shape", "pagination.limit.respected", "pagination.cursor.ids",
                     "pagination.has-more", "pagination.after.continues", "pagination.walk.complete",
                     "pagination.order.desc", "stored.list.filter-metadata")


@pytest.mark.covers(*LIST_REQUIREMENTS)
def test_list_pages_walk_and_order(run, verdicts):
    if not need_both(run, verdicts):
        return
    large = run.settled(
        lambda: run.api.get(LIST_PATH, params=run.tag_filter(order="desc", limit=LARGE_PAGE)),
        lambda e: set(run.ids) <= set(pagination.page_ids(e)))
    if honest_unsupported(large):
        run.list_unsupported = large
        verdicts.unsupported(LIST_REQUIREMENTS, large)
        return
    verdicts.extend(pagination.page(large, LARGE_PAGE))
    full = pagination.page_ids(large)
    pages = walk(run, params=run.tag_filter(order="asc"), limit=1, max_pages=len(full) + 1)
    for ex in pages:
        verdicts.extend(pagination.page(ex, 1))
    verdicts.extend(pagination.walk(pages, full))
    walked = [item for ex in pages for item in pagination.page_items(ex) or []]
    run.tag_filter_lists_ours = set(run.ids) <= {pagination.item_id(item) for item in walked}
    if pagination.walk_is_sound(pages, full):
        verdicts.extend(pagination.reverse_order(walked, large))
    else:  # a broken cursor is judged by after.continues / walk.complete; order cannot be read off such a walk
        verdicts.skip(["pagination.order.desc"], "not judged: the walk with after= did not list each item once "
                                                 "(see pagination.after.continues, pagination.walk.complete)")
    verdicts.extend(stored.listed([large], run.ids, "stored.list.filter-metadata", f"metadata[oaic_run]={run.tag}"))


@pytest.mark.covers("stored.list.filter-model", "pagination.list.shape")
def test_list_filtered_by_model(run, verdicts):
    if not need_both(run, verdicts) or not need_list(run, verdicts, "stored.list.filter-model"):
        return
    if run.tag_filter_lists_ours is False:  # the query filters by the run's tag too
        verdicts.skip(["stored.list.filter-model"], "not judged: the metadata filter lists none of this run's "
                                                    "completions (see stored.list.filter-metadata)")
        return
    model = run.original(run.first).get("model")
    same_model = [c for c in run.ids if run.original(c).get("model") == model]
    ex = run.api.get(LIST_PATH, params=run.tag_filter(model=model, limit=LARGE_PAGE))
    verdicts.extend(pagination.page(ex, LARGE_PAGE))
    query = f"model={model}"
    if model != run.model and not set(same_model) <= set(pagination.page_ids(ex)):
        # A completion reports the snapshot of the model it was asked for (gpt-4o-mini-2024-07-18 for
        # gpt-4o-mini); OpenAI does not document which of the two names the filter matches, so both count.
        ex = run.api.get(LIST_PATH, params=run.tag_filter(model=run.model, limit=LARGE_PAGE))
        verdicts.extend(pagination.page(ex, LARGE_PAGE))
        query = f"model={model} or model={run.model}"
    verdicts.extend(stored.listed([ex], same_model, "stored.list.filter-model", query))


@pytest.mark.covers("stored.list.filter-metadata", "stored.update.metadata", "pagination.list.shape")
def test_list_filtered_by_updated_metadata(run, verdicts):
    if not need_both(run, verdicts) or not need_list(run, verdicts, "stored.list.filter-metadata"):
        return
    if run.updated_metadata is None:
        verdicts.skip(sorted(verdicts.covered), "not judged: the metadata update did not succeed")
        return
    ex = run.settled(lambda: run.api.get(LIST_PATH, params=run.tag_filter(**{"metadata[oaic_state]": "updated"})),
                     lambda e: run.first in pagination.page_ids(e))
    verdicts.extend(pagination.page(ex))
    verdicts.extend(stored.filtered_by_updated_metadata(ex, run.first, run.ids[1:], "metadata[oaic_state]=updated",
                                                        run.tag_filter_lists_ours is not False))


# Values OpenAI's document rules out for listChatCompletions. A limit of 0 is not among them: the document sets
# no minimum for this list, so whether OpenAI refuses it is unknown.
INVALID_LIST_PARAMS = [("limit", "ten", "limit-not-a-number"), ("order", "sideways", "order-unknown")]


@pytest.mark.parametrize("param, value", [
    pytest.param(param, value, marks=pytest.mark.covers(pagination.PARAM_REQUIREMENTS[param]), id=case)
    for param, value, case in INVALID_LIST_PARAMS])
def test_list_rejects_invalid_parameters(run, verdicts, param, value):
    ex = run.api.get(LIST_PATH, params=run.tag_filter(**{param: value}), headers={"connection": "close"})
    verdicts.extend(pagination.rejected_param(ex, param, value))
    verdicts.extend(common.error_body(ex))
    if ex.status not in pagination.ENDPOINT_MISSING:
        what = f"GET {LIST_PATH} with {param}={value!r}"
        verdicts.extend(errors.bad_request(ex, what))
        verdicts.extend(errors.param_names_field(ex, (param,), what))


@pytest.mark.covers("stored.messages.list", "pagination.list.shape", "pagination.limit.respected",
                    "pagination.cursor.ids", "pagination.has-more", "pagination.after.continues")
def test_messages_list(run, verdicts):
    if not need_both(run, verdicts):
        return
    pages = walk(run, path=f"/chat/completions/{run.first}/messages", params={}, limit=2,
                 max_pages=len(CONVERSATION))
    for ex in pages:
        verdicts.extend(pagination.page(ex, 2))
    if pagination.walk_is_sound(pages):
        verdicts.extend(stored.messages(pages, CONVERSATION))
    else:  # a broken cursor is pagination's failure: judge the messages on the first page alone
        first_page = len(pagination.page_items(pages[0]) or [])
        verdicts.extend(stored.messages(pages[:1], CONVERSATION[:max(first_page, 1)]))
    verdicts.extend(pagination.walk(pages, at_least=len(CONVERSATION)))


@pytest.mark.covers("stored.delete.response", "stored.delete.gone")
def test_delete_then_gone(run, verdicts):
    if not need_both(run, verdicts):
        return
    for completion in run.ids:
        ex = run.api.delete(f"/chat/completions/{completion}")
        verdicts.extend(stored.deleted(ex, completion))
        if ex.ok:
            run.deleted.add(completion)
    ex = run.settled(lambda: run.api.get(f"/chat/completions/{run.first}"), lambda e: e.status == 404)
    verdicts.extend(stored.gone(ex))
    verdicts.extend(common.error_body(ex))


def walk(run: StoredRun, params: dict[str, Any], limit: int, max_pages: int, path: str = LIST_PATH
         ) -> list[Exchange]:
    """Follow after=<last id> from the first page until has_more is false, a page brings nothing, or max_pages."""
    pages: list[Exchange] = []
    after = None
    while len(pages) < max_pages:
        ex = run.api.get(path, params={**params, "limit": limit, **({"after": after} if after else {})})
        pages.append(ex)
        ids = pagination.page_ids(ex)
        if not ids or pagination.has_more(ex) is not True:
            break
        after = ids[-1]
    return pages
